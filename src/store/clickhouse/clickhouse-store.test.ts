/**
 * The ClickHouse event store passes the whole Store conformance suite, on chdb (ClickHouse 26.7
 * embedded), with state in DuckDB: the split the scale-out deployment runs (events in
 * ClickHouse, state in PostgreSQL). Each test gets its own data directory; chdb holds one
 * directory per process, so the previous one is closed (and drained) before the next opens.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDbStore } from '../duckdb/duckdb-store.js';
import { splitStore } from '../split-store.js';
import { isVigilError } from '../../core/errors.js';
import { storeSuite } from '../store.suite.js';
import { event } from '../store-suite-fixtures.js';
import { ChdbEngine } from './chdb-engine.js';
import { ClickHouseEventStore } from './clickhouse-store.js';
import { eventRow } from './event-rows.js';

const KEY = randomBytes(32);

storeSuite('ClickHouseEventStore on chdb + DuckDB state', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-ch-'));
  const open = async () => {
    const events = await ClickHouseEventStore.open(await ChdbEngine.open(join(dir, 'clickhouse')));
    const state = await DuckDbStore.open({ path: join(dir, 'state.duckdb'), memoryLimit: '256MB', threads: 1 });
    return splitStore(events, state);
  };
  return { store: await open(), reopen: open, cleanup: () => rm(dir, { recursive: true, force: true }) };
});

describe('ClickHouseEventStore: what ClickHouse needs beyond the suite', () => {
  let dir: string;
  let path: string;
  let store: ClickHouseEventStore | undefined;
  /** A second engine on the same data directory (chdb shares it), to play the crash or the attacker. */
  let side: ChdbEngine | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-ch-'));
    path = join(dir, 'clickhouse');
    store = await ClickHouseEventStore.open(await ChdbEngine.open(path), { chainKey: KEY });
    side = await ChdbEngine.open(path);
  });

  afterEach(async () => {
    await store?.close();
    await side?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const reopen = async () => {
    await store?.close();
    store = await ClickHouseEventStore.open(await ChdbEngine.open(path), { chainKey: KEY });
    return store;
  };

  it('stores a batch delivered twice once, however the redelivery is cut into batches', async () => {
    const s = store!;
    const [a, b, c, d] = [event({ minute: 1 }), event({ minute: 2 }), event({ minute: 3 }), event({ minute: 4 })];
    await s.appendEvents([a, b, c], { consumer: 'bus', position: '3' });
    await s.appendEvents([a, b, c], { consumer: 'bus', position: '3' });
    await s.appendEvents([b, c, d, d], { consumer: 'bus', position: '4' });
    assert.equal(await s.countEvents('a'), 4);
    assert.deepEqual((await s.scanEvents({ tenant: 'a', limit: 10 })).events.map((e) => e.id), [a.id, b.id, c.id, d.id]);
    const report = await s.verifyChain();
    assert.deepEqual(report.problems, []);
    assert.equal(report.batches, 2, 'the repeated batch made no batch of its own');
    assert.deepEqual(await s.readCheckpoint('bus'), { consumer: 'bus', position: '4' });
    const other = { ...a, tenant: 'b' };
    await s.appendEvents([other]);
    assert.equal(await s.countEvents('b'), 1, 'the same id in another tenant is another event');
  });

  it('removes a batch cut short before its record on open, and stores its redelivery whole', async () => {
    const s = store!;
    const first = event({ minute: 1 });
    await s.appendEvents([first]);
    const lost = [event({ minute: 2 }), event({ minute: 3 })];
    // What a crash between the events insert and the batch record leaves: rows of batch 2, no record.
    await side!.insert('events', lost.map((e, i) => ({ ...eventRow(e, i).values, batch_seq: 2, batch_pos: i })));
    assert.equal(await s.countEvents('a'), 3);
    assert.deepEqual((await s.verifyChain()).problems, [], 'a batch in flight is not tampering');
    const reopened = await reopen();
    assert.equal(await reopened.countEvents('a'), 1, 'the rows of the unfinished batch are gone');
    await reopened.appendEvents(lost);
    assert.equal(await reopened.countEvents('a'), 3);
    const report = await reopened.verifyChain();
    assert.deepEqual(report.problems, []);
    assert.equal(report.batches, 2);
  });

  it('reports rows added outside the chain, edited and deleted events', async () => {
    const s = store!;
    const events = [event({ minute: 1 }), event({ minute: 2 }), event({ minute: 3 })];
    await s.appendEvents(events);
    await s.appendEvents([event({ minute: 4 })]);
    await side!.insert('events', [{ ...eventRow(event({ minute: 5 }), 0).values, batch_seq: 7, batch_pos: 0 }]);
    await side!.command(`ALTER TABLE events UPDATE message = 'nothing to see' WHERE id = {id:String}`, { id: events[0]!.id }, { mutations_sync: 1 });
    await side!.command(`DELETE FROM events WHERE id = {id:String}`, { id: events[2]!.id });
    const report = await s.verifyChain();
    assert.equal(report.ok, false);
    assert.deepEqual(Object.keys(report.problemCounts).sort(), ['event-deleted', 'event-edited', 'event-inserted']);
  });

  it('computes the same digest in ClickHouse as in JavaScript on awkward text', async () => {
    const s = store!;
    const awkward = ['emoji 😀 and ç', 'lone \ud800 surrogate', 'nul \u0000 byte', 'tab\tnew\nline\r', `quotes ' " \\ back`, 'ÅRHUS İstanbul ß', '\u2028\u2029'];
    const events = awkward.map((text, i) =>
      event({ minute: i, message: text, original: `{"m":${JSON.stringify(text)}}`, fields: { 'host.name': text, 'labels.x': [text, i, null, true], 'service.name': text } }),
    );
    await s.appendEvents(events);
    const report = await s.verifyChain();
    assert.deepEqual(report.problems, []);
    assert.equal(report.events, awkward.length);
    const stored = await s.eventsByIds('a', [events[0]!.id]);
    assert.deepEqual(stored, [events[0]]);
  });

  it('opens read-only beside the writer: reads, refuses writes, leaves a batch in flight alone', async () => {
    const s = store!;
    await s.appendEvents([event({ minute: 1 })]);
    const inFlight = event({ minute: 2 });
    await side!.insert('events', [{ ...eventRow(inFlight, 0).values, batch_seq: 2, batch_pos: 0 }]);
    const reader = await ClickHouseEventStore.open(await ChdbEngine.open(path), { readOnly: true, chainKey: KEY });
    try {
      assert.equal(await reader.countEvents('a'), 2, 'the writer\'s batch in flight is left alone');
      assert.deepEqual((await reader.verifyChain()).problems, []);
      await assert.rejects(reader.appendEvents([event({})]), (e: unknown) => isVigilError(e) && e.code === 'store-unavailable' && /read-only/.test(e.message));
      await assert.rejects(reader.enforceRetention({ rule: 'x', selector: {}, except: [], cutoff: 0, now: 0 }), (e: unknown) => isVigilError(e) && /read-only/.test(e.message));
    } finally {
      await reader.close();
    }
    const empty = join(dir, 'empty');
    await store!.close();
    await side!.close();
    store = undefined;
    side = undefined;
    await assert.rejects(
      (async () => ClickHouseEventStore.open(await ChdbEngine.open(empty), { readOnly: true }))(),
      (e: unknown) => isVigilError(e) && /start the store role/.test(e.message),
    );
  });

  it('sets the TTL backstop when asked, and removes it when no longer asked', async () => {
    await store!.close();
    store = await ClickHouseEventStore.open(await ChdbEngine.open(path), { ttlDays: 400 });
    const ddl = async () => String((await side!.rows(`SELECT engine_full FROM system.tables WHERE database = currentDatabase() AND name = 'events'`))[0]?.[0]);
    assert.match(await ddl(), /TTL toDateTime\(intDiv\(received, 1000\)\) \+ toIntervalDay\(400\)/);
    await reopen();
    assert.doesNotMatch(await ddl(), / TTL /);
  });

  it('opens one data directory per process: a second directory waits until the first is closed', async () => {
    const elsewhere = join(dir, 'other');
    await assert.rejects(ChdbEngine.open(elsewhere), (e: unknown) => isVigilError(e) && e.code === 'store-unavailable' && /one directory per process/.test(e.message));
    await store!.close();
    await side!.close();
    store = undefined;
    side = undefined;
    const other = await ChdbEngine.open(elsewhere);
    assert.deepEqual(await other.rows('SELECT 1'), [[1]]);
    await other.close();
  });
});
