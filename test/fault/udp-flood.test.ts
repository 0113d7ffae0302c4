/**
 * Syslog over UDP flooded far past what one process can parse: every datagram the sender got
 * out is accounted for (stored, dropped and counted by Vigil, or dropped and counted by the
 * kernel's receive buffer, which /metrics exports from /proc/net/udp), the process stays up with
 * bounded memory, and HTTP ingest keeps answering meanwhile.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { appendFaultResult, metricValue, rssBytes } from '../support/fault-results.js';
import { hostPort, startVigil, type VigilProcess } from '../support/vigil-process.js';

const FLOOD_MS = Number(process.env.VIGIL_UDP_FLOOD_MS ?? 4000);
/** The flood's memory ceiling: the batches in flight are bounded, the rest is the kernel's buffer. */
const STORE_MEMORY_LIMIT = '256MB';
const RSS_CAP_BYTES = 1024 * 1024 * 1024;
const MiB = 1024 * 1024;

/** The flooding process: argv host, port, milliseconds; prints {sent, errors} as JSON. */
const FLOODER = `
const { createSocket } = require('node:dgram');
const [host, port, ms] = process.argv.slice(1);
const until = Date.now() + Number(ms);
let sent = 0, errors = 0;
const sender = async (n) => {
  const sock = createSocket('udp4');
  let i = 0;
  while (Date.now() < until) {
    const burst = [];
    for (let k = 0; k < 256; k++) {
      const msg = Buffer.from('<134>Dec  7 12:00:00 flood-host app[' + n + ']: flood datagram ' + n + '-' + (i++) + ' user=alice src=10.0.0.' + (i % 255));
      burst.push(new Promise((resolve) => sock.send(msg, Number(port), host, (err) => { if (err) errors++; else sent++; resolve(); })));
    }
    await Promise.all(burst);
  }
  sock.close();
};
Promise.all([sender(1), sender(2)]).then(() => process.stdout.write(JSON.stringify({ sent, errors })));
`;

let data = '';
let server: VigilProcess | undefined;
after(async () => {
  await server?.stop('SIGKILL');
  if (data) await rm(data, { recursive: true, force: true });
});

async function metrics(s: VigilProcess): Promise<string> {
  const res = await fetch(`${s.info.http}/metrics`, { headers: { authorization: `Bearer ${s.token}` } });
  assert.equal(res.status, 200);
  return res.text();
}

it('a UDP flood is dropped and counted (by Vigil and by the kernel), memory stays bounded, HTTP keeps working', { timeout: 120_000, skip: existsSync('/proc/net/udp') ? false : 'no /proc/net/udp (not Linux): the kernel drop count cannot be read' }, async (t) => {
  const started = Date.now();
  data = await mkdtemp(join(tmpdir(), 'vigil-udp-flood-'));
  // DuckDB's own cache is capped by config; the rest of the cap is Node's heap and the batches in flight.
  const config = join(data, 'vigil.yaml');
  await writeFile(config, `store:\n  memoryLimit: ${STORE_MEMORY_LIMIT}\n`);
  server = await startVigil(join(data, 'data'), ['--config', config]);
  const s = server;
  const udp = s.info.syslog.udp;
  assert.ok(udp, 'the server listens on syslog UDP');
  const { host, port } = hostPort(udp);
  const baseRss = rssBytes(s.child.pid!);

  // The flood comes from another process (two sockets, a window of datagrams in flight each, as
  // fast as the loopback takes them), so this process's event loop measures HTTP honestly.
  let sent = 0;
  let sendErrors = 0;
  const floodUntil = Date.now() + FLOOD_MS;
  const flooder = spawn(process.execPath, ['-e', FLOODER, host, String(port), String(FLOOD_MS)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let flooderOut = '';
  flooder.stdout.on('data', (d: Buffer) => (flooderOut += d.toString()));
  const flood = new Promise<void>((resolve, reject) => {
    flooder.once('error', reject);
    flooder.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`the flooder exited with ${code}`));
      const result = JSON.parse(flooderOut) as { sent: number; errors: number };
      sent = result.sent;
      sendErrors = result.errors;
      resolve();
    });
  });

  // Meanwhile: an HTTP sender and an RSS sampler.
  let maxRss = baseRss;
  const httpLatencies: number[] = [];
  let httpOk = 0;
  let httpBusy = 0;
  let httpOther = 0;
  const httpSender = (async () => {
    let b = 0;
    while (Date.now() < floodUntil) {
      const t0 = performance.now();
      const res = await fetch(`${s.info.http}/api/v1/ingest`, {
        method: 'POST',
        headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/x-ndjson' },
        body: JSON.stringify({ message: `http during flood ${b++}`, 'host.name': 'http-during-flood' }) + '\n',
        signal: AbortSignal.timeout(10_000),
      });
      await res.arrayBuffer();
      httpLatencies.push(performance.now() - t0);
      if (res.status === 200) httpOk++;
      else if (res.status === 503) httpBusy++;
      else httpOther++;
      await sleep(100);
    }
  })();
  const sampler = (async () => {
    while (Date.now() < floodUntil + 500) {
      maxRss = Math.max(maxRss, rssBytes(s.child.pid!));
      await sleep(100);
    }
  })();
  await Promise.all([flood, httpSender, sampler]);

  // Let the pipeline store what it accepted, then read the books.
  let text = '';
  let last = -1;
  for (let i = 0; i < 200; i++) {
    text = await metrics(s);
    const stored = metricValue(text, 'vigil_events_stored_total', { input: 'syslog' });
    if (metricValue(text, 'vigil_queue_depth') === 0 && stored === last) break;
    last = stored;
    await sleep(250);
  }
  assert.equal(s.child.exitCode, null, 'the server is still running');
  const stored = metricValue(text, 'vigil_events_stored_total', { input: 'syslog' });
  const appDropped = metricValue(text, 'vigil_events_dropped_total', { input: 'syslog' });
  const kernelDropped = metricValue(text, 'vigil_udp_receive_buffer_drops_total', { input: 'syslog' });
  assert.match(text, /vigil_udp_receive_buffer_drops_total\{input="syslog"\} \d+/, 'the kernel drop count is exported');
  const heapTotal = metricValue(text, 'vigil_nodejs_heap_size_total_bytes');
  const external = metricValue(text, 'vigil_nodejs_external_memory_bytes');
  const unaccounted = sent - stored - appDropped - kernelDropped;
  const p = (q: number) => [...httpLatencies].sort((a, b) => a - b)[Math.min(httpLatencies.length - 1, Math.floor(q * httpLatencies.length))] ?? NaN;

  const line = `UDP flood ${FLOOD_MS} ms: sent ${sent} datagrams (${Math.round(sent / (FLOOD_MS / 1000))}/s, ${sendErrors} send errors); stored ${stored}; dropped by Vigil ${appDropped}; dropped by the kernel ${kernelDropped}; unaccounted ${unaccounted}; RSS ${Math.round(baseRss / MiB)} MiB before, max ${Math.round(maxRss / MiB)} MiB (main thread's V8 heap ${Math.round(heapTotal / MiB)} MiB, external ${Math.round(external / MiB)} MiB; DuckDB memoryLimit ${STORE_MEMORY_LIMIT}); HTTP during flood ${httpOk} ok / ${httpBusy} 503 / ${httpOther} other, p50 ${Math.round(p(0.5))} ms, max ${Math.round(p(1))} ms`;
  t.diagnostic(line);
  console.log(line);
  appendFaultResult('udp-flood', 'Syslog UDP flood: drops counted, memory bounded', started, [
    { label: 'datagrams sent', value: sent, unit: 'datagrams' },
    { label: 'send rate', value: Math.round(sent / (FLOOD_MS / 1000)), unit: 'datagrams/s' },
    { label: 'stored', value: stored, unit: 'events' },
    { label: 'dropped and counted by Vigil', value: appDropped, unit: 'events' },
    { label: 'dropped by the kernel (receive buffer), exported', value: kernelDropped, unit: 'datagrams' },
    { label: 'unaccounted', value: unaccounted, unit: 'datagrams' },
    { label: 'RSS before the flood', value: Math.round(baseRss / MiB), unit: 'MiB' },
    { label: 'RSS max during the flood', value: Math.round(maxRss / MiB), unit: 'MiB' },
    { label: 'main-thread V8 heap after the flood', value: Math.round(heapTotal / MiB), unit: 'MiB' },
    { label: 'HTTP ingest during the flood, 200', value: httpOk, unit: 'requests' },
    { label: 'HTTP ingest during the flood, other than 200/503', value: httpOther, unit: 'requests' },
    { label: 'HTTP ingest latency during the flood, p50', value: Math.round(p(0.5)), unit: 'ms' },
    { label: 'HTTP ingest latency during the flood, max', value: Math.round(p(1)), unit: 'ms' },
  ]);

  assert.ok(kernelDropped > 0, 'the flood overran the kernel receive buffer, and the count shows it (else the flood was too weak to prove anything)');
  // Every datagram that left the sender is stored or counted somewhere (loopback loses nothing else).
  assert.equal(unaccounted, 0, line);
  assert.ok(maxRss < RSS_CAP_BYTES, `RSS ${Math.round(maxRss / MiB)} MiB stayed under ${RSS_CAP_BYTES / MiB} MiB`);
  assert.ok(httpOk > 0 && httpOther === 0, `HTTP ingest kept answering during the flood (${httpOk} ok, ${httpBusy} busy, ${httpOther} other)`);
  assert.ok(p(1) < 5000, `HTTP answered within 5 s during the flood (max ${Math.round(p(1))} ms)`);
});
