import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { newId } from '../core/ids.js';
import type { AlertRecord } from '../core/store.js';
import { DuckDbStore } from '../store/duckdb/duckdb-store.js';
import { AlertIntake, groupKeyOf, type AlertIntakeOptions } from './alert-intake.js';
import { AlertTriage } from './alert-triage.js';
import { DEFAULT_RISK_POINTS } from './risk-entities.js';
import { AlertFeed, type AlertNotice } from './alert-feed.js';

const T0 = Date.parse('2026-11-02T10:00:00Z');
const MINUTE = 60_000;

function detection(over: { rule?: string; level?: string; time?: number; entities?: Record<string, string>; details?: Record<string, unknown> } = {}): AlertRecord {
  const time = over.time ?? T0;
  return {
    id: newId(),
    tenant: 'default',
    created: time,
    ruleId: over.rule ?? 'ssh-brute-force',
    ruleTitle: `Rule ${over.rule ?? 'ssh-brute-force'}`,
    ruleAuthor: 'Vigil',
    level: over.level ?? 'medium',
    eventIds: [newId()],
    state: 'new',
    details: { entities: over.entities ?? { 'source.ip': '203.0.113.7' }, time: new Date(time).toISOString(), ...over.details },
  };
}

describe('alert intake: what a detection becomes', () => {
  let dir: string;
  let store: DuckDbStore;
  let clock = T0;
  const open = (over: Partial<AlertIntakeOptions> = {}) =>
    AlertIntake.open({ store, groupWindowMs: 60 * MINUTE, budget: { perRuleDaily: 100 }, now: () => clock, ...over });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-intake-'));
    store = await DuckDbStore.open({ path: join(dir, 'events.duckdb') });
    clock = T0;
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('groups repeated detections of one rule for one entity into one alert with a count', async () => {
    const intake = await open();
    await intake.raise(Array.from({ length: 20 }, (_, i) => detection({ time: T0 + i * MINUTE })));
    await intake.raise(Array.from({ length: 10 }, (_, i) => detection({ time: T0 + (20 + i) * MINUTE })));
    const alerts = await store.listAlerts('default', 100);
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0]!.count, 30);
    assert.equal(alerts[0]!.eventIds.length, 30);
    assert.equal(alerts[0]!.firstSeen, T0);
    assert.equal(alerts[0]!.lastSeen, T0 + 29 * MINUTE);
    assert.deepEqual(await store.ruleDays('default', 0), [{ tenant: 'default', ruleId: 'ssh-brute-force', day: Math.floor(T0 / 86_400_000), raised: 1, grouped: 29, suppressed: 0, throttled: 0 }]);
  });

  it('opens a new alert for another entity, after the window, and after the alert was closed', async () => {
    const intake = await open();
    await intake.raise([detection(), detection({ entities: { 'source.ip': '198.51.100.9' } }), detection({ time: T0 + 61 * MINUTE })]);
    assert.equal((await store.listAlerts('default', 100)).length, 3);
    const triage = new AlertTriage(store, (a) => intake.closed(a));
    const [latest] = await store.listAlerts('default', 1, { ruleId: 'ssh-brute-force' });
    await triage.apply('default', latest!.id, { action: 'close', verdict: 'true_positive' }, 'ana', T0 + 62 * MINUTE);
    await intake.raise([detection({ time: T0 + 63 * MINUTE })]);
    const alerts = await store.listAlerts('default', 100);
    assert.equal(alerts.length, 4, 'a closed alert takes no more detections');
    assert.equal(alerts.filter((a) => a.state === 'closed').length, 1);
  });

  it('learns from the store of an alert closed in another process whose word never came', async () => {
    const intake = await open();
    await intake.raise([detection(), detection({ entities: { 'source.ip': '198.51.100.9' } })]);
    // Triage elsewhere (an api role): the store changes, this intake is not told.
    const elsewhere = new AlertTriage(store);
    const [first] = await store.listAlerts('default', 1, { text: 'ssh' });
    await elsewhere.apply('default', first!.id, { action: 'close', verdict: 'benign' }, 'ana', T0 + MINUTE);
    assert.equal(await intake.dropClosedGroups(), 1, 'the closed alert\'s group only');
    assert.equal(await intake.dropClosedGroups(), 0);
    await intake.raise([detection({ time: T0 + 2 * MINUTE }), detection({ time: T0 + 2 * MINUTE, entities: { 'source.ip': '198.51.100.9' } })]);
    const alerts = await store.listAlerts('default', 100);
    assert.equal(alerts.length, 3, 'a new alert for the closed one, a merge into the open one');
    assert.equal(alerts.find((a) => a.id === first!.id)!.count, 1, 'the closed alert took nothing');
  });

  it('never takes an alert whose batch is still being written for a closed one', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    // The real store, with a batch write that waits for the gate.
    const slow: AlertIntakeOptions['store'] = {
      openAlertGroups: (since) => store.openAlertGroups(since),
      activeSuppressions: (now) => store.activeSuppressions(now),
      ruleDays: (tenant, from) => store.ruleDays(tenant, from),
      applyAlertBatch: async (batch) => {
        await gate;
        return store.applyAlertBatch(batch);
      },
    };
    const intake = await AlertIntake.open({ store: slow, groupWindowMs: 60 * MINUTE, budget: { perRuleDaily: 100 }, now: () => clock });
    const raising = intake.raise([detection()]);
    assert.equal(await intake.dropClosedGroups(), 0, 'not yet in the store, yet open');
    release();
    await raising;
    await intake.raise([detection({ time: T0 + MINUTE })]);
    const alerts = await store.listAlerts('default', 100);
    assert.deepEqual(alerts.map((a) => a.count), [2]);
  });

  it('keeps grouping after a restart: the index is rebuilt from the open alerts', async () => {
    await (await open()).raise([detection()]);
    const again = await open();
    await again.raise([detection({ time: T0 + 5 * MINUTE })]);
    const alerts = await store.listAlerts('default', 100);
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0]!.count, 2);
  });

  it('suppressions drop what they match, count their hits, and stop matching when they expire', async () => {
    await store.saveSuppression({ id: 's-1', tenant: 'default', created: T0, author: 'ana', reason: 'our scanner', ruleId: 'ssh-brute-force', fields: { 'source.ip': '203.0.113.7' }, expires: T0 + 60 * MINUTE, hits: 0 });
    await store.saveSuppression({ id: 's-2', tenant: 'default', created: T0, author: 'ana', reason: 'known feed false positive', fields: { 'indicator.value': 'cdn.example' }, hits: 0 });
    const intake = await open();
    await intake.raise([
      detection(),
      detection({ entities: { 'source.ip': '198.51.100.9' } }),
      detection({ rule: 'intel', entities: {}, details: { indicator: { value: 'CDN.example' } } }),
      detection({ rule: 'intel', entities: {}, details: { indicator: { value: 'evil.example' } } }),
    ]);
    assert.deepEqual((await store.listAlerts('default', 100)).map((a) => groupKeyOf(a)).sort(), ['intel|', 'ssh-brute-force|source.ip=198.51.100.9']);
    assert.deepEqual(Object.fromEntries((await store.listSuppressions('default')).map((s) => [s.id, s.hits])), { 's-1': 1, 's-2': 1 });
    clock = T0 + 61 * MINUTE;
    await intake.refreshSuppressions();
    await intake.raise([detection({ time: clock })]);
    assert.equal((await store.listAlerts('default', 100)).length, 3, 'the expired suppression no longer applies');
  });

  it('throttles a rule over its daily budget, with one notice, and counts what it dropped', async () => {
    const intake = await open({ budget: { perRuleDaily: 3, rules: { 'quiet-rule': 1 } } });
    await intake.raise(Array.from({ length: 6 }, (_, i) => detection({ entities: { 'source.ip': `203.0.113.${i}` } })));
    await intake.raise([detection({ rule: 'quiet-rule' }), detection({ rule: 'quiet-rule', entities: { 'host.name': 'web2' } })]);
    const alerts = await store.listAlerts('default', 100);
    const titles = alerts.map((a) => a.ruleTitle).sort();
    assert.deepEqual(titles, [
      'Rule over its daily alert budget: Rule quiet-rule',
      'Rule over its daily alert budget: Rule ssh-brute-force',
      'Rule quiet-rule',
      'Rule ssh-brute-force',
      'Rule ssh-brute-force',
      'Rule ssh-brute-force',
    ]);
    const day = (await store.ruleDays('default', 0)).find((d) => d.ruleId === 'ssh-brute-force');
    assert.equal(day?.throttled, 3);
    // A new day, a new budget.
    clock = T0 + 86_400_000;
    await intake.raise([detection({ time: clock, entities: { 'source.ip': '192.0.2.1' } })]);
    assert.equal((await store.listAlerts('default', 100, { ruleId: 'ssh-brute-force' })).length, 4);
  });

  it('keeps one budget per rule across the processes that share the store when told they do (scale-out detect workers)', async () => {
    const raisedBy = async (sharedBudget: boolean): Promise<number> => {
      // Two detect workers, each with its intake, alerts in one store; each raises three new alerts of the rule.
      const [one, two] = [await open({ budget: { perRuleDaily: 3 }, sharedBudget }), await open({ budget: { perRuleDaily: 3 }, sharedBudget })];
      await one.raise(Array.from({ length: 3 }, (_, i) => detection({ rule: `r-${sharedBudget}`, entities: { 'source.ip': `203.0.113.${i}` } })));
      await two.raise(Array.from({ length: 3 }, (_, i) => detection({ rule: `r-${sharedBudget}`, entities: { 'source.ip': `198.51.100.${i}` } })));
      const day = (await store.ruleDays('default', 0)).find((d) => d.ruleId === `r-${sharedBudget}`);
      assert.equal(day!.raised + day!.throttled, 6);
      return day!.raised;
    };
    assert.equal(await raisedBy(false), 6, 'each process alone: its own budget of 3');
    assert.equal(await raisedBy(true), 3, 'shared: 3 for both');
  });

  it('adds risk to entities and raises a risk alert when several rules point at one host', async () => {
    const intake = await open({ risk: { points: DEFAULT_RISK_POINTS, threshold: 100, windowMs: 24 * 60 * MINUTE, level: 'high', fields: ['host.name', 'user.name'] } });
    const host = { 'host.name': 'web1' };
    // One rule firing again and again is one piece of evidence: 40 points, not 400.
    await intake.raise(Array.from({ length: 10 }, (_, i) => detection({ rule: 'webshell', level: 'high', entities: host, time: T0 + i * MINUTE })));
    assert.equal((await store.listAlerts('default', 100)).filter((a) => a.ruleId.startsWith('vigil-risk-')).length, 0);
    await intake.raise([detection({ rule: 'new-admin', level: 'high', entities: host, time: T0 + 20 * MINUTE }), detection({ rule: 'log-cleared', level: 'medium', entities: host, time: T0 + 30 * MINUTE })]);
    assert.equal((await store.listAlerts('default', 100)).filter((a) => a.ruleId.startsWith('vigil-risk-')).length, 0, '40 + 40 + 15 = 95, under 100');
    await intake.raise([detection({ rule: 'beacon', level: 'medium', entities: host, time: T0 + 40 * MINUTE })]);
    const risk = (await store.listAlerts('default', 100)).filter((a) => a.ruleId === 'vigil-risk-host.name');
    assert.equal(risk.length, 1);
    assert.equal(risk[0]!.level, 'high');
    assert.equal(risk[0]!.ruleAuthor, 'Vigil');
    assert.deepEqual(risk[0]!.details['entities'], { 'host.name': 'web1' });
    assert.equal(risk[0]!.details['risk'], 110);
    assert.deepEqual((risk[0]!.details['contributions'] as { ruleId: string }[]).map((c) => c.ruleId).sort(), ['beacon', 'log-cleared', 'new-admin', 'webshell']);
    // Another detection within the window does not raise the entity again.
    await intake.raise([detection({ rule: 'other', level: 'low', entities: host, time: T0 + 50 * MINUTE })]);
    const after = (await store.listAlerts('default', 100)).filter((a) => a.ruleId === 'vigil-risk-host.name');
    assert.equal(after.length, 1);
    assert.equal(after[0]!.count, 1, 'not even as a grouped detection');
  });

  it('tells the feed of each alert raised and each one a detection joins, after storing them', async () => {
    const feed = new AlertFeed();
    const heard: { notice: AlertNotice }[] = [];
    feed.subscribe((notice) => void heard.push({ notice }));
    const intake = await open({ feed });
    await intake.raise([detection({ time: T0 }), detection({ time: T0 + MINUTE })]);
    const [alert] = await store.listAlerts('default', 10);
    assert.deepEqual(heard.map((h) => h.notice), [{ tenant: 'default', id: alert!.id, change: 'raised' }], 'a group raised in one batch is one notice');
    await intake.raise([detection({ time: T0 + 2 * MINUTE })]);
    assert.deepEqual(heard.at(-1)?.notice, { tenant: 'default', id: alert!.id, change: 'updated' });
    assert.equal((await store.getAlert('default', alert!.id))?.count, 3, 'the store had the change when the feed told of it');
    const triage = new AlertTriage(store, undefined, feed);
    await triage.apply('default', alert!.id, { action: 'ack' }, 'ana');
    assert.deepEqual(heard.at(-1)?.notice, { tenant: 'default', id: alert!.id, change: 'updated' });
    assert.equal(heard.length, 3);
  });

  it('lists the entities with the most risk within the window, per tenant', async () => {
    const intake = await open({ risk: { points: DEFAULT_RISK_POINTS, threshold: 1000, windowMs: 60 * MINUTE, level: 'high', fields: ['host.name', 'user.name'] } });
    await intake.raise([
      detection({ rule: 'webshell', level: 'high', entities: { 'host.name': 'Web1' }, time: T0 }),
      detection({ rule: 'beacon', level: 'medium', entities: { 'host.name': 'web1', 'user.name': 'bob' }, time: T0 + MINUTE }),
      detection({ rule: 'old', level: 'critical', entities: { 'user.name': 'carol' }, time: T0 - 120 * MINUTE }),
    ]);
    const other = { ...detection({ rule: 'webshell', level: 'high', entities: { 'host.name': 'web1' }, time: T0 }), tenant: 'other' };
    await intake.raise([other]);
    assert.deepEqual(
      intake.topRisk('default', 10, T0 + 2 * MINUTE).map((e) => [e.field, e.value, e.score, e.rules]),
      [
        ['host.name', 'Web1', 55, 2],
        ['user.name', 'bob', 15, 1],
      ],
      'carol\'s detection is outside the window; the value keeps its first spelling',
    );
    assert.deepEqual(intake.topRisk('default', 1, T0 + 2 * MINUTE).length, 1);
    assert.deepEqual(intake.topRisk('other', 10, T0 + 2 * MINUTE).map((e) => e.score), [40]);
    assert.deepEqual(intake.topRisk('default', 10, T0 + 200 * MINUTE), [], 'risk fades with the window');
    assert.deepEqual((await open()).topRisk('default', 10), [], 'no risk scoring, no entities');
  });
});
