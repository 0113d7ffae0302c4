/**
 * Tamper evidence, proved on real DuckDB files: the store is closed, one thing is changed
 * directly in the database (as someone with access to the file would), and `verifyChain` must
 * name what was changed. Retention must delete without looking like tampering, and forged
 * retention must not pass.
 */
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { createEvent, type Event } from '../../core/event.js';
import type { ChainProblemKind, ChainReport } from '../../core/history.js';
import { batchHash } from '../chain/chain-hashes.js';
import { DuckDbStore } from './duckdb-store.js';
import { MIGRATIONS, SCHEMA_VERSION_DDL } from './schema.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2024, 0, 1);

function event(i: number, extra: { tenant?: string; kind?: 'syslog-tcp' | 'file'; received?: number } = {}): Event {
  return createEvent({
    tenant: extra.tenant ?? 'a',
    received: extra.received ?? T0 + i * 1000,
    source: { input: 'syslog', kind: extra.kind ?? 'syslog-tcp', address: '10.0.0.1:514' },
    format: 'rfc3164',
    original: `<13>Jan  1 00:00:00 web${i} sshd[1]: Failed password for root from 203.0.113.${i % 250} port 22`,
    fields: { 'host.name': `web${i}`, message: `Failed password ${i}`, 'source.ip': `203.0.113.${i % 250}`, 'process.pid': i, tags: ['x', 'y'] },
  });
}

function kinds(report: ChainReport): ChainProblemKind[] {
  return report.problems.map((p) => p.kind);
}

describe('verifyChain on a DuckDB store', () => {
  let dir: string;
  let path: string;
  let key: Uint8Array;
  let store: DuckDbStore | undefined;
  /** Three batches of 4, 3 and 5 events, in that order. */
  let batches: Event[][];

  const open = async (options: { chainKey?: Uint8Array | undefined; checkpointEveryBatches?: number } = { chainKey: key }) =>
    (store = await DuckDbStore.open({ path, memoryLimit: '256MB', threads: 1, ...options }));

  /** Closes the store, runs SQL on the file as an intruder would, reopens it. */
  async function tamper(...statements: string[]): Promise<DuckDbStore> {
    await store?.close();
    const instance = await DuckDBInstance.create(path);
    const conn = await instance.connect();
    try {
      for (const statement of statements) await conn.run(statement);
    } finally {
      conn.closeSync();
      instance.closeSync();
    }
    return open();
  }

  async function query(sql: string): Promise<unknown[][]> {
    await store?.close();
    const instance = await DuckDBInstance.create(path);
    const conn = await instance.connect();
    try {
      return (await conn.runAndReadAll(sql)).getRowsJS();
    } finally {
      conn.closeSync();
      instance.closeSync();
    }
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-chain-'));
    path = join(dir, 'events.duckdb');
    key = randomBytes(32);
    batches = [[0, 1, 2, 3].map((i) => event(i)), [4, 5, 6].map((i) => event(i)), [7, 8, 9, 10, 11].map((i) => event(i))];
    const s = await open({ chainKey: key, checkpointEveryBatches: 1 });
    for (const b of batches) await s.appendEvents(b);
  });

  afterEach(async () => {
    await store?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('passes on an untouched store, with every checkpoint signed', async () => {
    const s = await tamper();
    const report = await s.verifyChain();
    assert.deepEqual(report.problems, []);
    assert.equal(report.ok, true);
    assert.equal(report.batches, 3);
    assert.equal(report.events, 12);
    assert.equal(report.signaturesChecked, true);
    assert.equal(report.head?.batch, 3);
    // A checkpoint with every batch (checkpointEveryBatches: 1).
    assert.equal(report.checkpoints, 3);
    assert.deepEqual(report.lastSignedCheckpoint?.batch, 3);
    assert.equal(report.unsignedBatches, 0);
  });

  it('continues the chain after a reopen', async () => {
    const s = await tamper();
    await s.appendEvents([event(20), event(21)]);
    const report = await s.verifyChain();
    assert.equal(report.ok, true, JSON.stringify(report.problems));
    assert.equal(report.batches, 4);
    assert.equal(report.events, 14);
  });

  it('names the event after one row is edited directly in the database', async () => {
    const target = batches[1]![1]!;
    const s = await tamper(`UPDATE events SET original = 'nothing happened here' WHERE id = '${target.id}'`);
    const report = await s.verifyChain();
    assert.equal(report.ok, false);
    assert.deepEqual(kinds(report), ['event-edited']);
    assert.equal(report.problems[0]?.eventId, target.id);
    assert.equal(report.problems[0]?.batch, 2);
    assert.equal(report.problems[0]?.position, 1);
    assert.match(report.problems[0]!.message, new RegExp(target.id));
  });

  it('names an event whose list column (a promoted field) was edited', async () => {
    const target = batches[0]![2]!;
    const s = await tamper(`UPDATE events SET host_name = ['elsewhere'] WHERE id = '${target.id}'`);
    const report = await s.verifyChain();
    assert.ok(kinds(report).includes('event-edited'), JSON.stringify(report.problems));
    assert.ok(report.problems.some((p) => p.kind === 'event-edited' && p.eventId === target.id));
  });

  it('reports a deleted event by batch and position', async () => {
    const s = await tamper(`DELETE FROM events WHERE id = '${batches[2]![3]!.id}'`);
    const report = await s.verifyChain();
    assert.deepEqual(kinds(report), ['event-deleted']);
    assert.equal(report.problems[0]?.batch, 3);
    assert.equal(report.problems[0]?.position, 3);
  });

  it('names both events when two rows swap positions', async () => {
    const [a, b] = [batches[0]![1]!, batches[0]![2]!];
    const s = await tamper(`UPDATE events SET batch_pos = CASE WHEN id = '${a.id}' THEN 2 ELSE 1 END WHERE id IN ('${a.id}', '${b.id}')`);
    const report = await s.verifyChain();
    assert.deepEqual(kinds(report), ['event-reordered', 'event-reordered']);
    assert.deepEqual(report.problems.map((p) => p.eventId).sort(), [a.id, b.id].sort());
  });

  it('reports an inserted row, and rows without a chain that appeared later', async () => {
    const source = batches[0]![0]!;
    const columns = `tenant, time, received, source_input, source_kind, source_address, format, flags, original, message, search_text, fields, host_name, user_name, source_ip, destination_ip, event_action, event_outcome, process_name, event_category, event_type`;
    const s = await tamper(
      `INSERT INTO events SELECT 'forged-1', ${columns}, 1, 9, digest FROM events WHERE id = '${source.id}'`,
      `INSERT INTO events SELECT 'forged-2', ${columns}, 77, 0, digest FROM events WHERE id = '${source.id}'`,
      `INSERT INTO events SELECT 'forged-3', ${columns}, NULL, NULL, NULL FROM events WHERE id = '${source.id}'`,
    );
    const report = await s.verifyChain();
    assert.deepEqual(kinds(report).sort(), ['event-inserted', 'event-inserted', 'unchained-inserted']);
    assert.deepEqual(report.problems.filter((p) => p.kind === 'event-inserted').map((p) => p.eventId).sort(), ['forged-1', 'forged-2']);
  });

  it('reports a deleted batch and the broken link', async () => {
    const s = await tamper('DELETE FROM events WHERE batch_seq = 2', 'DELETE FROM event_batches WHERE seq = 2');
    const report = await s.verifyChain();
    assert.ok(kinds(report).includes('batch-deleted'), JSON.stringify(report.problems));
    assert.equal(report.problems.find((p) => p.kind === 'batch-deleted')?.batch, 2);
    // Batch 2 carried a checkpoint: it is now a checkpoint without its batch.
    assert.ok(kinds(report).includes('checkpoint-mismatch'));
  });

  it('reports an edited batch record', async () => {
    const s = await tamper('UPDATE event_batches SET last_time = last_time + 1 WHERE seq = 1');
    const report = await s.verifyChain();
    assert.ok(kinds(report).includes('batch-edited'), JSON.stringify(report.problems));
    assert.ok(kinds(report).includes('checkpoint-mismatch'));
  });

  it('catches a batch rewritten with recomputed hashes at the signed checkpoint after it', async () => {
    // The intruder edits an event, fixes its digest, the batch's events hash and hash, and the
    // next link: every hash is consistent again, but the signed checkpoint is not theirs to redo.
    const target = batches[0]![0]!;
    const [row] = await query('SELECT seq, count, first_time, last_time, created, prev_hash FROM event_batches WHERE seq = 1');
    const [seq, count, firstTime, lastTime, created, prevHash] = row as [bigint, number, bigint, bigint, bigint, string];
    const eventsHash = 'f'.repeat(64);
    const hash = batchHash({ seq: Number(seq), count, firstTime: Number(firstTime), lastTime: Number(lastTime), created: Number(created), eventsHash, prevHash });
    const s = await tamper(
      `UPDATE events SET digest = 'a' WHERE id = '${target.id}'`,
      `UPDATE event_batches SET events_hash = '${eventsHash}', hash = '${hash}' WHERE seq = 1`,
      `UPDATE event_batches SET prev_hash = '${hash}' WHERE seq = 2`,
    );
    const report = await s.verifyChain();
    assert.ok(kinds(report).includes('checkpoint-mismatch'), JSON.stringify(report.problems));
    assert.ok(kinds(report).includes('event-edited'));
  });

  it('reports a forged checkpoint signature, and one removed', async () => {
    const s = await tamper(`UPDATE chain_checkpoints SET signature = '${'0'.repeat(64)}' WHERE seq = 2`, 'UPDATE chain_checkpoints SET signature = NULL WHERE seq = 3');
    const report = await s.verifyChain();
    assert.deepEqual(kinds(report), ['checkpoint-signature', 'checkpoint-signature']);
    assert.deepEqual(report.problems.map((p) => p.batch), [2, 3]);
    assert.equal(report.lastSignedCheckpoint?.batch, 1);
  });

  it('reports a chain whose newest batches were cut off after a signed checkpoint', async () => {
    const s = await tamper('DELETE FROM events WHERE batch_seq = 3', 'DELETE FROM event_batches WHERE seq = 3');
    const report = await s.verifyChain();
    assert.deepEqual(kinds(report), ['chain-truncated']);
  });

  it('reports the events of a batch edited together with their digests', async () => {
    const target = batches[1]![0]!;
    // Another first character, whatever the digest starts with (a fixed 'b' left one digest in 16 unchanged).
    const s = await tamper(`UPDATE events SET digest = (CASE WHEN digest[1] = 'b' THEN 'c' ELSE 'b' END) || digest[2:] WHERE id = '${target.id}'`);
    const report = await s.verifyChain();
    // The digest no longer matches the row, and the row's new digest does not give the batch hash.
    assert.ok(report.problems.some((p) => p.eventId === target.id), JSON.stringify(report.problems));
  });

  it('still chains without a key, and says that signatures were not checked', async () => {
    const s = await tamper();
    await s.close();
    const keyless = await open({});
    const report = await keyless.verifyChain();
    assert.equal(report.ok, true);
    assert.equal(report.signaturesChecked, false);
    assert.equal(report.lastSignedCheckpoint, undefined);
  });

  describe('with retention', () => {
    const expire = (s: DuckDbStore, cutoff: number) => s.enforceRetention({ rule: 'default', selector: {}, except: [], cutoff, now: T0 + DAY });

    it('deletes without looking like tampering, and the chain keeps verifying', async () => {
      const s = await tamper();
      // Events 0..5 were received before T0 + 6 s.
      const run = await expire(s, T0 + 6000);
      assert.equal(run.deleted, 6);
      assert.equal(run.signed, true);
      const report = await s.verifyChain();
      assert.deepEqual(report.problems, []);
      assert.equal(report.events, 6);
      assert.equal(report.tombstones, 6);
      assert.equal(report.retentionRuns, 1);
      await s.appendEvents([event(30)]);
      assert.equal((await s.verifyChain()).ok, true);
    });

    it('sees one snapshot: retention and appends committed while it runs are not findings', async () => {
      const s = await tamper();
      for (let round = 0; round < 5; round++) {
        const [report] = await Promise.all([s.verifyChain(), expire(s, T0 + (round + 1) * 2000), s.appendEvents([event(50 + round)])]);
        assert.deepEqual(report.problems, [], `round ${round}`);
      }
      assert.equal((await s.verifyChain()).ok, true);
    });

    it('reports a forged tombstone: an edited digest invalidates its run', async () => {
      let s = await tamper();
      const run = await expire(s, T0 + 2000);
      s = await tamper(`UPDATE event_tombstones SET digest = (CASE WHEN digest[1] = 'c' THEN 'd' ELSE 'c' END) || digest[2:] WHERE id = '${batches[0]![1]!.id}'`);
      const report = await s.verifyChain();
      assert.ok(report.problems.some((p) => p.kind === 'retention-run-invalid' && p.runId === run.id), JSON.stringify(report.problems));
      assert.ok(report.problems.some((p) => p.kind === 'tombstone-invalid' && p.eventId === batches[0]![1]!.id));
    });

    it('reports a deletion passed off as retention with tombstones the run did not sign', async () => {
      let s = await tamper();
      const run = await expire(s, T0 + 1000);
      const victim = batches[2]![0]!;
      s = await tamper(
        `INSERT INTO event_tombstones SELECT batch_seq, batch_pos, id, digest, '${run.id}' FROM events WHERE id = '${victim.id}'`,
        `DELETE FROM events WHERE id = '${victim.id}'`,
      );
      const report = await s.verifyChain();
      assert.ok(kinds(report).includes('retention-run-invalid'), JSON.stringify(report.problems));
      assert.ok(report.problems.some((p) => p.eventId === victim.id));
    });

    it('reports a forged run signature', async () => {
      let s = await tamper();
      const run = await expire(s, T0 + 1000);
      s = await tamper(`UPDATE retention_runs SET cutoff = cutoff + 1 WHERE id = '${run.id}'`);
      const report = await s.verifyChain();
      assert.ok(report.problems.some((p) => p.kind === 'retention-run-invalid' && p.runId === run.id));
    });

    it('deletes only the selected tenant and source, sparing what a more specific rule keeps', async () => {
      let s = await tamper();
      await s.appendEvents([event(40, { tenant: 'b', received: T0 }), event(41, { kind: 'file', received: T0 }), event(42, { tenant: 'b', kind: 'file', received: T0 })]);
      const run = await s.enforceRetention({ rule: 'tenant=b', selector: { tenant: 'b' }, except: [{ tenant: 'b', sourceKind: 'file' }], cutoff: T0 + DAY, now: T0 + 2 * DAY });
      assert.equal(run.deleted, 1);
      assert.equal(await s.countEvents('b'), 1);
      assert.equal(await s.countEvents('a'), 13);
      assert.equal((await s.verifyChain()).ok, true);
      s = await tamper();
      assert.deepEqual((await s.listRetentionRuns(10)).map((r) => [r.id, r.deleted]), [[run.id, 1]]);
    });
  });
});

describe('verifyChain on a store upgraded from schema v3', () => {
  it('counts the events from before the chain as legacy, and reports unchained rows added later', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vigil-chain-legacy-'));
    const path = join(dir, 'events.duckdb');
    try {
      const instance = await DuckDBInstance.create(path);
      const conn = await instance.connect();
      await conn.run(SCHEMA_VERSION_DDL);
      for (const m of MIGRATIONS.filter((m) => m.version <= 3)) {
        for (const statement of m.statements) await conn.run(statement);
        await conn.run(`INSERT INTO schema_version VALUES (${m.version}, 0)`);
      }
      const legacy = `INSERT INTO events (id, tenant, time, received, source_input, source_kind, format, original, search_text, fields) VALUES`;
      await conn.run(`${legacy} ('old-1', 'a', 1, ${T0}, 'syslog', 'syslog-udp', 'raw', 'x', 'x', '{}'), ('old-2', 'a', 2, ${T0}, 'syslog', 'syslog-udp', 'raw', 'y', 'y', '{}')`);
      conn.closeSync();
      instance.closeSync();

      let store = await DuckDbStore.open({ path, chainKey: randomBytes(32) });
      await store.appendEvents([event(1)]);
      let report = await store.verifyChain();
      assert.equal(report.ok, true, JSON.stringify(report.problems));
      assert.equal(report.legacyEvents, 2);
      assert.equal(report.events, 1);
      // Retention may delete legacy rows; they are counted in its run.
      const run = await store.enforceRetention({ rule: 'default', selector: {}, except: [], cutoff: T0 + 1, now: T0 + DAY });
      assert.equal(run.legacyDeleted, 2);
      assert.equal((await store.verifyChain()).ok, true);
      await store.close();

      const again = await DuckDBInstance.create(path);
      const c2 = await again.connect();
      await c2.run(`${legacy} ('late', 'a', 3, ${T0}, 'syslog', 'syslog-udp', 'raw', 'z', 'z', '{}')`);
      c2.closeSync();
      again.closeSync();
      store = await DuckDbStore.open({ path });
      report = await store.verifyChain();
      assert.deepEqual(kinds(report), ['unchained-inserted']);
      await store.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('checkpoints when ingest goes quiet', () => {
  it('signs the head of the chain within the interval even when no batch follows', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vigil-chain-quiet-'));
    const store = await DuckDbStore.open({ path: join(dir, 'events.duckdb'), chainKey: randomBytes(32), checkpointEveryMs: 1000 });
    try {
      await store.appendEvents([event(1)]);
      await store.appendEvents([event(2)]);
      assert.equal((await store.verifyChain()).lastSignedCheckpoint?.batch, 1, 'the first batch after opening is signed at once; the second waits');
      const deadline = Date.now() + 5000;
      let report = await store.verifyChain();
      while (report.unsignedBatches > 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        report = await store.verifyChain();
      }
      assert.equal(report.lastSignedCheckpoint?.batch, 2);
      assert.equal(report.ok, true);
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
