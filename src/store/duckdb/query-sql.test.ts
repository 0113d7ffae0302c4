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

  it('compares promoted fields on their column without parsing JSON', () => {
    const { sql, values } = compile('host.name:Web-01');
    assert.match(sql, /host_name = \$1/);
    assert.deepEqual(values, ['web-01', 'Web-01']);
  });

  it('looks other fields up by a quoted JSON path', () => {
    const { sql } = compile('service.name:x');
    assert.match(sql, /json_extract\(fields, '\$\."service\.name"'\)/);
  });

  it('uses the pre-lowered search_text column for free text', () => {
    assert.deepEqual(compile('FAILED'), { sql: 'contains(search_text, $1)', values: ['failed'] });
    assert.deepEqual(compile('fail*'), { sql: "(search_text LIKE $1 ESCAPE '\\')", values: ['%fail%%'] });
  });

  it('wraps leaves so NOT never meets a NULL', () => {
    const { sql } = compile('NOT service.name:x');
    assert.match(sql, /^\(NOT \(CASE WHEN .* THEN coalesce\(.*ELSE coalesce\(.*, false\) END\)\)$/);
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
});
