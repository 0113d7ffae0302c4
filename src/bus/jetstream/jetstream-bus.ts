/**
 * The scale-out bus: NATS JetStream behind the same `Bus` seam as the embedded event log, so
 * ingest, storage and detection can run in different processes. Every event is one message on
 * `<prefix>.<tenant>.<partition>` (see event-subjects.ts) with its id as `Nats-Msg-Id`.
 *
 * - `publish` resolves once JetStream acknowledged every event: stored by the stream leader (one
 *   server) or by a quorum of replicas (a cluster). docs/scaling.md says what that does and does
 *   not survive on nats-server 2.9.
 * - `pull`/`commit` read one durable consumer (`store`, `detect`…), or one per partition for a
 *   partitioned reader; a position is a stream sequence and `commit` acknowledges every message
 *   of the batches up to it.
 * - `depth` is computed from cached consumer (or stream) state refreshed every second, never a
 *   request per call.
 * - Every reader records how far it has committed in a KV bucket (`<stream>_CONSUMED`), and every
 *   bus trims the stream every few seconds (`trimEveryMs`) up to what all declared consumers
 *   committed (`trimConsumed`): that is the stream's retention.
 *
 *   const bus = await JetStreamBus.open({ servers: ['nats://10.0.0.1:4222'], stream: { replicas: 3 }, consumer: { name: 'store' } });
 *   const worker = await JetStreamBus.open({ servers, stream, consumer: { name: 'detect', partitions: [3, 7] } });
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import type { Bus, BusBatch } from '../../core/bus.js';
import type { Event } from '../../core/event.js';
import { VigilError } from '../../core/errors.js';
import type { Metrics } from '../../core/metrics.js';
import { ConsumerReader, parsePosition, type ReaderStats } from './consumer-reader.js';
import { EventPublisher, type PublishStats } from './event-publisher.js';
import { DEFAULT_STREAM_SETTINGS, ensureEventStream, openConsumedFloors, partitionConsumerName, trimConsumed, type ConsumedFloor, type EventConsumerSpec, type EventStreamSettings } from './event-stream.js';
import { hostRoutingKey, type RoutingKey } from './event-subjects.js';

export interface JetStreamConsumerOptions {
  /** Durable consumer name: `store`, `detect`… */
  readonly name: string;
  /**
   * Read only these partitions (each through its own durable consumer `<name>-p<n>`), for a
   * worker that owns part of the key space. Absent: one consumer of every event.
   */
  readonly partitions?: readonly number[];
}

export interface JetStreamBusOptions {
  /** NATS server URLs (any of the cluster's servers); ignored when `connection` is given. */
  readonly servers?: string | readonly string[];
  /** An open connection to share (for example with the KV state); the bus does not close it. */
  readonly connection?: NatsConnection;
  /** Stream settings; the same for every process that opens the bus. */
  readonly stream?: Partial<EventStreamSettings>;
  /** The consumer this process reads as. Absent: the bus only publishes. */
  readonly consumer?: JetStreamConsumerOptions;
  /**
   * Positions the store has committed (its checkpoint; one per partition for a partitioned
   * reader): messages of an earlier reader at or below them are acknowledged, not handed out.
   */
  readonly from?: string | readonly string[] | undefined;
  /** What decides an event's partition; `host.name` by default. */
  readonly routingKey?: RoutingKey;
  /** Messages awaiting their JetStream acknowledgement at once (default 1024). */
  readonly maxInFlight?: number;
  /** Events in publish calls not yet acknowledged; past it, publishes are `overloaded` (default 50,000). */
  readonly maxQueuedEvents?: number;
  /** How long one message waits for its acknowledgement before it is sent again (default 2 s). */
  readonly ackTimeoutMs?: number;
  /**
   * How long a publish call may take, resends included, before it fails with a 503 (default
   * 10 s: longer than a stream leader election, shorter than a sender's request timeout).
   */
  readonly publishTimeoutMs?: number;
  /** Messages a reader asks the server for at once (default 1000). */
  readonly prefetch?: number;
  /**
   * Event ids a reader remembers to drop a second stored copy of an event (default 100,000,
   * about 10 MB). nats-server before 2.11 can store a publish retried across a leader change
   * twice despite `Nats-Msg-Id`; 0 turns this off.
   */
  readonly recentIds?: number;
  /** Lifetime of a reader's pull request; reading resumes within about this long after a consumer leader moves (default 10 s). */
  readonly pullExpiresMs?: number;
  /** After waiting for events, how long a pull lets more of the burst arrive (default 5 ms). */
  readonly lingerMs?: number;
  /** How often the cached depth is refreshed from the server (default 1 s). */
  readonly depthRefreshMs?: number;
  /**
   * How often this bus deletes from the stream what every declared consumer committed
   * (default 5 s; 0: never, another process does it). Until then such messages count towards
   * the stream's `maxBytes`.
   */
  readonly trimEveryMs?: number;
  readonly metrics?: Metrics;
  readonly onWarning?: (message: string) => void;
}

export interface JetStreamBusStats {
  readonly publish: PublishStats;
  /** Messages this bus deleted from the stream once every declared consumer had committed them. */
  readonly trimmed: number;
  readonly readers: Readonly<Record<string, ReaderStats>>;
}

export class JetStreamBus implements Bus {
  readonly settings: EventStreamSettings;
  private readonly nc: NatsConnection;
  private readonly ownsConnection: boolean;
  private readonly jsm: JetStreamManager;
  private readonly publisher: EventPublisher;
  private readonly readers: ConsumerReader[];
  private readonly byPartition = new Map<number | undefined, ConsumerReader>();
  private readonly options: JetStreamBusOptions;
  private readonly refresher: NodeJS.Timeout;
  private readonly trimmer: NodeJS.Timeout | undefined;
  private readonly floors: KV;
  private readonly epoch: string;
  /** Per reader, the floor last written to the consumed bucket. */
  private readonly written = new Map<ConsumerReader, number>();
  private trimming = false;
  private trimmed = 0;
  private nextReader = 0;
  private wake: (() => void) | undefined;
  private closed = false;
  /** For a bus that only publishes: the stream's retained messages, and what we stored since. */
  private streamSnapshot = { messages: 0, storedSince: 0 };

  private constructor(parts: {
    options: JetStreamBusOptions;
    settings: EventStreamSettings;
    nc: NatsConnection;
    ownsConnection: boolean;
    jsm: JetStreamManager;
    readers: ConsumerReader[];
    floors: KV;
    epoch: string;
  }) {
    this.options = parts.options;
    this.settings = parts.settings;
    this.nc = parts.nc;
    this.ownsConnection = parts.ownsConnection;
    this.jsm = parts.jsm;
    this.readers = parts.readers;
    this.floors = parts.floors;
    this.epoch = parts.epoch;
    for (const r of this.readers) this.byPartition.set(r.partition, r);
    const prefix = this.settings.subjectPrefix;
    this.publisher = new EventPublisher(parts.nc, {
      subjectPrefix: prefix,
      partitions: this.settings.partitions,
      routingKey: parts.options.routingKey ?? hostRoutingKey,
      maxInFlight: parts.options.maxInFlight ?? 1024,
      maxQueuedEvents: parts.options.maxQueuedEvents ?? 50_000,
      ackTimeoutMs: parts.options.ackTimeoutMs ?? 2000,
      publishTimeoutMs: parts.options.publishTimeoutMs ?? 10_000,
      // The subject and the Nats-Msg-Id header travel with the payload.
      maxMessageBytes: () => Math.min(this.settings.maxMessageBytes, this.nc.info?.max_payload ?? 1024 * 1024) - 512,
      onStored: (partition, sequence) => {
        this.streamSnapshot.storedSince++;
        (this.byPartition.get(undefined) ?? this.byPartition.get(partition))?.noteStored(sequence);
      },
    });
    this.refresher = setInterval(() => void this.refresh(), parts.options.depthRefreshMs ?? 1000);
    this.refresher.unref();
    const trimEvery = parts.options.trimEveryMs ?? 5000;
    if (trimEvery > 0) {
      this.trimmer = setInterval(() => void this.trim(), trimEvery);
      this.trimmer.unref();
    }
  }

  /** Connects, creates or checks the stream and its consumers, and starts the readers. */
  static async open(options: JetStreamBusOptions): Promise<JetStreamBus> {
    const settings = settingsFor(options);
    const warn = options.onWarning ?? (() => {});
    let nc = options.connection;
    const ownsConnection = nc === undefined;
    if (!nc) {
      const servers = typeof options.servers === 'string' ? [options.servers] : [...(options.servers ?? [])];
      if (servers.length === 0) throw new VigilError('config-invalid', 'the NATS bus needs at least one server URL', { where: 'bus.jetstream.servers' });
      try {
        // Never give up reconnecting: a NATS outage costs senders 503s, not the process.
        nc = await connect({ servers, name: `vigil-${options.consumer?.name ?? 'publisher'}`, maxReconnectAttempts: -1, reconnectTimeWait: 500 });
      } catch (error) {
        throw new VigilError('store-unavailable', `cannot reach NATS at ${servers.join(', ')}: ${(error as Error).message}; is nats-server running with JetStream (-js)?`, { cause: error });
      }
    }
    try {
      const jsm = await jetstreamManager(nc, { timeout: 5000 });
      const js = jetstream(nc, { timeout: 5000 });
      const info = await ensureEventStream(jsm, settings);
      const epoch = Date.parse(info.created).toString(36);
      const floors = await openConsumedFloors(js, settings);
      const from = fromPositions(options.from, epoch, warn);
      const readers: ConsumerReader[] = [];
      const bus = new JetStreamBus({ options, settings, nc, ownsConnection, jsm, readers, floors, epoch });
      if (options.consumer) {
        const partitions = options.consumer.partitions;
        const plan: { name: string; partition: number | undefined }[] = partitions === undefined
          ? [{ name: options.consumer.name, partition: undefined }]
          : partitions.map((p) => ({ name: partitionConsumerName(options.consumer!.name, p), partition: p }));
        for (const { name, partition } of plan) {
          const reader = new ConsumerReader({
            js, jsm, stream: settings.name, consumer: name, partition, epoch,
            from: from.get(partition),
            prefetch: Math.min(options.prefetch ?? 1000, settings.maxAckPending),
            pullExpiresMs: options.pullExpiresMs ?? 10_000,
            recentIds: options.recentIds ?? 100_000,
            ackWaitMs: settings.ackWaitMs,
            onReady: () => bus.wake?.(),
            onWarning: warn,
          });
          readers.push(reader);
          bus.byPartition.set(partition, reader);
        }
        for (const reader of readers) await reader.start();
      }
      await bus.refresh();
      return bus;
    } catch (error) {
      if (ownsConnection) await nc.close().catch(() => {});
      if (error instanceof VigilError) throw error;
      throw new VigilError('store-unavailable', `cannot set up the NATS event stream: ${(error as Error).message}`, { cause: error });
    }
  }

  publish(events: readonly Event[]): Promise<void> {
    return this.publisher.publish(events);
  }

  async pull(maxEvents: number, signal: AbortSignal): Promise<BusBatch | undefined> {
    if (this.readers.length === 0) throw new VigilError('internal', 'this NATS bus was opened without a consumer; it can only publish');
    let waited = false;
    while (!signal.aborted && !this.closed) {
      if (waited) {
        // Messages arrive one by one: after waking for the first, give the rest of its burst
        // a moment, so a quiet stream still makes batches rather than one event per store write.
        await new Promise((r) => setTimeout(r, this.options.lingerMs ?? 5));
        waited = false;
      }
      // Round robin, so a busy partition does not starve the others.
      for (let i = 0; i < this.readers.length; i++) {
        const reader = this.readers[(this.nextReader + i) % this.readers.length]!;
        if (!reader.hasReady()) continue;
        const batch = reader.take(maxEvents);
        if (!batch) continue;
        this.nextReader = (this.nextReader + i + 1) % this.readers.length;
        return batch;
      }
      await new Promise<void>((resolve) => {
        const done = () => {
          this.wake = undefined;
          signal.removeEventListener('abort', done);
          resolve();
        };
        this.wake = done;
        signal.addEventListener('abort', done, { once: true });
      });
      waited = true;
    }
    return undefined;
  }

  async commit(position: string): Promise<void> {
    const parsed = parsePosition(position);
    const reader = parsed && this.byPartition.get(parsed.partition);
    if (!parsed || !reader) throw new VigilError('internal', `not a position of this NATS bus reader: ${position}`);
    if (!reader.commit(position)) {
      this.options.onWarning?.(`NATS bus: position ${position} was already committed or never handed out; ignored`);
      return;
    }
    // The acks are fire-and-forget messages; a flush makes sure they left this process, so a
    // crash right after commit does not send the batch to the next reader again.
    await this.nc.flush().catch(() => {});
  }

  /**
   * Events not yet committed by this bus's consumer (or, for a bus that only publishes, kept by
   * the stream for some consumer). Cached: exact for what this process published and read,
   * within a second for what others did.
   */
  depth(): number {
    if (this.readers.length > 0) {
      let total = 0;
      for (const r of this.readers) total += r.depth();
      return total;
    }
    return this.streamSnapshot.messages + this.streamSnapshot.storedSince;
  }

  stats(): JetStreamBusStats {
    const readers: Record<string, ReaderStats> = {};
    for (const r of this.readers) readers[r.partition === undefined ? 'all' : `p${r.partition}`] = { ...r.stats };
    return { publish: { ...this.publisher.stats, failedCalls: { ...this.publisher.stats.failedCalls } }, trimmed: this.trimmed, readers };
  }

  /** The connection, for a caller that shares it (KV state, health checks). */
  get connection(): NatsConnection {
    return this.nc;
  }

  private refreshing = false;

  private async refresh(): Promise<void> {
    if (this.refreshing || this.closed) return;
    this.refreshing = true;
    try {
      if (this.readers.length > 0) {
        // The stream's end first: a reader that has everything up to it may say so.
        const streamLast = (await this.jsm.streams.info(this.settings.name)).state.last_seq;
        await Promise.all(this.readers.map((r) => r.refresh(streamLast)));
        await this.recordConsumed();
      } else {
        const storedBefore = this.streamSnapshot.storedSince;
        const info = await this.jsm.streams.info(this.settings.name);
        this.streamSnapshot = { messages: info.state.messages, storedSince: this.streamSnapshot.storedSince - storedBefore };
      }
      this.options.metrics?.queueDepth.set(this.depth());
    } catch {
      // A server or leader is away: keep the last figures; the next tick tries again.
    } finally {
      this.refreshing = false;
    }
    // A recovery that ended during the refresh may have made messages ready.
    if (this.readers.some((r) => r.hasReady())) this.wake?.();
  }

  /** Writes each reader's consumed floor to the bucket when it moved. */
  private async recordConsumed(): Promise<void> {
    for (const reader of this.readers) {
      const seq = reader.consumedThrough();
      if (seq === undefined || seq <= (this.written.get(reader) ?? -1)) continue;
      const floor: ConsumedFloor = { seq, epoch: this.epoch };
      await this.floors.put(reader.consumer, JSON.stringify(floor));
      this.written.set(reader, seq);
    }
  }

  /** Deletes what every declared consumer committed; resolves with how many messages went. */
  async trim(): Promise<number> {
    if (this.trimming || this.closed) return 0;
    this.trimming = true;
    try {
      const purged = await trimConsumed(this.jsm, this.floors, this.settings, this.epoch);
      this.trimmed += purged;
      return purged;
    } catch {
      // A server or leader is away, or a declared consumer is missing: nothing is deleted.
      return 0;
    } finally {
      this.trimming = false;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.refresher);
    clearInterval(this.trimmer);
    this.wake?.();
    await this.publisher.close();
    for (const r of this.readers) r.stopReading();
    if (this.readers.length > 0) {
      // The server must see the pull subscriptions gone before the NAKs make it resend.
      await this.nc.flush().catch(() => {});
      await Promise.all(this.readers.map((r) => r.handBack()));
    }
    if (this.ownsConnection) {
      await this.nc.drain().catch(() => this.nc.close());
    } else {
      await this.nc.flush().catch(() => {});
    }
  }
}

function settingsFor(options: JetStreamBusOptions): EventStreamSettings {
  const settings: EventStreamSettings = { ...DEFAULT_STREAM_SETTINGS, ...options.stream };
  const consumer = options.consumer;
  if (!consumer) return settings;
  const partitioned = consumer.partitions !== undefined;
  for (const p of consumer.partitions ?? []) {
    if (!Number.isInteger(p) || p < 0 || p >= settings.partitions) {
      throw new VigilError('config-invalid', `partition ${p} does not exist: the stream has partitions 0 to ${settings.partitions - 1}`, { where: 'bus.jetstream.consumer.partitions' });
    }
  }
  const declared = settings.consumers.find((c) => c.name === consumer.name);
  if (declared && (declared.partitioned ?? false) !== partitioned) {
    throw new VigilError('config-invalid', `consumer ${consumer.name} is declared ${declared.partitioned ? 'partitioned' : 'not partitioned'}; read it ${declared.partitioned ? 'with' : 'without'} partitions`, { where: 'bus.jetstream.consumer' });
  }
  if (declared) return settings;
  const added: EventConsumerSpec = partitioned ? { name: consumer.name, partitioned: true } : { name: consumer.name };
  return { ...settings, consumers: [...settings.consumers, added] };
}

/** The committed sequence per partition (undefined: the all-events consumer) for this stream. */
function fromPositions(from: string | readonly string[] | undefined, epoch: string, warn: (m: string) => void): Map<number | undefined, number> {
  const result = new Map<number | undefined, number>();
  for (const position of from === undefined ? [] : typeof from === 'string' ? [from] : from) {
    const parsed = parsePosition(position);
    if (!parsed) throw new VigilError('internal', `the stored checkpoint "${position}" is not a NATS bus position; was it written by the embedded event log?`);
    if (parsed.epoch !== epoch) {
      // The stream was deleted and created again: its sequences started over.
      warn(`the stored checkpoint ${position} belongs to an earlier incarnation of the NATS stream; ignored`);
      continue;
    }
    result.set(parsed.partition, Math.max(result.get(parsed.partition) ?? 0, parsed.sequence));
  }
  return result;
}

