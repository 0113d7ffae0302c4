/**
 * The reference: a private rsyslogd (its own config, pid file and work directory; no system
 * inputs, no default config) receiving TCP syslog on a loopback port and writing every message
 * to one file. Lines in the file are messages rsyslog has fully handled.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, readSync, closeSync, statSync, writeFileSync, createWriteStream } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exited, removeTempDir, stopChild, trackChild, trackTempDir } from './child-processes.js';
import { freePort } from './free-port.js';
import { Sampler } from './rate-window.js';
import { startSyslogLoad, type SyslogFraming, type SyslogLoad } from './syslog-load.js';
import { procMemoryMiB, sendWindowRates, type SyslogRunResult } from './syslog-run.js';

const RSYSLOGD_PATHS = ['/usr/sbin/rsyslogd', '/sbin/rsyslogd', '/usr/local/sbin/rsyslogd'];

export const RSYSLOG_MISSING =
  'rsyslogd not found: the rsyslog reference is skipped. Install it with `apt-get install -y rsyslog` ' +
  '(Debian/Ubuntu) to get the reference figure.';

export function findRsyslogd(): string | null {
  const fromPath = (process.env['PATH'] ?? '').split(':').map((dir) => join(dir, 'rsyslogd'));
  return [...RSYSLOGD_PATHS, ...fromPath].find((path) => existsSync(path)) ?? null;
}

/**
 * Tuned as an operator would for throughput, not crippled: a large in-memory main queue,
 * buffered asynchronous file writes. Note it does not fsync, while Vigil makes each event
 * durable before storing it; the README says so next to the ratio.
 */
function rsyslogConfig(workDir: string, port: number, outFile: string): string {
  return `
global(workDirectory="${workDir}" maxMessageSize="64k")
main_queue(queue.type="FixedArray" queue.size="200000" queue.dequeueBatchSize="1024")
module(load="imtcp" maxSessions="64")
input(type="imtcp" address="127.0.0.1" port="${port}" ruleset="bench")
ruleset(name="bench") {
  action(type="omfile" file="${outFile}" template="RSYSLOG_FileFormat"
         ioBufferSize="256k" asyncWriting="on" flushOnTXEnd="off" flushInterval="1")
}
`;
}

export interface RsyslogInstance {
  readonly pid: number;
  readonly outFile: string;
  /** Bytes in the output file now (cheap: a stat). */
  bytes(): number;
  /** Exact line count of the output file (reads it; call after the run). */
  countLines(): number;
  stop(): Promise<void>;
}

function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      if (child.exitCode !== null) return reject(new Error(`rsyslogd exited with code ${child.exitCode}`));
      const socket = connect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`rsyslogd did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

export function countNewlines(path: string): number {
  const fd = openSync(path, 'r');
  const buffer = Buffer.allocUnsafe(8 * 1024 * 1024);
  let lines = 0;
  try {
    for (;;) {
      const read = readSync(fd, buffer, 0, buffer.length, null);
      if (read === 0) break;
      const filled = buffer.subarray(0, read);
      for (let i = filled.indexOf(10, 0); i !== -1; i = filled.indexOf(10, i + 1)) lines++;
    }
  } finally {
    closeSync(fd);
  }
  return lines;
}

export async function startRsyslog(rsyslogd: string, workDir: string, port: number): Promise<RsyslogInstance> {
  const outFile = join(workDir, 'messages.log');
  const confFile = join(workDir, 'rsyslog.conf');
  const pidFile = join(workDir, 'rsyslogd.pid');
  writeFileSync(confFile, rsyslogConfig(workDir, port, outFile));
  writeFileSync(outFile, '');
  const log = createWriteStream(join(workDir, 'rsyslogd.stderr.log'));
  // -n: stay in the foreground, so it is our child and dies with us.
  const child = spawn(rsyslogd, ['-n', '-f', confFile, '-i', pidFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  trackChild(child, { group: true });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  try {
    await waitForPort(port, child, 10_000);
  } catch (error) {
    await stopChild(child, 2000);
    throw error;
  }
  const pid = child.pid ?? -1;
  return {
    pid,
    outFile,
    bytes: () => statSync(outFile).size,
    countLines: () => countNewlines(outFile),
    async stop() {
      // SIGTERM makes rsyslogd flush its queue and file buffers before exiting.
      await stopChild(child, 30_000);
      await exited(child, 1000);
    },
  };
}

export interface ReferenceOptions {
  readonly rsyslogd: string;
  readonly durationSec: number;
  readonly connections: number;
  readonly framing: SyslogFraming;
  readonly seed: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Drives a private rsyslogd with the syslog load for the duration, waits until its output file
 * stops growing, and counts the lines. Per-second samples are file sizes converted to lines
 * with the run's exact bytes-per-line (counting lines while it runs would steal a core).
 */
export async function measureRsyslog(options: ReferenceOptions): Promise<SyslogRunResult> {
  const workDir = await mkdtemp(join(tmpdir(), 'vigil-bench-rsyslog-'));
  trackTempDir(workDir);
  let rsyslog: RsyslogInstance | undefined;
  let load: SyslogLoad | undefined;
  try {
    const port = await freePort();
    rsyslog = await startRsyslog(options.rsyslogd, workDir, port);
    const instance = rsyslog;
    load = await startSyslogLoad({
      host: '127.0.0.1', port, connections: options.connections,
      durationSec: options.durationSec, framing: options.framing, seed: options.seed,
    });
    const origin = performance.now();
    const sampler = new Sampler(async () => instance.bytes(), origin);
    sampler.start();
    const loadResult = await load.run();
    const sendEnd = loadResult.elapsedSec;

    // Done when the file has not grown for 2 s (rsyslog flushes its buffers every second).
    let lastSize = instance.bytes();
    let lastGrowth = (performance.now() - origin) / 1000;
    while ((performance.now() - origin) / 1000 - lastGrowth < 2 && (performance.now() - origin) / 1000 < sendEnd + 60) {
      await sleep(250);
      const size = instance.bytes();
      if (size !== lastSize) {
        lastSize = size;
        lastGrowth = (performance.now() - origin) / 1000;
      }
    }
    await sampler.stop();
    const peakRss = await procMemoryMiB(instance.pid, 'VmHWM');
    const linesWhenSettled = instance.countLines();
    const bytesWhenSettled = instance.bytes();
    await instance.stop();
    rsyslog = undefined;
    const lines = countNewlines(instance.outFile);

    const bytesPerLine = linesWhenSettled > 0 ? bytesWhenSettled / linesWhenSettled : 1;
    const samples = sampler.samples.map(({ t, value }) => ({ t, value: Math.round(value / bytesPerLine) }));
    const rates = sendWindowRates(samples, sendEnd);
    const notes: string[] = [];
    if (lines > linesWhenSettled) notes.push(`${lines - linesWhenSettled} lines appeared only at shutdown (buffer flush)`);
    if (loadResult.errors.length > 0) notes.push(...loadResult.errors);
    return {
      system: 'rsyslog',
      sent: loadResult.sent,
      sendRate: loadResult.sent / loadResult.elapsedSec,
      handled: lines,
      rate: rates.overall,
      min5s: rates.min,
      max5s: rates.max,
      catchUpSec: linesWhenSettled >= loadResult.sent ? Math.max(0, lastGrowth - sendEnd) : null,
      catchUp: lines >= loadResult.sent ? 'caught-up' : 'stalled',
      missing: Math.max(0, loadResult.sent - lines),
      peakRssMiB: peakRss,
      peakQueueDepth: null,
      samples,
      extraSeries: {},
      load: loadResult,
      notes,
    };
  } finally {
    await load?.stop();
    await rsyslog?.stop();
    // The output file is gigabytes after a full run.
    removeTempDir(workDir);
  }
}
