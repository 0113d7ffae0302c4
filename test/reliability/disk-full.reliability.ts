/**
 * The data folder's filesystem fills up mid-ingest (a tmpfs made for the test, filled by a
 * ballast file). Senders must be told (HTTP 503, never a 200 for an event that was not written),
 * the process must stay up, ingest must resume by itself once the ballast is removed (no
 * restart), and after a restart `vigil verify` passes and every acknowledged event is stored.
 */
import { strict as assert } from 'node:assert';
import { execFileSync, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statfsSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DuckDBInstance } from '@duckdb/node-api';
import { startTcpSyslogFlood } from '../support/tcp-syslog-flood.js';
import { appendFaultResult, metricValue, rssBytes } from '../support/fault-results.js';
import { CLI, hostPort, REPO, runCli, startVigil, type VigilProcess } from '../support/vigil-process.js';

const FS_BYTES = 256 * 1024 * 1024;
const BATCH = 200;
const WORKERS = 3;
const FULL_MS = 6000;
const MiB = 1024 * 1024;

const mountPoint = mkdtempSync(join(tmpdir(), 'vigil-diskfull-'));
let mounted = false;
try {
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${FS_BYTES}`, 'tmpfs', mountPoint], { stdio: 'pipe' });
  mounted = true;
} catch (error) {
  rmSync(mountPoint, { recursive: true, force: true });
  console.log(`# disk-full: skipped: cannot mount a tmpfs for the test (${(error as Error).message.split('\n')[0]}); needs root or CAP_SYS_ADMIN`);
}

let server: VigilProcess | undefined;
after(async () => {
  await server?.stop('SIGKILL');
  if (mounted) {
    execFileSync('umount', ['-l', mountPoint]);
    rmSync(mountPoint, { recursive: true, force: true });
  }
});

/** Fills the filesystem to the last block; returns the ballast's size. */
function fillDisk(path: string): number {
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(MiB, 0x5a);
  let written = 0;
  try {
    for (;;) {
      try {
        written += writeSync(fd, chunk);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
        // Fill the last partial megabyte too.
        for (let size = 64 * 1024; size >= 4096; size /= 2) {
          try {
            for (;;) written += writeSync(fd, chunk.subarray(0, size));
          } catch {
            /* next smaller size */
          }
        }
        return written;
      }
    }
  } finally {
    closeSync(fd);
  }
}

it('disk full mid-ingest: 503s, no crash, resumes by itself, nothing acknowledged lost, verify passes', { timeout: 300_000, skip: mounted ? false : 'cannot mount a tmpfs (needs root or CAP_SYS_ADMIN)' }, async (t) => {
  const started = Date.now();
  const data = join(mountPoint, 'data');
  mkdirSync(data);
  // Small event-log segments, so stored ones are trimmed and the restart finds room.
  const config = join(mountPoint, 'vigil.yaml');
  writeFileSync(config, 'pipeline:\n  walSegmentBytes: 4194304\n');
  server = await startVigil(data, ['--config', config]);
  const s = server;

  const acked = new Set<string>();
  const statuses = new Map<string, number>();
  const note = (k: string) => statuses.set(k, (statuses.get(k) ?? 0) + 1);
  let nextBatch = 0;
  let phase: 'before' | 'full' | 'after' = 'before';
  const firstAckAfter: { at?: number } = {};
  let freedAt = 0;
  let stop = false;
  const retry: number[] = [];

  const worker = async () => {
    while (!stop) {
      const batch = retry.shift() ?? nextBatch++;
      const lines: string[] = [];
      for (let i = 0; i < BATCH; i++) lines.push(JSON.stringify({ 'ledger.id': `b${batch}-e${i}`, message: `disk full test b${batch}-e${i} ${'x'.repeat(200)}`, 'host.name': 'disk-full' }));
      let status: string;
      try {
        const res = await fetch(`${s.info.http}/api/v1/ingest`, {
          method: 'POST',
          headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/x-ndjson' },
          body: lines.join('\n') + '\n',
          signal: AbortSignal.timeout(15_000),
        });
        await res.arrayBuffer();
        status = String(res.status);
      } catch (error) {
        status = (error as Error).name;
      }
      note(`${phase}:${status}`);
      if (status === '200') {
        for (let i = 0; i < BATCH; i++) acked.add(`b${batch}-e${i}`);
        if (phase === 'after' && firstAckAfter.at === undefined) firstAckAfter.at = Date.now();
      } else {
        retry.push(batch);
        await sleep(100);
      }
    }
  };
  const workers = Array.from({ length: WORKERS }, worker);

  // A UDP syslog sender at a modest rate: what the log cannot take must be counted, not lost unseen.
  const udpSocket = createSocket('udp4');
  const udpAddress = hostPort(s.info.syslog.udp!);
  let udpSent = 0;
  const udpSender = (async () => {
    while (!stop) {
      for (let i = 0; i < 20; i++) {
        await new Promise<void>((resolve) => udpSocket.send(`<134>Dec  7 12:00:00 full-host app: disk full udp u${udpSent}`, udpAddress.port, udpAddress.host, (err) => {
          if (!err) udpSent++;
          resolve();
        }));
      }
      await sleep(50);
    }
    udpSocket.close();
  })();

  // A TCP syslog sender writing as fast as the socket lets it; it records how long writes block.
  const tcp = await startTcpSyslogFlood(s.info.syslog.tcp!, (n) => `<134>Dec  7 12:00:00 full-host app: disk full tcp t${n}\n`);

  while (acked.size < 20_000) await sleep(50);
  const ballast = join(mountPoint, 'ballast');
  const ballastBytes = fillDisk(ballast);
  phase = 'full';
  const freeWhenFull = statfsSync(mountPoint).bavail * statfsSync(mountPoint).bsize;
  const ackedAtFull = acked.size;
  let maxRss = 0;
  const fullUntil = Date.now() + FULL_MS;
  while (Date.now() < fullUntil) {
    assert.equal(s.child.exitCode, null, `the server died on a full disk:\n${s.output().slice(-3000)}`);
    maxRss = Math.max(maxRss, rssBytes(s.child.pid!));
    await sleep(200);
  }
  const ackedWhileFull = acked.size - ackedAtFull;

  unlinkSync(ballast);
  phase = 'after';
  freedAt = Date.now();
  const resumeDeadline = Date.now() + 60_000;
  while (firstAckAfter.at === undefined && Date.now() < resumeDeadline) await sleep(50);
  const ackedAtFree = acked.size;
  while (acked.size < ackedAtFree + 10_000 && Date.now() < resumeDeadline) await sleep(50);
  stop = true;
  await Promise.all([...workers, tcp.stop(), udpSender]);
  assert.ok(firstAckAfter.at !== undefined, `ingest did not resume within 60 s of space returning: ${JSON.stringify(Object.fromEntries(statuses))}\n${s.output().slice(-3000)}`);
  const resumeMs = firstAckAfter.at - freedAt;

  // Let the TCP backlog in, and read the store's error count.
  let metricsText = '';
  for (let i = 0; i < 240; i++) {
    metricsText = await (await fetch(`${s.info.http}/metrics`, { headers: { authorization: `Bearer ${s.token}` } })).text();
    if (metricValue(metricsText, 'vigil_events_received_total', { input: 'syslog' }) >= tcp.sent && metricValue(metricsText, 'vigil_queue_depth') === 0) break;
    await sleep(250);
  }
  const storeErrors = metricValue(metricsText, 'vigil_store_write_errors_total');
  const udpDropped = metricValue(metricsText, 'vigil_events_dropped_total', { input: 'syslog', reason: 'store-error' });
  const udpKernelDropped = metricValue(metricsText, 'vigil_udp_receive_buffer_drops_total', { input: 'syslog' });
  assert.equal(await s.stop('SIGTERM'), 0, s.output().slice(-3000));
  // A restart on the same data folder, then the tamper-evidence check.
  const again = await startVigil(data, ['--config', config]);
  server = again;
  assert.equal(await again.stop('SIGTERM'), 0, again.output().slice(-3000));
  const verify = await runCli(['verify', '--data', data, '--config', config, '--json']);
  const report = JSON.parse(verify.stdout || '{}') as { ok?: boolean; events?: number; problems?: unknown[] };
  assert.equal(verify.code, 0, `vigil verify failed:\n${verify.stdout}${verify.stderr}`);

  const db = await DuckDBInstance.create(join(data, 'events.duckdb'), { access_mode: 'READ_ONLY' });
  const conn = await db.connect();
  const reader = await conn.runAndReadAll(`SELECT json_extract_string(fields, '$."ledger.id"') AS id, count(*) AS n FROM events WHERE json_extract_string(fields, '$."ledger.id"') IS NOT NULL GROUP BY 1`);
  const stored = new Map<string, number>();
  for (const row of reader.getRowObjects()) stored.set(String(row.id), Number(row.n));
  const tcpRows = await conn.runAndReadAll(`SELECT count(DISTINCT message) AS n FROM events WHERE message LIKE '%disk full tcp t%'`);
  const storedTcp = Number(tcpRows.getRowObjects()[0]?.n ?? 0);
  const udpRows = await conn.runAndReadAll(`SELECT count(DISTINCT message) AS n FROM events WHERE message LIKE '%disk full udp u%'`);
  const storedUdp = Number(udpRows.getRowObjects()[0]?.n ?? 0);
  conn.closeSync();
  db.closeSync();
  const missing = [...acked].filter((id) => !stored.has(id));
  const duplicates = [...stored.values()].reduce((sum, n) => sum + (n - 1), 0);

  const byStatus = Object.fromEntries([...statuses].sort());
  const line = `disk full: ${Math.round(FS_BYTES / MiB)} MiB tmpfs, ballast ${Math.round(ballastBytes / MiB)} MiB (free when full ${freeWhenFull} bytes); ${acked.size} events acknowledged; answers ${JSON.stringify(byStatus)}; acknowledged while full ${ackedWhileFull}; first 200 ${resumeMs} ms after space returned (no restart); RSS max while full ${Math.round(maxRss / MiB)} MiB; store write errors (retried) ${storeErrors}; TCP sent ${tcp.sent}, stored ${storedTcp}, longest blocked write ${tcp.longestWaitMs} ms; UDP sent ${udpSent}, stored ${storedUdp}, dropped and counted ${udpDropped} (store-error) + ${udpKernelDropped} (kernel); after restart verify ok=${report.ok} over ${report.events} events; missing ${missing.length}; duplicates ${duplicates}`;
  t.diagnostic(line);
  console.log(line);
  appendFaultResult('disk-full', 'Disk full mid-ingest: refused, resumed, nothing acknowledged lost', started, [
    { label: 'filesystem size', value: Math.round(FS_BYTES / MiB), unit: 'MiB' },
    { label: 'events acknowledged', value: acked.size, unit: 'events' },
    { label: 'HTTP 503 answers while full', value: statuses.get('full:503') ?? 0, unit: 'requests' },
    { label: 'HTTP 200 answers while full (must be backed by disk)', value: statuses.get('full:200') ?? 0, unit: 'requests' },
    { label: 'HTTP answers other than 200/503', value: [...statuses].filter(([k]) => !/:(200|503)$/.test(k)).reduce((n, [, v]) => n + v, 0), unit: 'requests' },
    { label: 'time to the first 200 after space returned (no restart)', value: resumeMs, unit: 'ms' },
    { label: 'RSS max while full', value: Math.round(maxRss / MiB), unit: 'MiB' },
    { label: 'store write errors (retried from the event log)', value: storeErrors, unit: 'errors' },
    { label: 'TCP syslog messages sent', value: tcp.sent, unit: 'messages' },
    { label: 'TCP syslog messages stored', value: storedTcp, unit: 'messages' },
    { label: 'TCP syslog longest blocked write (paused reads)', value: tcp.longestWaitMs, unit: 'ms' },
    { label: 'UDP syslog datagrams sent', value: udpSent, unit: 'datagrams' },
    { label: 'UDP syslog stored', value: storedUdp, unit: 'events' },
    { label: 'UDP syslog dropped and counted while full', value: udpDropped + udpKernelDropped, unit: 'datagrams' },
    { label: 'acknowledged events missing after restart', value: missing.length, unit: 'events' },
    { label: 'duplicates', value: duplicates, unit: 'events' },
    { label: 'vigil verify after restart', value: report.ok === true ? 1 : 0, unit: 'ok' },
  ]);

  assert.ok((statuses.get('full:503') ?? 0) > 0, `senders were told with 503 while the disk was full: ${JSON.stringify(byStatus)}`);
  const other = [...statuses].filter(([k]) => !/:(200|503)$/.test(k));
  assert.deepEqual(other, [], `every answer was 200 or 503: ${JSON.stringify(byStatus)}`);
  assert.equal(report.ok, true, verify.stdout);
  assert.deepEqual(missing.slice(0, 10), [], `${missing.length} acknowledged events are missing`);
  assert.ok(tcp.longestWaitMs >= 1000, `the TCP sender was paused while the disk was full (longest blocked write ${tcp.longestWaitMs} ms)`);
  assert.equal(storedTcp, tcp.sent, 'every TCP message sent is stored (the connection was paused, not dropped)');
  assert.ok(udpDropped > 0, 'UDP batches the full disk refused were counted');
  assert.equal(storedUdp + udpDropped + udpKernelDropped, udpSent, 'every UDP datagram is stored or counted as dropped');
});

it('a restart while the disk is still full: the server starts, refuses ingest with 503, resumes once space returns', { timeout: 120_000, skip: mounted ? false : 'cannot mount a tmpfs (needs root or CAP_SYS_ADMIN)' }, async (t) => {
  const started = Date.now();
  // A folder of its own: the first test's folder holds stored event-log segments, which a start
  // trims, freeing room on the "full" disk before server.json is written.
  const data = join(mountPoint, 'data-restart');
  mkdirSync(data, { recursive: true });
  const config = join(mountPoint, 'vigil.yaml');
  writeFileSync(config, 'pipeline:\n  walSegmentBytes: 4194304\n');
  // A first start makes the data folder, then the disk fills while it is down.
  const first = await startVigil(data, ['--config', config]);
  assert.equal(await first.stop('SIGKILL'), null);
  const ballast = join(mountPoint, 'ballast-restart');
  fillDisk(ballast);

  // server.json cannot be written: find the port from what `vigil serve` prints.
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'serve', '--data', data, '--config', config, '--listen-http', '127.0.0.1:0', '--listen-syslog', '127.0.0.1:0'], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  try {
    let url: string | undefined;
    const readyBy = Date.now() + 30_000;
    while (!url && Date.now() < readyBy && child.exitCode === null) {
      url = /HTTP API and ingest\s+(https?:\/\/\S+)/.exec(output)?.[1];
      if (!url) await sleep(50);
    }
    const readyMs = Date.now() - started;
    assert.ok(url, `vigil serve did not start on a full disk (exit ${child.exitCode}):\n${output.slice(-3000)}`);
    assert.match(output, /cannot write .*server\.json: the disk is full/);
    const token = readFileSync(join(data, 'admin-token'), 'utf8').trim();
    const ingest = async (n: number): Promise<number> => {
      const body = Array.from({ length: n }, (_, i) => JSON.stringify({ message: `restart on a full disk ${i} ${'y'.repeat(200)}` })).join('\n') + '\n';
      const res = await fetch(`${url}/api/v1/ingest`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' }, body });
      await res.arrayBuffer();
      return res.status;
    };
    // Whatever room the event log's open segment still has is used; then every answer is 503.
    const whileFull: number[] = [];
    for (let i = 0; i < 200 && whileFull.at(-1) !== 503; i++) whileFull.push(await ingest(200));
    assert.equal(whileFull.at(-1), 503, `ingest on a full disk answered ${[...new Set(whileFull)].join(',')}`);
    assert.deepEqual(whileFull.filter((s) => s !== 200 && s !== 503), []);
    assert.equal(existsSync(join(data, 'server.json')), false, 'a stale server.json was left for the CLI to follow');

    rmSync(ballast);
    const freedAt = Date.now();
    let status = 0;
    while (status !== 200 && Date.now() - freedAt < 30_000) {
      status = await ingest(1);
      if (status !== 200) await sleep(50);
    }
    const resumeMs = Date.now() - freedAt;
    assert.equal(status, 200, 'ingest did not resume after space returned');
    let published = false;
    while (!published && Date.now() - freedAt < 15_000) {
      published = existsSync(join(data, 'server.json'));
      if (!published) await sleep(100);
    }
    assert.ok(published, 'server.json was not written once space returned');
    child.kill('SIGTERM');
    assert.equal(await exited, 0, output.slice(-3000));
    const verify = await runCli(['verify', '--data', data, '--config', config, '--json']);
    assert.equal(verify.code, 0, `vigil verify failed:\n${verify.stdout}${verify.stderr}`);
    t.diagnostic(`restart on a full disk: listening after ${readyMs} ms; ${whileFull.length} requests while full (last 503); first 200 ${resumeMs} ms after space returned`);
    appendFaultResult('disk-full-restart', 'Restart while the disk is still full: starts, refuses with 503, resumes', started, [
      { label: 'time to listening on a full disk', value: readyMs, unit: 'ms' },
      { label: 'ingest requests until the first 503 (room left in the open segment)', value: whileFull.length, unit: 'requests' },
      { label: 'time to the first 200 after space returned', value: resumeMs, unit: 'ms' },
      { label: 'vigil verify after the run', value: verify.code === 0 ? 1 : 0, unit: 'ok' },
    ]);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(ballast, { force: true });
  }
});
