import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isVigilError } from '../../core/errors.js';
import type { QueryNode } from '../../core/query.js';
import { parseQuery } from '../../search/query-parser.js';
import { SqlParams, compileFilter } from './query-sql.js';

function compile(query: string | QueryNode): { sql: string; values: unknown[] } {
  const params = new SqlParams();
  const sql = compileFilter(typeof query === 'string' ? parseQuery(query) : query, params);
  return { sql, values: params.values };
}

describe('compileFilter (DuckDB)', () => {
  it('binds every value as a parameter, never as SQL text', () => {
    const hostile = `x'); DROP TABLE events; --`;
    for (const query of [
      { kind: 'field', field: 'user.name', value: hostile, wildcard: false, quoted: true },
      { kind: 'field', field: 'labels.note', value: hostile, wildcard: false, quoted: true },
      { kind: 'field', field: 'message', value: `${hostile}*`, wildcard: true, quoted: false },
      { kind: 'text', text: hostile, wildcard: false, quoted: true },
    ] satisfies QueryNode[]) {
      const { sql, values } = compile(query);
      assert.ok(!sql.includes('DROP'), sql);
      assert.ok(values.some((v) => typeof v === 'string' && v.toLowerCase().includes('drop table')), JSON.stringify(values));
    }
  });

  it('compares promoted fields on their lower-cased list column without parsing JSON', () => {
    assert.deepEqual(compile('host.name:Web-01'), { sql: 'coalesce(list_contains(host_name, $1), false)', values: ['web-01'] });
    const { sql, values } = compile('host.name:Web-*');
    assert.match(sql, /^coalesce\(list_bool_or\(list_transform\(host_name, lambda elem: \(elem LIKE \$1\)\)\), false\)$/);
    assert.deepEqual(values, ['web-%']);
  });

  it('uses LIKE only for linear-time shapes (prefix, suffix, substring) and RE2 for the rest', () => {
    assert.doesNotMatch(compile('host.name:a*').sql, /ESCAPE/);
    assert.match(compile('host.name:a*').sql, /LIKE \$1\)/);
    // DuckDB's LIKE backtracks on these (test/fuzz/redos.test.ts); ESCAPE is never needed.
    for (const [query, regex] of [['host.name:a_b*', '(?s)a_b.*'], ['host.name:*a*b', '(?s).*a.*b'], ['host.name:a?b', '(?s)a.b'], ['host.name:a%.b*', '(?s)a%\\.b.*']]) {
      const { sql, values } = compile(query as string);
      assert.match(sql, /regexp_full_match\(elem, \$1\)/, query);
      assert.doesNotMatch(sql, /LIKE/, query);
      assert.deepEqual(values, [regex], query);
    }
  });

  it('looks other fields up by a quoted JSON path, after a cheap prefilter on the raw text', () => {
    const { sql, values } = compile('service.name:SSH.d');
    assert.match(sql, /json_extract\(fields, '\$\."service\.name"'\)/);
    assert.match(sql, /^\(CASE WHEN regexp_matches\(fields, \$1\) THEN /);
    assert.equal(values[0], '(?i)SSH\\.d');
  });

  it('prefilters values without letters with a plain substring search', () => {
    const { sql, values } = compile('process.pid:1234');
    assert.match(sql, /^\(CASE WHEN contains\(fields, \$1\) THEN /);
    assert.equal(values[0], '1234');
  });

  it('prefilters a JSON glob on its longest literal run, as JSON writes it', () => {
    // Glob c:*"x"\* has the literal runs `c:` and `"x"*`; JSON writes the latter \"x\"*.
    const { values } = compile({ kind: 'field', field: 'file.path', value: 'c:*"x"\\*', wildcard: true, quoted: false });
    assert.equal(values[0], '(?i)\\\\"x\\\\"\\*');
  });

  it('uses the pre-lowered search_text column for free text', () => {
    assert.deepEqual(compile('FAILED'), { sql: 'contains(search_text, $1)', values: ['failed'] });
    assert.deepEqual(compile('fail*'), { sql: '(search_text LIKE $1)', values: ['%fail%%'] });
  });

  it('wraps leaves so NOT never meets a NULL', () => {
    assert.match(compile('NOT service.name:x').sql, /^\(NOT \(CASE WHEN .* THEN coalesce\(.*, false\) ELSE false END\)\)$/);
    assert.match(compile('NOT message:x').sql, /^\(NOT coalesce\(.*, false\)\)$/);
  });

  it('refuses field names that could break out of the JSON path', () => {
    for (const field of [`a"b`, `a'b`, 'a\\b', 'a b', '', 'x'.repeat(257)]) {
      assert.throws(
        () => compile({ kind: 'field', field, value: 'v', wildcard: false, quoted: false }),
        (e: unknown) => isVigilError(e) && e.code === 'query-invalid',
      );
      assert.throws(() => compile({ kind: 'exists', field }), (e: unknown) => isVigilError(e) && e.code === 'query-invalid');
    }
  });

  it('bounds the depth of trees built without the parser', () => {
    let node: QueryNode = { kind: 'all' };
    for (let i = 0; i < 300; i++) node = { kind: 'not', child: node };
    assert.throws(() => compile(node), (e: unknown) => isVigilError(e) && e.code === 'query-invalid');
  });

  it('reads empty AND as true and empty OR as false', () => {
    assert.equal(compile({ kind: 'and', children: [] }).sql, 'true');
    assert.equal(compile({ kind: 'or', children: [] }).sql, 'false');
  });

  it('binds comparison values and network bounds as parameters', () => {
    const port = compile('destination.port>1024');
    assert.deepEqual(port.values, [1024]);
    assert.doesNotMatch(port.sql, /1024/);
    const text = compile(`user.name>"x'); DROP TABLE events; --"`);
    assert.doesNotMatch(text.sql, /DROP/);
    const net = compile('source.ip:10.0.0.0/8');
    assert.deepEqual(net.values, [167772160, 184549375]);
    const v6 = compile('source.ip:2001:db8::/32');
    assert.deepEqual(v6.values, ['20010db8000000000000000000000000', '20010db8ffffffffffffffffffffffff']);
  });

  it('refuses field names outside the alphabet in comparisons and networks', () => {
    assert.throws(() => compile({ kind: 'compare', field: "a'b", op: '>', value: '1', number: 1 }), (e: unknown) => isVigilError(e) && e.code === 'query-invalid');
    assert.throws(
      () => compile({ kind: 'cidr', field: 'a b', version: 4, network: '10.0.0.0', prefix: 8, text: '10.0.0.0/8' }),
      (e: unknown) => isVigilError(e) && e.code === 'query-invalid',
    );
  });
});
