/**
 * Benchmark 2: HTTP NDJSON ingest until durable. A 2xx from POST /api/v1/ingest means the
 * batch is in the write-ahead log and fsynced, so acknowledged events/s is the figure; request
 * latency shows what a shipper waits per batch. One server serves every batch size in turn.
 */
import type { BenchResult, Figure } from './bench-result.js';
import { startIngestLoad, type IngestLoad, type IngestLoadResult } from './ndjson-ingest-load.js';
import { sumSeries } from './prometheus-text.js';
import type { Sample } from './rate-window.js';
import { serverUnavailable, startVigil, type ServerBuild, type VigilServer } from './vigil-server.js';

export interface NdjsonIngestOptions {
  readonly durationSec: number;
  readonly build: ServerBuild;
  readonly batchSizes: readonly number[];
  readonly concurrency: number;
  readonly log: (line: string) => void;
}

const SEED = 8259;
/** How long the stored-afterwards check waits (keeps a full run under 6 minutes). */
const STORE_WAIT_SEC = 15;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function storedTotal(server: VigilServer): Promise<number> {
  return sumSeries(await server.metrics(), 'vigil_events_stored_total') ?? 0;
}

/** Acknowledged is durable; this checks the store also catches up (not part of the figure). */
async function waitForStored(
  server: VigilServer,
  target: number,
  limitSec: number,
): Promise<{ stored: number; waitedSec: number; progress: Sample[] }> {
  const started = performance.now();
  const elapsed = (): number => (performance.now() - started) / 1000;
  let stored = await storedTotal(server).catch(() => 0);
  const progress: Sample[] = [{ t: 0, value: stored }];
  while (stored < target && elapsed() < limitSec) {
    await sleep(250);
    stored = await storedTotal(server).catch(() => stored);
    progress.push({ t: elapsed(), value: stored });
  }
  return { stored, waitedSec: elapsed(), progress };
}

function batchFigures(batchSize: number, result: IngestLoadResult): Figure[] {
  const name = `batch ${batchSize}`;
  const refused = result.requests - result.latency.count;
  return [
    { label: `${name}: acknowledged`, value: result.ackedEvents / result.elapsedSec, unit: 'events/s' },
    { label: `${name}: latency p50`, value: result.latency.p50Ms, unit: 'ms' },
    { label: `${name}: latency p95`, value: result.latency.p95Ms, unit: 'ms' },
    { label: `${name}: latency p99`, value: result.latency.p99Ms, unit: 'ms' },
    {
      label: `${name}: requests not 2xx`, value: refused, unit: 'requests',
      ...(refused > 0 ? { note: JSON.stringify(result.statuses) } : {}),
    },
  ];
}

export async function benchNdjsonIngest(options: NdjsonIngestOptions): Promise<BenchResult> {
  const base = { name: 'ndjson-ingest', title: 'HTTP NDJSON ingest → durable', durationSec: options.durationSec };
  const unavailable = serverUnavailable(options.build);
  if (unavailable) return { ...base, figures: [], details: {}, skipped: [`Vigil: ${unavailable}`] };

  const figures: Figure[] = [];
  const runs: Record<string, IngestLoadResult> = {};
  const skipped: string[] = [];
  const server = await startVigil(options.build);
  let load: IngestLoad | undefined;
  let acked = 0;
  try {
    const baseline = await storedTotal(server);
    for (const batchSize of options.batchSizes) {
      options.log(`ndjson-ingest: batches of ${batchSize}, ${options.concurrency} in flight for ${options.durationSec} s...`);
      load = await startIngestLoad({
        url: server.http, token: server.adminToken, batchSize,
        concurrency: options.concurrency, durationSec: options.durationSec, seed: SEED + batchSize,
      });
      const result = await load.run();
      await load.stop();
      load = undefined;
      runs[String(batchSize)] = result;
      acked += result.ackedEvents;
      figures.push(...batchFigures(batchSize, result));
    }
    const { stored, waitedSec, progress } = await waitForStored(server, baseline + acked, STORE_WAIT_SEC);
    const storedByUs = stored - baseline;
    // Why events went missing, if they did: every loss in Vigil has a counter with a reason.
    const dropped = (await server.metrics().catch(() => []))
      .filter((entry) => entry.name === 'vigil_events_dropped_total' && entry.value > 0)
      .map(({ labels, value }) => ({ ...labels, count: value }));
    const droppedNote = dropped.length > 0 ? `; dropped: ${JSON.stringify(dropped)}` : '';
    figures.push({
      label: 'acknowledged events stored afterwards', value: storedByUs, unit: 'events',
      note: `of ${acked} acknowledged, after ${waitedSec.toFixed(1)} s${droppedNote}`,
    });
    return {
      ...base, figures, skipped,
      details: { concurrency: options.concurrency, server: options.build, runs, acked, storedAfterwards: storedByUs, storeWaitSec: waitedSec, dropped,
        storedProgress: progress.map(({ t, value }) => ({ t, value: value - baseline })) },
    };
  } catch (error) {
    const tail = await server.logTail();
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n--- vigil serve log ---\n${tail}`);
  } finally {
    await load?.stop();
    await server.stop();
  }
}
