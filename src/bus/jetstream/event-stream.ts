/**
 * The JetStream stream that carries events, and the durable consumers that read it. Every
 * process that opens the bus runs `ensureEventStream` with the same settings, so whichever role
 * starts first creates the stream and every declared consumer, and the others find them.
 *
 * Why these settings (docs/scaling.md, "NATS JetStream bus", has the long form):
 * - file storage, `replicas` 1 on one server and 3 in a cluster: a publish is acknowledged once
 *   the stream leader (R1) or a quorum of replicas (R3) has written it; nats-server 2.9 cannot
 *   be told to fsync before that acknowledgement.
 * - limits retention, trimmed by the bus (`trimConsumed`) up to the lowest floor the declared
 *   consumers' readers recorded: a message goes once every declared consumer committed it and
 *   everything before it. Not interest retention, because nats-server 2.9 acknowledges a publish
 *   to an interest stream that has no consumers at that moment without storing it, and while it
 *   shuts down (SIGTERM) it stops the consumers before the stream: every publish acknowledged in
 *   that window (tens of milliseconds, hundreds of events) was lost (docs/scaling.md, "What an
 *   acknowledgement means on nats-server 2.9").
 * - discard new with `maxBytes`: when the consumers fall that far behind, publishing is refused
 *   (ingest answers 503) instead of silently dropping the oldest events.
 * - the duplicate window: a sender that retries a batch after a timeout within the window is
 *   de-duplicated by event id (`Nats-Msg-Id`).
 */
import { AckPolicy, DeliverPolicy, DiscardPolicy, RetentionPolicy, StorageType, type ConsumerConfig, type JetStreamClient, type JetStreamManager, type StreamConfig, type StreamInfo } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { VigilError } from '../../core/errors.js';
import { checkPartitionCount, checkSubjectPrefix, DEFAULT_PARTITIONS, DEFAULT_SUBJECT_PREFIX, isSubjectToken, partitionFilter, streamSubjects } from './event-subjects.js';

export interface EventConsumerSpec {
  /** Durable name, e.g. `store` or `detect`. */
  readonly name: string;
  /** One durable consumer per partition (`detect-p0`, `detect-p1`…) instead of one for all. */
  readonly partitioned?: boolean;
}

export interface EventStreamSettings {
  readonly name: string;
  readonly subjectPrefix: string;
  /** Fixed once the stream exists. */
  readonly partitions: number;
  /** 1 for a single server; 3 for a cluster (tolerates one server down). */
  readonly replicas: number;
  /** Backlog cap: past it, publishing is refused (503) until consumers catch up. */
  readonly maxBytes: number;
  /** Largest message (one event as JSON); must not exceed the servers' `max_payload`. */
  readonly maxMessageBytes: number;
  /** Retried publishes of the same event id within this window are stored once. */
  readonly duplicateWindowMs: number;
  /**
   * Every consumer that must see every event; created with the stream. The stream keeps a
   * message until all of them committed it (see `trimConsumed`).
   */
  readonly consumers: readonly EventConsumerSpec[];
  /** An unacknowledged delivery is sent again after this long (the bus keeps its own alive). */
  readonly ackWaitMs: number;
  /** Deliveries a consumer may hold unacknowledged: bounds a reader's memory. */
  readonly maxAckPending: number;
}

export const DEFAULT_STREAM_SETTINGS: EventStreamSettings = {
  name: 'VIGIL_EVENTS',
  subjectPrefix: DEFAULT_SUBJECT_PREFIX,
  partitions: DEFAULT_PARTITIONS,
  replicas: 1,
  maxBytes: 8 * 1024 ** 3,
  maxMessageBytes: 8 * 1024 ** 2,
  // nats-server's own default. The server keeps every id of the window in memory (about 100
  // bytes each): 2 minutes at 20,000 events/s is 2.4 million ids, about 250 MB per replica.
  duplicateWindowMs: 120_000,
  consumers: [{ name: 'store' }],
  ackWaitMs: 10_000,
  maxAckPending: 10_000,
};

const NANOS_PER_MS = 1_000_000;

/** Durable names of a declared consumer: itself, or one per partition. */
export function consumerNames(spec: EventConsumerSpec, partitions: number): string[] {
  return spec.partitioned ? Array.from({ length: partitions }, (_, p) => partitionConsumerName(spec.name, p)) : [spec.name];
}

export function partitionConsumerName(name: string, partition: number): string {
  return `${name}-p${partition}`;
}

const DESCRIPTION = /partitions=(\d+)/;

function describe(settings: EventStreamSettings): string {
  return `Vigil events: ${settings.subjectPrefix}.<tenant>.<partition>; partitions=${settings.partitions}`;
}

export function checkStreamSettings(settings: EventStreamSettings): void {
  const where = 'bus.jetstream';
  if (!isSubjectToken(settings.name)) throw new VigilError('config-invalid', `stream name "${settings.name}" may hold only letters, digits, _ and -`, { where: `${where}.stream` });
  checkSubjectPrefix(settings.subjectPrefix, `${where}.subjectPrefix`);
  checkPartitionCount(settings.partitions, `${where}.partitions`);
  if (![1, 3, 5].includes(settings.replicas)) {
    throw new VigilError('config-invalid', `replicas must be 1 (one server), 3 or 5 (a cluster), not ${settings.replicas}`, { where: `${where}.replicas` });
  }
  for (const c of settings.consumers) {
    const longest = c.partitioned ? partitionConsumerName(c.name, settings.partitions - 1) : c.name;
    if (!isSubjectToken(longest)) throw new VigilError('config-invalid', `consumer name "${c.name}" may hold only letters, digits, _ and -`, { where: `${where}.consumers` });
  }
  if (settings.ackWaitMs < 1000) throw new VigilError('config-invalid', 'ackWaitMs must be at least 1000', { where: `${where}.ackWaitMs` });
}

function streamConfig(settings: EventStreamSettings): Partial<StreamConfig> & { name: string } {
  return {
    name: settings.name,
    description: describe(settings),
    subjects: [streamSubjects(settings.subjectPrefix)],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    num_replicas: settings.replicas,
    discard: DiscardPolicy.New,
    max_bytes: settings.maxBytes,
    max_msg_size: settings.maxMessageBytes,
    duplicate_window: settings.duplicateWindowMs * NANOS_PER_MS,
  };
}

function consumerConfig(settings: EventStreamSettings, name: string, partition: number | undefined): Partial<ConsumerConfig> {
  return {
    durable_name: name,
    description: partition === undefined ? 'Vigil: every event' : `Vigil: partition ${partition} of every tenant`,
    // Explicit, not AckAll: after a crash the server sends the old reader's unacknowledged
    // messages again only after ack_wait, by which time the new reader has newer ones; an
    // AckAll on a newer one would acknowledge the old ones unprocessed.
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: settings.ackWaitMs * NANOS_PER_MS,
    max_ack_pending: settings.maxAckPending,
    max_deliver: -1,
    ...(partition === undefined ? {} : { filter_subject: partitionFilter(settings.subjectPrefix, partition) }),
  };
}

function isNotFound(error: unknown, code: number): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}

const STREAM_NOT_FOUND = 10059;
const CONSUMER_NOT_FOUND = 10014;

/**
 * Creates the stream and the declared consumers, or checks the existing ones against the
 * settings. What JetStream can change in place (replicas, limits, window) is updated; what it
 * cannot (subjects, retention, storage, partition count) is refused with a message to act on.
 */
export async function ensureEventStream(jsm: JetStreamManager, settings: EventStreamSettings): Promise<StreamInfo> {
  checkStreamSettings(settings);
  const wanted = streamConfig(settings);
  let info: StreamInfo;
  try {
    info = await jsm.streams.info(settings.name);
  } catch (error) {
    if (!isNotFound(error, STREAM_NOT_FOUND)) throw error;
    try {
      info = await jsm.streams.add(wanted);
    } catch (addError) {
      // Another process created it between our look and our add: use theirs, checked below.
      info = await jsm.streams.info(settings.name).catch(() => {
        throw addError;
      });
    }
  }
  const where = `nats stream ${settings.name}`;
  const have = info.config;
  const existingPartitions = Number(DESCRIPTION.exec(have.description ?? '')?.[1]);
  if (existingPartitions !== settings.partitions) {
    throw new VigilError('config-invalid', `the stream holds ${Number.isNaN(existingPartitions) ? 'an unknown number of' : existingPartitions} partitions, the configuration asks for ${settings.partitions}: the partition count cannot change on a live stream (configure ${existingPartitions}, or drain and delete the stream)`, { where });
  }
  if (have.retention === RetentionPolicy.Interest && have.storage === StorageType.File && have.subjects.includes(wanted.subjects![0]!)) {
    // Retention cannot change in place. An interest stream loses acknowledged events on a
    // restart of nats-server 2.9 (see the top of this file), so it is not used as it is.
    throw new VigilError('config-invalid', `the stream was created by an earlier Vigil with interest retention, which nats-server 2.9 can lose acknowledged events with when it restarts; Vigil now needs limits retention (it deletes what every consumer committed itself). Stop ingest, let the store and detect roles read the stream empty (vigil_queue_depth 0), delete it (nats stream rm ${settings.name}) and start again: it is created anew`, { where });
  }
  if (have.retention !== RetentionPolicy.Limits || have.storage !== StorageType.File || !have.subjects.includes(wanted.subjects![0]!)) {
    throw new VigilError('config-invalid', `the stream exists with other subjects, retention or storage (${have.subjects.join(' ')}, ${have.retention}, ${have.storage}); Vigil needs ${wanted.subjects![0]}, limits, file: use another stream name or delete this one`, { where });
  }
  if (
    have.num_replicas !== settings.replicas ||
    have.max_bytes !== settings.maxBytes ||
    have.max_msg_size !== settings.maxMessageBytes ||
    have.duplicate_window !== wanted.duplicate_window ||
    have.discard !== DiscardPolicy.New
  ) {
    info = await jsm.streams.update(settings.name, {
      ...have,
      num_replicas: settings.replicas,
      max_bytes: settings.maxBytes,
      max_msg_size: settings.maxMessageBytes,
      duplicate_window: wanted.duplicate_window!,
      discard: DiscardPolicy.New,
    });
  }
  for (const spec of settings.consumers) {
    const names = consumerNames(spec, settings.partitions);
    for (const [i, name] of names.entries()) await ensureConsumer(jsm, settings, name, spec.partitioned ? i : undefined);
  }
  return info;
}

async function ensureConsumer(jsm: JetStreamManager, settings: EventStreamSettings, name: string, partition: number | undefined): Promise<void> {
  const wanted = consumerConfig(settings, name, partition);
  try {
    const info = await jsm.consumers.info(settings.name, name);
    const filter = info.config.filter_subject ?? '';
    if (filter !== (wanted.filter_subject ?? '') || info.config.ack_policy !== AckPolicy.Explicit) {
      throw new VigilError('config-invalid', `consumer ${name} exists with filter "${filter}" and ack policy ${info.config.ack_policy}; Vigil needs "${wanted.filter_subject ?? ''}" and explicit acks: delete the consumer (its position is lost) or use another name`, { where: `nats stream ${settings.name}` });
    }
    if (info.config.ack_wait !== wanted.ack_wait || info.config.max_ack_pending !== wanted.max_ack_pending) {
      await jsm.consumers.update(settings.name, name, { ack_wait: wanted.ack_wait!, max_ack_pending: wanted.max_ack_pending! });
    }
  } catch (error) {
    if (!isNotFound(error, CONSUMER_NOT_FOUND)) throw error;
    await jsm.consumers.add(settings.name, wanted);
  }
}

/** The KV bucket where each declared consumer's reader records how far it has committed. */
export function consumedBucketName(settings: EventStreamSettings): string {
  return `${settings.name}_CONSUMED`;
}

/** What a reader records: every message on its filter up to `seq` is committed; `epoch` names the stream incarnation. */
export interface ConsumedFloor {
  readonly seq: number;
  readonly epoch: string;
}

/** The bucket of consumed floors, created with the stream's replicas if it does not exist. */
export async function openConsumedFloors(js: JetStreamClient, settings: EventStreamSettings): Promise<KV> {
  return new Kvm(js).create(consumedBucketName(settings), { history: 1, replicas: settings.replicas, storage: StorageType.File });
}

/**
 * Deletes what every declared consumer has committed: the messages up to the lowest floor its
 * reader recorded in the consumed bucket. This is the stream's retention; limits retention keeps
 * everything else, so a consumer whose reader is away, or whose server forgot what it had sent
 * (see consumer-reader.ts), still finds its messages in the stream. Not the consumers' own
 * acknowledgement floors: after a restart, nats-server 2.9.10 kept a consumer's floor where it
 * was (and messages listed as awaiting an acknowledgement that had been acknowledged) for as
 * long as new deliveries kept coming, so the stream would have filled up.
 *
 * Any process may run it at any time: a purge below a floor is idempotent and floors only grow.
 * A declared consumer without a floor for this stream incarnation (its reader never ran, or not
 * since the stream was created) stops the trimming: the stream then fills, and publishing is
 * refused with 503, as with a consumer that does not read. Returns the messages deleted.
 */
export async function trimConsumed(jsm: JetStreamManager, floors: KV, settings: EventStreamSettings, epoch: string): Promise<number> {
  let floor = Number.POSITIVE_INFINITY;
  for (const spec of settings.consumers) {
    for (const name of consumerNames(spec, settings.partitions)) {
      const entry = await floors.get(name);
      if (!entry || entry.operation !== 'PUT') return 0;
      const recorded = entry.json<ConsumedFloor>();
      if (recorded.epoch !== epoch || !Number.isSafeInteger(recorded.seq)) return 0;
      floor = Math.min(floor, recorded.seq);
    }
  }
  if (!Number.isFinite(floor) || floor <= 0) return 0;
  // Purge with `seq` deletes the messages below it.
  const result = await jsm.streams.purge(settings.name, { seq: floor + 1 });
  return result.purged;
}
