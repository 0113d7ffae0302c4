/**
 * `verifyChain` for the DuckDB store: the generic walk (src/store/chain/chain-verify.ts) over
 * DuckDB's tables, in one snapshot. Rows are stored in batch order, so DuckDB's zone maps confine
 * each page's read to its row groups, and DuckDB recomputes each row's digest itself
 * (digest-sql.ts).
 */
import type { DuckDBConnection, JS } from '@duckdb/node-api';
import type { ChainReport } from '../../core/history.js';
import { verifyChainFrom, type ChainEventRow, type ChainSource, type StoredCheckpoint, type Tombstone } from '../chain/chain-verify.js';
import { DIGEST_SQL } from './digest-sql.js';

const num = (v: JS | undefined): number => Number(v ?? 0);
const text = (v: JS | undefined): string => (typeof v === 'string' ? v : String(v ?? ''));

export async function verifyDuckDbChain(conn: DuckDBConnection, key: Uint8Array | undefined): Promise<ChainReport> {
  // One snapshot for every query: a retention run or a batch committed while verifying must not
  // show as a position with neither its row nor its tombstone.
  await conn.run('BEGIN TRANSACTION');
  try {
    return await verifyChainFrom(duckdbChainSource(conn), key);
  } finally {
    await conn.run('ROLLBACK').catch(() => undefined);
  }
}

function duckdbChainSource(conn: DuckDBConnection): ChainSource {
  const rows = async (sql: string, params: (string | number | bigint)[] = []) => (await conn.runAndReadAll(sql, params)).getRowsJS();
  return {
    async legacyEvents() {
      // Rows outside the chain: legacy rows (before v4) are allowed up to the number recorded at the upgrade.
      const found = num((await rows('SELECT count(*) FROM events WHERE batch_seq IS NULL'))[0]?.[0]);
      const recorded = num((await rows('SELECT coalesce(sum(events), 0) FROM chain_legacy'))[0]?.[0]);
      return { found, recorded };
    },
    async orphanEvents(limit) {
      const found = await rows(
        'SELECT e.id, e.batch_seq, e.batch_pos FROM events e ANTI JOIN event_batches b ON e.batch_seq = b.seq WHERE e.batch_seq IS NOT NULL ORDER BY e.batch_seq, e.batch_pos LIMIT $1',
        [limit],
      );
      return found.map(([id, seq, pos]) => ({ id: text(id), seq: num(seq), pos: pos === null ? null : num(pos) }));
    },
    async strayTombstones(limit) {
      const found = await rows(
        'SELECT t.batch_seq, t.batch_pos, t.id FROM event_tombstones t ANTI JOIN event_batches b ON t.batch_seq = b.seq ORDER BY t.batch_seq, t.batch_pos LIMIT $1',
        [limit],
      );
      return found.map(([seq, pos, id]) => ({ seq: num(seq), pos: num(pos), id: text(id) }));
    },
    async batches(after, limit) {
      const found = await rows(
        `SELECT seq, count, first_time, last_time, created, events_hash, prev_hash, hash FROM event_batches WHERE seq > $1 ORDER BY seq LIMIT ${limit}`,
        [BigInt(after)],
      );
      return found.map(([seq, count, firstTime, lastTime, created, eventsHash, prevHash, hash]) => ({
        seq: num(seq),
        count: num(count),
        firstTime: num(firstTime),
        lastTime: num(lastTime),
        created: num(created),
        eventsHash: text(eventsHash),
        prevHash: text(prevHash),
        hash: text(hash),
      }));
    },
    async events(first, last) {
      const found = await rows(
        `SELECT rowid, batch_seq, batch_pos, digest, id, ${DIGEST_SQL} FROM events WHERE batch_seq BETWEEN $1 AND $2 ORDER BY batch_seq, batch_pos, rowid`,
        [BigInt(first), BigInt(last)],
      );
      const bySeq = new Map<number, ChainEventRow[]>();
      for (const row of found) {
        const seq = num(row[1]);
        let list = bySeq.get(seq);
        if (list === undefined) bySeq.set(seq, (list = []));
        list.push({
          order: BigInt(row[0] as bigint),
          pos: row[2] === null ? null : num(row[2]),
          stored: row[3] === null ? null : text(row[3]),
          id: text(row[4]),
          computed: text(row[5]),
        });
      }
      return bySeq;
    },
    async tombstones(first, last) {
      const found = await rows('SELECT batch_seq, batch_pos, id, digest, run_id FROM event_tombstones WHERE batch_seq BETWEEN $1 AND $2 ORDER BY batch_seq, batch_pos', [BigInt(first), BigInt(last)]);
      const bySeq = new Map<number, Tombstone[]>();
      for (const [seq, pos, id, digest, runId] of found) {
        let list = bySeq.get(num(seq));
        if (list === undefined) bySeq.set(num(seq), (list = []));
        list.push({ pos: num(pos), id: text(id), digest: text(digest), runId: text(runId) });
      }
      return bySeq;
    },
    async checkpoints(first, last) {
      const found = await rows('SELECT seq, hash, signed_at, signature FROM chain_checkpoints WHERE seq BETWEEN $1 AND $2 ORDER BY seq', [BigInt(first), BigInt(last)]);
      return new Map<number, StoredCheckpoint>(found.map(([seq, hash, signedAt, signature]) => [num(seq), { hash: text(hash), signedAt: num(signedAt), signature: signature === null ? null : text(signature) }]));
    },
    async checkpointsBeyond(head) {
      return (await rows('SELECT seq FROM chain_checkpoints WHERE seq > $1 OR seq < 1 ORDER BY seq', [BigInt(head)])).map(([seq]) => num(seq));
    },
    async retentionRuns() {
      const found = await rows('SELECT id, rule, selector, cutoff, started, finished, deleted, legacy_deleted, tombstones_hash, signature FROM retention_runs');
      return found.map(([id, rule, selector, cutoff, started, finished, deleted, legacy, tombstonesHash, signature]) => ({
        id: text(id),
        rule: text(rule),
        selector: text(selector),
        cutoff: num(cutoff),
        started: num(started),
        finished: num(finished),
        deleted: num(deleted),
        legacyDeleted: num(legacy),
        tombstonesHash: text(tombstonesHash),
        signature: signature === null ? null : text(signature),
      }));
    },
    async *tombstoneLines() {
      const result = await conn.stream('SELECT run_id, batch_seq, batch_pos, id, digest FROM event_tombstones ORDER BY run_id, batch_seq, batch_pos');
      for await (const chunk of result.yieldRowsJs()) {
        for (const [runId, seq, pos, id, digest] of chunk) yield { runId: text(runId), seq: num(seq), pos: num(pos), id: text(id), digest: text(digest) };
      }
    },
  };
}
