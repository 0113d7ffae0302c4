/**
 * The event chain (docs/history.md) in ClickHouse: the digest as a ClickHouse expression, how the
 * chain's records are written (ChainSink) and read back for `verifyChain` (ChainSource), over the
 * generic writer and verifier in src/store/chain.
 *
 * ClickHouse has no transactions across tables, so a batch is stored in steps (events, then its
 * batch record, then the consumer checkpoint: clickhouse-store.ts). At most one batch can be
 * between its first and second step, because one process writes the chain: verify counts rows
 * of the batch after the newest record as in flight, not as inserted, and the store removes
 * such rows when a write failed or on open (they are the rows of a batch that never completed).
 */
import type { ChainReport } from '../../core/history.js';
import { EVENT_FORM_PREFIX } from '../chain/chain-hashes.js';
import { verifyChainFrom, type ChainEventRow, type ChainSource, type StoredCheckpoint, type Tombstone } from '../chain/chain-verify.js';
import type { ChainSink, StoredHead } from '../chain/chain-writer.js';
import type { ClickHouseEngine, QuerySettings } from './clickhouse-engine.js';
import { DIGEST_COLUMNS, type EventColumn } from './schema.js';

const text = (x: string) => `concat('"', toString(length(${x})), ':', ${x})`;

function encodeColumn(c: EventColumn): string {
  switch (c.digest) {
    case 'text':
      return text(c.name);
    case 'nullable-text':
      return `if(isNull(${c.name}), '~', ${text(`assumeNotNull(${c.name})`)})`;
    case 'int':
      return `concat('#', toString(${c.name}), ';')`;
    case 'list':
      return `concat('[', toString(length(${c.name})), arrayStringConcat(arrayMap(dx -> ${text('dx')}, ${c.name})), ']')`;
  }
}

/**
 * `sha256(<canonical form>)` of a row, hex, as stored in `digest`: ClickHouse recomputes every
 * digest where the data is, and `length` is the UTF-8 byte length, as `Buffer.byteLength` on the
 * write side (clickhouse-store.test.ts proves both agree on awkward text).
 */
export const DIGEST_SQL = `lower(hex(SHA256(concat(${[`'${EVENT_FORM_PREFIX.replace('\n', '\\n')}${DIGEST_COLUMNS.length}'`, ...DIGEST_COLUMNS.map(encodeColumn)].join(', ')}))))`;

/** What the chain's records are written through: the engine, and the insert's deduplication token. */
export interface ChainTarget {
  readonly engine: ClickHouseEngine;
  /** Unique per batch and writer session (see clickhouse-store.ts). */
  readonly token: string;
}

const dedup = (token: string, table: string): QuerySettings => ({ insert_deduplication_token: `${token}:${table}` });

export const clickhouseChainSink: ChainSink<ChainTarget> = {
  async insertBatch({ engine, token }, link) {
    await engine.insert(
      'event_batches',
      [{ seq: link.seq, count: link.count, first_time: link.firstTime, last_time: link.lastTime, created: link.created, events_hash: link.eventsHash, prev_hash: link.prevHash, hash: link.hash }],
      dedup(token, 'event_batches'),
    );
  },
  async insertCheckpoint({ engine, token }, c) {
    await engine.insert('chain_checkpoints', [{ seq: c.seq, hash: c.hash, signed_at: c.signedAt, signature: c.signature }], dedup(`${token}:${c.seq}`, 'chain_checkpoints'));
  },
};

const num = (v: unknown): number => Number(v ?? 0);
const str = (v: unknown): string => (typeof v === 'string' ? v : String(v ?? ''));

/** The newest batch and checkpoint stored. */
export async function readStoredHead(engine: ClickHouseEngine): Promise<StoredHead> {
  const [batch] = await engine.rows('SELECT seq, hash FROM event_batches ORDER BY seq DESC LIMIT 1');
  const [checkpoint] = await engine.rows('SELECT seq, signed_at FROM chain_checkpoints ORDER BY seq DESC LIMIT 1');
  return {
    batch: batch === undefined ? undefined : { seq: num(batch[0]), hash: str(batch[1]) },
    checkpoint: checkpoint === undefined ? undefined : { seq: num(checkpoint[0]), signedAt: num(checkpoint[1]) },
  };
}

export function verifyClickHouseChain(engine: ClickHouseEngine, key: Uint8Array | undefined): Promise<ChainReport> {
  return verifyChainFrom(clickhouseChainSource(engine), key);
}

/** The batch after the newest record: the one a write may have in flight. */
const IN_FLIGHT = '(SELECT max(seq) + 1 FROM event_batches)';

function clickhouseChainSource(engine: ClickHouseEngine): ChainSource {
  return {
    // Every row is written with its batch: there are no events from before the chain.
    legacyEvents: () => Promise.resolve({ found: 0, recorded: 0 }),
    async orphanEvents(limit) {
      const rows = await engine.rows(
        `SELECT id, batch_seq, batch_pos FROM events WHERE batch_seq NOT IN (SELECT seq FROM event_batches) AND batch_seq != ${IN_FLIGHT}
         ORDER BY batch_seq, batch_pos LIMIT {limit:UInt32}`,
        { limit },
      );
      return rows.map(([id, seq, pos]) => ({ id: str(id), seq: num(seq), pos: num(pos) }));
    },
    async strayTombstones(limit) {
      const rows = await engine.rows(
        'SELECT batch_seq, batch_pos, id FROM event_tombstones WHERE batch_seq NOT IN (SELECT seq FROM event_batches) ORDER BY batch_seq, batch_pos LIMIT {limit:UInt32}',
        { limit },
      );
      return rows.map(([seq, pos, id]) => ({ seq: num(seq), pos: num(pos), id: str(id) }));
    },
    async batches(after, limit) {
      const rows = await engine.rows(
        'SELECT seq, count, first_time, last_time, created, events_hash, prev_hash, hash FROM event_batches WHERE seq > {after:UInt64} ORDER BY seq LIMIT {limit:UInt32}',
        { after, limit },
      );
      return rows.map(([seq, count, firstTime, lastTime, created, eventsHash, prevHash, hash]) => ({
        seq: num(seq),
        count: num(count),
        firstTime: num(firstTime),
        lastTime: num(lastTime),
        created: num(created),
        eventsHash: str(eventsHash),
        prevHash: str(prevHash),
        hash: str(hash),
      }));
    },
    async events(first, last) {
      // The min/max index on batch_seq confines the read to the parts holding these batches.
      const rows = await engine.rows(
        `SELECT batch_seq, batch_pos, digest, id, ${DIGEST_SQL} FROM events WHERE batch_seq BETWEEN {first:UInt64} AND {last:UInt64} ORDER BY batch_seq, batch_pos`,
        { first, last },
      );
      const bySeq = new Map<number, ChainEventRow[]>();
      for (const [seq, pos, stored, id, computed] of rows) {
        let list = bySeq.get(num(seq));
        if (list === undefined) bySeq.set(num(seq), (list = []));
        // A MergeTree keeps rows in sort-key order, not in the order written: position order
        // stands in, so rows moved within a batch show as a changed batch.
        list.push({ order: BigInt(num(pos)), pos: num(pos), stored: str(stored), id: str(id), computed: str(computed) });
      }
      return bySeq;
    },
    async tombstones(first, last) {
      const rows = await engine.rows(
        'SELECT batch_seq, batch_pos, id, digest, run_id FROM event_tombstones WHERE batch_seq BETWEEN {first:UInt64} AND {last:UInt64} ORDER BY batch_seq, batch_pos',
        { first, last },
      );
      const bySeq = new Map<number, Tombstone[]>();
      for (const [seq, pos, id, digest, runId] of rows) {
        let list = bySeq.get(num(seq));
        if (list === undefined) bySeq.set(num(seq), (list = []));
        list.push({ pos: num(pos), id: str(id), digest: str(digest), runId: str(runId) });
      }
      return bySeq;
    },
    async checkpoints(first, last) {
      const rows = await engine.rows('SELECT seq, hash, signed_at, signature FROM chain_checkpoints WHERE seq BETWEEN {first:UInt64} AND {last:UInt64} ORDER BY seq', { first, last });
      return new Map<number, StoredCheckpoint>(rows.map(([seq, hash, signedAt, signature]) => [num(seq), { hash: str(hash), signedAt: num(signedAt), signature: signature === null ? null : str(signature) }]));
    },
    async checkpointsBeyond(head) {
      // Without a snapshot, a batch stored while verify ran may already have its checkpoint: a
      // checkpoint is beyond the chain only when its batch does not exist now either.
      const rows = await engine.rows('SELECT seq FROM chain_checkpoints WHERE (seq > {head:UInt64} AND seq NOT IN (SELECT seq FROM event_batches)) OR seq < 1 ORDER BY seq', { head });
      return rows.map(([seq]) => num(seq));
    },
    async retentionRuns() {
      const rows = await engine.rows('SELECT id, rule, selector, cutoff, started, finished, deleted, legacy_deleted, tombstones_hash, signature FROM retention_runs');
      return rows.map(([id, rule, selector, cutoff, started, finished, deleted, legacy, tombstonesHash, signature]) => ({
        id: str(id),
        rule: str(rule),
        selector: str(selector),
        cutoff: num(cutoff),
        started: num(started),
        finished: num(finished),
        deleted: num(deleted),
        legacyDeleted: num(legacy),
        tombstonesHash: str(tombstonesHash),
        signature: signature === null ? null : str(signature),
      }));
    },
    async *tombstoneLines() {
      // Paged by run and position, so memory stays bounded on any number of tombstones.
      let after: [string, number, number] = ['', -1, -1];
      for (;;) {
        const rows = await engine.rows(
          `SELECT run_id, batch_seq, batch_pos, id, digest FROM event_tombstones
           WHERE (run_id, batch_seq, batch_pos) > ({r:String}, {s:Int64}, {p:Int64}) ORDER BY run_id, batch_seq, batch_pos LIMIT 50000`,
          { r: after[0], s: after[1], p: after[2] },
        );
        for (const [runId, seq, pos, id, digest] of rows) yield { runId: str(runId), seq: num(seq), pos: num(pos), id: str(id), digest: str(digest) };
        const last = rows.at(-1);
        if (rows.length < 50000 || last === undefined) return;
        after = [str(last[0]), num(last[1]), num(last[2])];
      }
    },
  };
}
