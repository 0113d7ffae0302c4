/**
 * `npm run bench`: runs every benchmark, prints one table, writes bench/results/<name>.json.
 *
 *   npm run bench -- --only syslog-tcp --duration 10
 *   npm run bench -- --only search --events 100000
 *   VIGIL_BENCH_HISTORY_EVENTS=1000000 npm run bench -- --only history
 *   npm run bench -- --only jetstream-bus --events 100000
 *   npm run bench -- --only scale-out-roles --events 100000
 *
 * Options: --only NAME[,NAME] (parsers, enrich, sigma, detection-partitions, syslog-tcp, ndjson-ingest, search, history, jetstream-bus, scale-out-roles), --duration SECONDS (every
 * run; default 60 for syslog-tcp, 20 per batch size for ndjson-ingest), --events N (search and sigma,
 * default 1,000,000; jetstream-bus, default 100,000; scale-out-roles, default 100,000), --server src|dist|PATH (the CLI to start: TypeScript sources through tsx,
 * the build, or any CLI entry file; default src), --connections N (syslog, default 4),
 * --framing newline|octet-counted|mixed (default newline), --concurrency N (ingest, default 8),
 * --keep (leave the temporary folders: server data and log, rsyslog output).
 */
import { parseArgs } from 'node:util';
import type { BenchResult } from './bench-result.js';
import { interrupted, keepTemporaryFolders } from './child-processes.js';
import { benchNdjsonIngest } from './ndjson-ingest-bench.js';
import { machine, gitCommit, writeResults } from './results-file.js';
import { resultsTable } from './results-table.js';
import { benchSearchIfPresent } from './search-bench-loader.js';
import type { SyslogFraming } from './syslog-load.js';
import { benchSyslogTcp } from './syslog-tcp-bench.js';
import { benchParsers } from './parsers-bench.js';
import { benchEnrich } from './enrich-bench.js';
import { benchSigma } from './sigma-bench.js';
import { benchDetectionPartitions } from './detection-partitions-bench.js';
import { benchHistory, historyEventCount } from './history-bench.js';
import { benchJetStreamBus } from './jetstream-bus-bench.js';
import { benchScaleOutRoles } from './scale-out-roles-bench.js';
import { REPO_ROOT, type ServerBuild } from './vigil-server.js';

const BENCHMARKS = ['parsers', 'enrich', 'sigma', 'detection-partitions', 'syslog-tcp', 'ndjson-ingest', 'search', 'history', 'jetstream-bus', 'scale-out-roles'] as const;
type BenchName = (typeof BENCHMARKS)[number];

const FRAMINGS: readonly SyslogFraming[] = ['newline', 'octet-counted', 'mixed'];

function fail(message: string): never {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}

function positive(value: string | undefined, option: string, fallback: number): number {
  if (value === undefined) return fallback;
  const number = Number(value.replace(/_/g, ''));
  if (!Number.isFinite(number) || number <= 0) fail(`--${option} wants a positive number, got "${value}"`);
  return number;
}

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    duration: { type: 'string' },
    events: { type: 'string' },
    server: { type: 'string', default: 'src' },
    connections: { type: 'string' },
    framing: { type: 'string', default: 'newline' },
    concurrency: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
  strict: true,
});

const only = values.only?.split(',').map((name) => name.trim()) ?? [...BENCHMARKS];
for (const name of only) {
  if (!(BENCHMARKS as readonly string[]).includes(name)) fail(`unknown benchmark "${name}"; choose from ${BENCHMARKS.join(', ')}`);
}
const framing = FRAMINGS.find((candidate) => candidate === values.framing) ?? fail(`--framing is one of ${FRAMINGS.join(', ')}`);
const build: ServerBuild = values.server ?? 'src';
const duration = values.duration === undefined ? undefined : positive(values.duration, 'duration', 0);
keepTemporaryFolders(values.keep ?? false);
const log = (line: string): void => void process.stderr.write(`${line}\n`);

const runners: Record<BenchName, () => Promise<BenchResult>> = {
  'syslog-tcp': () => benchSyslogTcp({
    durationSec: duration ?? 60, build, framing, log,
    connections: Math.round(positive(values.connections, 'connections', 4)),
  }),
  'ndjson-ingest': () => benchNdjsonIngest({
    durationSec: duration ?? 20, build, log, batchSizes: [100, 1000],
    concurrency: Math.round(positive(values.concurrency, 'concurrency', 8)),
  }),
  parsers: () => benchParsers(log),
  enrich: () => benchEnrich(log),
  sigma: () => benchSigma(log, Math.round(positive(values.events, 'events', 1_000_000))),
  'detection-partitions': () => benchDetectionPartitions(log),
  search: () => benchSearchIfPresent(Math.round(positive(values.events, 'events', 1_000_000)), log),
  // Its size comes from VIGIL_BENCH_HISTORY_EVENTS (default 10,000,000), not --events: the
  // database is cached in bench/.data/ per size, and --events means 1M for the others.
  history: async () => benchHistory({ events: historyEventCount(), log }),
  // Against the machine's nats-server on 4222 (VIGIL_BENCH_NATS_URL); skipped when none answers.
  'jetstream-bus': () => benchJetStreamBus({ events: Math.round(positive(values.events, 'events', 100_000)), log }),
  // Its own nats-server and PostgreSQL schema per phase; --events default 100,000 per phase (about 4 minutes here).
  'scale-out-roles': () => benchScaleOutRoles({ events: Math.round(positive(values.events, 'events', 100_000)), log }),
};

const results: BenchResult[] = [];
const host = machine();
const commit = gitCommit(REPO_ROOT);
log(`bench: ${host.cpus} × ${host.cpuModel}, ${(host.totalMemoryBytes / 2 ** 30).toFixed(1)} GiB, node ${host.node}, commit ${commit ?? 'unknown'}`);
let failed = false;
for (const name of BENCHMARKS.filter((candidate) => only.includes(candidate))) {
  const date = new Date();
  const started = performance.now();
  let result: BenchResult;
  try {
    result = await runners[name]();
  } catch (error) {
    // One broken benchmark must not cost the figures of the others.
    failed = true;
    const message = error instanceof Error ? error.message : String(error);
    log(`bench: ${name} failed: ${message}`);
    result = { name, title: name, durationSec: duration ?? 0, figures: [], details: { error: message }, skipped: [`failed: ${message}`] };
  }
  if (interrupted()) break;
  results.push(result);
  const path = writeResults({
    ...result, date: date.toISOString(), wallSec: (performance.now() - started) / 1000, machine: host, gitCommit: commit,
  });
  log(`bench: ${name} done in ${((performance.now() - started) / 1000).toFixed(0)} s → ${path}`);
}

process.stdout.write(`\n${resultsTable(results)}\n`);
process.exitCode = failed ? 1 : 0;
