/** Parent side of the HTTP NDJSON ingest load: concurrent clients POSTing batches. */
import type { LatencySummary } from './latency-percentiles.js';
import { startLoadWorker, type LoadWorker } from './load-worker.js';

export interface IngestLoadConfig {
  /** Server base URL, e.g. http://127.0.0.1:8080 */
  readonly url: string;
  readonly token: string;
  readonly batchSize: number;
  /** Requests in flight at once (one keep-alive connection each). */
  readonly concurrency: number;
  readonly durationSec: number;
  readonly seed: number;
}

export interface IngestLoadProgress {
  readonly acked: number;
  readonly elapsedSec: number;
}

export interface IngestLoadResult {
  /** Events in 2xx answers: durable, by the API's contract. */
  readonly ackedEvents: number;
  readonly requests: number;
  /** Answers by status code ("201": n, "503": n); "error" for a failed connection. */
  readonly statuses: Readonly<Record<string, number>>;
  /** From "go" until the last in-flight request answered. */
  readonly elapsedSec: number;
  /** Latency of 2xx requests, request start to the last byte of the answer. */
  readonly latency: LatencySummary;
  readonly bodyBytes: number;
  readonly firstError?: string;
}

export type IngestLoad = LoadWorker<IngestLoadProgress, IngestLoadResult>;

export function startIngestLoad(config: IngestLoadConfig): Promise<IngestLoad> {
  return startLoadWorker<IngestLoadConfig, IngestLoadProgress, IngestLoadResult>(
    new URL('./ndjson-ingest-client.ts', import.meta.url),
    config,
  );
}
