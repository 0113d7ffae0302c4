/**
 * The store stalls (a real stall: the filesystem holding the DuckDB file is frozen with
 * `fsfreeze -f`, so every write to it blocks in the kernel) while the event log, on another
 * filesystem, keeps working. Senders must feel back-pressure (HTTP 503 once the configured
 * backlog is reached, TCP syslog reads paused), the process's resident memory must stay under a
 * cap, and after the thaw every acknowledged HTTP event and every TCP message sent is stored.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DuckDBInstance } from '@duckdb/node-api';
import { startTcpSyslogFlood } from '../support/tcp-syslog-flood.js';
import { appendFaultResult, metricValue, rssBytes } from '../support/fault-results.js';
import { startVigil, type VigilProcess } from '../support/vigil-process.js';

const MiB = 1024 * 1024;
const MAX_QUEUE_EVENTS = 20_000;
const STORE_MEMORY_LIMIT = '256MB';
/** The cap the process must stay under: DuckDB's configured limit plus Node's heap and the backlog's share. */
const RSS_CAP_BYTES = 768 * MiB;
const STALL_MS = 8000;
const BATCH = 200;
const WORKERS = 3;

const work = mkdtempSync(join(tmpdir(), 'vigil-stall-'));
const image = join(work, 'store.img');
const storeMount = join(work, 'store-fs');
let mounted = false;
let frozen = false;
let skipReason: string | false = false;
try {
  mkdirSync(storeMount);
  execFileSync('truncate', ['-s', '512M', image]);
  execFileSync('mkfs.ext4', ['-q', '-F', image], { stdio: 'pipe' });
  execFileSync('mount', ['-o', 'loop', image, storeMount], { stdio: 'pipe' });
  mounted = true;
  execFileSync('fsfreeze', ['-f', storeMount], { stdio: 'pipe' });
  execFileSync('fsfreeze', ['-u', storeMount], { stdio: 'pipe' });
} catch (error) {
  skipReason = `needs root with loop devices, mkfs.ext4 and fsfreeze: ${(error as Error).message.split('\n')[0]}`;
  console.log(`# store-stall: skipped: ${skipReason}`);
}

let server: VigilProcess | undefined;
function thaw(): void {
  if (frozen) {
    execFileSync('fsfreeze', ['-u', storeMount]);
    frozen = false;
  }
}
after(async () => {
  thaw();
  await server?.stop('SIGKILL');
  if (mounted) execFileSync('umount', ['-l', storeMount]);
  rmSync(work, { recursive: true, force: true });
});

it('a stalled store: 503 and paused TCP reads, memory under the cap, nothing acknowledged lost', { timeout: 300_000, skip: skipReason }, async (t) => {
  const started = Date.now();
  // The data folder (and so the DuckDB file) on the filesystem to freeze; the event log elsewhere.
  const data = join(storeMount, 'data');
  mkdirSync(data);
  const eventLog = join(work, 'event-log');
  mkdirSync(eventLog);
  symlinkSync(eventLog, join(data, 'event-log'));
  const config = join(work, 'vigil.yaml');
  writeFileSync(config, `pipeline:\n  maxQueueEvents: ${MAX_QUEUE_EVENTS}\n  batchSize: 1000\nstore:\n  memoryLimit: ${STORE_MEMORY_LIMIT}\n`);
  server = await startVigil(data, ['--config', config]);
  const s = server;

  // HTTP senders with a ledger.
  const acked = new Set<string>();
  const statuses = new Map<string, number>();
  let phase: 'before' | 'stalled' | 'after' = 'before';
  const note = (k: string) => statuses.set(`${phase}:${k}`, (statuses.get(`${phase}:${k}`) ?? 0) + 1);
  let nextBatch = 0;
  const retry: number[] = [];
  let stop = false;
  let firstAckAfterThaw: number | undefined;
  const worker = async () => {
    while (!stop) {
      const batch = retry.shift() ?? nextBatch++;
      const lines: string[] = [];
      for (let i = 0; i < BATCH; i++) lines.push(JSON.stringify({ 'ledger.id': `h${batch}-${i}`, message: `store stall http h${batch}-${i}`, 'host.name': 'stall' }));
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
      note(status);
      if (status === '200') {
        for (let i = 0; i < BATCH; i++) acked.add(`h${batch}-${i}`);
        if (phase === 'after') firstAckAfterThaw ??= Date.now();
      } else {
        retry.push(batch);
        await sleep(100);
      }
    }
  };

  // A TCP syslog sender writing as fast as the socket lets it; it records how long writes block.
  const tcp = await startTcpSyslogFlood(s.info.syslog.tcp!, (n) => `<134>Dec  7 12:00:00 stall-host app: store stall tcp t${n}\n`);

  const workers = Array.from({ length: WORKERS }, worker);
  while (acked.size < 10_000) await sleep(50);

  // Freeze the store's filesystem: its next write blocks in the kernel.
  execFileSync('fsfreeze', ['-f', storeMount]);
  frozen = true;
  phase = 'stalled';
  const rssBefore = rssBytes(s.child.pid!);
  let maxRss = rssBefore;
  let maxDepth = 0;
  let metricsFailures = 0;
  const ackedAtFreeze = acked.size;
  const stallUntil = Date.now() + STALL_MS;
  try {
    while (Date.now() < stallUntil) {
      assert.equal(s.child.exitCode, null, 'the server is still running');
      maxRss = Math.max(maxRss, rssBytes(s.child.pid!));
      try {
        const res = await fetch(`${s.info.http}/metrics`, { headers: { authorization: `Bearer ${s.token}` }, signal: AbortSignal.timeout(2000) });
        maxDepth = Math.max(maxDepth, metricValue(await res.text(), 'vigil_queue_depth'));
      } catch {
        metricsFailures++;
      }
      await sleep(250);
    }
  } finally {
    thaw();
  }
  const ackedWhileStalled = acked.size - ackedAtFreeze;
  const thawedAt = Date.now();
  phase = 'after';
  const deadline = Date.now() + 60_000;
  while (firstAckAfterThaw === undefined && Date.now() < deadline) await sleep(50);
  await sleep(1000);
  stop = true;
  await Promise.all([...workers, tcp.stop()]);
  assert.ok(firstAckAfterThaw !== undefined, 'ingest resumed after the thaw');
  const resumeMs = firstAckAfterThaw - thawedAt;

  // Drain: every TCP message sent and every acknowledged event reaches the store.
  let drainMs = 0;
  for (;;) {
    const res = await fetch(`${s.info.http}/metrics`, { headers: { authorization: `Bearer ${s.token}` } });
    const text = await res.text();
    if (metricValue(text, 'vigil_queue_depth') === 0 && metricValue(text, 'vigil_events_received_total', { input: 'syslog' }) >= tcp.sent) break;
    drainMs = Date.now() - thawedAt;
    assert.ok(drainMs < 120_000, 'the backlog drained within 2 minutes of the thaw');
    await sleep(250);
  }
  assert.equal(await s.stop('SIGTERM'), 0, s.output().slice(-3000));

  const db = await DuckDBInstance.create(join(data, 'events.duckdb'), { access_mode: 'READ_ONLY' });
  const conn = await db.connect();
  const httpRows = await conn.runAndReadAll(`SELECT json_extract_string(fields, '$."ledger.id"') AS id FROM events WHERE json_extract_string(fields, '$."ledger.id"') IS NOT NULL`);
  const storedHttp = new Set(httpRows.getRowObjects().map((r) => String(r.id)));
  const tcpRows = await conn.runAndReadAll(`SELECT count(DISTINCT message) AS n FROM events WHERE message LIKE '%store stall tcp t%'`);
  const storedTcp = Number(tcpRows.getRowObjects()[0]?.n ?? 0);
  conn.closeSync();
  db.closeSync();
  const missing = [...acked].filter((id) => !storedHttp.has(id));

  const byStatus = Object.fromEntries([...statuses].sort());
  const line = `store stall ${STALL_MS} ms (fsfreeze of the DuckDB filesystem; maxQueueEvents ${MAX_QUEUE_EVENTS}, store memoryLimit ${STORE_MEMORY_LIMIT}): HTTP answers ${JSON.stringify(byStatus)}; acknowledged while stalled ${ackedWhileStalled}; queue depth max ${maxDepth}; TCP longest blocked write ${tcp.longestWaitMs} ms; RSS ${Math.round(rssBefore / MiB)} MiB at the freeze, max ${Math.round(maxRss / MiB)} MiB (cap ${RSS_CAP_BYTES / MiB}); first 200 ${resumeMs} ms after the thaw, backlog drained ${drainMs} ms after; HTTP acknowledged ${acked.size}, missing ${missing.length}; TCP sent ${tcp.sent}, stored ${storedTcp}`;
  t.diagnostic(line);
  console.log(line);
  appendFaultResult('store-stall', 'Store stalled (fsfreeze): back-pressure, bounded memory, nothing acknowledged lost', started, [
    { label: 'stall', value: STALL_MS, unit: 'ms' },
    { label: 'HTTP 503 answers while stalled', value: statuses.get('stalled:503') ?? 0, unit: 'requests' },
    { label: 'HTTP events acknowledged while stalled (durable in the event log)', value: ackedWhileStalled, unit: 'events' },
    { label: 'queue depth max (limit)', value: maxDepth, unit: 'events', note: `limit ${MAX_QUEUE_EVENTS}` },
    { label: 'TCP syslog longest blocked write (paused reads)', value: tcp.longestWaitMs, unit: 'ms' },
    { label: 'RSS at the freeze', value: Math.round(rssBefore / MiB), unit: 'MiB' },
    { label: 'RSS max while stalled', value: Math.round(maxRss / MiB), unit: 'MiB', note: `cap ${RSS_CAP_BYTES / MiB} MiB` },
    { label: 'first 200 after the thaw', value: resumeMs, unit: 'ms' },
    { label: 'backlog drained after the thaw', value: drainMs, unit: 'ms' },
    { label: 'HTTP events acknowledged', value: acked.size, unit: 'events' },
    { label: 'HTTP acknowledged events missing', value: missing.length, unit: 'events' },
    { label: 'TCP messages sent', value: tcp.sent, unit: 'messages' },
    { label: 'TCP messages stored', value: storedTcp, unit: 'messages' },
  ]);

  assert.ok((statuses.get('stalled:503') ?? 0) > 0, `HTTP senders got 503 while the store was stalled: ${JSON.stringify(byStatus)}`);
  assert.ok(maxDepth <= MAX_QUEUE_EVENTS, `the backlog stayed within maxQueueEvents (${maxDepth})`);
  assert.ok(tcp.longestWaitMs >= STALL_MS / 2, `the TCP sender was paused during the stall (longest blocked write ${tcp.longestWaitMs} ms)`);
  assert.ok(maxRss < RSS_CAP_BYTES, `RSS ${Math.round(maxRss / MiB)} MiB stayed under ${RSS_CAP_BYTES / MiB} MiB`);
  assert.deepEqual(missing.slice(0, 10), [], `${missing.length} acknowledged HTTP events are missing`);
  assert.equal(storedTcp, tcp.sent, 'every TCP message sent is stored (the connection was paused, not dropped)');
});
