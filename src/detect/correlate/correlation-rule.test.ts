import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { CorrelationError, isCorrelationDocument, parseTimespan, readCorrelationRule, type CorrelationRule } from './correlation-rule.js';

function docs(text: string): unknown[] {
  return parseAllDocuments(text).map((d) => d.toJS() as unknown);
}

function read(text: string): CorrelationRule {
  const [doc] = docs(text);
  return readCorrelationRule(doc, 'test.yml');
}

function problemsOf(text: string): readonly string[] {
  try {
    read(text);
  } catch (err) {
    assert.ok(err instanceof CorrelationError, String(err));
    return err.problems;
  }
  assert.fail('expected a CorrelationError');
}

function assertProblem(text: string, pattern: RegExp): void {
  const problems = problemsOf(text);
  assert.ok(problems.some((p) => pattern.test(p)), `no problem matches ${pattern}: ${JSON.stringify(problems)}`);
}

const base = (correlation: string, extra = '') => `title: T\n${extra}correlation:\n${correlation}`;

// The examples of sigma-correlation-rules-specification.md (v2.1.0) and of tests/ in the
// specification repository.
const SPEC = {
  eventCount: `
title: Many failed logins
id: 0e95725d-7320-415d-80f7-004da920fc11
correlation:
    type: event_count
    rules:
        - 5638f7c0-ac70-491d-8465-2a65075e0d86
    group-by:
        - ComputerName
    timespan: 1h
    condition:
        gte: 100
`,
  valueCount: `
title: Failed login
id: 0e95725d-7320-415d-80f7-004da920fc12
correlation:
    type: value_count
    rules:
        - 5638f7c0-ac70-491d-8465-2a65075e0d86
    group-by:
        - ComputerName
        - WorkstationName
    timespan: 1d
    condition:
        field: User
        gte: 100
`,
  temporal: `
title: Recon
correlation:
    type: temporal
    rules:
        - recon_cmd_a
        - recon_cmd_b
        - recon_cmd_c
    group-by:
        - ComputerName
        - User
    timespan: 5m
`,
  temporalOrdered: `
title: Failed then successful
correlation:
    type: temporal_ordered
    rules:
        - many_failed_logins
        - successful_login
    group-by:
        - User
    timespan: 1h
`,
  valueSum: `
title: Possible Exfiltration to Website
correlation:
    type: value_sum
    rules:
        - website_access
    group-by:
        - SourceIP
        - User
    timespan: 1h
    condition:
        field: bytes_sent
        gt: 1000000
`,
  valueAvg: `
title: Suspicious average network traffic
correlation:
    type: value_avg
    rules:
        - rule_a_id
    group-by:
        - SourceIP
        - User
    timespan: 24h
    condition:
        field: BytesOut
        gt: 500
`,
  valuePercentile: `
title: A computer spawned a processes name in the last 24h than 1% of all the processes.
correlation:
    type: value_percentile
    rules:
        - process_creation
    group-by:
        - ComputerName
    timespan: 24h
    condition:
        field: image
        lte: 1
`,
  aliases: `
title: Internal error then connection
id: 8c6a2c1e-0f4e-4c6e-9d0a-5b9f5b2d7e01
correlation:
    type: temporal
    rules:
        - internal_error
        - new_network_connection
    group-by:
        - internal_ip
        - remote_ip
    timespan: 10s
    aliases:
        internal_ip:
            internal_error: destination.ip
            new_network_connection: source.ip
        remote_ip:
            internal_error: source.ip
            new_network_connection: destination.ip
`,
  temporalCondition: `
title: Recon
correlation:
    type: temporal
    rules:
        - recon_cmd_a
        - recon_cmd_b
        - recon_cmd_c
    group-by:
        - ComputerName
        - User
    timespan: 5m
    condition: recon_cmd_a AND recon_cmd_b AND recon_cmd_c
`,
  temporalOrderedCondition: `
title: Recon ordered
correlation:
    type: temporal_ordered
    rules:
        - recon_cmd_a
        - recon_cmd_b
        - recon_cmd_c
    group-by:
        - ComputerName
        - User
    timespan: 5m
    condition: recon_cmd_a AND recon_cmd_b AND recon_cmd_c
`,
  eventCountEcs: `
title: Many failed logins
id: 0e95725d-7320-415d-80f7-004da920fc11
taxonomy: ecs
correlation:
    type: event_count
    rules:
        - 5638f7c0-ac70-491d-8465-2a65075e0d86
    group-by:
        - dns.question.name
    timespan: 1h
    condition:
        gte: 100
`,
};

const FAILED_THEN_SUCCESS = `
title: Correlation - Multiple Failed Logins Followed by Successful Login
id: b180ead8-d58f-40b2-ae54-c8940995b9b6
status: experimental
description: Detects multiple failed logins by a single user followed by a successful login of that user
references:
    - https://reference.com
author: Florian Roth (Nextron Systems)
date: 2023-06-16
correlation:
    type: temporal_ordered
    rules:
        - multiple_failed_login
        - successful_login
    group-by:
        - User
    timespan: 10m
falsepositives:
    - Unlikely
level: high
---
title: Multiple failed logons
id: a8418a5a-5fc4-46b5-b23b-6c73beb19d41
description: Detects multiple failed logins within a certain amount of time
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
logsource:
    product: windows
    service: security
detection:
    selection:
        EventID:
            - 529
            - 4625
    condition: selection
---
title: Successful login
id: 4d0a2c83-c62c-4ed4-b475-c7e23a9269b8
description: Detects a successful login
name: successful_login
logsource:
    product: windows
    service: security
detection:
    selection:
        EventID:
            - 528
            - 4624
    condition: selection
`;

describe('readCorrelationRule: the specification examples', () => {
  it('reads the event_count example', () => {
    const r = read(SPEC.eventCount);
    assert.equal(r.id, '0e95725d-7320-415d-80f7-004da920fc11');
    assert.equal(r.correlation.type, 'event_count');
    assert.deepEqual(r.correlation.rules, ['5638f7c0-ac70-491d-8465-2a65075e0d86']);
    assert.deepEqual(r.correlation.groupBy, ['ComputerName']);
    assert.deepEqual(r.correlation.timespan, { text: '1h', ms: 3_600_000 });
    assert.deepEqual(r.correlation.condition, { kind: 'compare', comparisons: [{ op: 'gte', value: 100 }] });
    assert.equal(r.correlation.field, undefined);
  });

  it('reads the value_count example, with its field in the condition', () => {
    const r = read(SPEC.valueCount);
    assert.deepEqual(r.correlation.field, ['User']);
    assert.deepEqual(r.correlation.groupBy, ['ComputerName', 'WorkstationName']);
    assert.equal(r.correlation.timespan.ms, 86_400_000);
  });

  it('reads temporal and temporal_ordered without a condition', () => {
    const t = read(SPEC.temporal);
    assert.equal(t.correlation.type, 'temporal');
    assert.equal(t.correlation.condition, undefined);
    assert.ok(t.idDerived);
    assert.match(t.id, /^correlation-[0-9a-f]{16}$/);
    assert.equal(read(SPEC.temporalOrdered).correlation.type, 'temporal_ordered');
  });

  it('reads the v2.1.0 metric examples: value_sum, value_avg, value_percentile', () => {
    const sum = read(SPEC.valueSum);
    assert.equal(sum.correlation.type, 'value_sum');
    assert.deepEqual(sum.correlation.field, ['bytes_sent']);
    assert.deepEqual(sum.correlation.condition, { kind: 'compare', comparisons: [{ op: 'gt', value: 1_000_000 }] });
    assert.equal(read(SPEC.valueAvg).correlation.type, 'value_avg');
    const p = read(SPEC.valuePercentile);
    assert.equal(p.correlation.type, 'value_percentile');
    assert.deepEqual(p.correlation.field, ['image']);
    assert.equal(p.correlation.percentile, undefined);
  });

  it('reads the field name aliases example', () => {
    const r = read(SPEC.aliases);
    assert.equal(r.correlation.aliases.get('internal_ip')?.get('internal_error'), 'destination.ip');
    assert.equal(r.correlation.aliases.get('remote_ip')?.get('new_network_connection'), 'destination.ip');
  });

  it('reads the string conditions of the specification test files (v2.2 draft)', () => {
    const t = read(SPEC.temporalCondition);
    assert.equal(t.correlation.condition?.kind, 'expression');
    const o = read(SPEC.temporalOrderedCondition);
    assert.equal(o.correlation.condition?.kind, 'expression');
  });

  it('reads taxonomy and ECS field names', () => {
    const r = read(SPEC.eventCountEcs);
    assert.equal(r.taxonomy, 'ecs');
    assert.deepEqual(r.correlation.groupBy, ['dns.question.name']);
  });

  it('reads the chained example and its metadata; detection documents are not correlations', () => {
    const all = docs(FAILED_THEN_SUCCESS);
    assert.deepEqual(all.map(isCorrelationDocument), [true, true, false, false]);
    const [outer, inner] = all.filter(isCorrelationDocument).map((d) => readCorrelationRule(d));
    assert.equal(outer!.level, 'high');
    assert.equal(outer!.status, 'experimental');
    assert.equal(outer!.author, 'Florian Roth (Nextron Systems)');
    assert.deepEqual(outer!.references, ['https://reference.com']);
    assert.deepEqual(outer!.falsepositives, ['Unlikely']);
    assert.equal(outer!.date, '2023-06-16');
    assert.equal(outer!.generate, false);
    assert.equal(inner!.name, 'multiple_failed_login');
    assert.equal(inner!.level, undefined);
  });
});

describe('readCorrelationRule: fields and defaults', () => {
  it('defaults generate to false and reads generate: true', () => {
    assert.equal(read(SPEC.eventCount).generate, false);
    assert.equal(read(SPEC.eventCount + 'generate: true\n').generate, true);
  });

  it('takes tags, a single falsepositive text and an author list', () => {
    const r = read(SPEC.eventCount + 'tags: [attack.t1110]\nfalsepositives: Admins\nauthor: [A, B]\n');
    assert.deepEqual(r.tags, ['attack.t1110']);
    assert.deepEqual(r.falsepositives, ['Admins']);
    assert.equal(r.author, 'A, B');
  });

  it('uses the name as id when there is no id', () => {
    const r = read(base('  type: temporal\n  rules: [a, b]\n  group-by: [U]\n  timespan: 5m\n', 'name: my_corr\n'));
    assert.equal(r.id, 'my_corr');
    assert.ok(r.idDerived);
  });

  it('takes a range condition (two keys)', () => {
    const r = read(base('  type: event_count\n  rules: [a]\n  group-by: [U]\n  timespan: 5m\n  condition: { gt: 100, lte: 200 }\n'));
    assert.deepEqual(r.correlation.condition, {
      kind: 'compare',
      comparisons: [
        { op: 'gt', value: 100 },
        { op: 'lte', value: 200 },
      ],
    });
  });

  it('takes neq (added in v2.1.0) and a fractional threshold for averages', () => {
    read(base('  type: event_count\n  rules: [a]\n  group-by: [U]\n  timespan: 5m\n  condition: { neq: 3 }\n'));
    const r = read(base('  type: value_avg\n  rules: [a]\n  group-by: [U]\n  timespan: 5m\n  condition: { field: n, gt: 0.5 }\n'));
    assert.deepEqual(r.correlation.condition, { kind: 'compare', comparisons: [{ op: 'gt', value: 0.5 }] });
  });

  it("takes the value field from correlation.field too, and pySigma's percentile", () => {
    const r = read(base('  type: value_count\n  rules: [a]\n  group-by: [U]\n  timespan: 5m\n  field: User\n  condition: { gte: 3 }\n'));
    assert.deepEqual(r.correlation.field, ['User']);
    const p = read(base('  type: value_percentile\n  rules: [a]\n  group-by: [U]\n  timespan: 5m\n  condition: { field: ms, percentile: 95, gte: 500 }\n'));
    assert.equal(p.correlation.percentile, 95);
  });

  it('takes single texts for rules and group-by, and an empty group-by (one group)', () => {
    const r = read(base('  type: event_count\n  rules: a\n  group-by: U\n  timespan: 5m\n  condition: { gte: 3 }\n'));
    assert.deepEqual(r.correlation.rules, ['a']);
    assert.deepEqual(r.correlation.groupBy, ['U']);
    const g = read(base('  type: event_count\n  rules: [a]\n  group-by: []\n  timespan: 5m\n  condition: { gte: 3 }\n'));
    assert.deepEqual(g.correlation.groupBy, []);
  });
});

describe('parseTimespan', () => {
  it('reads seconds, minutes, hours, days and weeks', () => {
    assert.deepEqual(parseTimespan('30s'), { text: '30s', ms: 30_000 });
    assert.equal((parseTimespan('90m') as { ms: number }).ms, 5_400_000);
    assert.equal((parseTimespan('2h') as { ms: number }).ms, 7_200_000);
    assert.equal((parseTimespan('1d') as { ms: number }).ms, 86_400_000);
    assert.equal((parseTimespan('1w') as { ms: number }).ms, 604_800_000);
  });

  it('says what to write instead', () => {
    assert.match(parseTimespan('1H') as string, /lower-case: '1h'/);
    assert.match(parseTimespan(60) as string, /needs a unit: write 60s/);
    assert.match(parseTimespan('1h30m') as string, /one unit, e\.g\. 90m/);
    assert.match(parseTimespan('0m') as string, /longer than zero/);
    assert.match(parseTimespan('1M') as string, /months are not a fixed duration/);
    assert.match(parseTimespan('5 m') as string, /together/);
    assert.match(parseTimespan('soon') as string, /not a timespan/);
  });
});

describe('readCorrelationRule: errors a rule author can act on', () => {
  it('requires title and correlation', () => {
    const problems = problemsOf('id: x\n');
    assert.ok(problems.some((p) => p.startsWith('title: required')));
    assert.ok(problems.some((p) => p.startsWith('correlation: required')));
  });

  it('is a CorrelationError with every problem in reason, and the file in the message', () => {
    try {
      read(base('  type: event_count\n  rules: [a]\n  timespan: 1H\n'));
      assert.fail('expected an error');
    } catch (err) {
      assert.ok(err instanceof CorrelationError);
      assert.equal(err.problems.length, 3);
      assert.match(err.reason, /correlation\.group-by: required/);
      assert.match(err.reason, /correlation\.timespan: '1H': units are lower-case/);
      assert.match(err.reason, /correlation\.condition: required for event_count/);
      assert.match(err.message, /^test\.yml: /);
    }
  });

  it('names the allowed types for an unknown one', () => {
    assertProblem(base('  type: sequence\n  rules: [a]\n  group-by: [U]\n  timespan: 5m\n'), /correlation\.type: 'sequence' is not a correlation type, use one of event_count, value_count, temporal, temporal_ordered, value_sum, value_avg, value_percentile/);
    assertProblem(base('  type: Event_Count\n  rules: [a]\n  group-by: [U]\n  timespan: 5m\n'), /lower-case: 'event_count'/);
  });

  it('requires what the schema requires for each type', () => {
    for (const type of ['event_count', 'value_count', 'value_sum', 'value_avg', 'value_percentile']) {
      assertProblem(base(`  type: ${type}\n  rules: [a]\n  group-by: [U]\n  timespan: 5m\n`), new RegExp(`condition: required for ${type}`));
    }
    for (const type of ['value_count', 'value_sum', 'value_avg', 'value_percentile']) {
      assertProblem(base(`  type: ${type}\n  rules: [a]\n  group-by: [U]\n  timespan: 5m\n  condition: { gte: 1 }\n`), new RegExp(`condition\\.field: required for ${type}`));
    }
    for (const type of ['event_count', 'temporal', 'temporal_ordered']) {
      assertProblem(base(`  type: ${type}\n  rules: [a, b]\n  timespan: 5m\n`), /group-by: required/);
      assertProblem(base(`  type: ${type}\n  rules: [a, b]\n  group-by: [U]\n`), /timespan: required/);
      assertProblem(base(`  type: ${type}\n  group-by: [U]\n  timespan: 5m\n`), /rules: required/);
    }
  });

  it('points out misspelt and misplaced keys', () => {
    assertProblem(base('  type: event_count\n  rules: [a]\n  group_by: [U]\n  timespan: 5m\n  condition: { gte: 1 }\n'), /correlation\.group_by: is not a correlation key \(write 'group-by'\)/);
    assertProblem(base('  type: event_count\n  rules: [a]\n  group-by: [U]\n  timespan: 5m\n  generate: true\n  condition: { gte: 1 }\n'), /belongs at the top level/);
    assertProblem(base('  type: event_count\n  rules: [a]\n  group-by: [U]\n  timespan: 5m\n  condition: { ge: 1 }\n'), /condition\.ge: is not a condition key \(write 'gte'\)/);
  });

  it('refuses conditions that are not a comparison or a range, or can never hold', () => {
    const ec = (cond: string) => base(`  type: event_count\n  rules: [a]\n  group-by: [U]\n  timespan: 5m\n  condition: ${cond}\n`);
    assertProblem(ec("{ gte: '10' }"), /condition\.gte: must be a number, not '10'/);
    assertProblem(ec('{ gte: 1, gt: 2 }'), /'gte' with 'gt' is not a range/);
    assertProblem(ec('{ gt: 10, lt: 5 }'), /contains no value/);
    assertProblem(ec('{ eq: 1, lt: 5 }'), /not a range/);
    assertProblem(ec('{ gte: 1, lt: 5, neq: 3 }'), /one comparison, or two for a range/);
    assertProblem(ec('{}'), /needs a comparison/);
    assertProblem(ec('a and b'), /for event_count it is a map/);
    assertProblem(base('  type: temporal\n  rules: [a, b]\n  group-by: [U]\n  timespan: 5m\n  condition: { gte: 3 }\n'), /only 2 are listed, so it can never hold/);
  });

  it('checks the value field against the type', () => {
    assertProblem(base('  type: event_count\n  rules: [a]\n  group-by: [U]\n  timespan: 5m\n  condition: { field: User, gte: 1 }\n'), /condition\.field: is not used by event_count, remove it/);
    assertProblem(base('  type: value_sum\n  rules: [a]\n  group-by: [U]\n  timespan: 5m\n  condition: { field: [a, b], gte: 1 }\n'), /value_sum aggregates exactly one numeric field/);
    assertProblem(base('  type: value_count\n  rules: [a]\n  group-by: [U]\n  timespan: 5m\n  field: X\n  condition: { field: Y, gte: 1 }\n'), /conflicts with correlation\.condition\.field/);
    assertProblem(base('  type: value_avg\n  rules: [a]\n  group-by: [U]\n  timespan: 5m\n  condition: { field: n, percentile: 95, gte: 1 }\n'), /percentile: is only used by value_percentile/);
    assertProblem(base('  type: value_percentile\n  rules: [a]\n  group-by: [U]\n  timespan: 5m\n  condition: { field: n, percentile: 120, gte: 1 }\n'), /from 0 to 100/);
  });

  it('checks rules, aliases and expressions refer to listed rules', () => {
    assertProblem(base('  type: temporal\n  rules: [a, a]\n  group-by: [U]\n  timespan: 5m\n'), /rules\[1\]: 'a' is listed twice/);
    assertProblem(base('  type: temporal\n  rules: [a]\n  group-by: [U]\n  timespan: 5m\n'), /relates at least two rules/);
    assertProblem(base('  type: temporal\n  rules: [a, b]\n  group-by: [ip]\n  timespan: 5m\n  aliases: { ip: { c: src } }\n'), /aliases\.ip\.c: 'c' is not one of correlation\.rules/);
    assertProblem(base('  type: temporal\n  rules: [a, b]\n  group-by: [U]\n  timespan: 5m\n  condition: a and c\n'), /'c' is not one of correlation\.rules/);
    assertProblem(base('  type: temporal\n  rules: [a, b]\n  group-by: [U]\n  timespan: 5m\n  condition: a and (b\n'), /'\(' is not closed/);
    assertProblem(base('  type: temporal_ordered\n  rules: [a, b]\n  group-by: [U]\n  timespan: 5m\n  condition: a or b\n'), /only 'a and b and …' is supported/);
  });

  it('reports a broken rules list once, without follow-on condition problems', () => {
    const problems = problemsOf(base('  type: temporal\n  rules: [a, 3]\n  group-by: [U]\n  timespan: 5m\n  condition: a and b\n'));
    assert.deepEqual(problems, ['correlation.rules[1]: must be a non-empty text, not the number 3']);
  });

  it('checks metadata values', () => {
    assertProblem(SPEC.eventCount + 'level: High\n', /level: 'High' is not one of .* \(write it lower-case: 'high'\)/);
    assertProblem(SPEC.eventCount + 'status: done\n', /status: 'done' is not one of stable, test/);
    assertProblem(SPEC.eventCount + 'generate: yes\n', /generate: must be true or false/);
    assertProblem(SPEC.eventCount + 'date: 2024/01/01\n', /date: must be a date written YYYY-MM-DD/);
    assertProblem(`title: ${'x'.repeat(257)}\n` + SPEC.eventCount.split('\n').slice(2).join('\n'), /at most 256 characters/);
    assert.throws(() => readCorrelationRule(['a list']), /a YAML map, not a list/);
  });
});
