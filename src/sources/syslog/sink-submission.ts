/**
 * How a listener hands a batch to the pipeline, and what a refusal means. `overloaded` (the
 * pipeline is behind) and `store-unavailable` pass; anything else will not pass by retrying.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isVigilError } from '../../core/errors.js';
import type { Event } from '../../core/event.js';
import type { DropReason } from '../../core/metrics.js';
import type { EventSink } from '../../core/source.js';

export function isRetryable(error: unknown): boolean {
  return isVigilError(error) && (error.code === 'overloaded' || error.code === 'store-unavailable');
}

export function dropReasonFor(error: unknown): DropReason {
  return isVigilError(error) && error.code === 'overloaded' ? 'overloaded' : 'store-error';
}

/** Calls `sink.submit` so that a synchronous throw becomes a rejection like any other. */
export async function submitBatch(sink: EventSink, batch: readonly Event[]): Promise<void> {
  await sink.submit(batch);
}

export const FIRST_RETRY_DELAY_MS = 25;
export const MAX_RETRY_DELAY_MS = 1000;

/** Waits before a retry; resolves early (never rejects) when `signal` aborts, e.g. at stop. */
export async function retryDelay(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await sleep(ms, undefined, { signal });
  } catch {
    // aborted: the caller makes its last attempt now
  }
}
