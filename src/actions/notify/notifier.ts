/**
 * What every notification destination offers the rest of Vigil: hand it an alert and get on with
 * detection. Delivery happens later, durably, with retries (see DeliveryQueue).
 */
import type { AlertRecord } from '../../core/store.js';
import type { Delivery } from './delivery-journal.js';
import { DeliveryQueue, type DeliveryOutcome, type DeliveryStats, type RetryPolicy } from './delivery-queue.js';
import type { Resolver } from '../outbound/outbound-guard.js';

export interface Notifier {
  readonly name: string;
  /** Starts delivering, including what an earlier run left pending. */
  start(): void;
  /** Queues the alert; returns the delivery id, or undefined when dropped (queue full). Never waits. */
  notify(alert: AlertRecord): string | undefined;
  /** Deliveries queued and not finished. */
  readonly pending: number;
  readonly stats: Readonly<DeliveryStats>;
  /** Resolves when nothing is pending. */
  idle(): Promise<void>;
  /** Stops after the attempt in flight; pending deliveries stay journaled. */
  close(): Promise<void>;
}

/** What every notifier needs besides its destination. */
export interface NotifierRuntime {
  /** Folder of the delivery journals (durable queue), e.g. `<data>/notifications`. */
  readonly journalDir: string;
  /** NDJSON file of deliveries that failed for good. */
  readonly deadLetterFile: string;
  readonly retry?: RetryPolicy;
  readonly maxPending?: number;
  /** One attempt, connect to last byte. Default 10 s. */
  readonly timeoutMs?: number;
  readonly resolver?: Resolver;
  readonly random?: () => number;
  readonly now?: () => number;
  readonly onOutcome?: (outcome: DeliveryOutcome) => void;
}

/** The durable, retrying queue of one destination, from the runtime every notifier shares. */
export function deliveryQueueFor(destination: string, runtime: NotifierRuntime, send: (delivery: Delivery) => Promise<void>): DeliveryQueue {
  return new DeliveryQueue({
    destination,
    journalDir: runtime.journalDir,
    deadLetterFile: runtime.deadLetterFile,
    send,
    ...(runtime.retry ? { retry: runtime.retry } : {}),
    ...(runtime.maxPending !== undefined ? { maxPending: runtime.maxPending } : {}),
    ...(runtime.random ? { random: runtime.random } : {}),
    ...(runtime.now ? { now: runtime.now } : {}),
    ...(runtime.onOutcome ? { onOutcome: runtime.onOutcome } : {}),
  });
}
