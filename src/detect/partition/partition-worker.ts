/**
 * A stateful detection worker: owns some partitions, and for each reads its records in order,
 * applies them to the partition's state, delivers what fires, and now and then saves a
 * checkpoint and commits the log up to it.
 *
 * Order of effects per batch: deliver detections, then save the checkpoint, then commit. A
 * worker that dies anywhere in between restarts (here or on another worker) from the last
 * saved checkpoint; the log re-delivers what follows it, the state skips what the checkpoint
 * already covers, and detections delivered before the death come again under the same ids,
 * which the sink drops. No input is applied twice and no detection is lost.
 *
 * Rebalancing: `revoke(p)` stops the partition after the batch in hand and saves its
 * checkpoint; the worker that gets it next calls `assign(p)`, which restores that checkpoint
 * before reading. A partition must be owned by one worker at a time (the coordinator, e.g.
 * JetStream's single active consumer per partition, ensures it).
 */
import type { InputRoutes } from './input-routes.js';
import type { CheckpointStore, DetectionSink, IdentifiedDetection, PartitionLog } from './partition-log.js';
import { PartitionState, type PartitionStateOptions } from './partition-state.js';

export interface PartitionWorkerOptions {
  readonly routes: InputRoutes;
  readonly log: PartitionLog;
  readonly checkpoints: CheckpointStore;
  readonly sink: DetectionSink;
  /** Records read per batch. Default 500. */
  readonly batch?: number;
  /** Save a checkpoint once this many records were applied since the last. Default 10,000. */
  readonly checkpointRecords?: number;
  /** …or once this long has passed with anything applied. Default 5,000 ms. */
  readonly checkpointMs?: number;
  readonly state?: PartitionStateOptions;
  /** A partition stopped on an error (its sink or store failed): it is no longer owned. */
  readonly onError?: (partition: number, error: unknown) => void;
}

interface Owned {
  readonly state: PartitionState;
  readonly stop: AbortController;
  loop: Promise<void>;
  applied: number;
  savedAt: number;
}

export class PartitionWorker {
  readonly #owned = new Map<number, Owned>();

  constructor(private readonly options: PartitionWorkerOptions) {}

  /** Partitions owned now. */
  get partitions(): number[] {
    return [...this.#owned.keys()].sort((a, b) => a - b);
  }

  /** Position of the last record applied to an owned partition. */
  position(partition: number): number | undefined {
    return this.#owned.get(partition)?.state.position;
  }

  /** Takes a partition over: restores its last checkpoint, then reads what follows. */
  async assign(partition: number): Promise<void> {
    if (this.#owned.has(partition)) return;
    const { routes, log, checkpoints } = this.options;
    if (!Number.isInteger(partition) || partition < 0 || partition >= log.partitions) throw new Error(`partition ${partition} does not exist: the log has partitions 0 to ${log.partitions - 1}`);
    const saved = await checkpoints.load(partition);
    const state = saved === undefined ? new PartitionState(routes, partition, log.partitions, this.options.state) : PartitionState.restore(routes, saved, this.options.state);
    if (state.partitions !== log.partitions || state.partition !== partition) {
      throw new Error(
        `the checkpoint of detection partition ${partition} was written for partition ${state.partition} of ${state.partitions}, but the log has ${log.partitions} partitions: ` +
          'the partition count is fixed once state exists; keep it, or clear the detection checkpoints to start windows and baselines afresh',
      );
    }
    const owned: Owned = { state, stop: new AbortController(), loop: Promise.resolve(), applied: 0, savedAt: Date.now() };
    this.#owned.set(partition, owned);
    owned.loop = this.#run(partition, owned).catch((error: unknown) => {
      this.#owned.delete(partition);
      this.options.onError?.(partition, error);
    });
  }

  /** Gives a partition up: stops after the batch in hand and saves its checkpoint. */
  async revoke(partition: number): Promise<void> {
    const owned = this.#owned.get(partition);
    if (!owned) return;
    owned.stop.abort();
    await owned.loop;
    if (this.#owned.get(partition) !== owned) return; // it failed on the way: nothing safe to save
    this.#owned.delete(partition);
    await this.#checkpoint(partition, owned);
  }

  /** Gives every partition up (shutdown). */
  async close(): Promise<void> {
    await Promise.all(this.partitions.map((p) => this.revoke(p)));
  }

  async #run(partition: number, owned: Owned): Promise<void> {
    const { log, sink } = this.options;
    const max = this.options.batch ?? 500;
    const everyRecords = this.options.checkpointRecords ?? 10_000;
    const everyMs = this.options.checkpointMs ?? 5000;
    while (!owned.stop.signal.aborted) {
      // Wake up at least every checkpointMs, so a quiet partition still saves what it applied.
      const batch = await log.read(partition, owned.state.position, max, AbortSignal.any([owned.stop.signal, AbortSignal.timeout(everyMs)]));
      if (batch && batch.length > 0) {
        const out: IdentifiedDetection[] = [];
        for (const { position, record } of batch) {
          const before = owned.state.position;
          const detections = owned.state.apply(position, record);
          if (owned.state.position !== before) owned.applied++;
          for (let i = 0; i < detections.length; i++) out.push({ id: `${partition}:${position}:${i}`, detection: detections[i]! });
        }
        if (out.length > 0) await sink.deliver(out);
      }
      if (owned.stop.signal.aborted) break;
      if (owned.applied >= everyRecords || (owned.applied > 0 && Date.now() - owned.savedAt >= everyMs)) await this.#checkpoint(partition, owned);
    }
  }

  async #checkpoint(partition: number, owned: Owned): Promise<void> {
    if (owned.applied === 0) return;
    await this.options.checkpoints.save(partition, owned.state.encodeCheckpoint());
    await this.options.log.commit(partition, owned.state.position);
    owned.applied = 0;
    owned.savedAt = Date.now();
  }
}
