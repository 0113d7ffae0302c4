/**
 * The composition of the event path: sources submit to the bus (durable on return), and one
 * consumer pulls batches, enriches them, runs detection, and commits events plus the bus
 * position to the store in one transaction. The store never sees an event the bus could
 * lose, and the bus replays exactly what the store had not committed.
 */
import type { Bus } from '../core/bus.js';
import type { Event } from '../core/event.js';
import type { Metrics } from '../core/metrics.js';
import type { EventSink } from '../core/source.js';
import type { Detector, Enricher } from '../core/stage.js';
import type { Store } from '../core/store.js';

export const STORE_CONSUMER = 'store';

export interface PipelineOptions {
  readonly bus: Bus;
  readonly store: Store;
  readonly metrics: Metrics;
  readonly batchSize: number;
  readonly enrichers?: readonly Enricher[];
  readonly detectors?: readonly Detector[];
  readonly onError?: (message: string, error: unknown) => void;
}

export class Pipeline implements EventSink {
  private readonly options: PipelineOptions;
  private readonly abort = new AbortController();
  private consumer: Promise<void> | undefined;
  private idleWaiters: (() => void)[] = [];

  constructor(options: PipelineOptions) {
    this.options = options;
  }

  submit(events: readonly Event[]): Promise<void> {
    return this.options.bus.publish(events);
  }

  /** Starts the consumer; it first replays whatever the bus holds past the store's checkpoint. */
  start(): void {
    this.consumer ??= this.consume();
  }

  /** Resolves once every published event is stored (or the pipeline stops). */
  async whenIdle(): Promise<void> {
    if (this.options.bus.depth() === 0 || this.abort.signal.aborted) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /** Waits up to `drainMs` for the backlog to be stored, then stops the consumer. */
  async stop(drainMs = 10_000): Promise<void> {
    if (this.consumer) {
      await Promise.race([this.whenIdle(), new Promise((r) => setTimeout(r, drainMs).unref())]);
    }
    this.abort.abort();
    await this.consumer;
    this.releaseIdle();
  }

  private releaseIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private async consume(): Promise<void> {
    const { bus, batchSize } = this.options;
    const signal = this.abort.signal;
    while (!signal.aborted) {
      const batch = await bus.pull(batchSize, signal);
      if (!batch) break;
      const stored = await this.process(batch.events, batch.position);
      if (!stored) break;
      await bus.commit(batch.position);
      if (bus.depth() === 0) this.releaseIdle();
    }
  }

  /** Enrich, detect, store; retries the store until it succeeds or the pipeline stops. */
  private async process(input: readonly Event[], position: string): Promise<boolean> {
    const { store, metrics, enrichers = [], detectors = [] } = this.options;
    let events = input;
    for (const enricher of enrichers) events = await this.guard(enricher.name, () => enricher.enrich(events), events);
    const alerts = [];
    for (const detector of detectors) alerts.push(...(await this.guard(detector.name, () => detector.detect(events), [])));

    for (let attempt = 0; ; attempt++) {
      const started = performance.now();
      try {
        await store.appendEvents(events, { consumer: STORE_CONSUMER, position });
        if (alerts.length > 0) await store.appendAlerts(alerts);
        metrics.storeWriteSeconds.observe((performance.now() - started) / 1000);
        break;
      } catch (error) {
        // The events are safe in the bus; keep retrying rather than dropping them.
        metrics.storeErrors.inc();
        this.options.onError?.(`store write failed (attempt ${attempt + 1}); retrying`, error);
        const delay = Math.min(5000, 100 * 2 ** attempt);
        await new Promise((r) => setTimeout(r, delay));
        if (this.abort.signal.aborted) return false;
      }
    }
    const perInput = new Map<string, number>();
    for (const e of events) perInput.set(e.source.input, (perInput.get(e.source.input) ?? 0) + 1);
    for (const [input, n] of perInput) metrics.stored.inc({ input }, n);
    return true;
  }

  /** A failing enricher or detector must not stop events from being stored. */
  private async guard<T>(name: string, run: () => Promise<T> | T, fallback: T): Promise<T> {
    try {
      return await run();
    } catch (error) {
      this.options.onError?.(`${name} failed on a batch; passing the batch on without it`, error);
      return fallback;
    }
  }
}
