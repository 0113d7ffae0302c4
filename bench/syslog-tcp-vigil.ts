/**
 * Vigil under the syslog TCP load: events/s *stored* (committed to DuckDB, not merely
 * received), sampled from its own counters once a second, then how long the store takes to
 * catch up with the sender and whether every line arrived.
 */
import { Sampler } from './rate-window.js';
import { sumSeries } from './prometheus-text.js';
import { startSyslogLoad, type SyslogFraming, type SyslogLoad } from './syslog-load.js';
import { procMemoryMiB, sendWindowRates, type SyslogRunResult } from './syslog-run.js';
import { startVigil, type ServerBuild, type VigilServer } from './vigil-server.js';

export interface VigilSyslogOptions {
  readonly build: ServerBuild;
  readonly durationSec: number;
  readonly connections: number;
  readonly framing: SyslogFraming;
  readonly seed: number;
  /** Longest wait for stored to reach sent after the sender stops. */
  readonly catchUpLimitSec: number;
}

interface MetricsSample {
  readonly stored: number;
  readonly received: number;
  readonly queueDepth: number | null;
  readonly dropped: number;
  readonly parseFailed: number;
  readonly rssMiB: number | null;
}

/** No stored event for this long, and an empty queue, after the sender stopped: the rest is not coming. */
const STALL_SEC = 10;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function readMetrics(server: VigilServer): Promise<MetricsSample> {
  const series = await server.metrics();
  // Summed over every input: this server receives nothing but the benchmark's syslog.
  return {
    stored: sumSeries(series, 'vigil_events_stored_total') ?? 0,
    received: sumSeries(series, 'vigil_events_received_total') ?? 0,
    queueDepth: sumSeries(series, 'vigil_queue_depth'),
    dropped: sumSeries(series, 'vigil_events_dropped_total') ?? 0,
    parseFailed: sumSeries(series, 'vigil_events_parse_failed_total') ?? 0,
    rssMiB: await procMemoryMiB(server.pid, 'VmRSS'),
  };
}

export async function measureVigilSyslog(options: VigilSyslogOptions): Promise<SyslogRunResult> {
  const server = await startVigil(options.build);
  let load: SyslogLoad | undefined;
  try {
    const baseline = await readMetrics(server);
    load = await startSyslogLoad({
      host: server.syslogTcp.host, port: server.syslogTcp.port, connections: options.connections,
      durationSec: options.durationSec, framing: options.framing, seed: options.seed,
    });
    const origin = performance.now();
    const sampler = new Sampler(() => readMetrics(server), origin);
    sampler.start();
    const loadResult = await load.run();
    const sendEnd = loadResult.elapsedSec;
    const now = (): number => (performance.now() - origin) / 1000;

    // Catch-up: stored reaches sent, or progress stops with nothing left queued (stalled: the
    // rest is lost), or the limit passes. A store pausing with a backlog is slow, not stalled.
    let last = await readMetrics(server).catch(() => baseline);
    let lastProgress = now();
    let caughtUpAt: number | null = null;
    const stalled = (): boolean => now() - lastProgress >= STALL_SEC && !(last.queueDepth && last.queueDepth > 0);
    while (now() - sendEnd < options.catchUpLimitSec && !stalled()) {
      if (last.stored - baseline.stored >= loadResult.sent) {
        caughtUpAt = now();
        break;
      }
      await sleep(250);
      const next = await readMetrics(server).catch(() => last);
      if (next.stored > last.stored) lastProgress = now();
      last = next;
    }
    await sampler.stop();
    const peakRss = await procMemoryMiB(server.pid, 'VmHWM');

    const samples = sampler.samples.map(({ t, value }) => ({ t, value: value.stored - baseline.stored }));
    const rates = sendWindowRates(samples, sendEnd);
    const queueDepths = sampler.samples.map(({ value }) => value.queueDepth).filter((d): d is number => d !== null);
    const stored = last.stored - baseline.stored;
    const notes: string[] = [];
    const received = last.received - baseline.received;
    if (received !== loadResult.sent) notes.push(`received ${received} of ${loadResult.sent} sent`);
    if (last.dropped > baseline.dropped) notes.push(`vigil_events_dropped_total rose by ${last.dropped - baseline.dropped}`);
    if (last.parseFailed > baseline.parseFailed) notes.push(`${last.parseFailed - baseline.parseFailed} events not parsed (stored raw)`);
    if (caughtUpAt === null) {
      notes.push(`stored ${stored} of ${loadResult.sent} sent ${Math.round(now() - sendEnd)} s after the sender stopped`);
    }
    notes.push(...loadResult.errors);
    return {
      system: 'vigil',
      sent: loadResult.sent,
      sendRate: loadResult.sent / loadResult.elapsedSec,
      handled: stored,
      rate: rates.overall,
      min5s: rates.min,
      max5s: rates.max,
      catchUpSec: caughtUpAt === null ? null : Math.max(0, caughtUpAt - sendEnd),
      catchUp: caughtUpAt !== null ? 'caught-up' : stalled() ? 'stalled' : 'timed-out',
      missing: Math.max(0, loadResult.sent - stored),
      peakRssMiB: peakRss,
      peakQueueDepth: queueDepths.length > 0 ? Math.max(...queueDepths) : null,
      samples,
      extraSeries: {
        queueDepth: sampler.samples.map(({ t, value }) => ({ t, value: value.queueDepth ?? Number.NaN })),
        rssMiB: sampler.samples.map(({ t, value }) => ({ t, value: value.rssMiB ?? Number.NaN })),
      },
      load: loadResult,
      notes,
    };
  } catch (error) {
    const tail = await server.logTail();
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n--- vigil serve log ---\n${tail}`);
  } finally {
    await load?.stop();
    await server.stop();
  }
}
