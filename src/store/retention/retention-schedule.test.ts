import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { createEvent } from '../../core/event.js';
import { parseConfig } from '../../core/config.js';
import { MemoryStore } from '../../api/memory-store.test-support.js';
import { RetentionSchedule } from './retention-schedule.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2024, 0, 1);

function event(received: number) {
  return createEvent({ tenant: 'a', received, source: { input: 'syslog', kind: 'syslog-udp' }, format: 'raw', original: 'x', fields: {} });
}

describe('retention schedule', () => {
  it('runs shortly after start and then every interval, by the injected clock, recording each run', async () => {
    const store = new MemoryStore();
    await store.appendEvents([event(T0), event(T0 + 5 * DAY), event(T0 + 9 * DAY)]);
    let now = T0 + 10 * DAY;
    const logged: string[] = [];
    const schedule = new RetentionSchedule({
      store,
      policy: parseConfig({ retention: { defaultDays: 7 } }).retention,
      firstRunMs: 5,
      intervalMs: 20,
      now: () => now,
      log: { info: (o, m) => logged.push(`${m} ${JSON.stringify(o)}`), error: (_o, m) => logged.push(m) },
    });
    schedule.start();
    await sleep(15);
    assert.equal(store.events.length, 2, 'the first run deleted the event older than 7 days');
    now += 3 * DAY;
    const deadline = Date.now() + 2000;
    while (store.events.length > 1 && Date.now() < deadline) await sleep(5);
    await schedule.close();
    assert.equal(store.events.length, 1, 'a later run deleted what expired since');
    assert.ok(store.retentionRuns.length >= 2);
    assert.deepEqual(store.retentionRuns.slice(0, 2).map((r) => r.deleted), [1, 1]);
    assert.match(logged[0] ?? '', /retention enforced .*"rule":"default".*"deleted":1/);
  });

  it('runs on demand, after a run in progress, and stops after close', async () => {
    const store = new MemoryStore();
    await store.appendEvents([event(T0)]);
    const schedule = new RetentionSchedule({ store, policy: parseConfig({ retention: { defaultDays: 1 } }).retention, now: () => T0 + 2 * DAY });
    const [a, b] = await Promise.all([schedule.run(), schedule.run()]);
    assert.deepEqual([a.map((r) => r.deleted), b.map((r) => r.deleted)], [[1], [0]]);
    await schedule.close();
    schedule.start();
    await sleep(10);
    assert.equal(store.retentionRuns.length, 2);
  });

  it('keeps going when one rule fails, and logs it', async () => {
    const errors: string[] = [];
    let calls = 0;
    const schedule = new RetentionSchedule({
      store: {
        enforceRetention: async (request) => {
          calls++;
          if (request.rule === 'default') throw new Error('disk full');
          return { id: 'r', rule: request.rule, selector: '{}', cutoff: request.cutoff, started: request.now, finished: request.now, deleted: 0, legacyDeleted: 0, signed: false };
        },
      },
      policy: parseConfig({ retention: { defaultDays: 1, rules: [{ tenant: 'x', days: 2 }] } }).retention,
      log: { info: () => {}, error: (_o, m) => errors.push(m) },
    });
    const runs = await schedule.run();
    assert.equal(calls, 2);
    assert.equal(runs.length, 1);
    assert.match(errors[0] ?? '', /retried at the next interval/);
  });
});
