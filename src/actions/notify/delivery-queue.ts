/**
 * Delivers to one destination, in order, without ever making the caller wait: `enqueue` records
 * the delivery in the journal and returns; a single worker sends, retries with exponential
 * backoff and jitter, and after `maxTries` (or a failure retrying cannot fix) writes the delivery
 * to the dead-letter file. The queue is bounded: when `maxPending` deliveries wait, a new one is
 * dropped and counted, so a destination that is down for days cannot fill the disk or memory.
 */
import { newId } from '../../core/ids.js';
import { isRetryable } from '../outbound/outbound-request.js';
import { appendDeadLetter, DeliveryJournal, type Delivery } from './delivery-journal.js';

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly maxTries: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxTries: 8, baseDelayMs: 1000, maxDelayMs: 300_000 };

/**
 * Wait before attempt `failed + 1`: base·2^(failed-1), capped, then "equal jitter" (half fixed,
 * half random) so many Vigil instances recovering together do not retry in lock-step, while the
 * wait still grows with every failure.
 */
export function backoffDelay(failed: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, failed - 1));
  return Math.round(exp / 2 + random() * (exp / 2));
}

/** Sends one delivery; throws to fail the attempt (see isRetryable for which failures are retried). */
export type DeliverySender = (delivery: Delivery, attempt: number) => Promise<void>;

export interface DeliveryQueueOptions {
  readonly destination: string;
  /** Folder of the journals (one file per destination). */
  readonly journalDir: string;
  /** NDJSON file for deliveries that failed for good. */
  readonly deadLetterFile: string;
  readonly send: DeliverySender;
  readonly retry?: RetryPolicy;
  /** Deliveries waiting at most; more are dropped and counted. Default 10 000. */
  readonly maxPending?: number;
  readonly random?: () => number;
  readonly now?: () => number;
  /** Called on every outcome, for metrics and logs. */
  readonly onOutcome?: (outcome: DeliveryOutcome) => void;
}

export type DeliveryOutcome =
  | { readonly kind: 'delivered'; readonly delivery: Delivery; readonly attempts: number }
  | { readonly kind: 'retrying'; readonly delivery: Delivery; readonly attempts: number; readonly delayMs: number; readonly error: string }
  | { readonly kind: 'dead-lettered'; readonly delivery: Delivery; readonly attempts: number; readonly error: string }
  | { readonly kind: 'dropped'; readonly destination: string; readonly alertId: string; readonly reason: string };

export interface DeliveryStats {
  delivered: number;
  retries: number;
  deadLettered: number;
  dropped: number;
}

export class DeliveryQueue {
  readonly destination: string;
  readonly stats: DeliveryStats = { delivered: 0, retries: 0, deadLettered: 0, dropped: 0 };
  readonly #journal: DeliveryJournal;
  readonly #options: DeliveryQueueOptions;
  readonly #retry: RetryPolicy;
  readonly #maxPending: number;
  readonly #queue: Delivery[];
  #running: Promise<void> | undefined;
  #closed = false;
  #wake: (() => void) | undefined;
  #sleepTimer: NodeJS.Timeout | undefined;
  #idleWaiters: (() => void)[] = [];

  /** Opens the journal; deliveries left pending by an earlier run are sent again once started. */
  constructor(options: DeliveryQueueOptions) {
    this.destination = options.destination;
    this.#options = options;
    this.#retry = options.retry ?? DEFAULT_RETRY;
    this.#maxPending = options.maxPending ?? 10_000;
    this.#journal = new DeliveryJournal(options.journalDir, options.destination);
    this.#queue = this.#journal.pending();
  }

  /** Deliveries queued and not finished. */
  get pending(): number {
    return this.#queue.length;
  }

  /** Starts the worker (sending what an earlier run left pending). */
  start(): void {
    if (this.#closed) return;
    this.#kick();
  }

  /**
   * Queues a payload; returns the delivery id, or undefined when the queue is full (counted as
   * dropped) or closed. Never waits for the network.
   */
  enqueue(alertId: string, payload: string): string | undefined {
    if (this.#closed) return this.#drop(alertId, 'closed');
    if (this.#queue.length >= this.#maxPending) return this.#drop(alertId, 'queue-full');
    const now = this.#options.now?.() ?? Date.now();
    const delivery: Delivery = { id: newId(now), destination: this.destination, alertId, queuedAt: now, payload };
    try {
      this.#journal.add(delivery);
    } catch (e) {
      // A delivery that cannot be made durable is not accepted: the caller must not be told
      // "queued" for something a restart would lose. Counted, never thrown at detection.
      return this.#drop(alertId, `journal-error: ${(e as Error).message}`);
    }
    this.#queue.push(delivery);
    this.#kick();
    return delivery.id;
  }

  #drop(alertId: string, reason: string): undefined {
    this.stats.dropped++;
    this.#options.onOutcome?.({ kind: 'dropped', destination: this.destination, alertId, reason });
    return undefined;
  }

  /** Resolves when nothing is pending (or the queue is closed). */
  idle(): Promise<void> {
    if (this.#queue.length === 0 || this.#closed) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Stops after the attempt in flight; what is pending stays in the journal for the next start. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#sleepTimer) clearTimeout(this.#sleepTimer);
    this.#wake?.();
    await this.#running;
    for (const w of this.#idleWaiters.splice(0)) w();
  }

  #kick(): void {
    if (this.#running || this.#closed) return;
    this.#running = this.#work().finally(() => {
      this.#running = undefined;
      if (this.#queue.length > 0 && !this.#closed) this.#kick();
    });
  }

  async #work(): Promise<void> {
    while (!this.#closed && this.#queue.length > 0) {
      const delivery = this.#queue[0]!;
      if (!(await this.#deliver(delivery))) return;
      this.#queue.shift();
      try {
        this.#journal.finish(delivery.id);
      } catch {
        // The delivery is finished; if its `done` line is lost it is sent again after a restart,
        // under the same id, which receivers de-duplicate.
      }
    }
    if (this.#queue.length === 0) for (const w of this.#idleWaiters.splice(0)) w();
  }

  /** Tries until delivered or given up (true); false when closed first, leaving it pending. */
  async #deliver(delivery: Delivery): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#options.send(delivery, attempt);
        this.stats.delivered++;
        this.#options.onOutcome?.({ kind: 'delivered', delivery, attempts: attempt });
        return true;
      } catch (e) {
        const error = e instanceof Error ? e.message : String(e);
        if (!isRetryable(e) || attempt >= this.#retry.maxTries) {
          const reason = isRetryable(e) ? `gave up after ${attempt} attempts: ${error}` : `not retried: ${error}`;
          let recorded = reason;
          try {
            appendDeadLetter(this.#options.deadLetterFile, delivery, { attempts: attempt, reason, failedAt: this.#options.now?.() ?? Date.now() });
          } catch (w) {
            recorded = `${reason} (and the dead-letter file could not be written: ${(w as Error).message})`;
          }
          this.stats.deadLettered++;
          this.#options.onOutcome?.({ kind: 'dead-lettered', delivery, attempts: attempt, error: recorded });
          return true;
        }
        const delayMs = backoffDelay(attempt, this.#retry, this.#options.random);
        this.stats.retries++;
        this.#options.onOutcome?.({ kind: 'retrying', delivery, attempts: attempt, delayMs, error });
        await this.#sleep(delayMs);
        if (this.#closed) return false;
      }
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.#closed) return resolve();
      this.#wake = resolve;
      this.#sleepTimer = setTimeout(resolve, ms);
    });
  }
}
