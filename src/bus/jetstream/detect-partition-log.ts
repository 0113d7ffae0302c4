/**
 * The partition log of partitioned detection (src/detect/partition/partition-log.ts) on NATS
 * JetStream: what the stateless stage of every detect worker sends to the partitions that hold
 * correlation windows and behaviour baselines (docs/scaling.md, "Detection workers").
 *
 * - One stream (`VIGIL_DETECT` by default), one subject per partition, `vigil.detect.<p>`.
 *   JetStream stores the messages of one subject in the order they arrived, and one connection
 *   delivers its publishes in order, so the records one stateless worker appends reach each
 *   partition in its order (the guarantee the seam asks for).
 * - A record's position is its stream sequence: strictly increasing within a partition, with
 *   gaps (the other partitions' messages).
 * - Reading is an ordered consumer (ephemeral, no acks, filtered on the partition's subject)
 *   started right after the position the reader asks for. The position to resume from lives
 *   in the partition's checkpoint, not in a durable consumer: a worker that restores a
 *   checkpoint simply reads from there, and no consumer state has to agree with it.
 * - Retention is by limits, and `commit` purges the partition's subject below the committed
 *   position (a checkpoint covers it). `discard: new` at `maxBytes`: when partitions stop being
 *   read for that long, appending fails and the stateless stage retries its batch (its events
 *   stay unacknowledged on the events stream) instead of records being dropped.
 * - An input is published with a `Nats-Msg-Id` made of its event, target and rule: a stateless
 *   worker that restarts and matches the same events again (they were not acknowledged on the
 *   events stream yet) appends nothing twice within the duplicate window (2 minutes). Marks
 *   carry none: a repeated watermark or flush changes nothing.
 */
import { jetstream, jetstreamManager, DeliverPolicy, DiscardPolicy, RetentionPolicy, StorageType, type Consumer, type JetStreamClient, type JetStreamManager, type StreamConfig } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { VigilError } from '../../core/errors.js';
import type { PartitionRecord } from '../../detect/partition/keyed-input.js';
import { decodePartitionData, encodePartitionData } from '../../detect/partition/partition-codec.js';
import type { PartitionLog, PositionedRecord } from '../../detect/partition/partition-log.js';

export interface DetectPartitionLogOptions {
  readonly connection: NatsConnection;
  /** Stream name. Default `VIGIL_DETECT`. */
  readonly stream?: string;
  /** Subjects `<prefix>.<partition>`. Default `vigil.detect`. */
  readonly subjectPrefix?: string;
  /** Fixed once the stream exists (recorded in its description). */
  readonly partitions: number;
  /** 1 on one server, 3 in a cluster. Default 1. */
  readonly replicas?: number;
  /** Backlog of uncommitted records kept; past it appends are refused. Default 1 GiB. */
  readonly maxBytes?: number;
  /** A re-sent input with the same id within this window is stored once. Default 2 minutes. */
  readonly duplicateWindowMs?: number;
  /** How long one append waits for JetStream's acknowledgements. Default 10 s. */
  readonly publishTimeoutMs?: number;
  /** Messages published before waiting for their acknowledgements. Default 512. */
  readonly pipeline?: number;
}

const NANOS_PER_MS = 1_000_000;
const STREAM_NOT_FOUND = 10059;
const DESCRIPTION = /partitions=(\d+)/;

interface Cursor {
  readonly consumer: Consumer;
  /** Position of the last record handed out (or the one reading started after). */
  handedUpTo: number;
}

/** The `Nats-Msg-Id` of a record: inputs only, by what makes them unique in the stream of events. */
export function recordMessageId(record: PartitionRecord): string | undefined {
  if (record.kind !== 'input') return undefined;
  return `${record.tenant}|${record.eventId}|${record.target}|${record.rule.id}|${record.rule.name ?? ''}`;
}

export class JetStreamPartitionLog implements PartitionLog {
  readonly #cursors = new Map<number, Cursor>();
  readonly #subject: (partition: number) => string;
  #closed = false;
  /** Inputs JetStream recognised as re-sent (stored before, dropped by id). */
  duplicates = 0;

  private constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    readonly stream: string,
    readonly subjectPrefix: string,
    readonly partitions: number,
    /** The stream's creation time (base 36): positions of a re-created stream start over, ids must not. */
    readonly epoch: string,
    private readonly options: DetectPartitionLogOptions,
  ) {
    this.#subject = (p) => `${subjectPrefix}.${p}`;
  }

  /** Creates the stream, or checks that the existing one has this partition count. */
  static async open(options: DetectPartitionLogOptions): Promise<JetStreamPartitionLog> {
    const stream = options.stream ?? 'VIGIL_DETECT';
    const prefix = options.subjectPrefix ?? 'vigil.detect';
    const partitions = options.partitions;
    const where = 'vigil.yaml: scaleOut.detect.partitions';
    if (!Number.isInteger(partitions) || partitions < 1 || partitions > 1024) throw new VigilError('config-invalid', `detection partitions must be a whole number from 1 to 1024, not ${partitions}`, { where });
    const jsm = await jetstreamManager(options.connection);
    const wanted: Partial<StreamConfig> & { name: string } = {
      name: stream,
      description: `Vigil detection partitions: ${prefix}.<partition>; partitions=${partitions}`,
      subjects: [`${prefix}.*`],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      num_replicas: options.replicas ?? 1,
      discard: DiscardPolicy.New,
      max_bytes: options.maxBytes ?? 1024 ** 3,
      duplicate_window: (options.duplicateWindowMs ?? 120_000) * NANOS_PER_MS,
    };
    let info;
    try {
      info = await jsm.streams.info(stream);
    } catch (error) {
      if ((error as { code?: unknown }).code !== STREAM_NOT_FOUND) throw error;
      try {
        info = await jsm.streams.add(wanted);
      } catch (addError) {
        // Another worker created it between our look and our add: use theirs, checked below.
        info = await jsm.streams.info(stream).catch(() => {
          throw addError;
        });
      }
    }
    const existing = Number(DESCRIPTION.exec(info.config.description ?? '')?.[1]);
    if (existing !== partitions) {
      throw new VigilError(
        'config-invalid',
        `the detection stream ${stream} holds ${Number.isNaN(existing) ? 'an unknown number of' : existing} partitions, the configuration asks for ${partitions}: ` +
          'windows and baselines are spread by the partition count, which cannot change while state exists (configure the old count, or stop every detect worker, delete the stream and the detect_checkpoints rows to start afresh)',
        { where },
      );
    }
    if (info.config.retention !== RetentionPolicy.Limits || !info.config.subjects.includes(`${prefix}.*`)) {
      throw new VigilError('config-invalid', `the stream ${stream} exists with other subjects or retention (${info.config.subjects.join(' ')}, ${info.config.retention}); Vigil needs ${prefix}.* with limits retention: use another name or delete it`, {
        where: `nats stream ${stream}`,
      });
    }
    return new JetStreamPartitionLog(jetstream(options.connection), jsm, stream, prefix, partitions, Date.parse(info.created).toString(36), options);
  }

  async append(records: readonly PartitionRecord[]): Promise<void> {
    if (this.#closed) throw new VigilError('overloaded', 'the detection partition log is closing');
    const timeout = this.options.publishTimeoutMs ?? 10_000;
    const window = this.options.pipeline ?? 512;
    for (let at = 0; at < records.length; at += window) {
      // Issued one after another without waiting, so they leave on the connection in this
      // order and each partition's subject stores them in it; then all acknowledgements.
      const acks = records.slice(at, at + window).map((record) => {
        if (!Number.isInteger(record.partition) || record.partition < 0 || record.partition >= this.partitions) {
          return Promise.reject(new Error(`record for partition ${record.partition}, but the log has partitions 0 to ${this.partitions - 1}`));
        }
        const id = recordMessageId(record);
        return this.js.publish(this.#subject(record.partition), encodePartitionData(record), { timeout, ...(id === undefined ? {} : { msgID: id }) });
      });
      const settled = await Promise.allSettled(acks);
      for (const s of settled) {
        if (s.status === 'rejected') {
          throw new VigilError('store-unavailable', `JetStream did not store detection inputs (stream ${this.stream}): ${(s.reason as Error)?.message ?? String(s.reason)}; the events are retried`, { cause: s.reason });
        }
        if (s.value.duplicate) this.duplicates++;
      }
    }
  }

  async read(partition: number, after: number, max: number, signal: AbortSignal): Promise<readonly PositionedRecord[] | undefined> {
    let cursor = this.#cursors.get(partition);
    if (!cursor || cursor.handedUpTo !== after) {
      // Started anew after a restore (or the first read): from right after the checkpoint.
      if (cursor) await cursor.consumer.delete().catch(() => undefined);
      const consumer = await this.js.consumers.get(this.stream, {
        filter_subjects: this.#subject(partition),
        deliver_policy: DeliverPolicy.StartSequence,
        opt_start_seq: after + 1,
      });
      cursor = { consumer, handedUpTo: after };
      this.#cursors.set(partition, cursor);
    }
    while (!signal.aborted && !this.#closed) {
      const messages = await cursor.consumer.fetch({ max_messages: max, expires: 1000 });
      const out: PositionedRecord[] = [];
      const stop = (): void => void messages.stop();
      signal.addEventListener('abort', stop, { once: true });
      try {
        for await (const m of messages) {
          if (m.seq <= cursor.handedUpTo) continue;
          out.push({ position: m.seq, record: decodePartitionData<PartitionRecord>(m.string()) });
        }
      } finally {
        signal.removeEventListener('abort', stop);
      }
      if (out.length > 0) {
        cursor.handedUpTo = out.at(-1)!.position;
        return out;
      }
    }
    return undefined;
  }

  async commit(partition: number, position: number): Promise<void> {
    // Everything of the partition below the next record: the checkpoint covers it.
    await this.jsm.streams.purge(this.stream, { filter: this.#subject(partition), seq: position + 1 });
  }

  /** Records of a partition not yet purged (what a restart would read again at most). */
  async depth(partition: number): Promise<number> {
    const info = await this.jsm.streams.info(this.stream, { subjects_filter: this.#subject(partition) });
    return info.state.subjects?.[this.#subject(partition)] ?? 0;
  }

  /** Stops the readers; the stream stays. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const cursor of this.#cursors.values()) await cursor.consumer.delete().catch(() => undefined);
    this.#cursors.clear();
  }
}

