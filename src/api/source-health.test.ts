/**
 * When a source is ok, silent, failing or idle (source-health.ts), judged from its stored
 * activity and its recent losses.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { SourceActivity } from '../core/store.js';
import { Metrics } from '../core/metrics.js';
import { MemoryStore } from './memory-store.test-support.js';
import { createEvent } from '../core/event.js';
import { sourceHealth, statusOf } from './source-health.js';

const NOW = Date.UTC(2026, 11, 7, 12, 0, 0);
const MINUTE = 60_000;

function activity(over: Partial<SourceActivity>): SourceActivity {
  return { input: 'syslog', kind: 'syslog-udp', lastEvent: NOW, events: 0, unparsed: 0, firstInWindow: null, recentEvents: 0, recentUnparsed: 0, hosts: [], ...over };
}

describe('source status', () => {
  test('idle when nothing ever came', () => {
    assert.deepEqual(statusOf(undefined, null, 0, NOW), { status: 'idle', expectedEverySeconds: null });
  });

  test('ok while it sends at its usual pace', () => {
    // 121 events over the last two hours: one a minute.
    const a = activity({ events: 121, firstInWindow: NOW - 122 * MINUTE, lastEvent: NOW - 2 * MINUTE, recentEvents: 3 });
    assert.deepEqual(statusOf(a, a.lastEvent, 0, NOW), { status: 'ok', expectedEverySeconds: 60 });
  });

  test('silent once quiet for ten usual intervals, and never before 15 minutes', () => {
    // One a minute until it stopped: ten gaps are 10 minutes, the floor 15.
    const perMinute = (quiet: number) => activity({ events: 121, firstInWindow: NOW - (120 + quiet) * MINUTE, lastEvent: NOW - quiet * MINUTE });
    assert.equal(statusOf(perMinute(14), NOW - 14 * MINUTE, 0, NOW).status, 'ok');
    assert.deepEqual(statusOf(perMinute(16), NOW - 16 * MINUTE, 0, NOW), { status: 'silent', expectedEverySeconds: 60 });
    // One an hour: quiet for 5 hours is its normal, for 11 it is not.
    const hourly = (quiet: number) => activity({ events: 12, firstInWindow: NOW - (11 + quiet) * 60 * MINUTE, lastEvent: NOW - quiet * 60 * MINUTE });
    assert.equal(statusOf(hourly(5), NOW - 5 * 60 * MINUTE, 0, NOW).status, 'ok');
    assert.equal(statusOf(hourly(11), NOW - 11 * 60 * MINUTE, 0, NOW).status, 'silent');
  });

  test('with fewer than two events in a day, silent after a day', () => {
    const once = activity({ events: 1, firstInWindow: NOW - 23 * 60 * MINUTE, lastEvent: NOW - 23 * 60 * MINUTE });
    assert.deepEqual(statusOf(once, once.lastEvent, 0, NOW), { status: 'ok', expectedEverySeconds: null });
    const gone = activity({ events: 0, lastEvent: NOW - 48 * 60 * MINUTE });
    assert.equal(statusOf(gone, gone.lastEvent, 0, NOW).status, 'silent');
  });

  test('failing when most recent events are unparsed, or losses outnumber what arrived', () => {
    const garbled = activity({ events: 100, firstInWindow: NOW - 60 * MINUTE, recentEvents: 10, recentUnparsed: 6 });
    assert.equal(statusOf(garbled, NOW, 0, NOW).status, 'failing');
    const fewGarbled = activity({ events: 100, firstInWindow: NOW - 60 * MINUTE, recentEvents: 4, recentUnparsed: 4 });
    assert.equal(statusOf(fewGarbled, NOW, 0, NOW).status, 'ok', 'too few to judge');
    const dropping = activity({ events: 100, firstInWindow: NOW - 60 * MINUTE, recentEvents: 10 });
    assert.equal(statusOf(dropping, NOW, 11, NOW).status, 'failing');
    assert.equal(statusOf(dropping, NOW, 10, NOW).status, 'ok');
  });
});

describe('source health rows', () => {
  test('configured inputs first, then what else sent; tallies per tenant, drops per input', async () => {
    const store = new MemoryStore();
    const metrics = new Metrics();
    const now = Date.now();
    const line = (tenant: string, input: string, kind: 'syslog-udp' | 'file', flags: ('unparsed')[] = []) =>
      createEvent({ tenant, received: now - MINUTE, source: { input, kind, address: kind === 'file' ? '/var/log/x.log' : '10.0.0.9:514' }, format: 'raw', original: 'x', fields: {}, flags });
    const events = [line('acme', 'syslog', 'syslog-udp'), line('acme', 'syslog', 'syslog-udp', ['unparsed']), line('acme', 'file', 'file'), line('globex', 'syslog', 'syslog-udp')];
    metrics.inputs.accepted(events);
    await store.appendEvents(events);
    metrics.inputs.stored(events);
    metrics.drop('syslog', 'overloaded', 2);
    metrics.drop('syslog', 'unauthorized', 50);
    const rows = await sourceHealth(store, metrics, 'acme', [
      { input: 'syslog', kind: 'syslog-udp', listen: '0.0.0.0:514' },
      { input: 'syslog', kind: 'syslog-tcp', listen: '0.0.0.0:514' },
    ], now);
    assert.deepEqual(
      rows.map((r) => [r.input, r.kind, r.listen, r.status, r.received, r.stored, r.parseFailed, r.events24h, r.parseFailed24h]),
      [
        ['syslog', 'syslog-udp', '0.0.0.0:514', 'ok', 2, 2, 1, 2, 1],
        ['syslog', 'syslog-tcp', '0.0.0.0:514', 'idle', 0, 0, 0, 0, 0],
        ['file', 'file', null, 'ok', 1, 1, 0, 1, 0],
      ],
    );
    assert.deepEqual(rows[0]?.dropped, { overloaded: 2, unauthorized: 50 }, 'every refusal is shown');
    assert.deepEqual(rows[0]?.hosts, [{ host: '10.0.0.9', lastEvent: now - MINUTE, events24h: 2 }]);
    assert.deepEqual(rows[2]?.hosts, [], 'a file path is not a host');
    metrics.drop('syslog', 'overloaded', 2);
    const failing = await sourceHealth(store, metrics, 'acme', [{ input: 'syslog', kind: 'syslog-udp', listen: null }], now);
    assert.equal(failing[0]?.status, 'failing', '4 lost against 2 stored in 5 minutes (2 against 2 was ok); refused tokens do not count');
  });
});
