/**
 * The filter and aggregate compilers with ClickHouse's dialect: every value a typed `{pN:Type}`
 * parameter, RE2 for every shape LIKE could not run in linear time, index-friendly free text.
 * What the SQL means is proven by the conformance suite on chdb (clickhouse-store.test.ts).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isVigilError } from '../../core/errors.js';
import type { QueryNode } from '../../core/query.js';
import { parseQuery } from '../../search/query-parser.js';
import { aggregateRequest, planQuery } from '../../search/query-plan.js';
import { compileAggregate } from '../sql/aggregate-compiler.js';
import { compileFilter } from '../sql/filter-compiler.js';
import { byName, clickhouseDialect, clickhouseParams } from './clickhouse-dialect.js';

function compile(query: string | QueryNode): { sql: string; values: Record<string, unknown> } {
  const params = clickhouseParams();
  const sql = compileFilter(clickhouseDialect, typeof query === 'string' ? parseQuery(query) : query, params);
  return { sql, values: byName(params) };
}

const HOSTILE = `x'); DROP TABLE events; --`;

describe('compileFilter (ClickHouse)', () => {
  it('binds every value as a typed parameter, never as SQL text', () => {
    for (const query of [
      { kind: 'field', field: 'user.name', value: HOSTILE, wildcard: false, quoted: true },
      { kind: 'field', field: 'labels.note', value: HOSTILE, wildcard: false, quoted: true },
      { kind: 'field', field: 'message', value: `${HOSTILE}*`, wildcard: true, quoted: false },
      { kind: 'text', text: HOSTILE, wildcard: false, quoted: true },
      { kind: 'compare', field: 'user.name', op: '>', value: HOSTILE, number: undefined },
    ] satisfies QueryNode[]) {
      const { sql, values } = compile(query);
      assert.ok(!sql.includes('DROP'), sql);
      assert.ok(Object.values(values).some((v) => typeof v === 'string' && v.toLowerCase().includes('drop table')), JSON.stringify(values));
      for (const name of Object.keys(values)) assert.match(sql, new RegExp(`\\{${name}:(String|Float64|Int64)\\}`));
    }
    assert.deepEqual(compile('destination.port>1024').values, { p1: 1024 });
    assert.match(compile('destination.port>1024').sql, /toFloat64OrNull\(elem|toFloat64OrNull\(jt\) > \{p1:Float64\}/);
    assert.match(compile('@timestamp>2024-05-01T00:00:00Z').sql, /\{p1:Int64\}/);
  });

  it('looks promoted fields up with has() on their array column', () => {
    assert.deepEqual(compile('host.name:Web-01'), { sql: 'has(host_name, {p1:String})', values: { p1: 'web-01' } });
  });

  it('uses LIKE only for linear-time shapes and anchored RE2 (match) for the rest', () => {
    assert.match(compile('host.name:a*').sql, /\(elem LIKE \{p1:String\}\)/);
    for (const [query, regex] of [['host.name:a_b*', '(?s)a_b.*'], ['host.name:*a*b', '(?s).*a.*b'], ['host.name:a?b', '(?s)a.b']]) {
      const { sql, values } = compile(query as string);
      assert.match(sql, /match\(elem, concat\('\^\(\?:', \{p1:String\}, '\)\$'\)\)/, query);
      assert.doesNotMatch(sql, /LIKE/, query);
      assert.deepEqual(values, { p1: regex }, query);
    }
  });

  it('searches free text with multiSearchAny on search_text, which the ngram index can answer', () => {
    assert.deepEqual(compile('FAILED'), { sql: 'multiSearchAny(search_text, [{p1:String}])', values: { p1: 'failed' } });
  });

  it('reads JSON fields by a quoted key after a cheap prefilter, folding case with lowerUTF8', () => {
    const { sql, values } = compile('service.name:SSH.d');
    assert.match(sql, /^\(CASE WHEN match\(fields, \{p1:String\}\) THEN arrayExists\(jt -> lowerUTF8\(jt\) = lowerUTF8\(\{p2:String\}\)/);
    assert.match(sql, /JSONExtractArrayRaw\(fields, 'service\.name'\)/);
    assert.equal(values['p1'], '(?i)SSH\\.d');
  });

  it('refuses field names that could break out of the JSON key', () => {
    for (const field of [`a"b`, `a'b`, 'a\\b', 'a b', '']) {
      assert.throws(() => compile({ kind: 'field', field, value: 'v', wildcard: false, quoted: false }), (e: unknown) => isVigilError(e) && e.code === 'query-invalid');
    }
  });
});

describe('compileAggregate (ClickHouse)', () => {
  it('groups with ARRAY JOIN and counts values with arrayJoin, every value bound', () => {
    const plan = planQuery(`user.name:"${HOSTILE}" | stats count(), dc(source.ip) by host.name, labels.x`);
    assert.equal(plan.kind, 'table');
    if (plan.kind !== 'table') return;
    const params = clickhouseParams();
    const request = aggregateRequest(plan, { tenant: 'a', limit: 10 });
    const where = compileFilter(clickhouseDialect, request.query, params);
    const { sql } = compileAggregate(clickhouseDialect, request, where, params);
    assert.match(sql, / ARRAY JOIN base\.b0 AS k0 ARRAY JOIN base\.b1 AS k1/);
    assert.match(sql, /uniqExact\(x\) AS v FROM \(SELECT k0, k1, arrayJoin\(b2\) AS x FROM keyed\)/);
    assert.doesNotMatch(sql, /DROP/);
  });
});
