/**
 * The seams partitioned detection needs from the outside world, small enough that a NATS
 * JetStream version is a thin adapter (docs/scaling.md, "Detection workers"):
 * - `PartitionLog`: one ordered log per partition. JetStream: subjects `vigil.detect.<p>` in
 *   one stream, one pull consumer per partition filtered on its subject (FIFO per subject),
 *   the stream sequence as position, `AckPolicy.All` so acking a position acks all before it.
 * - `CheckpointStore`: the last checkpoint of each partition (a KV bucket, a database row).
 * - `DetectionSink`: where detections go (the alerts stream), idempotent by detection id
 *   (JetStream: the id as `Nats-Msg-Id`, so a re-sent detection is dropped by the server).
 *
 * `MemoryPartitionLog` and `MemoryCheckpointStore` implement them in one process, for tests
 * and for running both stages embedded.
 */
import type { PartitionRecord } from './keyed-input.js';
import type { StatefulDetection } from './partition-state.js';

export interface PositionedRecord {
  /** Strictly increasing within a partition (gaps allowed). */
  readonly position: number;
  readonly record: PartitionRecord;
}

export interface PartitionLog {
  readonly partitions: number;
  /**
   * Appends records, each to the partition it names; resolves once they are durable.
   * Guarantee needed: per partition, records are delivered in the order appended (by one
   * appender; a stateless worker appends its inputs in its event order).
   */
  append(records: readonly PartitionRecord[]): Promise<void>;
  /**
   * Up to `max` records of one partition after position `after`, in order. Waits until there
   * is one; resolves undefined once `signal` aborts. Records at or below the last commit may
   * be delivered again (the reader skips them).
   */
  read(partition: number, after: number, max: number, signal: AbortSignal): Promise<readonly PositionedRecord[] | undefined>;
  /** Everything of the partition up to `position` is covered by a saved checkpoint: it may go. */
  commit(partition: number, position: number): Promise<void>;
}

export interface CheckpointStore {
  load(partition: number): Promise<string | undefined>;
  save(partition: number, checkpoint: string): Promise<void>;
}

export interface IdentifiedDetection {
  /**
   * `<partition>:<position>:<index>`: the record that set it off and its place among that
   * record's detections. Replaying the same records from the same checkpoint gives the same
   * detections under the same ids, so a sink that keeps the first of each id shows each once.
   */
  readonly id: string;
  readonly detection: StatefulDetection;
}

export interface DetectionSink {
  deliver(detections: readonly IdentifiedDetection[]): Promise<void>;
}

/** One process's partition log: arrays per partition, positions from 1. */
export class MemoryPartitionLog implements PartitionLog {
  readonly #records: PositionedRecord[][];
  readonly #next: number[];
  readonly #waiters: (() => void)[][];

  constructor(readonly partitions: number) {
    this.#records = Array.from({ length: partitions }, () => []);
    this.#next = new Array<number>(partitions).fill(1);
    this.#waiters = Array.from({ length: partitions }, () => []);
  }

  async append(records: readonly PartitionRecord[]): Promise<void> {
    const woken = new Set<number>();
    for (const record of records) {
      const p = record.partition;
      if (!Number.isInteger(p) || p < 0 || p >= this.partitions) throw new Error(`record for partition ${p}, but the log has partitions 0 to ${this.partitions - 1}`);
      this.#records[p]!.push({ position: this.#next[p]!++, record });
      woken.add(p);
    }
    for (const p of woken) for (const wake of this.#waiters[p]!.splice(0)) wake();
  }

  async read(partition: number, after: number, max: number, signal: AbortSignal): Promise<readonly PositionedRecord[] | undefined> {
    for (;;) {
      if (signal.aborted) return undefined;
      const list = this.#records[partition]!;
      let i = 0;
      while (i < list.length && list[i]!.position <= after) i++;
      if (i < list.length) return list.slice(i, i + max);
      await new Promise<void>((resolve) => {
        const waiters = this.#waiters[partition]!;
        const done = (): void => {
          signal.removeEventListener('abort', done);
          const i = waiters.indexOf(done);
          if (i >= 0) waiters.splice(i, 1);
          resolve();
        };
        waiters.push(done);
        signal.addEventListener('abort', done, { once: true });
      });
    }
  }

  async commit(partition: number, position: number): Promise<void> {
    const list = this.#records[partition]!;
    let i = 0;
    while (i < list.length && list[i]!.position <= position) i++;
    list.splice(0, i);
  }

  /** Records not yet committed, per partition. */
  depth(partition: number): number {
    return this.#records[partition]!.length;
  }
}

export class MemoryCheckpointStore implements CheckpointStore {
  readonly #saved = new Map<number, string>();
  saves = 0;

  async load(partition: number): Promise<string | undefined> {
    return this.#saved.get(partition);
  }

  async save(partition: number, checkpoint: string): Promise<void> {
    this.#saved.set(partition, checkpoint);
    this.saves++;
  }
}
