/**
 * Resource bombs against a real `vigil serve`: gzip bombs on the three HTTP inputs, JSON nested
 * 100,000 deep, an object with a million keys, 100 MB lines without a newline (HTTP and TCP
 * syslog), 10,000 idle connections (HTTP and TCP syslog), and a flood of bad tokens. Each bomb
 * must be answered (400/413) or cut within 1 s, the server's RSS must stay bounded, and another
 * sender's latency (the median of small HTTP ingest requests, each on a fresh connection,
 * measured during the attack) may not be more than twice what it is around the attack.
 *
 * The attacker runs on its own thread (test/support/bomb-attacker.ts), as fast as it can, so
 * this thread does nothing but the innocent sender's work: an attacker generated on the same
 * event loop delayed the innocent's requests before they left, and the delay was blamed on the
 * server. That thread runs at the lowest CPU priority (nice 19): it stands for an attacker's own
 * machine, using every cycle the server and the innocent leave, without taking theirs on a
 * machine of two cores.
 *
 * Figures are printed and written to bench/results/reliability-bombs.json.
 */
import { strict as assert } from 'node:assert';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type http from 'node:http';
import net from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import type { Figure } from '../../bench/bench-result.js';
import { gitCommit, machine, writeResults } from '../../bench/results-file.js';
import { Attacker, type AttackSpec } from '../support/bomb-attacker.js';
import { CUT, timedRequest, type Answer } from '../support/timed-request.js';
import { hostPort, REPO, startVigil, type VigilProcess } from '../support/vigil-process.js';

const MiB = 1024 * 1024;
/** A bomb must be answered or cut within this. */
const CUT_MS = 1000;
/** RSS may not grow by more than this across one attack (the inflate cap is 128 MiB). */
const RSS_GROWTH_LIMIT = 400 * MiB;
/**
 * The latency figure compared is the median of at least 15 requests. Medians here are a few
 * milliseconds (one fsync each), so a 2× bound alone would fail on scheduling noise of the
 * 2-core machine: the bound is 2× the quiet median or the quiet median + 5 ms, whichever is
 * larger. Both figures are recorded so the reader can judge.
 */
const NOISE_MS = 5;
/**
 * The quiet median an attack is compared with brackets it: BASELINE_REQUESTS requests just
 * before and as many just after (once the server has settled), one median over both. The
 * machine is shared and its disk's flush time drifts (a quiet median is 1.3 ms one minute and
 * 4 ms the next): a quiet figure taken minutes earlier would blame that drift on the attack, or
 * hide the attack behind it. The quiet figure of the whole run is recorded too.
 */
const BASELINE_REQUESTS = 20;
/**
 * The attacker is meant to share the machine with the server, not with other work. When other
 * processes used more than this share of the machine's CPU during an attack (measured from
 * /proc/stat less this process and the server), a latency over the bound is reported as TODO
 * (not judged), with the share, instead of failing: the figure measures the other work.
 */
const BUSY_MACHINE = 0.25;
let data = '';
let server: VigilProcess;
let http0: { host: string; port: number };
const started = Date.now();
const figures: Figure[] = [];
const details: Record<string, unknown> = {};

function figure(t: TestContext, label: string, value: number, unit: string): void {
  figures.push({ label, value, unit });
  t.diagnostic(`${label}: ${Number.isInteger(value) ? value : value.toFixed(1)} ${unit}`);
  process.stdout.write(`# bombs: ${label}: ${Number.isInteger(value) ? value : value.toFixed(1)} ${unit}\n`);
}

/** Clock ticks of CPU the whole machine has used, and this process (the attacker thread too) with the server. */
async function cpuTicks(): Promise<{ machine: number; ours: number }> {
  const stat = await readFile('/proc/stat', 'utf8');
  const [user, nice, system, , , irq, softirq, steal] = stat.slice(4, stat.indexOf('\n')).trim().split(/\s+/).map(Number) as number[];
  const processTicks = async (pid: number): Promise<number> => {
    const text = await readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime, stime
  };
  const machine = (user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0);
  return { machine, ours: (await processTicks(process.pid)) + (await processTicks(server.child.pid as number)) };
}

async function rssBytes(): Promise<number> {
  const status = await readFile(`/proc/${server.child.pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+) kB/.exec(status);
  return Number(kb?.[1] ?? NaN) * 1024;
}

/** One request to the server on its own connection; `body` is sent whole, or streamed by a function. */
function request(
  method: string,
  path: string,
  headers: Record<string, string>,
  body: Buffer | ((req: http.ClientRequest) => void) | undefined,
  timeoutMs = 30_000,
): Promise<Answer> {
  return timedRequest(http0, method, path, headers, body, timeoutMs);
}

const auth = (): Record<string, string> => ({ authorization: `Bearer ${server.token}` });

/** A small ingest request from an innocent sender, on a fresh connection. */
async function innocentIngest(): Promise<number> {
  const body = Buffer.from(`${JSON.stringify({ message: 'innocent sender', 'host.name': 'bystander' })}\n`);
  const answer = await request('POST', '/api/v1/ingest', { ...auth(), 'content-type': 'application/x-ndjson' }, body, 30_000);
  assert.equal(answer.status, 200, `innocent sender got ${answer.status}: ${answer.body}`);
  return answer.ms;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : (sorted[Math.floor((sorted.length - 1) / 2)] as number);
}

let quietMedianMs = NaN;

/**
 * Runs `attack` (which repeats its bomb until `signal` aborts) for at least `ms` while an
 * innocent sender measures its latency and RSS is sampled; checks latency and memory. Bombs
 * run on an attacker thread (`bombing`), so this thread does nothing but the innocent's work.
 */
/** What a check learns of the attack it judges: the share of the machine's CPU other processes used. */
interface AttackContext {
  readonly others: number;
}

async function underAttack(
  t: TestContext,
  name: string,
  ms: number,
  attack: (signal: AbortSignal) => Promise<void>,
  check?: (context: AttackContext) => void | Promise<void>,
  ready?: Promise<void>,
): Promise<void> {
  const before: number[] = [];
  for (let i = 0; i < BASELINE_REQUESTS; i++) before.push(await innocentIngest());
  await eventLoopDelay(); // resets the server's histogram: the next reading covers the attack
  const rssBefore = await rssBytes();
  const stop = new AbortController();
  let rssPeak = rssBefore;
  const sampler = (async () => {
    while (!stop.signal.aborted) {
      rssPeak = Math.max(rssPeak, await rssBytes());
      await sleep(50);
    }
  })();
  const cpuBefore = await cpuTicks();
  const attackStarted = performance.now();
  const running = attack(stop.signal);
  const latencies: number[] = [];
  let refused = 0;
  const probe = (async () => {
    await (ready ?? sleep(100)); // let the attack start
    const until = Date.now() + ms;
    while (Date.now() < until || latencies.length + refused < 15) {
      try {
        latencies.push(await innocentIngest());
      } catch {
        refused++;
        await sleep(20);
      }
    }
  })();
  try {
    await probe;
  } finally {
    stop.abort();
    await running;
    await sampler;
  }
  const cpuAfter = await cpuTicks();
  // Ticks are 1/100 s; the share of the whole machine other processes used during the attack.
  const others = (cpuAfter.machine - cpuBefore.machine - (cpuAfter.ours - cpuBefore.ours)) / (((performance.now() - attackStarted) / 10) * cpus().length);
  const loop = await eventLoopDelay();
  const load = loadavg()[0] as number;
  await sleep(500);
  const rssAfter = await rssBytes();
  const after: number[] = [];
  for (let i = 0; i < BASELINE_REQUESTS; i++) {
    try {
      after.push(await innocentIngest());
    } catch {
      // What an attack leaves open until its test closes it (10,000 idle connections) may still
      // refuse the innocent: the bracket then rests on the requests that were answered.
    }
  }
  const quiet = median([...before, ...after]);
  const during = median(latencies);
  figure(t, `${name}: machine load average (1 min) at the end of the attack`, load, 'runnable');
  figure(t, `${name}: CPU used by other processes during the attack`, 100 * others, '% of the machine');
  figure(t, `${name}: innocent sender median latency just before the attack`, median(before), 'ms');
  figure(t, `${name}: innocent sender median latency just after the attack`, median(after), 'ms');
  figure(t, `${name}: innocent sender median latency around the attack (before and after)`, quiet, 'ms');
  figure(t, `${name}: innocent sender median latency during attack`, during, 'ms');
  figure(t, `${name}: innocent requests refused or failed`, refused, 'requests');
  // The server's own event loop (timer sampled every 10 ms, so 10 ms is an idle loop): how long
  // the attack held it. The innocent's latency adds the CPU the attacker takes from everyone.
  figure(t, `${name}: server event-loop delay p50`, loop.p50, 'ms');
  figure(t, `${name}: server event-loop delay p99`, loop.p99, 'ms');
  figure(t, `${name}: server event-loop delay max`, loop.max, 'ms');
  figure(t, `${name}: RSS peak growth`, (rssPeak - rssBefore) / MiB, 'MiB');
  figure(t, `${name}: RSS after − before`, (rssAfter - rssBefore) / MiB, 'MiB');
  details[name] = { ...((details[name] as object | undefined) ?? {}), latenciesMs: latencies.map((l) => Math.round(l * 10) / 10), rssBefore, rssPeak, rssAfter };
  await check?.({ others });
  assert.equal(refused, 0, `${name}: ${refused} of ${refused + latencies.length} innocent requests were refused or failed`);
  assert.ok(rssPeak - rssBefore < RSS_GROWTH_LIMIT, `${name}: RSS grew by ${(rssPeak - rssBefore) / MiB} MiB`);
  const bound = Math.max(2 * quiet, quiet + NOISE_MS);
  figure(t, `${name}: latency during / around`, during / quiet, 'x');
  figure(t, `${name}: latency during / quiet of the run`, during / quietMedianMs, 'x');
  if (during > bound && others > BUSY_MACHINE) {
    return void t.todo(`not judged: other processes used ${(100 * others).toFixed(0)}% of the machine during the attack (median ${during.toFixed(1)} ms vs ${quiet.toFixed(1)} ms around)`);
  }
  assert.ok(
    during <= bound,
    `${name}: innocent sender's median latency ${during.toFixed(1)} ms during the attack vs ${quiet.toFixed(1)} ms around it (bound ${bound.toFixed(1)} ms)`,
  );
}

/**
 * Loads `spec` on an attacker thread (before the measurement starts), then runs it under
 * `underAttack`; returns the attacker for its report.
 */
async function bombing(
  t: TestContext,
  name: string,
  spec: AttackSpec,
  check: (attacker: Attacker, context: AttackContext) => void | Promise<void>,
): Promise<Attacker> {
  const attacker = await Attacker.load(spec);
  await underAttack(t, name, 3000, (signal) => attacker.run(signal), (context) => check(attacker, context));
  return attacker;
}

/** Every answer has an allowed status, and the slowest came within CUT_MS (not judged on a busy machine: see BUSY_MACHINE). */
function checkAnswers(t: TestContext, name: string, answers: Answer[], allowed: number[], context: AttackContext): void {
  assert.ok(answers.length > 0, `${name}: no bomb was answered`);
  const slowest = Math.max(...answers.map((a) => a.ms));
  figure(t, `${name}: bombs answered`, answers.length, 'requests');
  figure(t, `${name}: slowest answer`, slowest, 'ms');
  const statuses = [...new Set(answers.map((a) => a.status))];
  details[name] = { statuses, sampleBody: answers[0]?.body.slice(0, 300) };
  t.diagnostic(`${name}: statuses ${statuses.join(',')}; ${answers[0]?.body.slice(0, 200)}`);
  for (const a of answers) assert.ok(allowed.includes(a.status), `${name}: status ${a.status}: ${a.body}`);
  if (slowest >= CUT_MS && context.others > BUSY_MACHINE) {
    // An answer's time is the server's CPU time (inflating 128 MiB is ~150 ms of it): with other
    // work holding most of two cores it measures that work.
    return void t.todo(`not judged: other processes used ${(100 * context.others).toFixed(0)}% of the machine during the attack (slowest answer ${slowest.toFixed(0)} ms)`);
  }
  assert.ok(slowest < CUT_MS, `${name}: slowest answer took ${slowest.toFixed(0)} ms`);
}

/**
 * For bombs the server refuses before their body has all arrived: it answers `status` and
 * closes the connection, so the client may meet the reset (EPIPE, ECONNRESET) before it reads
 * the answer: a cut. Most answers must still be read, and every one must come within 1 s.
 */
function checkRefusedEarly(t: TestContext, name: string, answers: Answer[], status: number, context: AttackContext): void {
  const cuts = answers.filter((a) => a.status === CUT);
  figure(t, `${name}: connections cut by the server before the ${status} was read`, cuts.length, 'requests');
  for (const a of cuts) assert.match(a.body, /EPIPE|ECONNRESET|socket hang up/, `${name}: a request failed otherwise than by a cut connection`);
  assert.ok(cuts.length < answers.length / 2, `${name}: ${cuts.length} of ${answers.length} answers were lost to cut connections`);
  checkAnswers(t, name, answers, [status, CUT], context);
}

/** 1 GiB of zeros as 1024 gzip members of 1 MiB each (gunzip reads concatenated members). */
function gzipBomb(): Buffer {
  const member = gzipSync(Buffer.alloc(MiB), { level: 9 });
  return Buffer.concat(Array.from({ length: 1024 }, () => member));
}

const INPUTS = [
  { name: 'ingest', path: '/api/v1/ingest', type: 'application/x-ndjson', wrap: (doc: string) => `${doc}\n` },
  { name: 'HEC', path: '/services/collector/event', type: 'application/json', wrap: (doc: string) => `{"event":${doc}}` },
  { name: 'bulk', path: '/_bulk', type: 'application/x-ndjson', wrap: (doc: string) => `{"index":{"_index":"bombs"}}\n${doc}\n` },
] as const;

describe('resource bombs against a real server', { timeout: 600_000 }, () => {
  before(async () => {
    data = await mkdtemp(join(tmpdir(), 'vigil-bombs-'));
    server = await startVigil(data);
    const url = new URL(server.info.http);
    http0 = { host: url.hostname, port: Number(url.port) };
  });
  after(async () => {
    await server?.stop();
    if (data) await rm(data, { recursive: true, force: true });
    writeResults({
      name: 'reliability-bombs',
      title: 'resource bombs and bad-token flood against vigil serve',
      durationSec: (Date.now() - started) / 1000,
      figures,
      details,
      date: new Date(started).toISOString(),
      wallSec: (Date.now() - started) / 1000,
      machine: machine(),
      gitCommit: gitCommit(REPO),
    });
  });

  it('measures the innocent sender quietly first', async (t) => {
    for (let i = 0; i < 5; i++) await innocentIngest(); // warm-up
    const quiet: number[] = [];
    for (let i = 0; i < 40; i++) quiet.push(await innocentIngest());
    quietMedianMs = median(quiet);
    figure(t, 'innocent sender median latency, quiet', quietMedianMs, 'ms');
    figure(t, 'server RSS, quiet', (await rssBytes()) / MiB, 'MiB');
  });

  for (const input of INPUTS) {
    it(`answers a gzip bomb (1 MiB → 1 GiB) on ${input.name} with 413 within 1 s`, async (t) => {
      const bomb = gzipBomb();
      figure(t, `gzip bomb ${input.name}: compressed size`, bomb.length / MiB, 'MiB');
      const headers = { ...auth(), 'content-type': input.type, 'content-encoding': 'gzip' };
      await bombing(t, `gzip bomb ${input.name}`, { kind: 'repeat', target: http0, method: 'POST', path: input.path, headers, body: bomb }, (attacker, context) =>
        checkAnswers(t, `gzip bomb ${input.name}`, attacker.report.answers, [413], context),
      );
    });
  }

  for (const input of INPUTS) {
    it(`answers JSON nested 100,000 deep on ${input.name} with 400 within 1 s`, async (t) => {
      const doc = '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000);
      const body = Buffer.from(input.wrap(doc));
      const headers = { ...auth(), 'content-type': input.type };
      await bombing(t, `deep JSON ${input.name}`, { kind: 'repeat', target: http0, method: 'POST', path: input.path, headers, body }, (attacker, context) =>
        checkRefusedEarly(t, `deep JSON ${input.name}`, attacker.report.answers, 400, context),
      );
    });
  }

  for (const input of INPUTS) {
    it(`refuses an object with a million keys on ${input.name} with 400 within 1 s`, async (t) => {
      const parts: string[] = [];
      for (let i = 0; i < 1_000_000; i++) parts.push(`"k${i}":${i}`);
      const body = Buffer.from(input.wrap(`{${parts.join(',')}}`));
      figure(t, `million keys ${input.name}: body size`, body.length / MiB, 'MiB');
      const headers = { ...auth(), 'content-type': input.type };
      await bombing(t, `million keys ${input.name}`, { kind: 'repeat', target: http0, method: 'POST', path: input.path, headers, body }, (attacker, context) =>
        checkRefusedEarly(t, `million keys ${input.name}`, attacker.report.answers, 400, context),
      );
    });
  }

  it('answers a 100 MB HTTP line without a newline with 413 within 1 s', async (t) => {
    // Chunked, no Content-Length: the server cannot refuse it up front.
    const spec: AttackSpec = { kind: 'chunked-line', target: http0, path: '/api/v1/ingest', headers: { ...auth(), 'content-type': 'application/x-ndjson' }, bytes: 100 * MiB };
    await bombing(t, '100 MB line HTTP', spec, (attacker, context) => {
      figure(t, '100 MB line HTTP: most bytes sent before the answer', attacker.report.mostBytesSent / MiB, 'MiB');
      checkRefusedEarly(t, '100 MB line HTTP', attacker.report.answers, 413, context);
    });
  });

  it('cuts a 100 MB TCP syslog line without a newline at maxMessageBytes and keeps reading', async (t) => {
    const tcp = hostPort(server.info.syslog.tcp!);
    const truncatedBefore = await metric('vigil_events_truncated_total', 'syslog');
    await bombing(t, '100 MB line syslog', { kind: 'syslog-line', target: tcp, bytes: 100 * MiB }, async (attacker) => {
      details['100 MB line syslog rounds'] = attacker.report.sent;
      figure(t, '100 MB line syslog: slowest 100 MB write (server kept reading)', attacker.report.slowestWriteMs, 'ms');
      let truncated = 0;
      for (let i = 0; i < 50 && truncated === 0; i++) {
        truncated = (await metric('vigil_events_truncated_total', 'syslog')) - truncatedBefore;
        if (truncated === 0) await sleep(100);
      }
      figure(t, '100 MB line syslog: events stored truncated', truncated, 'events');
      assert.ok(truncated >= 1, 'the 100 MB line was not stored truncated');
    });
  });

  it('holds 10,000 idle HTTP connections without locking out other senders: the silent longest make room', async (t) => {
    const evictedBefore = await metric('vigil_connections_evicted_total', 'http');
    await idleConnections(t, 'idle HTTP', http0);
    const evicted = (await metric('vigil_connections_evicted_total', 'http')) - evictedBefore;
    figure(t, 'idle HTTP: idle connections evicted to make room', evicted, 'connections');
    assert.ok(evicted > 0, 'no idle HTTP connection was evicted: the flood did not reach the cap');
  });

  it('holds 10,000 idle TCP syslog connections: caps them and stays responsive', async (t) => {
    const target = hostPort(server.info.syslog.tcp!);
    const evictedBefore = await metric('vigil_connections_evicted_total', 'syslog');
    let newcomerMs = NaN;
    // While the flood holds its connections, a new syslog sender connects and is heard.
    await idleConnections(t, 'idle syslog', target, async () => {
      const receivedBefore = await metric('vigil_events_received_total', 'syslog');
      const t0 = performance.now();
      const socket = net.connect(target);
      socket.on('error', () => undefined);
      await new Promise((r) => socket.once('connect', r));
      socket.write('<13>Dec  7 12:00:00 newcomer app: a new sender during the idle flood\n');
      for (let i = 0; i < 100 && (await metric('vigil_events_received_total', 'syslog')) === receivedBefore; i++) await sleep(20);
      newcomerMs = performance.now() - t0;
      socket.destroy();
    });
    figure(t, 'idle syslog: idle connections evicted to make room', (await metric('vigil_connections_evicted_total', 'syslog')) - evictedBefore, 'connections');
    figure(t, 'idle syslog: a new sender connected and was heard within', newcomerMs, 'ms');
    assert.ok(newcomerMs < CUT_MS, `a new syslog sender was not heard within 1 s during the idle flood (${newcomerMs} ms)`);
  });

  it('a flood of 20,000 bad tokens does not slow valid requests by more than 2×', async (t) => {
    // 32 connections at once, each request a fresh random token, until 20,000 are sent and the
    // innocent sender has measured for 3 s.
    const attacker = await Attacker.load({ kind: 'bad-tokens', target: http0, path: '/api/v1/search?q=*', connections: 32, atLeast: 20_000 });
    let started = 0;
    let seconds = 0;
    const flood = async (signal: AbortSignal): Promise<void> => {
      started = performance.now();
      await attacker.run(signal);
      seconds = (performance.now() - started) / 1000;
    };
    await underAttack(t, 'bad-token flood', 3000, flood, () => {
      const { sent, statuses } = attacker.report;
      figure(t, 'bad-token flood: requests', sent, 'requests');
      figure(t, 'bad-token flood: rate', sent / seconds, 'requests/s');
      details['bad-token flood statuses'] = statuses;
      assert.ok(sent >= 20_000);
      assert.deepEqual(Object.keys(statuses), ['401'], `bad tokens got ${JSON.stringify(statuses)}`);
    });
  });
});

async function metric(name: string, input: string): Promise<number> {
  let total = 0;
  for (const line of (await fullMetrics()).split('\n')) {
    if (line.startsWith(`${name}{`) && line.includes(`input="${input}"`)) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

/** The server's event-loop delay since the last call (prom-client resets its histogram on each scrape), ms. */
async function eventLoopDelay(): Promise<{ p50: number; p99: number; max: number }> {
  const text = await fullMetrics();
  const read = (name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN) * 1000;
  return { p50: read('vigil_nodejs_eventloop_lag_p50_seconds'), p99: read('vigil_nodejs_eventloop_lag_p99_seconds'), max: read('vigil_nodejs_eventloop_lag_max_seconds') };
}

async function fullMetrics(): Promise<string> {
  const res = await fetch(`${server.info.http}/metrics`, { headers: auth() });
  return res.text();
}

/** Opens 10,000 connections that send nothing, runs `whileHeld`, measures, closes them. */
async function idleConnections(t: TestContext, name: string, target: { host: string; port: number }, whileHeld?: () => Promise<void>): Promise<void> {
  const sockets: net.Socket[] = [];
  let connected = 0;
  let closedByServer = 0;
  let failed = 0;
  let pending = 0;
  const t0 = performance.now();
  let opened: () => void = () => undefined;
  const ready = new Promise<void>((r) => (opened = r));
  try {
    await underAttack(t, name, 3000, async (signal) => {
      for (let batch = 0; batch < 20 && !signal.aborted; batch++) {
        await Promise.all(
          Array.from({ length: 500 }, () => {
            const socket = net.connect(target);
            sockets.push(socket);
            return new Promise<void>((resolve) => {
              // A SYN the server's backlog dropped is retried by the kernel for minutes: count it
              // as not connected after 2 s instead of waiting.
              socket.setTimeout(2000, () => {
                pending++;
                resolve();
              });
              socket.once('connect', () => {
                socket.setTimeout(0);
                connected++;
                resolve();
              });
              socket.once('error', () => {
                failed++;
                resolve();
              });
              socket.once('close', () => {
                closedByServer++;
                resolve();
              });
            });
          }),
        );
      }
      details[`${name} open time ms`] = performance.now() - t0;
      opened();
      await whileHeld?.();
      if (!signal.aborted) await new Promise((r) => signal.addEventListener('abort', r, { once: true }));
    }, undefined, ready);
  } finally {
    const stillOpen = sockets.filter((s) => !s.destroyed && s.readyState === 'open').length;
    figure(t, `${name}: connections attempted`, sockets.length, 'connections');
    figure(t, `${name}: still open at the end of the attack`, stillOpen, 'connections');
    figure(t, `${name}: closed by the server or failed`, closedByServer + failed, 'connections');
    figure(t, `${name}: not accepted within 2 s (backlog full)`, pending, 'connections');
    for (const s of sockets) s.destroy();
  }
  assert.equal(sockets.length, 10_000, 'could not even attempt 10,000 connections (fd limit of the test?)');
}
