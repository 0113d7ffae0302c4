/**
 * The composition of the event path: sources submit to the bus (durable on return), and one
 * consumer pulls batches, enriches them, runs detection, and commits events plus the bus
 * position to the store in one transaction. The store never sees an event the bus could
 * lose, and the bus replays exactly what the store had not committed.
 */
import type { RuleSwitches } from '../detect/rule-switches.js';
import type { Bus } from '../core/bus.js';
import type { Event } from '../core/event.js';
import type { Metrics } from '../core/metrics.js';
import type { EventSink } from '../core/source.js';
import type { AlertSink, Detector, Enricher } from '../core/stage.js';
import type { AlertRecord, Store } from '../core/store.js';
import { isVigilError } from '../core/errors.js';

export const STORE_CONSUMER = 'store';

export interface PipelineOptions {
  readonly bus: Bus;
  readonly store: Store;
  readonly metrics: Metrics;
  readonly batchSize: number;
  readonly enrichers?: readonly Enricher[];
  readonly detectors?: readonly Detector[];
  /** Rules disabled per tenant: their detections are dropped before `alerts`. */
  readonly ruleSwitches?: RuleSwitches | undefined;
  /** Where detections go; by default straight to the store. */
  readonly alerts?: AlertSink | undefined;
  readonly onError?: (message: string, error: unknown) => void;
  /**
   * Where an event the store refuses as malformed goes (so it is kept, not lost, and does not
   * block the events behind it). Without one such events are counted and dropped.
   */
  readonly deadLetter?: (event: Event, error: unknown) => Promise<void>;
  /**
   * False for a consumer that only detects (the scale-out detect role): another consumer of the
   * bus (the store role) stores the events, so this one raises alerts and commits. Default true.
   */
  readonly storeEvents?: boolean;
  /**
   * Attempts to hand a batch's detections to the alert sink before giving up on them (default
   * 5). The detect role retries without end: its alerts have no other way to the store, and the
   * bus keeps the batch until they are in.
   */
  readonly alertAttempts?: number;
  /** Told of every failed pull or commit (the pipeline retries them with back-off). */
  readonly onBusError?: (error: unknown) => void;
}

/** Store errors that retrying cannot fix: the batch itself is bad. */
function isPoisonBatch(error: unknown): boolean {
  return isVigilError(error) && (error.code === 'internal' || error.code === 'bad-request');
}

export class Pipeline implements EventSink {
  private readonly options: PipelineOptions;
  private readonly abort = new AbortController();
  private consumer: Promise<void> | undefined;
  private idleWaiters: (() => void)[] = [];

  constructor(options: PipelineOptions) {
    this.options = options;
  }

  async submit(events: readonly Event[]): Promise<void> {
    await this.options.bus.publish(events);
    this.options.metrics.inputs.accepted(events);
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
    let failures = 0;
    while (!signal.aborted) {
      try {
        const batch = await bus.pull(batchSize, signal);
        if (!batch) break;
        const stored = await this.process(batch.events, batch.position);
        if (!stored) break;
        await bus.commit(batch.position);
        failures = 0;
        if (bus.depth() === 0) this.releaseIdle();
      } catch (error) {
        // A bus that lost its server (NATS restarting): what was not committed is delivered
        // again, so back off and read on, counted, rather than end the consumer.
        if (signal.aborted) break;
        this.options.onBusError?.(error);
        this.options.onError?.(`the bus failed (attempt ${failures + 1}); retrying`, error);
        await new Promise((r) => setTimeout(r, Math.min(5000, 100 * 2 ** failures++)));
      }
    }
  }

  /** Enrich, detect, store; retries the store until it succeeds or the pipeline stops. */
  private async process(input: readonly Event[], position: string): Promise<boolean> {
    const { store, metrics, enrichers = [], detectors = [] } = this.options;
    let events = input;
    for (const enricher of enrichers) events = await this.guard(enricher.name, () => enricher.enrich(events), events);
    const detected = [];
    for (const detector of detectors) detected.push(...(await this.guard(detector.name, () => detector.detect(events), [])));
    const { kept: alerts, dropped } = this.options.ruleSwitches?.filter(detected) ?? { kept: detected, dropped: 0 };
    if (dropped > 0) metrics.detectionsDisabled.inc(dropped);

    let stored: readonly Event[] = events;
    for (let attempt = 0; this.options.storeEvents !== false; attempt++) {
      const started = performance.now();
      try {
        await store.appendEvents(events, { consumer: STORE_CONSUMER, position });
        metrics.storeWriteSeconds.observe((performance.now() - started) / 1000);
        break;
      } catch (error) {
        if (isPoisonBatch(error)) {
          stored = await this.isolatePoison(events, position, error);
          break;
        }
        // The events are safe in the bus; keep retrying rather than dropping them.
        metrics.storeErrors.inc();
        this.options.onError?.(`store write failed (attempt ${attempt + 1}); retrying`, error);
        const delay = Math.min(5000, 100 * 2 ** attempt);
        await new Promise((r) => setTimeout(r, delay));
        if (this.abort.signal.aborted) return false;
      }
    }
    // After the events: alerts point at stored events, and a failed alert write must not store the events twice.
    const raised = alerts.length === 0 || (await this.raiseAlerts(alerts));
    // A detect-only consumer that stopped before its alerts were in leaves the batch uncommitted: it comes again.
    if (this.options.storeEvents === false) return raised;
    const perInput = new Map<string, number>();
    for (const e of stored) perInput.set(e.source.input, (perInput.get(e.source.input) ?? 0) + 1);
    for (const [input, n] of perInput) metrics.stored.inc({ input }, n);
    metrics.inputs.stored(stored);
    return true;
  }

  /**
   * The store refused a batch as malformed: store its events one by one, send the ones it
   * still refuses to the dead-letter file (counted), then commit the position, so one bad
   * event neither blocks the pipeline nor takes its neighbours with it. (A crash in the middle
   * of this rare path can store some of the good events twice on replay.)
   */
  private async isolatePoison(events: readonly Event[], position: string, cause: unknown): Promise<readonly Event[]> {
    const { store, metrics } = this.options;
    this.options.onError?.(`the store refused a batch of ${events.length} events as malformed; storing them one by one`, cause);
    const good: Event[] = [];
    for (const event of events) {
      try {
        await store.appendEvents([event]);
        good.push(event);
      } catch (error) {
        metrics.drop(event.source.input, 'store-error');
        await this.options.deadLetter?.(event, error).catch((e: unknown) => this.options.onError?.('cannot write the dead-letter file', e));
      }
    }
    await store.appendEvents([], { consumer: STORE_CONSUMER, position });
    return good;
  }

  /** Hands detections to the intake (or the store), retrying a store outage a few times. */
  /** False only when the pipeline stopped before the alerts were handed over. */
  private async raiseAlerts(alerts: readonly AlertRecord[]): Promise<boolean> {
    const sink = this.options.alerts ?? { raise: (a: readonly AlertRecord[]) => this.options.store.appendAlerts(a) };
    const attempts = this.options.alertAttempts ?? 5;
    for (let attempt = 0; attempt < attempts; attempt++) {
      try {
        await sink.raise(alerts);
        return true;
      } catch (error) {
        this.options.onError?.(`cannot store ${alerts.length} alerts (attempt ${attempt + 1})`, error);
        if (isPoisonBatch(error)) return true;
        if (this.abort.signal.aborted) return false;
        await new Promise((r) => setTimeout(r, Math.min(5000, 200 * 2 ** Math.min(attempt, 10))));
      }
    }
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
