import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createEvent } from '../core/event.js';
import { isVigilError } from '../core/errors.js';
import type { AlertRecord } from '../core/store.js';
import { parseLine } from '../parsers/line/line-parser.js';
import { planQuery } from '../search/index.js';
import { DuckDbStore } from '../store/duckdb/duckdb-store.js';
import { ScheduledHunts, type HuntSpec } from './scheduled-hunts.js';

const NOW = Date.parse('2026-11-02T12:00:00Z');
const MINUTE = 60_000;

const LINES = [
  'Dec 10 09:32:20 LabSZ sshd[24680]: Accepted password for fztu from 119.137.62.142 port 49116 ssh2',
  'Dec 10 09:32:21 LabSZ sshd[24681]: Accepted password for root from 203.0.113.9 port 49117 ssh2',
  'Dec 10 10:54:29 LabSZ sshd[24873]: Failed password for root from 183.62.140.253 port 40284 ssh2',
  'Dec 10 10:54:31 LabSZ sshd[24875]: Failed password for root from 183.62.140.253 port 40300 ssh2',
  'Dec 10 10:54:33 LabSZ sshd[24877]: Failed password for admin from 183.62.140.253 port 40311 ssh2',
  'Dec 10 10:55:02 LabSZ sshd[24880]: Failed password for root from 112.95.230.3 port 55102 ssh2',
];

describe('scheduled hunts: a saved search that becomes a detection', () => {
  let dir: string;
  let store: DuckDbStore;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-hunts-'));
    store = await DuckDbStore.open({ path: join(dir, 'e.duckdb') });
    // Real sshd lines, their times moved into the last ten minutes.
    await store.appendEvents(
      LINES.map((line, i) => {
        const p = parseLine(line, 'auto', NOW);
        return createEvent({ tenant: 't', received: NOW, time: NOW - (10 - i) * MINUTE, source: { input: 'f', kind: 'file' }, format: p.format, original: line, fields: p.fields, flags: p.flags });
      }),
    );
  });
  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  const hunt = (over: Partial<HuntSpec> = {}): HuntSpec => ({
    name: 'ssh-logins',
    query: 'event.action:ssh_login AND event.outcome:success',
    everyMs: 15 * MINUTE,
    lookbackMs: 15 * MINUTE,
    minCount: 1,
    level: 'medium',
    description: 'Successful SSH logins',
    author: 'SOC team',
    tags: ['attack.t1078'],
    ...over,
  });

  it('runs when due, raises one alert per tenant with the count and the events, and waits for its next time', async () => {
    let clock = NOW;
    const raised: AlertRecord[] = [];
    const hunts = new ScheduledHunts({ hunts: [hunt()], store, tenants: async () => ['t'], plan: planQuery, raise: async (a) => void raised.push(...a), now: () => clock });
    hunts.start(60_000);
    await hunts.tick();
    assert.equal(raised.length, 1);
    assert.equal(raised[0]!.ruleId, 'vigil-hunt-ssh-logins');
    assert.equal(raised[0]!.ruleAuthor, 'SOC team');
    assert.equal(raised[0]!.details['count'], 2);
    assert.equal(raised[0]!.eventIds.length, 2);
    clock += 5 * MINUTE;
    await hunts.tick();
    assert.equal(raised.length, 1, 'not due yet');
    clock += 15 * MINUTE;
    await hunts.tick();
    assert.equal(raised.length, 1, 'the next window holds no logins');
    await hunts.close();
  });

  it('raises nothing under its minimum count, and refuses a broken query at start, naming the hunt and the column', async () => {
    const raised: AlertRecord[] = [];
    const hunts = new ScheduledHunts({ hunts: [hunt({ minCount: 3 })], store, tenants: async () => ['t'], plan: planQuery, raise: async (a) => void raised.push(...a), now: () => NOW });
    assert.deepEqual(await hunts.run(hunt({ minCount: 3 }), NOW), []);
    assert.throws(
      () => new ScheduledHunts({ hunts: [hunt({ name: 'broken', query: 'user.name:(root' })], store, tenants: async () => ['t'], plan: planQuery, raise: async () => {} }),
      (e: unknown) => isVigilError(e) && e.code === 'config-invalid' && /hunts: broken: /.test(e.message),
    );
  });

  it('aggregates: one alert per group at or over the minimum, with the group as entities and its own events', async () => {
    const raised: AlertRecord[] = [];
    const brute = hunt({ name: 'ssh-guessing', query: '"Failed password" | stats count() by source.ip', minCount: 3, level: 'high' });
    const hunts = new ScheduledHunts({ hunts: [brute], store, tenants: async () => ['t'], plan: planQuery, raise: async (a) => void raised.push(...a), now: () => NOW });
    const alerts = await hunts.run(brute, NOW);
    assert.equal(alerts.length, 1, '112.95.230.3 failed once only');
    assert.deepEqual(alerts[0]!.details['group'], { 'source.ip': '183.62.140.253' });
    assert.deepEqual(alerts[0]!.details['entities'], { 'source.ip': ['183.62.140.253'] });
    assert.equal(alerts[0]!.details['count'], 3);
    assert.equal(alerts[0]!.eventIds.length, 3);
    const top = await hunts.run(hunt({ name: 'top', query: '"Failed password" | top user.name', minCount: 1 }), NOW);
    assert.deepEqual(top.map((a) => a.details['group']), [{ 'user.name': 'root' }, { 'user.name': 'admin' }]);
    assert.deepEqual(top.map((a) => a.eventIds.length), [3, 1]);
    assert.throws(
      () => new ScheduledHunts({ hunts: [hunt({ name: 'chart', query: 'a | timechart count()' })], store, tenants: async () => ['t'], plan: planQuery, raise: async () => {} }),
      (e: unknown) => isVigilError(e) && /timechart/.test(e.message),
    );
  });
});
