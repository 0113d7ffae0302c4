/**
 * The bus seam: a durable, ordered log of event batches between ingest and the consumers
 * (detection, storage). Embedded, it is a write-ahead log in the data folder
 * (`src/bus/file-log`); scaled out, NATS JetStream implements the same interface, so the
 * ingest role and the store role can run in different processes.
 */
import type { Event } from './event.js';

export interface BusBatch {
  readonly events: readonly Event[];
  /** Position just after this batch: commit it once the batch is stored. Opaque to callers. */
  readonly position: string;
}

export interface Bus {
  /** Appends events; resolves only once they are durable (fsynced or replicated). */
  publish(events: readonly Event[]): Promise<void>;
  /**
   * The next events after the consumer's position, up to `maxEvents` (a batch may be smaller;
   * the embedded log hands out one published batch larger than `maxEvents` whole).
   * Waits until there is something to return, or resolves `undefined` once `signal` aborts.
   */
  pull(maxEvents: number, signal: AbortSignal): Promise<BusBatch | undefined>;
  /** The consumer has durably processed everything up to `position`; older data may go. */
  commit(position: string): Promise<void>;
  /** Events published but not yet committed. */
  depth(): number;
  close(): Promise<void>;
}
