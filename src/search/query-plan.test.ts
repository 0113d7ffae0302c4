/**
 * The query language beyond field:value: comparisons, networks and pipes, parsed and planned.
 * What they match is the store's part (src/store/store-pipes.suite.ts); here, what they mean
 * and how mistakes are reported (with the column where the user typed them).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { VigilError } from '../core/errors.js';
import type { QueryNode } from '../core/query.js';
import { parseQuery } from './query-parser.js';
import { planQuery, searchRequest } from './query-plan.js';
import { pipeStart } from './query-tokens.js';

function assertInvalid(run: () => unknown, hint: RegExp, column?: number): void {
  assert.throws(run, (e: unknown) => {
    assert.ok(e instanceof VigilError, `expected VigilError, got ${String(e)}`);
    assert.equal(e.code, 'query-invalid');
    assert.match(e.message, hint);
    if (column !== undefined) assert.equal(e.where, `query column ${column}`);
    return true;
  });
}

const cmp = (field: string, op: string, value: string, number?: number): QueryNode =>
  ({ kind: 'compare', field, op, value, number }) as QueryNode;

describe('comparisons', () => {
  it('reads field>value, field >= value and Lucene field:>value alike', () => {
    assert.deepEqual(parseQuery('destination.port>1024'), cmp('destination.port', '>', '1024', 1024));
    assert.deepEqual(parseQuery('destination.port >= 1024'), cmp('destination.port', '>=', '1024', 1024));
    assert.deepEqual(parseQuery('destination.port:<=1.5e3'), cmp('destination.port', '<=', '1.5e3', 1500));
    assert.deepEqual(parseQuery('user.name<"m"'), cmp('user.name', '<', 'm'));
  });

  it('reads @timestamp values as times', () => {
    const node = parseQuery('@timestamp>=2026-11-28T09:00:00Z') as { number: number };
    assert.equal(node.number, Date.UTC(2026, 10, 28, 9));
    assertInvalid(() => parseQuery('@timestamp>yesterday-ish'), /not a time for @timestamp/, 12);
  });

  it('combines with the other operators', () => {
    assert.deepEqual(parseQuery('a AND (port>1 OR NOT port<0)'), {
      kind: 'and',
      children: [
        { kind: 'text', text: 'a', wildcard: false, quoted: false },
        { kind: 'or', children: [cmp('port', '>', '1', 1), { kind: 'not', child: cmp('port', '<', '0', 0) }] },
      ],
    });
  });

  it('points at a comparison without a field or a value', () => {
    assertInvalid(() => parseQuery('> 5'), /needs a field name before it/, 1);
    assertInvalid(() => parseQuery('"quoted" > 5'), /needs a field name before it/, 10);
    assertInvalid(() => parseQuery('port>'), /needs a value/, 5);
    assertInvalid(() => parseQuery('port>1*'), /unexpected "\*" at column 7/, 7);
  });

  it('keeps an escaped > as text', () => {
    assert.deepEqual(parseQuery('a\\>b'), { kind: 'text', text: 'a>b', wildcard: false, quoted: false });
  });
});

describe('networks', () => {
  it('reads IPv4 and IPv6 CIDR after a field, clearing host bits', () => {
    assert.deepEqual(parseQuery('source.ip:10.1.2.3/8'), { kind: 'cidr', field: 'source.ip', version: 4, network: '10.0.0.0', prefix: 8, text: '10.1.2.3/8' });
    assert.deepEqual(parseQuery('source.ip:172.31.255.255/12'), { kind: 'cidr', field: 'source.ip', version: 4, network: '172.16.0.0', prefix: 12, text: '172.31.255.255/12' });
    const v6 = parseQuery('client.ip:2001:DB8:ffff::/33') as { network: string; version: number };
    assert.equal(v6.version, 6);
    assert.equal(v6.network, '20010db8800000000000000000000000');
  });

  it('refuses a prefix too long and keeps quoted text literal', () => {
    assertInvalid(() => parseQuery('x source.ip:10.0.0.0/33'), /not a network/, 3);
    assertInvalid(() => parseQuery('source.ip:::1/129'), /at most \/128/, 1);
    assert.deepEqual(parseQuery('url.path:"10.0.0.0/8"'), { kind: 'field', field: 'url.path', value: '10.0.0.0/8', wildcard: false, quoted: true });
    assert.equal((parseQuery('url.path:a/b') as { kind: string }).kind, 'field');
  });
});

describe('pipes', () => {
  it('start at a single | outside quotes and escapes; || is OR', () => {
    assert.equal(pipeStart('a || b'), -1);
    assert.equal(pipeStart('"a | b" \\| c'), -1);
    assert.equal(pipeStart('a | stats count()'), 2);
    assertInvalid(() => parseQuery('a | stats count()'), /pipes are not allowed here/, 3);
  });

  it('plans an event search with sort, head and fields', () => {
    assert.deepEqual(planQuery('user.name:root | sort -destination.port, +host.name | head 5 | fields host.name, destination.port'), {
      kind: 'events',
      query: { kind: 'field', field: 'user.name', value: 'root', wildcard: false, quoted: false },
      sort: [
        { field: 'destination.port', descending: true },
        { field: 'host.name', descending: false },
      ],
      limit: 5,
      fields: ['host.name', 'destination.port'],
    });
  });

  it('plans stats with metrics, names and by fields', () => {
    const plan = planQuery('* | stats count(), dc(user.name) as users, avg(http.bytes) by source.ip, host.name | sort -users | head 20');
    assert.equal(plan.kind, 'table');
    if (plan.kind !== 'table') return;
    assert.deepEqual(plan.aggregation, {
      kind: 'stats',
      metrics: [
        { fn: 'count', field: undefined, name: 'count()' },
        { fn: 'dc', field: 'user.name', name: 'users' },
        { fn: 'avg', field: 'http.bytes', name: 'avg(http.bytes)' },
      ],
      by: ['source.ip', 'host.name'],
    });
    assert.deepEqual(plan.sort, [{ field: 'users', descending: true }]);
    assert.equal(plan.limit, 20);
  });

  it('plans timechart and top with their defaults', () => {
    const chart = planQuery('| timechart count() by event.outcome');
    assert.ok(chart.kind === 'table' && chart.aggregation.kind === 'timechart' && chart.aggregation.spanMs === 3_600_000);
    const span = planQuery('a | timechart span=5m count()');
    assert.ok(span.kind === 'table' && span.aggregation.kind === 'timechart' && span.aggregation.spanMs === 300_000);
    const top = planQuery('a | top source.ip');
    assert.ok(top.kind === 'table' && top.aggregation.kind === 'top' && top.aggregation.limit === 10 && top.limit === 10);
    const top3 = planQuery('a | top 3 source.ip, user.name');
    assert.ok(top3.kind === 'table' && top3.aggregation.kind === 'top' && top3.aggregation.limit === 3);
  });

  it('lets | head set the answer size beyond the default page, up to 10,000', () => {
    const plan = planQuery('a | head 500');
    assert.ok(plan.kind === 'events');
    if (plan.kind !== 'events') return;
    assert.equal(searchRequest(plan, { tenant: 't', limit: 100 }).limit, 500);
    const plain = planQuery('a');
    if (plain.kind === 'events') assert.equal(searchRequest(plain, { tenant: 't', limit: 100 }).limit, 100);
  });

  it('keeps a head before the aggregation for the events it aggregates', () => {
    const plan = planQuery('a | sort @timestamp | head 1000 | stats count() by host.name');
    assert.ok(plan.kind === 'table');
    if (plan.kind === 'table') assert.deepEqual(plan.events, { sort: [{ field: '@timestamp', descending: false }], limit: 1000 });
  });

  it('names the column of each mistake', () => {
    assertInvalid(() => planQuery('a | '), /has no command/, 3);
    assertInvalid(() => planQuery('a | grep x'), /unknown pipe command "grep" at column 5/, 5);
    assertInvalid(() => planQuery('a | stats'), /expected a function/, 10);
    assertInvalid(() => planQuery('a | stats dc()'), /dc\(\) at column 11 needs a field/, 11);
    assertInvalid(() => planQuery('a | stats bogus(x)'), /expected a function/, 11);
    assertInvalid(() => planQuery('a | stats count() by'), /expected a field name/);
    assertInvalid(() => planQuery('a | stats count() by x y'), /expected the end of the pipe.*"y" at column 24/, 24);
    assertInvalid(() => planQuery('a | timechart span=1w count()'), /a span such as/, 20);
    assertInvalid(() => planQuery('a | head 0'), /whole number from 1/, 10);
    assertInvalid(() => planQuery('a | stats count() | top x'), /second aggregation.*column 21/, 21);
    assertInvalid(() => planQuery('a | stats count() by h | sort -n'), /n is not a column of the output; the columns are h, count\(\)/, 26);
    assertInvalid(() => planQuery('a | fields x | stats count()'), /\| fields at column 5 comes before \| stats/, 5);
    assertInvalid(() => planQuery('a | head 3 | sort x'), /sort first/, 14);
    assertInvalid(() => planQuery('a | stats count() as c, count() as c'), /computed twice/);
    assertInvalid(() => planQuery('a | stats count() ; drop'), /unexpected ";" at column 19/, 19);
  });

  it('parses hostile pipe text into nothing but names', () => {
    assertInvalid(() => planQuery(`a | stats count() by x'); DROP TABLE events; --`), /unexpected "'"/);
  });
});
