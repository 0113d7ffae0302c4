/**
 * The detect role with `scaleOut.detect` set: one of `workers` detect processes of partitioned
 * detection (docs/scaling.md, "Detection workers"). Each process runs two things:
 *
 * 1. The stateless stage on its share of the events: the events stream's partitions e with
 *    e mod workers = worker, each through its durable consumer `detect-p<e>` (so one host's
 *    events stay in order on one worker). Sigma matches that alert on their own go to the alert
 *    intake; matches that correlations and behaviour rules read go, as keyed inputs, to the
 *    detection partitions on JetStream (detect-partition-log.ts); intel and beacon detectors run
 *    here too. A batch is acknowledged on the events stream only once its inputs are stored
 *    and its alerts are in.
 * 2. A partition worker owning the detection partitions p with p mod workers = worker: it
 *    restores each partition's checkpoint from PostgreSQL, reads what follows, delivers what
 *    fires to the alert intake and saves checkpoints as it goes.
 *
 * Ownership is static, by worker number: no election, no lease. A worker that dies leaves its
 * partitions waiting until it is started again (by systemd, Kubernetes…), which resumes them
 * from their checkpoints; meanwhile their records wait in the stream. Two processes must never
 * run with the same number (that would apply a partition's records twice).
 *
 * Exactly once into alerts: every detection carries an id (partition detections: stream epoch,
 * partition, position, index; rule detections: tenant, event and rule), the intake records the
 * ids in the transaction that stores its alerts, and a detection whose id is recorded already is
 * dropped. So a restarted worker that delivers again what it had delivered after its last
 * checkpoint, or matches again events it had not acknowledged, raises nothing twice.
 */
import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import type { ScaleOutConfig } from '../../core/config.js';
import type { Event } from '../../core/event.js';
import type { AlertRecord } from '../../core/store.js';
import { JetStreamBus } from '../../bus/jetstream/jetstream-bus.js';
import { JetStreamPartitionLog } from '../../bus/jetstream/detect-partition-log.js';
import type { CheckpointStore, DetectionSink, IdentifiedDetection } from '../../detect/partition/partition-log.js';
import { PartitionWorker } from '../../detect/partition/partition-worker.js';
import { StatelessStage, type StatelessOutput } from '../../detect/partition/stateless-stage.js';
import type { Detection } from '../../detect/detection.js';
import type { PostgresStateStore } from '../../store/postgres/postgres-state-store.js';
import type { DetectionStack } from '../detection-stack.js';
import type { NatsLink } from './nats-connection.js';

type DetectSettings = NonNullable<ScaleOutConfig['detect']>;

export interface PartitionedDetectionOptions {
  readonly settings: DetectSettings;
  readonly nats: NatsLink;
  /** The events stream settings every role opens the bus with. */
  readonly stream: Parameters<typeof JetStreamBus.open>[0]['stream'];
  /** Event partitions of the events stream. */
  readonly eventPartitions: number;
  readonly replicas: number;
  readonly stack: DetectionStack;
  readonly state: PostgresStateStore;
  readonly batchSize: number;
  readonly metrics: Parameters<typeof JetStreamBus.open>[0]['metrics'];
  readonly busErrors: Counter<'consumer'>;
  readonly log: Logger;
  /** How long to wait at start for partitions still locked by a process that just died. Default 30 s. */
  readonly lockWaitMs?: number;
}

export interface PartitionedDetection {
  /** The events bus the stateless stage reads (for /healthz). */
  readonly bus: JetStreamBus;
  /** Detection partitions this process owns. */
  readonly partitions: readonly number[];
  readonly eventPartitions: readonly number[];
  stop(): Promise<void>;
}

/** Delivery ids are kept this long: a worker down for longer may raise a detection twice. */
const DELIVERY_IDS_KEPT_MS = 7 * 86_400_000;

/** Of `count` partitions, those worker `worker` of `workers` owns. */
export function ownedPartitions(count: number, workers: number, worker: number): number[] {
  return Array.from({ length: count }, (_, p) => p).filter((p) => p % workers === worker);
}

/**
 * Hands detections to the alert intake once per id: ids already recorded are dropped, the rest
 * are raised with their ids in the same transaction. Retries a failing store until it succeeds
 * or `signal` aborts (then it throws, and the caller keeps its input unacknowledged).
 */
export class AlertDelivery {
  /** Detections dropped because their id had been delivered before. */
  repeats = 0;
  /**
   * The intake decides in memory (open groups, budgets) and then writes: one call at a time,
   * as in the single-process pipeline, though every partition and the stateless stage deliver.
   */
  #turn: Promise<unknown> = Promise.resolve();
  constructor(
    private readonly stack: Pick<DetectionStack, 'intake' | 'switches' | 'sigma'>,
    private readonly state: Pick<PostgresStateStore, 'deliveredDetections'>,
    private readonly signal: AbortSignal,
    private readonly log: Logger,
  ) {}

  async deliver(detections: readonly { readonly id: string; readonly detection: Detection }[]): Promise<void> {
    if (detections.length === 0) return;
    await this.#retried(`store ${detections.length} detections`, () =>
      this.#inTurn(async () => {
        const known = await this.state.deliveredDetections(detections.map((d) => d.id));
        const fresh = detections.filter((d) => !known.has(d.id));
        this.repeats += detections.length - fresh.length;
        if (fresh.length === 0) return;
        const records: AlertRecord[] = fresh.map((d) => this.stack.sigma.alertOf(d.detection));
        const { kept } = this.stack.switches.filter(records);
        await this.stack.intake.raise(kept, fresh.map((d) => d.id));
      }),
    );
  }

  /** Alerts without an id (intel, beacons): raised as the single-process pipeline does. */
  async raise(records: readonly AlertRecord[]): Promise<void> {
    const { kept } = this.stack.switches.filter(records);
    if (kept.length === 0) return;
    await this.#retried(`store ${kept.length} alerts`, () => this.#inTurn(() => this.stack.intake.raise(kept)));
  }

  #inTurn<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#turn.then(task, task);
    this.#turn = run.catch(() => undefined);
    return run;
  }

  /** Until it succeeds or the process stops (then it throws: the caller keeps its input unacknowledged). */
  async #retried(what: string, task: () => Promise<void>): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await task();
        return;
      } catch (error) {
        if (this.signal.aborted) throw error;
        this.log.error({ err: error }, `cannot ${what} (attempt ${attempt + 1}); retrying`);
        await new Promise((r) => setTimeout(r, Math.min(5000, 200 * 2 ** Math.min(attempt, 10))));
      }
    }
  }
}

export async function startPartitionedDetection(options: PartitionedDetectionOptions): Promise<PartitionedDetection> {
  const { settings, nats, stack, state, log } = options;
  const stop = new AbortController();
  const cleanups: (() => Promise<void>)[] = [];
  const unwind = async () => {
    for (const c of cleanups.reverse()) await c().catch((e: unknown) => log.warn({ err: e }, 'error while stopping partitioned detection'));
  };
  try {
    const partitionLog = await JetStreamPartitionLog.open({ connection: nats.connection, stream: settings.stream, partitions: settings.partitions, replicas: options.replicas });
    cleanups.push(() => partitionLog.close());
    const ruleSet = stack.sigma.ruleSet;
    const stage = new StatelessStage(ruleSet, stack.sigma.logsources, settings.partitions);
    const delivery = new AlertDelivery(stack, state, stop.signal, log);
    const epoch = partitionLog.epoch;
    const sink: DetectionSink = {
      deliver: (detections: readonly IdentifiedDetection[]) => delivery.deliver(detections.map((d) => ({ id: `d:${epoch}:${d.id}`, detection: d.detection }))),
    };
    const checkpoints: CheckpointStore = {
      load: (p) => state.loadDetectCheckpoint(p),
      save: (p, checkpoint) => state.saveDetectCheckpoint(p, checkpoint),
    };
    const owned = ownedPartitions(settings.partitions, settings.workers, settings.worker);
    const eventPartitions = ownedPartitions(options.eventPartitions, settings.workers, settings.worker);
    // One owner per partition: a second process with this worker number does not start.
    const locks = await state.holdPartitions(
      [...owned.map((partition) => ({ kind: 'detection partition', partition })), ...eventPartitions.map((partition) => ({ kind: 'events partition', partition }))],
      options.lockWaitMs ?? 30_000,
    );
    cleanups.push(() => locks.release());
    const reassign = new Set<number>();
    const worker = new PartitionWorker({
      routes: stage.routes,
      log: partitionLog,
      checkpoints,
      sink,
      checkpointMs: settings.checkpointSeconds * 1000,
      // A partition that failed (NATS or PostgreSQL away beyond the retries) is taken up again
      // from its checkpoint: the records after it come again, the delivery ids drop repeats.
      onError: (p, error) => {
        if (stop.signal.aborted) return;
        options.busErrors.inc({ consumer: `detect-partition-${p}` });
        log.error({ err: error, partition: p }, 'detection partition stopped on an error; resuming it from its checkpoint');
        reassign.add(p);
      },
    });
    for (const p of owned) await worker.assign(p);
    cleanups.push(() => worker.close());
    const retry = setInterval(() => {
      for (const p of [...reassign]) {
        reassign.delete(p);
        void worker.assign(p).catch((error: unknown) => {
          log.error({ err: error, partition: p }, 'cannot resume detection partition; retrying');
          reassign.add(p);
        });
      }
    }, 2000);
    cleanups.push(async () => clearInterval(retry));
    // Delivery ids are needed only as long as a detection can come again (a worker's restart).
    const prune = setInterval(() => {
      void state.pruneDeliveries(Date.now() - DELIVERY_IDS_KEPT_MS).catch((e: unknown) => log.warn({ err: e }, 'cannot prune delivered detection ids; trying again in an hour'));
    }, 3_600_000);
    prune.unref();
    cleanups.push(async () => clearInterval(prune));

    const bus = await JetStreamBus.open({
      connection: nats.connection,
      stream: options.stream,
      consumer: { name: 'detect', partitions: eventPartitions },
      ...(options.metrics ? { metrics: options.metrics } : {}),
      onWarning: (m) => log.warn(m),
    });
    cleanups.push(() => bus.close());
    // Intel and beacons: per event or per host, so they run where the host's events are.
    const others = stack.detectors.filter((d) => d !== stack.sigma);
    const loop = eventPartitions.length === 0 ? Promise.resolve() : statelessLoop({ bus, stage, partitionLog, delivery, others, batchSize: options.batchSize, signal: stop.signal, log, busErrors: options.busErrors });
    cleanups.push(async () => {
      stop.abort();
      await loop;
    });
    log.info({ worker: settings.worker, workers: settings.workers, partitions: owned, eventPartitions }, 'partitioned detection running');
    return { bus, partitions: owned, eventPartitions, stop: unwind };
  } catch (error) {
    stop.abort();
    await unwind();
    throw error;
  }
}

interface LoopOptions {
  readonly bus: JetStreamBus;
  readonly stage: StatelessStage;
  readonly partitionLog: JetStreamPartitionLog;
  readonly delivery: AlertDelivery;
  readonly others: DetectionStack['detectors'];
  readonly batchSize: number;
  readonly signal: AbortSignal;
  readonly log: Logger;
  readonly busErrors: Counter<'consumer'>;
}

/**
 * Events in, inputs and alerts out, then the acknowledgement. After the inputs of a batch that
 * moved event time on come the marks (never before them: a partition must not close windows
 * ahead of inputs one process would have seen first), and before the acknowledgement: so when
 * this process restarts and its stage has forgotten its watermark, every partition already
 * holds the watermark of everything acknowledged, and the events read again close no window
 * later than one process would have.
 */
async function statelessLoop(o: LoopOptions): Promise<void> {
  let failures = 0;
  let marked = '';
  while (!o.signal.aborted) {
    try {
      const batch = await o.bus.pull(o.batchSize, o.signal);
      if (!batch) continue;
      const out: StatelessOutput = { detections: [], inputs: [] };
      for (const event of batch.events) o.stage.process(event, out);
      await o.partitionLog.append(out.inputs);
      const marks = o.stage.watermarkMarks();
      const now = marks.filter((m) => m.partition === 0).map((m) => `${m.tenant}=${m.watermark}`).join(',');
      if (now !== marked) {
        await o.partitionLog.append(marks);
        marked = now;
      }
      await o.delivery.deliver(out.detections.map((d) => ({ id: ruleDetectionId(d.event, d.rule.id), detection: d })));
      const other: AlertRecord[] = [];
      for (const detector of o.others) {
        try {
          other.push(...(await detector.detect(batch.events)));
        } catch (error) {
          o.log.error({ err: error }, `${detector.name} failed on a batch; passing the batch on without it`);
        }
      }
      if (other.length > 0) await o.delivery.raise(other);
      await o.bus.commit(batch.position);
      failures = 0;
    } catch (error) {
      if (o.signal.aborted) break;
      // What was not acknowledged comes again; inputs already stored are dropped by id.
      o.busErrors.inc({ consumer: 'detect' });
      o.log.error({ err: error }, `partitioned detection failed on a batch (attempt ${failures + 1}); retrying`);
      await new Promise((r) => setTimeout(r, Math.min(5000, 100 * 2 ** failures++)));
    }
  }
}

/** A rule detection's id: one per tenant, event and rule, however often the event is matched. */
function ruleDetectionId(event: Event, ruleId: string): string {
  return `r:${event.tenant}:${event.id}:${ruleId}`;
}

