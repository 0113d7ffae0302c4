/**
 * The write side of the event chain (docs/history.md): every appended batch gets the next
 * sequence number, a row in `event_batches` linking it to the previous batch, and now and then
 * a signed checkpoint, all in the batch's own transaction. Writes are serialised by the store's
 * write queue, so the head of the chain is plain state here: read once on open, advanced only
 * after a commit (a rolled-back batch leaves no gap).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { GENESIS_HASH, OrderedHash, batchHash, checkpointSignature, type BatchFields } from '../chain/chain-hashes.js';
import type { EventRows } from './event-rows.js';

export interface ChainOptions {
  /** HMAC key of the data folder (`<data>/chain-key`); without it checkpoints are unsigned. */
  readonly chainKey?: Uint8Array | undefined;
  /** A checkpoint at least every this many batches (default 100: 500,000 events at the default batch size). */
  readonly checkpointEveryBatches?: number | undefined;
  /** …and with the first batch after this many ms since the last one (default 60 s). */
  readonly checkpointEveryMs?: number | undefined;
}

/**
 * Defaults: what an attacker with write access to the file but not the key could rewrite
 * without a signature noticing is at most the batches since the last checkpoint. One
 * checkpoint per 100 batches or minute costs one small row; a tighter bound is a setting away.
 */
export const DEFAULT_CHECKPOINT_EVERY_BATCHES = 100;
export const DEFAULT_CHECKPOINT_EVERY_MS = 60_000;

/** The batch row a write is about to insert. */
export interface BatchLink extends BatchFields {
  readonly hash: string;
  /** Whether this batch also gets a checkpoint. */
  readonly checkpoint: boolean;
}

export class ChainWriter {
  private constructor(
    private nextSeq: number,
    private headHash: string,
    private checkpointedSeq: number,
    private checkpointedAt: number,
    private readonly options: ChainOptions,
  ) {}

  /** Continues the chain stored in the file. */
  static async load(conn: DuckDBConnection, options: ChainOptions): Promise<ChainWriter> {
    const head = (await conn.runAndReadAll('SELECT seq, hash FROM event_batches ORDER BY seq DESC LIMIT 1')).getRowsJS()[0];
    const checkpoint = (await conn.runAndReadAll('SELECT seq, signed_at FROM chain_checkpoints ORDER BY seq DESC LIMIT 1')).getRowsJS()[0];
    return new ChainWriter(
      head === undefined ? 1 : Number(head[0]) + 1,
      head === undefined ? GENESIS_HASH : String(head[1]),
      checkpoint === undefined ? 0 : Number(checkpoint[0]),
      checkpoint === undefined ? 0 : Number(checkpoint[1]),
      options,
    );
  }

  /** The next batch's link; pure until `advance`. */
  link(rows: EventRows, now: number): BatchLink {
    const events = new OrderedHash();
    for (const digest of rows.digests) events.add(digest);
    const fields: BatchFields = {
      seq: this.nextSeq,
      count: rows.digests.length,
      firstTime: rows.firstTime,
      lastTime: rows.lastTime,
      created: now,
      eventsHash: events.hex(),
      prevHash: this.headHash,
    };
    const every = this.options.checkpointEveryBatches ?? DEFAULT_CHECKPOINT_EVERY_BATCHES;
    const everyMs = this.options.checkpointEveryMs ?? DEFAULT_CHECKPOINT_EVERY_MS;
    const checkpoint = fields.seq - this.checkpointedSeq >= every || now - this.checkpointedAt >= everyMs;
    return { ...fields, hash: batchHash(fields), checkpoint };
  }

  /** Inserts the batch row (and its checkpoint) inside the caller's transaction. */
  async insert(conn: DuckDBConnection, link: BatchLink): Promise<void> {
    await conn.run(
      'INSERT INTO event_batches (seq, count, first_time, last_time, created, events_hash, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
      [BigInt(link.seq), link.count, BigInt(link.firstTime), BigInt(link.lastTime), BigInt(link.created), link.eventsHash, link.prevHash, link.hash],
    );
    if (link.checkpoint) await this.insertCheckpoint(conn, link.seq, link.hash, link.created);
  }

  /** After the commit: the batch is part of the chain. */
  advance(link: BatchLink): void {
    this.nextSeq = link.seq + 1;
    this.headHash = link.hash;
    if (link.checkpoint) {
      this.checkpointedSeq = link.seq;
      this.checkpointedAt = link.created;
    }
  }

  /** How often the store signs a head left unsigned because no batch came (see DuckDbStore). */
  get everyMs(): number {
    return this.options.checkpointEveryMs ?? DEFAULT_CHECKPOINT_EVERY_MS;
  }

  /** The newest batch has no checkpoint and the last one is older than the interval. */
  headUnsignedSince(now: number): boolean {
    return this.nextSeq - 1 > this.checkpointedSeq && now - this.checkpointedAt >= this.everyMs;
  }

  /**
   * A checkpoint of the head if it has none yet (on close, or when ingest goes quiet), inside
   * the caller's transaction; returns what to call once it has committed, or undefined.
   */
  async checkpointHead(conn: DuckDBConnection, now: number): Promise<(() => void) | undefined> {
    const head = this.nextSeq - 1;
    if (head <= this.checkpointedSeq) return undefined;
    await this.insertCheckpoint(conn, head, this.headHash, now);
    return () => {
      this.checkpointedSeq = head;
      this.checkpointedAt = now;
    };
  }

  private async insertCheckpoint(conn: DuckDBConnection, seq: number, hash: string, signedAt: number): Promise<void> {
    const key = this.options.chainKey;
    const signature = key === undefined ? null : checkpointSignature(key, { seq, hash, signedAt });
    await conn.run('INSERT INTO chain_checkpoints (seq, hash, signed_at, signature) VALUES ($1, $2, $3, $4)', [BigInt(seq), hash, BigInt(signedAt), signature]);
  }
}
