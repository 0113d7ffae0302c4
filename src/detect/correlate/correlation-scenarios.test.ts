/**
 * Two attacks as the base rules would report them on real Windows Security logs, replayed as
 * plain match sequences through the correlations that should catch them.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import type { RuleMeta } from '../sigma/sigma-types.js';
import { CorrelationEngine, type CorrelationHit, type CorrelationMatch } from './correlation-engine.js';
import { isCorrelationDocument, readCorrelationRule } from './correlation-rule.js';

function load(text: string): CorrelationEngine {
  const rules = parseAllDocuments(text)
    .map((d) => d.toJS() as unknown)
    .filter(isCorrelationDocument)
    .map((d) => readCorrelationRule(d));
  return new CorrelationEngine(rules);
}

function meta(id: string, name: string, title: string): RuleMeta {
  return {
    id,
    name,
    title,
    level: 'low',
    author: 'Vigil tests',
    tags: [],
    references: [],
    falsepositives: [],
    logsource: { product: 'windows', service: 'security' },
    fields: [],
  };
}

/** A base-rule match over a flat Windows event (EventData names, as Sigma rules read them). */
function windowsMatch(rule: RuleMeta, iso: string, record: number, data: Record<string, string | number>): CorrelationMatch {
  return {
    rule,
    time: Date.parse(iso),
    eventId: `security-${record}`,
    field: (name) => (Object.hasOwn(data, name) ? data[name] : undefined),
  };
}

function replay(engine: CorrelationEngine, matches: readonly CorrelationMatch[]): CorrelationHit[] {
  const hits: CorrelationHit[] = [];
  for (const m of matches) hits.push(...engine.observe(m));
  hits.push(...engine.flush());
  return hits;
}

describe('scenario: Kerberos password spraying from one address', () => {
  const unknownUser = meta('5b0e2c1a-6d7f-4c21-9a43-4768a0000006', 'kerberos_tgt_failed', 'Kerberos TGT request failed (4768)');
  const preauthFailed = meta('5b0e2c1a-6d7f-4c21-9a43-4771a0000018', 'kerberos_preauth_failed', 'Kerberos pre-authentication failed (4771)');
  const correlation = `
title: Kerberos password spraying from one source
id: 3f2d7a0e-9a51-4d0b-8a7e-1b6c2f4e9d10
status: experimental
description: Kerberos authentication failures for many different accounts from one address
author: Vigil
tags:
    - attack.credential-access
    - attack.t1110.003
level: high
correlation:
    type: value_count
    rules:
        - kerberos_tgt_failed
        - kerberos_preauth_failed
    group-by:
        - IpAddress
    timespan: 5m
    condition:
        field: TargetUserName
        gte: 5
`;
  // Seven 4768 with Status 0x6 (unknown principal) and two 4771 with Status 0x18 (bad
  // password), nine different accounts, one client address, within nine seconds.
  const failures: [RuleMeta, number, string, string, string][] = [
    [unknownUser, 4768, '0x6', 'administrator2', '2019-03-19T23:35:44.120Z'],
    [unknownUser, 4768, '0x6', 'backup', '2019-03-19T23:35:45.002Z'],
    [unknownUser, 4768, '0x6', 'guest1', '2019-03-19T23:35:46.311Z'],
    [preauthFailed, 4771, '0x18', 'jsmith', '2019-03-19T23:35:47.045Z'],
    [unknownUser, 4768, '0x6', 'svc_sql', '2019-03-19T23:35:48.529Z'],
    [unknownUser, 4768, '0x6', 'helpdesk', '2019-03-19T23:35:49.876Z'],
    [preauthFailed, 4771, '0x18', 'mbrown', '2019-03-19T23:35:50.233Z'],
    [unknownUser, 4768, '0x6', 'test', '2019-03-19T23:35:51.660Z'],
    [unknownUser, 4768, '0x6', 'oracle', '2019-03-19T23:35:52.902Z'],
  ];
  const matches = failures.map(([rule, eventId, status, user, time], i) =>
    windowsMatch(rule, time, 700_100 + i, {
      EventID: eventId,
      Status: status,
      TargetUserName: user,
      TargetDomainName: 'OFFSEC',
      ServiceName: 'krbtgt',
      IpAddress: '172.16.66.1',
      IpPort: 49_200 + i,
      Computer: 'DC01.offsec.lan',
    }),
  );

  it('fires exactly once, at the fifth distinct account', () => {
    const engine = load(correlation);
    const hits = replay(engine, matches);
    assert.equal(hits.length, 1);
    const [hit] = hits;
    assert.equal(hit!.rule.title, 'Kerberos password spraying from one source');
    assert.equal(hit!.rule.level, 'high');
    assert.deepEqual(hit!.rule.tags, ['attack.credential-access', 'attack.t1110.003']);
    assert.deepEqual(hit!.group, { IpAddress: '172.16.66.1' });
    assert.equal(hit!.value, 5);
    assert.equal(hit!.windowStart, Date.parse('2019-03-19T23:35:44.120Z'));
    assert.equal(hit!.windowEnd, Date.parse('2019-03-19T23:35:48.529Z'));
    assert.deepEqual(hit!.eventIds, matches.slice(0, 5).map((m) => m.eventId));
  });

  it('keeps the single failures from alerting on their own', () => {
    const engine = load(correlation);
    assert.equal(engine.suppressesBaseAlerts(unknownUser), true);
    assert.equal(engine.suppressesBaseAlerts(preauthFailed), true);
  });

  it('does not fire for four accounts, nor for the same account failing nine times', () => {
    assert.equal(replay(load(correlation), matches.slice(0, 4)).length, 0);
    const sameUser = failures.map(([rule, eventId, status, , time], i) =>
      windowsMatch(rule, time, 700_200 + i, { EventID: eventId, Status: status, TargetUserName: 'jsmith', IpAddress: '172.16.66.1' }),
    );
    assert.equal(replay(load(correlation), sameUser).length, 0);
  });
});

describe('scenario: a user account created and deleted shortly after', () => {
  const created = meta('0e3c8d0f-4720-4b8e-9a1f-3d8b7c6a4720', 'user_account_created', 'User account created (4720)');
  const deleted = meta('0e3c8d0f-4726-4b8e-9a1f-3d8b7c6a4726', 'user_account_deleted', 'User account deleted (4726)');
  const correlation = `
title: User account created and deleted within two minutes
id: 7c1e3b52-2a0d-4f63-9b8e-5d4f3a2b1c0e
status: experimental
author: Vigil
tags:
    - attack.persistence
    - attack.t1136.001
    - attack.defense-evasion
    - attack.t1070
level: high
correlation:
    type: temporal_ordered
    rules:
        - user_account_created
        - user_account_deleted
    group-by:
        - TargetUserName
    timespan: 2m
`;
  const event = (rule: RuleMeta, eventId: number, iso: string, record: number, user = 'admin-kriss') =>
    windowsMatch(rule, iso, record, {
      EventID: eventId,
      TargetUserName: user,
      TargetDomainName: 'OFFSEC',
      TargetSid: 'S-1-5-21-4230534742-2542757381-3142984815-1111',
      SubjectUserName: 'admmig',
      SubjectDomainName: 'OFFSEC',
      Computer: 'DC01.offsec.lan',
    });

  it('fires exactly once for 4720 at 05:10:08 then 4726 at 05:11:26', () => {
    const engine = load(correlation);
    const hits = replay(engine, [
      event(created, 4720, '2019-09-22T05:10:08.000Z', 363_511),
      event(created, 4720, '2019-09-22T05:10:30.000Z', 363_520, 'svc-backup'), // another account, never deleted
      event(deleted, 4726, '2019-09-22T05:11:26.000Z', 363_590),
    ]);
    assert.equal(hits.length, 1);
    const [hit] = hits;
    assert.deepEqual(hit!.group, { TargetUserName: 'admin-kriss' });
    assert.equal(hit!.type, 'temporal_ordered');
    assert.equal(hit!.value, 2);
    assert.equal(hit!.windowStart, Date.parse('2019-09-22T05:10:08.000Z'));
    assert.equal(hit!.windowEnd, Date.parse('2019-09-22T05:11:26.000Z'));
    assert.deepEqual(hit!.eventIds, ['security-363511', 'security-363590']);
  });

  it('does not fire when the deletion comes first', () => {
    const engine = load(correlation);
    const hits = replay(engine, [
      event(deleted, 4726, '2019-09-22T05:10:08.000Z', 363_511),
      event(created, 4720, '2019-09-22T05:11:26.000Z', 363_590),
    ]);
    assert.equal(hits.length, 0);
  });

  it('does not fire when the deletion comes more than two minutes later', () => {
    const engine = load(correlation);
    const hits = replay(engine, [
      event(created, 4720, '2019-09-22T05:10:08.000Z', 363_511),
      event(deleted, 4726, '2019-09-22T05:12:09.000Z', 363_590),
    ]);
    assert.equal(hits.length, 0);
  });
});
