import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import type { SigmaLevel } from '../sigma/sigma-types.js';
import {
  CorrelationEngine,
  type CorrelationEngineOptions,
  type CorrelationHit,
  type CorrelationMatch,
  type RuleRef,
} from './correlation-engine.js';
import { CorrelationError, isCorrelationDocument, readCorrelationRule } from './correlation-rule.js';

const S = 1000;
const M = 60 * S;

function engine(yamlText: string, options: CorrelationEngineOptions = {}): CorrelationEngine {
  const rules = parseAllDocuments(yamlText)
    .map((d) => d.toJS() as unknown)
    .filter(isCorrelationDocument)
    .map((d) => readCorrelationRule(d));
  return new CorrelationEngine(rules, undefined, options);
}

function rule(name: string, level: SigmaLevel = 'medium'): RuleRef {
  return { id: `id-${name}`, name, level };
}

let nextEvent = 0;
function match(r: RuleRef, time: number, fields: Record<string, string | number> = {}, eventId = `ev${++nextEvent}`): CorrelationMatch {
  return { rule: r, time, eventId, field: (n) => (Object.hasOwn(fields, n) ? fields[n] : undefined) };
}

/** Feeds matches in order and returns every hit, with the index of the match that produced it. */
function run(e: CorrelationEngine, matches: readonly CorrelationMatch[]): (CorrelationHit & { at: number })[] {
  const hits: (CorrelationHit & { at: number })[] = [];
  matches.forEach((m, at) => {
    for (const h of e.observe(m)) hits.push({ ...h, at });
  });
  return hits;
}

const A = rule('rule_a');
const B = rule('rule_b');
const C = rule('rule_c');
const OTHER = rule('unrelated');

const eventCount = (condition: string, timespan = '60s', groupBy = '[User]') => `
title: Burst
id: burst
correlation:
    type: event_count
    rules: [rule_a]
    group-by: ${groupBy}
    timespan: ${timespan}
    condition: ${condition}
`;

describe('event_count', () => {
  it('uses sliding windows: 3 matches at 0 s, 50 s and 100 s are never 3 within 60 s', () => {
    const e = engine(eventCount('{ gte: 3 }'));
    assert.equal(run(e, [0, 50 * S, 100 * S].map((t) => match(A, t, { User: 'bob' }))).length, 0);
  });

  it('fires for 3 matches within 59 s, reporting the window, count and events', () => {
    const e = engine(eventCount('{ gte: 3 }'));
    const ms = [0, 30 * S, 59 * S].map((t) => match(A, t, { User: 'bob' }));
    const hits = run(e, ms);
    assert.equal(hits.length, 1);
    const [h] = hits;
    assert.equal(h!.at, 2);
    assert.equal(h!.rule.id, 'burst');
    assert.equal(h!.rule.title, 'Burst');
    assert.equal(h!.type, 'event_count');
    assert.deepEqual(h!.group, { User: 'bob' });
    assert.equal(h!.value, 3);
    assert.equal(h!.windowStart, 0);
    assert.equal(h!.windowEnd, 59 * S);
    assert.deepEqual(h!.eventIds, ms.map((m) => m.eventId));
    assert.equal(h!.eventIdsTruncated, false);
  });

  it('fires across what would be a bucket boundary (50 s, 70 s, 100 s)', () => {
    const e = engine(eventCount('{ gte: 3 }'));
    assert.equal(run(e, [50 * S, 70 * S, 100 * S].map((t) => match(A, t, { User: 'bob' }))).length, 1);
  });

  it('includes a match exactly one timespan after the first', () => {
    const e = engine(eventCount('{ gte: 3 }'));
    assert.equal(run(e, [0, 30 * S, 60 * S].map((t) => match(A, t, { User: 'bob' }))).length, 1);
    const f = engine(eventCount('{ gte: 3 }'));
    assert.equal(run(f, [0, 30 * S, 60 * S + 1].map((t) => match(A, t, { User: 'bob' }))).length, 0);
  });

  it('fires once, then starts a new window: 5 matches against gte 3 give one hit, 6 give two', () => {
    const five = run(engine(eventCount('{ gte: 3 }')), [0, 1, 2, 3, 4].map((i) => match(A, i * S, { User: 'bob' })));
    assert.deepEqual(five.map((h) => h.at), [2]);
    const six = run(engine(eventCount('{ gte: 3 }')), [0, 1, 2, 3, 4, 5].map((i) => match(A, i * S, { User: 'bob' })));
    assert.deepEqual(six.map((h) => h.at), [2, 5]);
  });

  it('counts each group separately', () => {
    const e = engine(eventCount('{ gte: 2 }'));
    const hits = run(e, [match(A, 0, { User: 'bob' }), match(A, 1, { User: 'eve' }), match(A, 2, { User: 'bob' })]);
    assert.deepEqual(hits.map((h) => h.group), [{ User: 'bob' }]);
  });

  it('groups by several fields together, numbers and texts alike', () => {
    const e = engine(eventCount('{ gte: 2 }', '60s', '[User, LogonType]'));
    const hits = run(e, [
      match(A, 0, { User: 'bob', LogonType: 3 }),
      match(A, 1, { User: 'bob', LogonType: 10 }),
      match(A, 2, { User: 'bob', LogonType: 3 }),
    ]);
    assert.deepEqual(hits.map((h) => h.group), [{ User: 'bob', LogonType: 3 }]);
  });

  it('skips a match without a group-by field and counts it as incomplete', () => {
    const e = engine(eventCount('{ gte: 2 }'));
    assert.equal(run(e, [match(A, 0, { User: 'bob' }), match(A, 1, {}), match(A, 2, { Other: 'x' })]).length, 0);
    assert.equal(e.stats()[0]!.incompleteMatches, 2);
  });

  it('ignores matches of rules it does not reference', () => {
    const e = engine(eventCount('{ gte: 1 }'));
    assert.equal(e.observe(match(OTHER, 0, { User: 'bob' })).length, 0);
    assert.equal(e.consumes(OTHER), false);
    assert.equal(e.consumes(A), true);
  });
});

describe('value_count', () => {
  const yaml = (timespan = '5m') => `
title: Many users
correlation:
    type: value_count
    rules: [rule_a]
    group-by: [IpAddress]
    timespan: ${timespan}
    condition: { field: TargetUserName, gte: 3 }
`;

  it('counts distinct values of the field, not matches', () => {
    const users = ['a', 'a', 'a', 'b', 'b', 'c'];
    const hits = run(engine(yaml()), users.map((u, i) => match(A, i * S, { IpAddress: '10.0.0.1', TargetUserName: u })));
    assert.deepEqual(hits.map((h) => [h.at, h.value]), [[5, 3]]);
    assert.equal(hits[0]!.eventIds.length, 6);
  });

  it('forgets values last seen more than a timespan ago', () => {
    const ms = [
      match(A, 0, { IpAddress: 'x', TargetUserName: 'a' }),
      match(A, 1 * M, { IpAddress: 'x', TargetUserName: 'b' }),
      match(A, 6 * M, { IpAddress: 'x', TargetUserName: 'c' }), // 'a' has left the window
      match(A, 6 * M + 1, { IpAddress: 'x', TargetUserName: 'b' }), // only b, c: two
      match(A, 7 * M, { IpAddress: 'x', TargetUserName: 'd' }), // b, c, d
    ];
    assert.deepEqual(run(engine(yaml()), ms).map((h) => h.at), [4]);
  });

  it('counts combinations when the field is a list', () => {
    const e = engine(`
title: Pairs
correlation:
    type: value_count
    rules: [rule_a]
    group-by: [Host]
    timespan: 5m
    condition: { field: [User, Domain], gte: 3 }
`);
    const hits = run(e, [
      match(A, 0, { Host: 'h', User: 'a', Domain: 'x' }),
      match(A, 1, { Host: 'h', User: 'a', Domain: 'y' }),
      match(A, 2, { Host: 'h', User: 'a', Domain: 'x' }),
      match(A, 3, { Host: 'h', User: 'b', Domain: 'x' }),
    ]);
    assert.deepEqual(hits.map((h) => h.at), [3]);
  });
});

describe('value_sum, value_avg and value_percentile', () => {
  it('value_sum fires when the sum in the window passes the threshold (spec example)', () => {
    const e = engine(`
title: Possible Exfiltration to Website
correlation:
    type: value_sum
    rules: [rule_a]
    group-by: [SourceIP, User]
    timespan: 1h
    condition: { field: bytes_sent, gt: 1000000 }
`);
    const f = (bytes: string | number) => ({ SourceIP: '10.1.1.1', User: 'bob', bytes_sent: bytes });
    const hits = run(e, [
      match(A, 0, f(400_000)),
      match(A, 10 * M, f('-')), // not a number: does not count
      match(A, 20 * M, f('400000')), // numeric text counts
      match(A, 30 * M, f(300_000)),
    ]);
    assert.deepEqual(hits.map((h) => [h.at, h.value]), [[3, 1_100_000]]);
    assert.equal(e.stats()[0]!.incompleteMatches, 1);
  });

  it('value_sum slides: bytes from more than an hour ago no longer count', () => {
    const e = engine(`
title: Sum
correlation:
    type: value_sum
    rules: [rule_a]
    group-by: [User]
    timespan: 1h
    condition: { field: bytes, gte: 1000 }
`);
    assert.equal(run(e, [match(A, 0, { User: 'u', bytes: 600 }), match(A, 61 * M, { User: 'u', bytes: 600 })]).length, 0);
  });

  it('value_avg fires on the average of the window (spec example)', () => {
    const e = engine(`
title: Suspicious average network traffic
correlation:
    type: value_avg
    rules: [rule_a]
    group-by: [SourceIP, User]
    timespan: 24h
    condition: { field: BytesOut, gt: 500 }
`);
    const f = (n: number) => ({ SourceIP: 's', User: 'u', BytesOut: n });
    const hits = run(e, [match(A, 0, f(100)), match(A, 1, f(200)), match(A, 2, f(2000))]);
    assert.equal(hits.length, 1);
    assert.equal(hits[0]!.at, 2);
    assert.ok(Math.abs(hits[0]!.value - 2300 / 3) < 1e-9);
  });

  it('value_percentile (v2.1.0 form) fires for a value that makes up at most the given percent (spec example)', () => {
    const e = engine(`
title: A computer spawned a processes name in the last 24h than 1% of all the processes.
correlation:
    type: value_percentile
    rules: [rule_a]
    group-by: [ComputerName]
    timespan: 24h
    condition: { field: image, lte: 1 }
`);
    const ms = Array.from({ length: 150 }, (_, i) => match(A, i * S, { ComputerName: 'pc1', image: i % 2 ? 'svchost.exe' : 'explorer.exe' }));
    ms.push(match(A, 200 * S, { ComputerName: 'pc1', image: 'rare.exe' }));
    const hits = run(e, ms);
    assert.equal(hits.length, 1);
    assert.equal(hits[0]!.at, 150);
    assert.ok(Math.abs(hits[0]!.value - 100 / 151) < 1e-9);
  });

  it("value_percentile with pySigma's percentile: P tests the P-th percentile of the window's numbers", () => {
    const e = engine(`
title: Slow responses
correlation:
    type: value_percentile
    rules: [rule_a]
    group-by: [Host]
    timespan: 15m
    condition: { field: Latency, percentile: 95, gte: 500 }
`);
    const hits = run(e, [100, 100, 100, 1000].map((ms, i) => match(A, i * S, { Host: 'h', Latency: ms })));
    assert.deepEqual(hits.map((h) => h.at), [3]);
    assert.ok(Math.abs(hits[0]!.value - 865) < 1e-9); // linear interpolation: 100 + 900 × 0.85
  });
});

describe('temporal', () => {
  const yaml = (condition = '') => `
title: Recon
correlation:
    type: temporal
    rules: [rule_a, rule_b, rule_c]
    group-by: [ComputerName, User]
    timespan: 5m
${condition}`;
  const f = { ComputerName: 'pc', User: 'bob' };

  it('fires when every rule matched within the timespan, in any order', () => {
    const hits = run(engine(yaml()), [match(B, 0, f), match(C, 1 * M, f), match(A, 2 * M, f)]);
    assert.deepEqual(hits.map((h) => [h.at, h.value, h.windowStart, h.windowEnd]), [[2, 3, 0, 2 * M]]);
  });

  it('does not fire when one match is older than the timespan, until it recurs', () => {
    const hits = run(engine(yaml()), [match(A, 0, f), match(B, 4 * M, f), match(C, 6 * M, f), match(A, 7 * M, f)]);
    assert.deepEqual(hits.map((h) => h.at), [3]);
  });

  it('does not count one rule twice, nor other groups', () => {
    const hits = run(engine(yaml()), [match(A, 0, f), match(A, 1, f), match(B, 2, f), match(C, 3, { ...f, User: 'eve' })]);
    assert.equal(hits.length, 0);
  });

  it('with a condition, counts distinct rules', () => {
    const hits = run(engine(yaml('    condition: { gte: 2 }')), [match(A, 0, f), match(A, 1, f), match(C, 2, f)]);
    assert.deepEqual(hits.map((h) => [h.at, h.value]), [[2, 2]]);
  });

  it('with an expression (v2.2 draft), tests which rules matched', () => {
    const hits = run(engine(yaml('    condition: rule_a and (rule_b or rule_c)')), [match(A, 0, f), match(C, 1, f)]);
    assert.deepEqual(hits.map((h) => h.at), [1]);
  });

  it("with 'not', decides when the window closes: a without b within 5 minutes", () => {
    const e = engine(yaml('    condition: rule_a and not rule_b'));
    const bob = { ComputerName: 'pc', User: 'bob' };
    const eve = { ComputerName: 'pc', User: 'eve' };
    assert.equal(run(e, [match(A, 0, bob), match(A, 1 * M, eve), match(B, 2 * M, eve)]).length, 0);
    // An unrelated match past both windows' ends moves event time on and closes them.
    const hits = e.observe(match(OTHER, 10 * M));
    assert.deepEqual(hits.map((h) => [h.group, h.windowStart, h.windowEnd]), [[bob, 0, 5 * M]]);
  });
});

describe('temporal_ordered', () => {
  const yaml = (timespan = '5m', condition = '') => `
title: Ordered
correlation:
    type: temporal_ordered
    rules: [rule_a, rule_b, rule_c]
    group-by: [User]
    timespan: ${timespan}
${condition}`;
  const u = { User: 'bob' };

  it('fires when the rules match in the listed order', () => {
    const hits = run(engine(yaml()), [match(A, 0, u), match(B, 10 * S, u), match(C, 20 * S, u)]);
    assert.deepEqual(hits.map((h) => [h.at, h.value, h.windowStart, h.windowEnd]), [[2, 3, 0, 20 * S]]);
  });

  it('does not fire in another order', () => {
    assert.equal(run(engine(yaml()), [match(C, 0, u), match(B, 1, u), match(A, 2, u)]).length, 0);
    assert.equal(run(engine(yaml()), [match(B, 0, u), match(A, 1, u), match(C, 2, u)]).length, 0);
  });

  it('finds the order among other matches: a, c, b, c', () => {
    const hits = run(engine(yaml()), [match(A, 0, u), match(C, 1, u), match(B, 2, u), match(C, 3, u)]);
    assert.deepEqual(hits.map((h) => h.at), [3]);
  });

  it('needs the whole sequence within the timespan', () => {
    assert.equal(run(engine(yaml()), [match(A, 0, u), match(B, 4 * M, u), match(C, 6 * M, u)]).length, 0);
    const again = run(engine(yaml()), [match(A, 0, u), match(A, 2 * M, u), match(B, 4 * M, u), match(C, 6 * M, u)]);
    assert.deepEqual(again.map((h) => [h.at, h.windowStart]), [[3, 2 * M]]);
  });

  it('orders matches of the same millisecond by arrival', () => {
    assert.equal(run(engine(yaml()), [match(A, 5, u), match(B, 5, u), match(C, 5, u)]).length, 1);
  });

  it('never completes a sequence with a match that arrives late but happened before the last step', () => {
    // b happened at 10 s but arrives after c (20 s): a → c → b in event time is not a → b → c.
    assert.equal(run(engine(yaml()), [match(A, 0, u), match(C, 20 * S, u), match(B, 10 * S, u)]).length, 0);
  });

  it('with a count condition, counts the steps done in order', () => {
    const hits = run(engine(yaml('5m', '    condition: { gte: 2 }')), [match(B, 0, u), match(A, 1, u), match(B, 2, u)]);
    assert.deepEqual(hits.map((h) => [h.at, h.value]), [[2, 2]]);
  });

  it('with a conjunction (v2.2 draft), orders only the named rules', () => {
    const hits = run(engine(yaml('5m', '    condition: rule_a and rule_c')), [match(C, 0, u), match(A, 1, u), match(C, 2, u)]);
    assert.deepEqual(hits.map((h) => h.at), [2]);
  });
});

describe('group-by with aliases (the specification example)', () => {
  const yaml = `
title: Internal error then connection
correlation:
    type: temporal
    rules: [internal_error, new_network_connection]
    group-by: [internal_ip, remote_ip]
    timespan: 10s
    aliases:
        internal_ip:
            internal_error: destination.ip
            new_network_connection: source.ip
        remote_ip:
            internal_error: source.ip
            new_network_connection: destination.ip
`;
  const error = rule('internal_error');
  const connection = rule('new_network_connection');

  it('joins differently named fields of different rules into one group', () => {
    const e = engine(yaml);
    const hits = run(e, [
      match(error, 0, { 'destination.ip': '10.0.0.5', 'source.ip': '203.0.113.7' }),
      match(connection, 2 * S, { 'source.ip': '10.0.0.9', 'destination.ip': '203.0.113.7' }), // another internal host
      match(connection, 3 * S, { 'source.ip': '10.0.0.5', 'destination.ip': '203.0.113.7' }),
    ]);
    assert.deepEqual(hits.map((h) => [h.at, h.group]), [[2, { internal_ip: '10.0.0.5', remote_ip: '203.0.113.7' }]]);
  });

  it('finds a rule by id as well as by name', () => {
    const byId = engine(yaml.replace('rules: [internal_error,', 'rules: [id-internal_error,').replace('            internal_error: destination.ip', '            id-internal_error: destination.ip').replace('            internal_error: source.ip', '            id-internal_error: source.ip'));
    const hits = run(byId, [
      match({ id: 'id-internal_error' }, 0, { 'destination.ip': '10.0.0.5', 'source.ip': '203.0.113.7' }),
      match(connection, 1, { 'source.ip': '10.0.0.5', 'destination.ip': '203.0.113.7' }),
    ]);
    assert.equal(hits.length, 1);
  });

  it('asks the resolver which references a base rule answers to', () => {
    const rules = parseAllDocuments(yaml).map((d) => readCorrelationRule(d.toJS()));
    const aliasesOf = new Map([['sigma-42', ['internal_error']], ['sigma-43', ['new_network_connection']]]);
    const e = new CorrelationEngine(rules, (r) => aliasesOf.get(r.id) ?? []);
    const hits = run(e, [
      match({ id: 'sigma-42' }, 0, { 'destination.ip': '10.0.0.5', 'source.ip': '203.0.113.7' }),
      match({ id: 'sigma-43' }, 1, { 'source.ip': '10.0.0.5', 'destination.ip': '203.0.113.7' }),
    ]);
    assert.equal(hits.length, 1);
  });
});

const FAILED_THEN_SUCCESS = `
title: Correlation - Multiple Failed Logins Followed by Successful Login
id: b180ead8-d58f-40b2-ae54-c8940995b9b6
status: experimental
author: Florian Roth (Nextron Systems)
correlation:
    type: temporal_ordered
    rules:
        - multiple_failed_login
        - successful_login
    group-by:
        - User
    timespan: 10m
level: high
---
title: Multiple failed logons
id: a8418a5a-5fc4-46b5-b23b-6c73beb19d41
name: multiple_failed_login
correlation:
    type: event_count
    rules:
        - failed_login
    group-by:
        - User
    timespan: 10m
    condition:
        gte: 10
---
title: Single failed login
id: 53ba33fd-3a50-4468-a5ef-c583635cfa92
name: failed_login
logsource: { product: windows, service: security }
detection:
    selection: { EventID: [529, 4625] }
    condition: selection
---
title: Successful login
id: 4d0a2c83-c62c-4ed4-b475-c7e23a9269b8
name: successful_login
logsource: { product: windows, service: security }
detection:
    selection: { EventID: [528, 4624] }
    condition: selection
`;

describe('chaining (the specification example: many failed logins, then a success)', () => {
  const failed: RuleRef = { id: '53ba33fd-3a50-4468-a5ef-c583635cfa92', name: 'failed_login', level: 'low' };
  const success: RuleRef = { id: '4d0a2c83-c62c-4ed4-b475-c7e23a9269b8', name: 'successful_login', level: 'informational' };
  const failures = (from: number, user = 'bob') => Array.from({ length: 10 }, (_, i) => match(failed, from + i * 10 * S, { User: user }));

  it('fires the outer correlation once, carrying the events of both steps', () => {
    const e = engine(FAILED_THEN_SUCCESS);
    const ms = [...failures(0), match(success, 2 * M, { User: 'bob' })];
    const hits = run(e, ms);
    assert.equal(hits.length, 1);
    const h = hits[0]!;
    assert.equal(h.rule.id, 'b180ead8-d58f-40b2-ae54-c8940995b9b6');
    assert.equal(h.rule.level, 'high');
    assert.equal(h.rule.author, 'Florian Roth (Nextron Systems)');
    assert.equal(h.type, 'temporal_ordered');
    assert.deepEqual(h.group, { User: 'bob' });
    assert.deepEqual(h.eventIds, ms.map((m) => m.eventId));
    assert.equal(h.windowStart, 90 * S); // the inner hit, at the tenth failure
    assert.equal(h.windowEnd, 2 * M);
  });

  it('does not fire when the success comes first, or the failures are another user', () => {
    assert.equal(run(engine(FAILED_THEN_SUCCESS), [match(success, 0, { User: 'bob' }), ...failures(1 * S)]).length, 0);
    assert.equal(run(engine(FAILED_THEN_SUCCESS), [...failures(0, 'eve'), match(success, 2 * M, { User: 'bob' })]).length, 0);
  });

  it('keeps the inner correlation to itself unless asked, marking its hits suppressed', () => {
    const e = engine(FAILED_THEN_SUCCESS, { includeSuppressedHits: true });
    const hits = run(e, [...failures(0), match(success, 2 * M, { User: 'bob' })]);
    assert.deepEqual(hits.map((h) => [h.rule.name, h.suppressed, h.at]), [
      ['multiple_failed_login', true, 9],
      [undefined, false, 10],
    ]);
    // The inner correlation has no level: it takes the highest level of its matches.
    assert.equal(hits[0]!.rule.level, 'low');
  });

  it('refuses loops, ambiguous names and (when the base rules are given) unknown references', () => {
    const loop = `
title: X
name: x
correlation: { type: temporal, rules: [y, a], group-by: [U], timespan: 1m }
---
title: Y
name: y
correlation: { type: temporal, rules: [x, a], group-by: [U], timespan: 1m }
`;
    assert.throws(() => engine(loop), (err: unknown) => err instanceof CorrelationError && /loop: 'X' → 'Y' → 'X'/.test(err.reason));
    const twice = eventCount('{ gte: 1 }') + '---\n' + eventCount('{ gte: 2 }');
    assert.throws(() => engine(twice), /'burst' is also used by 'Burst'/);
    assert.throws(() => engine(eventCount('{ gte: 1 }'), { baseRules: [B] }), /rules\[0\] 'rule_a' is neither a loaded rule nor a correlation/);
    engine(eventCount('{ gte: 1 }'), { baseRules: [A] });
  });
});

describe('generate', () => {
  it('by default, the referenced base rules only feed the correlation', () => {
    const e = engine(FAILED_THEN_SUCCESS);
    assert.equal(e.suppressesBaseAlerts({ id: 'x', name: 'failed_login' }), true);
    assert.equal(e.suppressesBaseAlerts({ id: '4d0a2c83-c62c-4ed4-b475-c7e23a9269b8', name: 'successful_login' }), true);
    assert.equal(e.suppressesBaseAlerts(OTHER), false);
  });

  it('with generate: true they alert on their own as well, whatever other correlations say', () => {
    const e = engine(`${eventCount('{ gte: 3 }')}generate: true\n`);
    assert.equal(e.suppressesBaseAlerts(A), false);
    const both = engine(`${eventCount('{ gte: 3 }')}generate: true\n---\n${eventCount('{ gte: 5 }').replace('id: burst', 'id: burst5')}`);
    assert.equal(both.suppressesBaseAlerts(A), false);
  });
});

describe('windows that close (conditions with an upper bound)', () => {
  it('event_count lt 3: decided when the window ends, not at the first match', () => {
    const e = engine(eventCount('{ lt: 3 }', '5m'));
    assert.equal(run(e, [match(A, 0, { User: 'quiet' }), ...[1, 2, 3].map((i) => match(A, i * S, { User: 'busy' }))]).length, 0);
    const hits = e.observe(match(OTHER, 6 * M));
    assert.deepEqual(hits.map((h) => [h.group, h.value, h.windowStart, h.windowEnd]), [[{ User: 'quiet' }, 1, 0, 5 * M]]);
  });

  it('eq 3 holds for exactly three matches; flush() closes what is still open', () => {
    const e = engine(eventCount('{ eq: 3 }', '5m'));
    const ms = [
      ...[0, 1, 2].map((i) => match(A, i * S, { User: 'three' })),
      ...[0, 1, 2, 3].map((i) => match(A, i * S, { User: 'four' })),
    ];
    assert.equal(run(e, ms).length, 0);
    assert.deepEqual(e.flush().map((h) => h.group), [{ User: 'three' }]);
    assert.equal(e.flush().length, 0);
  });

  it('a match after the window ends opens the next window', () => {
    const e = engine(eventCount('{ gt: 1, lte: 2 }', '1m'));
    const hits = run(e, [match(A, 0, { User: 'u' }), match(A, 10 * S, { User: 'u' }), match(A, 2 * M, { User: 'u' })]);
    assert.deepEqual(hits.map((h) => [h.at, h.value]), [[2, 2]]);
  });
});

describe('time, disorder and memory', () => {
  it('counts a match that arrives late but within the timespan', () => {
    const hits = run(engine(eventCount('{ gte: 3 }')), [0, 40 * S, 20 * S].map((t) => match(A, t, { User: 'u' })));
    assert.deepEqual(hits.map((h) => [h.at, h.windowStart, h.windowEnd]), [[2, 0, 40 * S]]);
  });

  it('drops and counts a match older than the newest by more than the timespan', () => {
    const e = engine(eventCount('{ gte: 2 }'));
    assert.equal(run(e, [match(A, 200 * S, { User: 'u' }), match(A, 100 * S, { User: 'u' })]).length, 0);
    assert.equal(e.stats()[0]!.lateMatches, 1);
  });

  it('forgets groups idle for a whole timespan of event time', () => {
    const e = engine(eventCount('{ gte: 3 }'));
    run(e, ['a', 'b', 'c'].map((u, i) => match(A, i * S, { User: u })));
    assert.equal(e.stats()[0]!.groups, 3);
    run(e, [match(A, 2 * M, { User: 'd' })]);
    assert.deepEqual([e.stats()[0]!.groups, e.stats()[0]!.expiredGroups], [1, 3]);
  });

  it('keeps at most maxGroupsPerRule groups, evicting the oldest and counting it', () => {
    const e = engine(eventCount('{ gte: 2 }'), { maxGroupsPerRule: 3 });
    const hits = run(e, [
      match(A, 0, { User: 'u1' }),
      match(A, 1, { User: 'u2' }),
      match(A, 2, { User: 'u3' }),
      match(A, 3, { User: 'u4' }), // evicts u1
      match(A, 4, { User: 'u1' }), // u1 starts over (evicts u2)
      match(A, 5, { User: 'u4' }), // u4 still has its first match
    ]);
    assert.deepEqual(hits.map((h) => h.group), [{ User: 'u4' }]);
    assert.deepEqual([e.stats()[0]!.groups, e.stats()[0]!.evictedGroups], [3, 2]);
  });

  it('reports at most maxEventIdsPerHit event ids, the newest, and says so', () => {
    const e = engine(eventCount('{ gte: 8 }'), { maxEventIdsPerHit: 5 });
    const ms = Array.from({ length: 8 }, (_, i) => match(A, i, { User: 'u' }));
    const [h] = run(e, ms);
    assert.deepEqual(h!.eventIds, ms.slice(3).map((m) => m.eventId));
    assert.equal(h!.eventIdsTruncated, true);
  });

  it('caps the values a group keeps and counts what it drops', () => {
    const e = engine(`
title: Sum
correlation:
    type: value_sum
    rules: [rule_a]
    group-by: [U]
    timespan: 1h
    condition: { field: n, gte: 100 }
`, { maxEntriesPerGroup: 4 });
    assert.equal(run(e, Array.from({ length: 10 }, (_, i) => match(A, i, { U: 'u', n: 20 }))).length, 0);
    assert.equal(e.stats()[0]!.droppedEntries, 6);
  });
});

describe('value_count at its cap', () => {
  const yaml = `
title: Users
correlation:
    type: value_count
    rules: [rule_a]
    group-by: [Ip]
    timespan: 1h
    condition: { field: User, gte: 4 }
`;
  it('loses only older sightings of values seen again, and counts a lost value', () => {
    const repeated = engine(yaml, { maxEntriesPerGroup: 3 });
    const users = ['a', 'a', 'a', 'a', 'b', 'c'];
    assert.equal(run(repeated, users.map((u, i) => match(A, i, { Ip: 'x', User: u }))).length, 0);
    assert.equal(repeated.stats()[0]!.droppedEntries, 0);
    const distinct = engine(yaml, { maxEntriesPerGroup: 3 });
    assert.equal(run(distinct, ['a', 'b', 'c', 'd'].map((u, i) => match(A, i, { Ip: 'x', User: u }))).length, 0);
    assert.equal(distinct.stats()[0]!.droppedEntries, 1);
  });
});

describe('level', () => {
  it("is the correlation's own level, else the highest level among its matches", () => {
    const withLevel = engine(`${eventCount('{ gte: 2 }')}level: critical\n`);
    assert.equal(run(withLevel, [match(rule('rule_a', 'low'), 0, { User: 'u' }), match(A, 1, { User: 'u' })])[0]!.rule.level, 'critical');
    const without = engine(eventCount('{ gte: 2 }'));
    assert.equal(run(without, [match(rule('rule_a', 'low'), 0, { User: 'u' }), match(rule('rule_a', 'high'), 1, { User: 'u' })])[0]!.rule.level, 'high');
  });
});
