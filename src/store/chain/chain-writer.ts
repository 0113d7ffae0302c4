/**
 * The write side of the event chain (docs/history.md), for every store back end: each appended
 * batch gets the next sequence number, a batch record linking it to the previous batch, and now
 * and then a signed checkpoint. Writes are serialised by the store's write queue, so the head of
 * the chain is plain state here: read once on open, advanced only after the batch is stored (a
 * failed batch leaves no gap). How the records reach the database is the store's `ChainSink`;
 * `C` is what the store writes through (a DuckDB connection inside its transaction, a
 * ClickHouse engine).
 */
import { GENESIS_HASH, OrderedHash, batchHash, checkpointSignature, type BatchFields } from './chain-hashes.js';

export interface ChainOptions {
  /** HMAC key of the data folder (`<data>/chain-key`); without it checkpoints are unsigned. */
  readonly chainKey?: Uint8Array | undefined;
  /** A checkpoint at least every this many batches (default 100: 500,000 events at the default batch size). */
  readonly checkpointEveryBatches?: number | undefined;
  /** …and with the first batch after this many ms since the last one (default 60 s). */
  readonly checkpointEveryMs?: number | undefined;
}

/**
 * Defaults: what an attacker with write access to the data but not the key could rewrite
 * without a signature noticing is at most the batches since the last checkpoint. One
 * checkpoint per 100 batches or minute costs one small row; a tighter bound is a setting away.
 */
export const DEFAULT_CHECKPOINT_EVERY_BATCHES = 100;
export const DEFAULT_CHECKPOINT_EVERY_MS = 60_000;

/** What a batch contributes to its link: its events' digests in position order and its time span. */
export interface BatchDigests {
  readonly digests: readonly string[];
  /** Earliest and latest event time of the batch (0 for an empty batch). */
  readonly firstTime: number;
  readonly lastTime: number;
}

/** The batch record a write is about to store. */
export interface BatchLink extends BatchFields {
  readonly hash: string;
  /** Whether this batch also gets a checkpoint. */
  readonly checkpoint: boolean;
}

export interface CheckpointRow {
  readonly seq: number;
  readonly hash: string;
  readonly signedAt: number;
  readonly signature: string | null;
}

/** How a store writes the chain's records. */
export interface ChainSink<C> {
  insertBatch(target: C, link: BatchLink): Promise<void>;
  insertCheckpoint(target: C, checkpoint: CheckpointRow): Promise<void>;
}

/** Where the stored chain ends: its newest batch and newest checkpoint (undefined when none). */
export interface StoredHead {
  readonly batch: { readonly seq: number; readonly hash: string } | undefined;
  readonly checkpoint: { readonly seq: number; readonly signedAt: number } | undefined;
}

export class ChainWriter<C> {
  private nextSeq: number;
  private headHash: string;
  private checkpointedSeq: number;
  private checkpointedAt: number;

  constructor(
    private readonly sink: ChainSink<C>,
    head: StoredHead,
    private readonly options: ChainOptions,
  ) {
    this.nextSeq = head.batch === undefined ? 1 : head.batch.seq + 1;
    this.headHash = head.batch === undefined ? GENESIS_HASH : head.batch.hash;
    this.checkpointedSeq = head.checkpoint?.seq ?? 0;
    this.checkpointedAt = head.checkpoint?.signedAt ?? 0;
  }

  /** Sequence number of the newest stored batch (0 before the first). */
  get headSeq(): number {
    return this.nextSeq - 1;
  }

  /** The next batch's link; pure until `advance`. */
  link(rows: BatchDigests, now: number): BatchLink {
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
    const checkpoint = fields.seq - this.checkpointedSeq >= every || now - this.checkpointedAt >= this.everyMs;
    return { ...fields, hash: batchHash(fields), checkpoint };
  }

  /** Stores the batch record (and its checkpoint) through `target`. */
  async insert(target: C, link: BatchLink): Promise<void> {
    await this.sink.insertBatch(target, link);
    if (link.checkpoint) await this.insertCheckpoint(target, link.seq, link.hash, link.created);
  }

  /** After the batch is stored: it is part of the chain. */
  advance(link: BatchLink): void {
    this.nextSeq = link.seq + 1;
    this.headHash = link.hash;
    if (link.checkpoint) {
      this.checkpointedSeq = link.seq;
      this.checkpointedAt = link.created;
    }
  }

  /** How often the store signs a head left unsigned because no batch came. */
  get everyMs(): number {
    return this.options.checkpointEveryMs ?? DEFAULT_CHECKPOINT_EVERY_MS;
  }

  /** The newest batch has no checkpoint and the last one is older than the interval. */
  headUnsignedSince(now: number): boolean {
    return this.nextSeq - 1 > this.checkpointedSeq && now - this.checkpointedAt >= this.everyMs;
  }

  /**
   * A checkpoint of the head if it has none yet (on close, or when ingest goes quiet), written
   * through `target`; returns what to call once it is stored, or undefined.
   */
  async checkpointHead(target: C, now: number): Promise<(() => void) | undefined> {
    const head = this.nextSeq - 1;
    if (head <= this.checkpointedSeq) return undefined;
    await this.insertCheckpoint(target, head, this.headHash, now);
    return () => {
      this.checkpointedSeq = head;
      this.checkpointedAt = now;
    };
  }

  private async insertCheckpoint(target: C, seq: number, hash: string, signedAt: number): Promise<void> {
    const key = this.options.chainKey;
    const signature = key === undefined ? null : checkpointSignature(key, { seq, hash, signedAt });
    await this.sink.insertCheckpoint(target, { seq, hash, signedAt, signature });
  }
}
