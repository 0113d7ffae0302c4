/**
 * `detection-partitions`: partitioned detection (src/detect/partition) on the corpus's logs
 * (every log file, interleaved as concurrent sources, replayed with event times moved on each
 * time), with the built-in rules plus the partition test fixture (a correlation or behaviour
 * rule of every kind over the SSH rules, so the stateful stage has work), 8 partitions, and 1,
 * 2 and 4 worker threads (node:worker_threads):
 * - one `DetectionRun` on the main thread, the reference;
 * - the stateless stage alone: workers share the events (every W-th chunk of 500) and encode
 *   the inputs they produce as they would for the bus;
 * - the stateful stage alone: workers own partitions (p mod W) and decode and apply their
 *   records, produced beforehand by one stateless stage in stream order;
 * - both, end to end: each worker runs the stateless stage on its share, applies its own
 *   partitions' inputs and sends the others' to their owners over MessagePorts.
 * Each figure is the fastest of three runs, measured from "go" to the last worker's "done"
 * (rules loaded and data handed over before): on a machine shared with other jobs the fastest
 * run is the one least disturbed; the JSON keeps all three and their median. The machine's
 * core count and load are recorded: more workers than cores only shows the cost of sharing.
 */
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { BenchResult, Figure } from './bench-result.js';
import type { Event } from '../src/core/event.js';
import { BUILTIN_RULES, builtinPlaceholders } from '../src/detect/builtin-rules.js';
import { DetectionRun } from '../src/detect/detection.js';
import type { PartitionRecord } from '../src/detect/partition/keyed-input.js';
import { encodePartitionData } from '../src/detect/partition/partition-codec.js';
import { StatelessStage, type StatelessOutput } from '../src/detect/partition/stateless-stage.js';
import { LogsourceMap } from '../src/detect/sigma/logsource-map.js';
import { loadRules } from '../src/detect/sigma/rule-loader.js';
import { corpusHas } from '../test/support/corpus.js';
import { corpusEvents, interleaved } from '../test/support/corpus-events.js';
import type { WorkerData, WorkerDone, WorkerSetup } from './detection-partitions-worker.js';
import { twoThreadControl } from './cpu-control.js';

const PARTITIONS = 8;
const CHUNK = 500;
const WORKERS = [1, 2, 4] as const;
const RUNS = 3;
const RULES = [BUILTIN_RULES, fileURLToPath(new URL('../test/fixtures/sigma/partition', import.meta.url))];
const PLACEHOLDERS = builtinPlaceholders({}, {}, ['mon-fri 08:00-18:00 Europe/Berlin']);
const WORKER_URL = new URL('./detection-partitions-worker.ts', import.meta.url);

export interface DetectionPartitionsOptions {
  /** Times the corpus is replayed (about 40,000 events each). Default 5. */
  readonly replays?: number;
}

interface Run {
  readonly seconds: number;
  readonly done: readonly WorkerDone[];
}

function startWorker(setup: WorkerSetup): Worker {
  // Node 20 does not carry `--import tsx` into worker threads: register tsx's loader first.
  const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(WORKER_URL.href)}); });`;
  return new Worker(bootstrap, { eval: true, workerData: setup });
}

/** MessagePorts between every pair of `workers`: ports[a][b] talks to b (null for a itself). */
function mesh(workers: number): (MessagePort | null)[][] {
  const ports = Array.from({ length: workers }, () => new Array<MessagePort | null>(workers).fill(null));
  for (let a = 0; a < workers; a++) {
    for (let b = a + 1; b < workers; b++) {
      const { port1, port2 } = new MessageChannel();
      ports[a]![b] = port1;
      ports[b]![a] = port2;
    }
  }
  return ports;
}

async function runWorkers(job: WorkerSetup['job'], workers: number, replays: number, replaySpan: number, data: (index: number) => WorkerData): Promise<Run> {
  const ports = job === 'both' ? mesh(workers) : undefined;
  const threads = Array.from({ length: workers }, (_, index) =>
    startWorker({ job, index, workers, partitions: PARTITIONS, rules: RULES, placeholders: PLACEHOLDERS, chunk: CHUNK, replays, replaySpan }),
  );
  try {
    const message = (w: Worker): Promise<unknown> =>
      new Promise((resolve, reject) => {
        w.once('message', resolve);
        w.once('error', reject);
      });
    const ready = threads.map(message);
    threads.forEach((w, i) => {
      const own = ports?.[i];
      if (own) w.postMessage({ ...data(i), ports: own }, own.filter((p): p is MessagePort => p !== null));
      else w.postMessage(data(i));
    });
    await Promise.all(ready);
    const done = threads.map(message) as Promise<WorkerDone>[];
    const started = performance.now();
    for (const w of threads) w.postMessage('go');
    const results = await Promise.all(done);
    return { seconds: (performance.now() - started) / 1000, done: results };
  } finally {
    await Promise.all(threads.map((w) => w.terminate()));
  }
}

function best(values: readonly number[]): number {
  return Math.max(...values);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function sum(done: readonly WorkerDone[], key: 'events' | 'inputs' | 'records' | 'detections' | 'bytes'): number {
  return done.reduce((n, d) => n + d[key], 0);
}

export async function benchDetectionPartitions(log: (line: string) => void, options: DetectionPartitionsOptions = {}): Promise<BenchResult> {
  const title = 'Partitioned detection: stateless and stateful stages on worker threads';
  if (!corpusHas('loghub') || !corpusHas('evtx-attack-samples')) {
    return { name: 'detection-partitions', title, durationSec: 0, figures: [], details: {}, skipped: ['corpus absent: set VIGIL_CORPUS'] };
  }
  const replays = options.replays ?? 5;
  const load = loadavg()[0]!;
  log('detection-partitions: reading the corpus...');
  const base = interleaved(await corpusEvents());
  const times = base.map((e) => e.time).filter(Number.isFinite);
  const replaySpan = Math.max(...times) - Math.min(...times) + 86_400_000;
  const replayed: Event[] = [];
  for (let r = 0; r < replays; r++) for (const e of base) replayed.push(r === 0 ? e : { ...e, id: `${e.id}.${r}`, time: e.time + r * replaySpan });
  const total = replayed.length;
  const ruleSet = loadRules(RULES, { placeholders: PLACEHOLDERS });
  const routing = LogsourceMap.load();

  // Reference: one DetectionRun.
  log(`detection-partitions: ${total.toLocaleString('en')} events, one DetectionRun...`);
  const single: number[] = [];
  let singleDetections = 0;
  const warm = new DetectionRun(ruleSet, routing);
  for (const e of base) warm.process(e);
  for (let i = 0; i < RUNS; i++) {
    const run = new DetectionRun(ruleSet, routing);
    const started = performance.now();
    let n = 0;
    for (const e of replayed) n += run.process(e).length;
    n += run.flush().length;
    single.push(total / ((performance.now() - started) / 1000));
    singleDetections = n;
  }

  // The records the stateful stage gets, from one stateless stage in stream order, as the bus carries them.
  const stage = new StatelessStage(ruleSet, routing, PARTITIONS);
  const perPartition: PartitionRecord[][] = Array.from({ length: PARTITIONS }, () => []);
  const out: StatelessOutput = { detections: [], inputs: [] };
  replayed.forEach((e, i) => {
    stage.process(e, out);
    for (const r of out.inputs) perPartition[r.partition]!.push(r);
    out.inputs.length = 0;
    if (i % 2000 === 1999) for (const r of stage.watermarkMarks()) perPartition[r.partition]!.push(r);
  });
  for (const r of stage.flushMarks()) perPartition[r.partition]!.push(r);
  const records = perPartition.reduce((n, l) => n + l.length, 0);
  const batches: Record<number, string[]> = {};
  perPartition.forEach((list, p) => {
    batches[p] = [];
    for (let at = 0; at < list.length; at += 256) batches[p]!.push(encodePartitionData(list.slice(at, at + 256)));
  });

  const figures: Figure[] = [
    { label: 'one DetectionRun (reference)', value: Math.round(best(single)), unit: 'events/s', note: `main thread, ${singleDetections.toLocaleString('en')} detections` },
  ];
  const details: Record<string, unknown> = { events: total, replays, partitions: PARTITIONS, records, singleEventsPerSecond: single.map(Math.round), loadAverageAtStart: load, cores: availableParallelism(), runs: {} };
  const runsDetail = details['runs'] as Record<string, unknown>;

  const controls: number[] = [];
  for (const job of ['stateless', 'stateful', 'both'] as const) {
    for (const workers of WORKERS) {
      controls.push(await twoThreadControl());
      log(`detection-partitions: ${job}, ${workers} worker${workers > 1 ? 's' : ''} (two-thread control ${controls.at(-1)}x)...`);
      const rates: number[] = [];
      const recordRates: number[] = [];
      let last: Run | undefined;
      for (let i = 0; i < RUNS; i++) {
        const run = await runWorkers(job, workers, replays, replaySpan, () => (job === 'stateful' ? { kind: 'records', batches } : { kind: 'events', events: base }));
        rates.push(total / run.seconds);
        recordRates.push(sum(run.done, 'records') / run.seconds);
        last = run;
      }
      const note = `median ${Math.round(median(rates)).toLocaleString('en')}` + (job === 'stateful' ? `; ${Math.round(best(recordRates)).toLocaleString('en')} records/s` : '');
      figures.push({ label: `${job === 'both' ? 'end to end' : job}, ${workers} worker${workers > 1 ? 's' : ''}`, value: Math.round(best(rates)), unit: 'events/s', note });
      runsDetail[`${job}-${workers}`] = { eventsPerSecond: rates.map(Math.round), medianEventsPerSecond: Math.round(median(rates)), recordsPerSecond: recordRates.map(Math.round), workers: last!.done };
    }
  }
  details['loadAverageAtEnd'] = loadavg()[0];
  details['twoThreadControl'] = controls;
  figures.push({ label: 'control: 2 threads of a plain loop vs 1', value: median(controls), unit: 'x', note: `1.0 = two free cores, 2.0 = one; range ${Math.min(...controls)}–${Math.max(...controls)}` });
  return { name: 'detection-partitions', title, durationSec: 0, figures, details };
}
