/**
 * `scale-out-roles`: the scale-out roles as separate processes, end to end, on this machine.
 * For W = 1, 2 and 4: a fresh nats-server (free ports, own store), a fresh PostgreSQL schema,
 * one `vigil serve --role ingest` and W `vigil serve --role detect` processes (scaleOut.detect,
 * 8 detection partitions, 8 events partitions). A fixed workload goes in through the ingest
 * role's HTTP import route, and the clock runs from the first request until every detect
 * worker has consumed and acknowledged every event (each `detect-p<e>` consumer has nothing
 * pending or unacknowledged) and every partition has committed what the stateless stage sent
 * it (the partition log purged up to its last record: checkpoints saved, alerts written).
 * A last phase runs ingest with `--role store` (ClickHouse embedded, chdb) on the same workload.
 *
 * Beside the rates, the CPU seconds each process spent (utime + stime from /proc/<pid>/stat,
 * the PostgreSQL backends found by application_name) per event: on a 2-core machine shared
 * with other jobs, W = 4 cannot run faster than W = 2, but CPU per event is what a capacity
 * model can be built on (docs/scaling.md, "Capacity model"). And bytes per event: JetStream
 * stream bytes, the detection partition log's bytes per record, ClickHouse's folder, and
 * PostgreSQL's tables per alert. A control figure says how much CPU the machine had.
 *
 * The workload: the history benchmark's generator (history-generator.ts: real corpus records
 * with hosts, users and addresses rewritten from pools, so events spread over the events
 * partitions as a real estate's do) without its Zeek share (TSV lines need their file's
 * header), rendered back to the original lines and posted as raw text to
 * `POST /api/v1/import?format=auto`, one format per request: ingest parses them as it parses
 * any shipped log. Without the corpus, generated ECS NDJSON (ndjson-events.ts) to
 * `POST /api/v1/ingest`. Detection: the built-in rules plus the partition fixture (a
 * correlation or behaviour rule of every kind over the SSH rules) and, when the corpus is
 * there, SigmaHQ's Linux and web rules.
 */
import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import pg from 'pg';
import type { BenchResult, Figure } from './bench-result.js';
import { removeTempDir, stopChild, trackChild, trackTempDir } from './child-processes.js';
import { CORPUS_GROUPS, historyBatches, loadCorpusTemplates } from './history-generator.js';
import { ndjsonBody } from './ndjson-events.js';
import { startRole as startRoleProcess, type RoleProcess } from '../test/support/role-process.js';
import { createToken } from '../src/api/auth/tokens.js';
import { PostgresStateStore } from '../src/store/postgres/postgres-state-store.js';
import { TEST_POSTGRES_URL, postgresUnavailable } from '../src/store/postgres/postgres-test-server.js';
import { ChdbEngine } from '../src/store/clickhouse/chdb-engine.js';
import { CORPUS_ROOT, corpusHas } from '../test/support/corpus.js';
import { natsServerMissing, startNatsServer, type NatsCluster } from '../test/support/nats-server.js';
import { twoThreadControl } from './cpu-control.js';

const WORKERS = [1, 2, 4] as const;
const PARTITIONS = 8;
const EVENT_PARTITIONS = 8;
const LINES_PER_REQUEST = 500;
const CONCURRENT_REQUESTS = 4;
const CLK_TCK = 100;
const BATCH = 5000;
const FIXTURE_RULES = fileURLToPath(new URL('../test/fixtures/sigma/partition', import.meta.url));
/** Nothing may take longer than this to drain; a stuck run fails rather than hangs. */
const DRAIN_TIMEOUT_MS = 240_000;

export interface ScaleOutRolesOptions {
  readonly events: number;
  readonly log: (line: string) => void;
}

interface Request {
  readonly path: string;
  readonly body: Buffer;
  readonly lines: number;
}

interface Workload {
  readonly kind: string;
  readonly requests: readonly Request[];
  readonly lines: number;
  readonly bytes: number;
  readonly rules: readonly string[];
}

/** The corpus-derived workload, or generated NDJSON without the corpus. */
function workload(events: number): Workload {
  const sigmaRules = ['linux', 'web'].filter((d) => corpusHas('sigma', 'rules', d)).map((d) => join(CORPUS_ROOT, 'sigma', 'rules', d));
  if (corpusHas('loghub', 'OpenSSH_2k.log')) {
    const groups = loadCorpusTemplates(CORPUS_ROOT, CORPUS_GROUPS.filter((g) => g.group !== 'zeek'));
    const end = Date.now();
    const pending = new Map<string, string[]>();
    const requests: Request[] = [];
    const emit = (format: string, lines: string[]) => {
      const body = Buffer.from(`${lines.join('\n')}\n`);
      requests.push({ path: `/api/v1/import?format=auto&path=${encodeURIComponent(`bench-${format}.log`)}`, body, lines: lines.length });
    };
    // An hour of event time ending now: windows and baselines work as on live traffic.
    for (const batch of historyBatches(groups, { events, start: end - 3_600_000, end, batchSize: 5000 })) {
      for (const event of batch.events) {
        // One line per event: a multi-line original (rare) is folded, as a shipper would.
        const line = event.original.replace(/[\r\n]+/g, ' ');
        let lines = pending.get(event.format);
        if (lines === undefined) pending.set(event.format, (lines = []));
        lines.push(line);
        if (lines.length === LINES_PER_REQUEST) {
          emit(event.format, lines);
          pending.set(event.format, []);
        }
      }
    }
    for (const [format, lines] of pending) if (lines.length > 0) emit(format, lines);
    return {
      kind: `corpus-derived (history generator without Zeek: OpenSSH/Linux/RFC 5424 syslog, Apache, Windows JSON, Suricata), raw lines to POST /api/v1/import`,
      requests,
      lines: requests.reduce((n, r) => n + r.lines, 0),
      bytes: requests.reduce((n, r) => n + r.body.length, 0),
      rules: [FIXTURE_RULES, ...sigmaRules],
    };
  }
  const requests: Request[] = [];
  for (let at = 0, seed = 1; at < events; at += LINES_PER_REQUEST, seed++) {
    const count = Math.min(LINES_PER_REQUEST, events - at);
    requests.push({ path: '/api/v1/ingest', body: ndjsonBody(count, seed, Date.now() - 3_600_000 + at * 50), lines: count });
  }
  return {
    kind: 'generated ECS NDJSON (ndjson-events.ts) to POST /api/v1/ingest: no corpus found',
    requests,
    lines: events,
    bytes: requests.reduce((n, r) => n + r.body.length, 0),
    rules: [FIXTURE_RULES],
  };
}

/** utime + stime of a process in seconds, or undefined when it is gone. */
function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After the command: state is field 3; utime and stime are fields 14 and 15.
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return undefined;
  }
}

function folderBytes(path: string): number {
  let total = 0;
  for (const name of readdirSync(path)) {
    const full = join(path, name);
    const s = statSync(full);
    total += s.isDirectory() ? folderBytes(full) : s.size;
  }
  return total;
}

function startRole(name: string, config: string, data: string, roles: string): Promise<RoleProcess> {
  return startRoleProcess({ name, config, data, roles, readyWithinMs: 90_000, track: (child) => trackChild(child, { group: false }) });
}

/** Posts every request, CONCURRENT_REQUESTS at a time; resolves with the time of the last answer. */
async function send(http: string, token: string, requests: readonly Request[]): Promise<{ seconds: number; refused: number; cpuSec: number }> {
  let next = 0;
  let refused = 0;
  const started = performance.now();
  const cpu = process.cpuUsage();
  await Promise.all(Array.from({ length: CONCURRENT_REQUESTS }, async () => {
    for (let i = next++; i < requests.length; i = next++) {
      const request = requests[i]!;
      for (;;) {
        const res = await fetch(`${http}${request.path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': request.path.startsWith('/api/v1/ingest') ? 'application/x-ndjson' : 'text/plain' },
          body: request.body,
        });
        const text = await res.text();
        if (res.status === 200) break;
        if (res.status === 429 || res.status === 503) {
          refused++;
          await sleep(50);
          continue;
        }
        throw new Error(`ingest answered ${res.status}: ${text.slice(0, 300)}`);
      }
    }
  }));
  const used = process.cpuUsage(cpu);
  return { seconds: (performance.now() - started) / 1000, refused, cpuSec: (used.user + used.system) / 1e6 };
}

interface Consumption {
  readonly pending: number;
  readonly lastSeq: number;
  readonly streamBytes: number;
  readonly streamMessages: number;
}

/** What the named durable consumers of the events stream still have to do. */
async function consumption(jsm: JetStreamManager, consumers: readonly string[]): Promise<Consumption> {
  const stream = await jsm.streams.info('VIGIL_EVENTS');
  let pending = 0;
  for (const name of consumers) {
    const info = await jsm.consumers.info('VIGIL_EVENTS', name);
    pending += info.num_pending + info.num_ack_pending;
  }
  return { pending, lastSeq: stream.state.last_seq, streamBytes: stream.state.bytes, streamMessages: stream.state.messages };
}

/** A PostgreSQL client as the benchmark itself (not counted among the roles' backends). */
async function admin(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL, application_name: 'vigil-bench-admin' });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

async function backendPids(client: pg.Client, application: string): Promise<number[]> {
  const rows = await client.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [application]);
  return rows.rows.map((r) => r.pid);
}

/** Peak resident memory (VmHWM) of a process in MiB, or undefined when it is gone. */
function peakRssMiB(pid: number): number | undefined {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Math.round(Number(match[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

/** Per role name, the largest peak RSS of its processes (MiB). */
function peakRss(roles: readonly RoleProcess[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of roles) {
    const name = r.name.startsWith('detect') ? 'detect' : r.name;
    const rss = peakRssMiB(r.pid);
    if (rss !== undefined) out[name] = Math.max(out[name] ?? 0, rss);
  }
  return out;
}

/** CPU seconds of a set of processes, by name; PostgreSQL backends summed as `postgres`. */
class CpuMeter {
  readonly #start = new Map<number, number>();
  constructor(private readonly processes: () => Promise<Map<number, string>>) {}

  async begin(): Promise<void> {
    for (const pid of (await this.processes()).keys()) this.#start.set(pid, cpuSeconds(pid) ?? 0);
  }

  /** Per name, CPU seconds since begin (a process that began later counts from its own start). */
  async end(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const [pid, name] of await this.processes()) {
      const now = cpuSeconds(pid);
      if (now === undefined) continue;
      out[name] = (out[name] ?? 0) + now - (this.#start.get(pid) ?? 0);
    }
    return out;
  }
}

interface Phase {
  readonly dir: string;
  readonly nats: NatsCluster;
  readonly nc: NatsConnection;
  readonly jsm: JetStreamManager;
  readonly schema: string;
  readonly application: string;
  readonly token: string;
  readonly config: (worker: number) => string;
  close(): Promise<void>;
}

/** A fresh nats-server, PostgreSQL schema, data folder and ingest token; `workers` detect workers declared in the config. */
async function phase(name: string, workers: number, rules: readonly string[]): Promise<Phase> {
  const dir = mkdtempSync(join(tmpdir(), `vigil-bench-scale-out-${name}-`));
  trackTempDir(dir);
  const nats = await startNatsServer();
  const schema = `vigil_bench_${process.pid}_${name.replace(/\W/g, '_')}_${Date.now().toString(36)}`;
  const application = `vigil-bench-${schema}`.slice(0, 63);
  const url = new URL(TEST_POSTGRES_URL);
  url.searchParams.set('application_name', application);
  const config = (worker: number) => {
    const path = join(dir, `vigil-${worker}.yaml`);
    writeFileSync(path, [
      'scaleOut:',
      `  nats: { servers: ["${nats.urls[0]}"], partitions: ${EVENT_PARTITIONS}, maxBytes: ${1024 ** 3} }`,
      `  clickhouse: { path: "${join(dir, 'clickhouse')}" }`,
      `  postgres: { url: "${url.href}", schema: ${schema}, poolSize: 4 }`,
      `  detect: { partitions: ${PARTITIONS}, workers: ${workers}, worker: ${worker}, checkpointSeconds: 1 }`,
      // The default batch size (5,000), which docs/deploy.md advises for the store role.
      `pipeline: { batchSize: ${BATCH} }`,
      `detection: { builtin: true, rules: [${rules.map((r) => JSON.stringify(r)).join(', ')}], reloadSeconds: 0 }`,
      // The workload comes over HTTP: no syslog listeners, which would clash with any other Vigil on this machine.
      'syslog: { udp: false, tcp: false }',
      'log: { level: warn }',
      '',
    ].join('\n'));
    return path;
  };
  // The token the sender uses, made as `vigil token create` makes it (the api role is not run).
  const state = await PostgresStateStore.open({ url: TEST_POSTGRES_URL, schema });
  const { secret } = await createToken(state, { name: 'bench', role: 'ingest', tenant: 'default' });
  await state.close();
  const nc = await connect({ servers: nats.urls[0] });
  const jsm = await jetstreamManager(nc);
  return {
    dir, nats, nc, jsm, schema, application, token: secret, config,
    close: async () => {
      await nc.close().catch(() => undefined);
      await nats.stop();
      const client = await admin();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
      await client.end();
      removeTempDir(dir);
    },
  };
}

interface WorkerRun {
  readonly workers: number;
  readonly events: number;
  readonly endToEndSec: number;
  readonly ingestSec: number;
  readonly refused: number;
  readonly cpuSec: Record<string, number>;
  /** Peak RSS per role (MiB; detect: the largest worker). */
  readonly peakRssMiB: Record<string, number>;
  readonly streamBytesPerEvent: number;
  readonly detectRecords: number;
  readonly detectRecordBytes: number | null;
  readonly alerts: number;
  /** Detections the alerts hold (sum of their counts), and distinct (rule, group key) pairs among them. */
  readonly alertDetections: number;
  readonly alertGroups: number;
  /** The rules that raised the most alerts, with their counts. */
  readonly topRules: readonly { rule: string; alerts: number }[];
  /**
   * What the alert intakes did with every detection delivered to them (PostgreSQL rule_days,
   * summed over the detect processes): raised as a new alert, grouped into an open one,
   * suppressed, or throttled by the rule's daily budget. Their sum is the detections made; the
   * alerts' counts hold only the raised and grouped ones. Each detect process keeps its own
   * budget (docs/scaling.md), so with W workers up to W × the budget is raised.
   */
  readonly intake: { raised: number; grouped: number; suppressed: number; throttled: number };
  /** Detections made per rule (raised + grouped + suppressed + throttled), most first. */
  readonly detectionsByRule: readonly { rule: string; detections: number; raised: number; throttled: number }[];
  readonly postgres: Record<string, number>;
  readonly control: number;
  readonly loadavg: readonly number[];
}

async function tableBytes(client: pg.Client, schema: string): Promise<Record<string, number>> {
  const rows = await client.query<{ name: string; bytes: string }>(
    `SELECT c.relname AS name, pg_total_relation_size(c.oid) AS bytes FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r'`,
    [schema],
  );
  return Object.fromEntries(rows.rows.map((r) => [r.name, Number(r.bytes)]));
}

async function runWorkers(workers: number, load: Workload, log: (line: string) => void): Promise<WorkerRun> {
  const control = await twoThreadControl();
  const p = await phase(`w${workers}`, workers, load.rules);
  const roles: RoleProcess[] = [];
  const client = await admin();
  try {
    const ingest = await startRole('ingest', p.config(0), join(p.dir, 'ingest'), 'ingest');
    roles.push(ingest);
    roles.push(...(await Promise.all(Array.from({ length: workers }, (_, w) => startRole(`detect-${w}`, p.config(w), join(p.dir, `detect-${w}`), 'detect')))));
    const consumers = Array.from({ length: EVENT_PARTITIONS }, (_, e) => `detect-p${e}`);
    const meter = new CpuMeter(async () => {
      const named = new Map<number, string>(roles.map((r) => [r.pid, r.name.startsWith('detect') ? 'detect' : r.name]));
      const natsPid = p.nats.nodes[0]!.pid();
      if (natsPid !== undefined) named.set(natsPid, 'nats');
      for (const pid of await backendPids(client, p.application)) named.set(pid, 'postgres');
      return named;
    });
    // Let the workers settle (consumers created, rules warm) before the clock starts.
    await sleep(2000);
    await meter.begin();
    const load0 = loadavg()[0]!;
    log(`scale-out-roles: W=${workers}: posting ${load.lines} lines in ${load.requests.length} requests...`);
    const started = performance.now();
    let detectRecordBytes: number | null = null;
    const sent = await send(ingest.http, p.token, load.requests);
    // Drained: every detect-p consumer has acknowledged everything, then the partition log is
    // purged past the last record the stateless stage had sent by then.
    const deadline = Date.now() + DRAIN_TIMEOUT_MS;
    let state = await consumption(p.jsm, consumers);
    while (state.pending > 0) {
      if (Date.now() > deadline) throw new Error(`W=${workers}: ${state.pending} events still not consumed by the detect workers after ${DRAIN_TIMEOUT_MS / 1000} s:\n${roles.map((r) => `${r.name}: ${r.output().slice(-1500)}`).join('\n')}`);
      const detect = await p.jsm.streams.info('VIGIL_DETECT').catch(() => undefined);
      if (detect && detect.state.messages > 100) detectRecordBytes = Math.max(detectRecordBytes ?? 0, detect.state.bytes / detect.state.messages);
      await sleep(100);
      state = await consumption(p.jsm, consumers);
    }
    const lastRecord = (await p.jsm.streams.info('VIGIL_DETECT')).state.last_seq;
    for (;;) {
      const detect = await p.jsm.streams.info('VIGIL_DETECT');
      if (detect.state.messages === 0 || detect.state.first_seq > lastRecord) break;
      if (detect.state.messages > 100) detectRecordBytes = Math.max(detectRecordBytes ?? 0, detect.state.bytes / detect.state.messages);
      if (Date.now() > deadline) throw new Error(`W=${workers}: the partition log still holds ${detect.state.messages} records after ${DRAIN_TIMEOUT_MS / 1000} s`);
      await sleep(100);
    }
    const endToEndSec = (performance.now() - started) / 1000;
    const cpuSec = { ...(await meter.end()), sender: sent.cpuSec };
    const events = state.lastSeq;
    const [alertRow] = (await client.query<{ n: string; detections: string; groups: string }>(
      `SELECT count(*) AS n, coalesce(sum("count"), 0) AS detections, count(DISTINCT (rule_id, group_key)) AS groups FROM "${p.schema}".alerts`,
    )).rows;
    const top = await client.query<{ rule: string; n: string }>(`SELECT rule_id AS rule, count(*) AS n FROM "${p.schema}".alerts GROUP BY rule_id ORDER BY count(*) DESC LIMIT 8`);
    const days = await client.query<{ rule: string; raised: string; grouped: string; suppressed: string; throttled: string }>(
      `SELECT rule_id AS rule, sum(raised) AS raised, sum(grouped) AS grouped, sum(suppressed) AS suppressed, sum(throttled) AS throttled FROM "${p.schema}".rule_days GROUP BY rule_id`,
    );
    const intake = { raised: 0, grouped: 0, suppressed: 0, throttled: 0 };
    const detectionsByRule = days.rows.map((r) => {
      const [raised, grouped, suppressed, throttled] = [r.raised, r.grouped, r.suppressed, r.throttled].map(Number) as [number, number, number, number];
      intake.raised += raised;
      intake.grouped += grouped;
      intake.suppressed += suppressed;
      intake.throttled += throttled;
      return { rule: r.rule, detections: raised + grouped + suppressed + throttled, raised, throttled };
    }).sort((a, b) => b.detections - a.detections || a.rule.localeCompare(b.rule));
    const run: WorkerRun = {
      workers,
      events,
      endToEndSec,
      ingestSec: sent.seconds,
      refused: sent.refused,
      cpuSec,
      peakRssMiB: peakRss(roles),
      streamBytesPerEvent: state.streamBytes / Math.max(1, state.streamMessages),
      detectRecords: lastRecord,
      detectRecordBytes,
      alerts: Number(alertRow!.n),
      alertDetections: Number(alertRow!.detections),
      alertGroups: Number(alertRow!.groups),
      topRules: top.rows.map((r) => ({ rule: r.rule, alerts: Number(r.n) })),
      intake,
      detectionsByRule,
      postgres: await tableBytes(client, p.schema),
      control,
      loadavg: [load0, loadavg()[0]!],
    };
    log(`scale-out-roles: W=${workers}: detections made ${intake.raised + intake.grouped + intake.suppressed + intake.throttled} (raised ${intake.raised}, grouped ${intake.grouped}, suppressed ${intake.suppressed}, throttled ${intake.throttled}); ${run.alerts} alerts holding ${run.alertDetections}`);
    log(`scale-out-roles: W=${workers}: ${events} events in ${endToEndSec.toFixed(1)} s = ${Math.round(events / endToEndSec)} events/s end to end; ingest acknowledged ${Math.round(events / sent.seconds)} events/s; CPU ${JSON.stringify(Object.fromEntries(Object.entries(cpuSec).map(([k, v]) => [k, Number(v.toFixed(1))])))} s; control ${control}x`);
    return run;
  } finally {
    for (const r of roles.reverse()) await stopChild(r.child, 10_000);
    await client.end();
    await p.close();
  }
}

interface StoreRun {
  readonly events: number;
  readonly endToEndSec: number;
  readonly ingestSec: number;
  readonly cpuSec: Record<string, number>;
  readonly peakRssMiB: Record<string, number>;
  readonly clickhouseBytes: number;
  /** The events table after OPTIMIZE … FINAL (parts merged, as after a day of background merges). */
  readonly clickhouseMerged: { readonly rows: number; readonly bytesOnDisk: number; readonly compressed: number; readonly uncompressed: number };
  readonly streamBytesPerEvent: number;
}

/** Merges the events table's parts (what ClickHouse does in the background) and reads its size. */
async function mergedEventsTable(path: string): Promise<StoreRun['clickhouseMerged']> {
  const engine = await ChdbEngine.open(path);
  try {
    await engine.command('OPTIMIZE TABLE events FINAL');
    const [row] = await engine.rows(
      "SELECT sum(rows), sum(bytes_on_disk), sum(data_compressed_bytes), sum(data_uncompressed_bytes) FROM system.parts WHERE active AND database = currentDatabase() AND table = 'events'",
    );
    const [rows, bytesOnDisk, compressed, uncompressed] = (row ?? []).map(Number);
    return { rows: rows ?? 0, bytesOnDisk: bytesOnDisk ?? 0, compressed: compressed ?? 0, uncompressed: uncompressed ?? 0 };
  } finally {
    await engine.close();
  }
}

/** Ingest and the store role (ClickHouse embedded) alone, on the same workload. */
async function runStore(load: Workload, log: (line: string) => void): Promise<StoreRun> {
  const p = await phase('store', 1, load.rules);
  const roles: RoleProcess[] = [];
  const client = await admin();
  try {
    const ingest = await startRole('ingest', p.config(0), join(p.dir, 'ingest'), 'ingest');
    roles.push(ingest);
    roles.push(await startRole('store', p.config(0), join(p.dir, 'store'), 'store'));
    const meter = new CpuMeter(async () => {
      const named = new Map<number, string>(roles.map((r) => [r.pid, r.name]));
      const natsPid = p.nats.nodes[0]!.pid();
      if (natsPid !== undefined) named.set(natsPid, 'nats');
      for (const pid of await backendPids(client, p.application)) named.set(pid, 'postgres');
      return named;
    });
    await sleep(2000);
    await meter.begin();
    log(`scale-out-roles: store: posting ${load.lines} lines...`);
    const started = performance.now();
    const sent = await send(ingest.http, p.token, load.requests);
    const deadline = Date.now() + DRAIN_TIMEOUT_MS;
    let state = await consumption(p.jsm, ['store']);
    while (state.pending > 0) {
      if (Date.now() > deadline) throw new Error(`store: ${state.pending} events not stored after ${DRAIN_TIMEOUT_MS / 1000} s:\n${roles.map((r) => `${r.name}: ${r.output().slice(-1500)}`).join('\n')}`);
      await sleep(100);
      state = await consumption(p.jsm, ['store']);
    }
    const endToEndSec = (performance.now() - started) / 1000;
    const cpuSec = { ...(await meter.end()), sender: sent.cpuSec };
    const rss = peakRss(roles);
    for (const r of roles.reverse()) await stopChild(r.child, 30_000);
    roles.length = 0;
    const run: StoreRun = {
      events: state.lastSeq,
      endToEndSec,
      ingestSec: sent.seconds,
      cpuSec,
      peakRssMiB: rss,
      // The detect-p consumers never ran here, so the stream still holds every event.
      streamBytesPerEvent: state.streamBytes / Math.max(1, state.streamMessages),
      clickhouseBytes: folderBytes(join(p.dir, 'clickhouse')),
      clickhouseMerged: await mergedEventsTable(join(p.dir, 'clickhouse')),
    };
    log(`scale-out-roles: store: ${run.events} events stored in ${endToEndSec.toFixed(1)} s = ${Math.round(run.events / endToEndSec)} events/s; CPU ${JSON.stringify(Object.fromEntries(Object.entries(cpuSec).map(([k, v]) => [k, Number(v.toFixed(1))])))} s; ClickHouse ${(run.clickhouseBytes / run.events).toFixed(0)} B/event (folder), ${(run.clickhouseMerged.bytesOnDisk / Math.max(1, run.clickhouseMerged.rows)).toFixed(0)} B/event (events table merged)`);
    return run;
  } finally {
    for (const r of roles.reverse()) await stopChild(r.child, 10_000);
    await client.end();
    await p.close();
  }
}

const perEventUs = (seconds: number | undefined, events: number): number | null => (seconds === undefined ? null : Math.round((seconds / events) * 1e6 * 10) / 10);

export async function benchScaleOutRoles(options: ScaleOutRolesOptions): Promise<BenchResult> {
  const title = 'Scale-out roles end to end: ingest → NATS → 1/2/4 detect workers → PostgreSQL; ingest → store (ClickHouse)';
  const skipped: string[] = [];
  const nats = natsServerMissing();
  if (nats) skipped.push(nats);
  const postgres = await postgresUnavailable();
  if (postgres !== undefined) skipped.push(postgres);
  if (skipped.length > 0) return { name: 'scale-out-roles', title, durationSec: 0, figures: [], details: {}, skipped };
  const { log } = options;
  const load = workload(options.events);
  log(`scale-out-roles: workload: ${load.lines} events, ${(load.bytes / load.lines).toFixed(0)} B/event as sent, ${load.kind}; rules: built-in + ${load.rules.join(', ')}`);
  const started = performance.now();
  const runs: WorkerRun[] = [];
  for (const workers of WORKERS) runs.push(await runWorkers(workers, load, log));
  const store = await runStore(load, log);

  const figures: Figure[] = [];
  for (const r of runs) {
    const note = `${r.events} events in ${r.endToEndSec.toFixed(1)} s; 2-thread control ${r.control}x, load ${r.loadavg.map((l) => l.toFixed(1)).join('→')}`;
    figures.push({ label: `W=${r.workers}: end to end (first request → all detect workers committed)`, value: Math.round(r.events / r.endToEndSec), unit: 'events/s', note });
    figures.push({ label: `W=${r.workers}: ingest acknowledged`, value: Math.round(r.events / r.ingestSec), unit: 'events/s', ...(r.refused ? { note: `${r.refused} requests refused (429/503) and retried` } : {}) });
    const made = r.intake.raised + r.intake.grouped + r.intake.suppressed + r.intake.throttled;
    figures.push({
      label: `W=${r.workers}: detections made (alert intakes: raised + grouped + suppressed + throttled)`, value: made, unit: 'detections',
      note: `raised ${r.intake.raised}, grouped ${r.intake.grouped}, throttled ${r.intake.throttled} (daily budget per rule, kept per detect process); ${r.alerts} alerts holding ${r.alertDetections}`,
    });
    for (const name of ['ingest', 'detect', 'nats', 'postgres']) {
      figures.push({ label: `W=${r.workers}: CPU per event, ${name}${name === 'detect' ? ` (sum of ${r.workers})` : ''}`, value: perEventUs(r.cpuSec[name], r.events), unit: 'µs' });
    }
  }
  figures.push({ label: 'store: ingest → store role (ClickHouse chdb) end to end', value: Math.round(store.events / store.endToEndSec), unit: 'events/s', note: `${store.events} events in ${store.endToEndSec.toFixed(1)} s` });
  for (const name of ['ingest', 'store', 'nats']) figures.push({ label: `store phase: CPU per event, ${name}`, value: perEventUs(store.cpuSec[name], store.events), unit: 'µs' });
  const rss: Record<string, number | undefined> = { ...runs.at(-1)!.peakRssMiB, store: store.peakRssMiB['store'] };
  for (const name of ['ingest', 'detect', 'store']) {
    figures.push({ label: `peak RSS (VmHWM), ${name}${name === 'detect' ? ` (largest of ${runs.at(-1)!.workers} workers)` : ''}`, value: rss[name] ?? null, unit: 'MiB' });
  }
  const last = runs.at(-1)!;
  const alertsBytes = last.postgres['alerts'] ?? 0;
  const stateBytes = Object.values(last.postgres).reduce((a, b) => a + b, 0);
  figures.push({ label: 'bytes per event as sent (request bodies)', value: Math.round(load.bytes / load.lines), unit: 'B' });
  figures.push({ label: 'JetStream events stream, bytes per event', value: Math.round(store.streamBytesPerEvent), unit: 'B' });
  figures.push({ label: 'JetStream detect partition log, bytes per record', value: last.detectRecordBytes === null ? null : Math.round(last.detectRecordBytes), unit: 'B', note: `${(last.detectRecords / last.events).toFixed(2)} records per event (W=${last.workers})` });
  figures.push({ label: 'ClickHouse (chdb) folder, bytes per event', value: Math.round(store.clickhouseBytes / store.events), unit: 'B', note: 'whole folder as the store role left it: parts before merges, indexes, chain tables, metadata' });
  const merged = store.clickhouseMerged;
  figures.push({
    label: 'ClickHouse events table after OPTIMIZE FINAL, bytes per event', value: merged.rows ? Math.round(merged.bytesOnDisk / merged.rows) : null, unit: 'B',
    note: `${merged.rows} rows; data ${(merged.uncompressed / Math.max(1, merged.rows)).toFixed(0)} B/event uncompressed, ${(merged.compressed / Math.max(1, merged.rows)).toFixed(0)} compressed`,
  });
  figures.push({ label: 'PostgreSQL alerts table, bytes per alert', value: last.alerts ? Math.round(alertsBytes / last.alerts) : null, unit: 'B', note: `${last.alerts} alerts (${(last.alerts / last.events * 1000).toFixed(2)} per 1,000 events), table with indexes` });
  figures.push({ label: 'PostgreSQL all state tables, bytes per event', value: Math.round((stateBytes / last.events) * 10) / 10, unit: 'B', note: 'alerts, deliveries, checkpoints, rule days… (fixed-size tables included)' });

  return {
    name: 'scale-out-roles',
    title,
    durationSec: Math.round((performance.now() - started) / 1000),
    figures,
    details: {
      workload: { kind: load.kind, events: load.lines, requests: load.requests.length, bodyBytes: load.bytes, rules: ['built-in', ...load.rules] },
      partitions: PARTITIONS,
      batchSize: BATCH,
      eventPartitions: EVENT_PARTITIONS,
      cores: availableParallelism(),
      runs,
      store,
    },
  };
}
