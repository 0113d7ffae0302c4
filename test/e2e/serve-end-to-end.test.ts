/**
 * The issue's "done when", as a test: a real `vigil serve` receives a syslog line over UDP,
 * over TCP in both framings, a Splunk HEC event, an Elasticsearch _bulk document and an
 * NDJSON event; `vigil search` and the search API find every one, and `vigil search` still
 * finds them after the server stops (opening the files itself).
 */
import { strict as assert } from 'node:assert';
import { createSocket } from 'node:dgram';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { hostPort, runCli, startVigil, type VigilProcess } from '../support/vigil-process.js';

let data = '';
let server: VigilProcess;
const run = `run${Date.now().toString(36)}`;

async function sendUdp(address: string, message: string): Promise<void> {
  const { host, port } = hostPort(address);
  const socket = createSocket('udp4');
  await new Promise<void>((resolve, reject) => socket.send(message, port, host, (e) => (e ? reject(e) : resolve())));
  socket.close();
}

async function sendTcp(address: string, payload: string): Promise<void> {
  const { host, port } = hostPort(address);
  await new Promise<void>((resolve, reject) => {
    const socket = connect(port, host, () => socket.end(payload));
    socket.on('close', () => resolve());
    socket.on('error', reject);
  });
}

async function api(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${server.info.http}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${server.token}`, ...(init.headers as Record<string, string>) },
  });
}

async function searchApi(q: string): Promise<{ total: number; hits: { fields: Record<string, unknown>; original: string }[] }> {
  const res = await api(`/api/v1/search?q=${encodeURIComponent(q)}`);
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()) as { total: number; hits: { fields: Record<string, unknown>; original: string }[] };
}

/** Waits until the pipeline has stored what was sent (ingest is durable at once; storing is batched). */
async function eventually(q: string, expected: number): Promise<number> {
  const deadline = Date.now() + 15_000;
  let total = 0;
  while (Date.now() < deadline) {
    total = (await searchApi(q)).total;
    if (total >= expected) return total;
    await sleep(100);
  }
  return total;
}

describe('vigil serve, end to end', { timeout: 120_000 }, () => {
  before(async () => {
    data = await mkdtemp(join(tmpdir(), 'vigil-e2e-'));
    server = await startVigil(data);
  });
  after(async () => {
    await server?.stop();
    if (data) await rm(data, { recursive: true, force: true });
  });

  it('prints its ports and where the first-run admin token is', () => {
    assert.match(server.output(), /HTTP API and ingest\s+http:\/\/127\.0\.0\.1:\d+/);
    assert.match(server.output(), /syslog TCP\s+127\.0\.0\.1:\d+/);
    assert.match(server.output(), /admin token \(first run\) written to .*admin-token/);
    assert.match(server.token, /^vgl_/);
  });

  it('stores events from every input and finds each by search', async () => {
    const udp = server.info.syslog.udp!;
    const tcp = server.info.syslog.tcp!;
    await sendUdp(udp, `<34>Oct 11 22:14:15 mymachine su[230]: 'su root' failed for ${run}-udp on /dev/pts/8`);
    await sendTcp(tcp, `<165>1 2003-10-11T22:14:15.003Z web-1.example.com sshd 4321 ID47 - Failed password for ${run}-lf from 10.1.2.3 port 22 ssh2\n`);
    const octet = `<13>1 2026-11-28T10:00:00Z db-1 app - - [exampleSDID@32473 iut="3"] octet ${run}-octet`;
    await sendTcp(tcp, `${Buffer.byteLength(octet)} ${octet}`);

    const hec = await fetch(`${server.info.http}/services/collector/event`, {
      method: 'POST',
      headers: { authorization: `Splunk ${server.token}` },
      body: JSON.stringify({ event: { message: `hec ${run}-hec`, user: { name: 'alice' } }, host: 'hec-host', sourcetype: 'test' }),
    });
    assert.equal(hec.status, 200, await hec.clone().text());

    const bulk = await api('/_bulk', {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: `{"create":{"_index":"logs-test"}}\n${JSON.stringify({ '@timestamp': new Date().toISOString(), message: `bulk ${run}-bulk`, host: { name: 'beat-host' } })}\n`,
    });
    assert.equal(bulk.status, 200, await bulk.clone().text());
    assert.equal(((await bulk.json()) as { errors: boolean }).errors, false);

    const ndjson = await api('/api/v1/ingest', {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: `${JSON.stringify({ message: `ndjson ${run}-ndjson`, user: { name: 'root' }, 'host.name': 'json-host' })}\n`,
    });
    assert.equal(ndjson.status, 200, await ndjson.clone().text());

    assert.equal(await eventually(run, 6), 6, 'all six events are searchable');
    for (const suffix of ['udp', 'lf', 'octet', 'hec', 'bulk', 'ndjson']) {
      assert.equal((await searchApi(`"${run}-${suffix}"`)).total, 1, `free text finds the ${suffix} event`);
    }
    assert.equal((await searchApi(`host.name:web-1.example.com AND "${run}"`)).total, 1);
    assert.equal((await searchApi(`host.name:web* AND ${run}`)).total, 1);
    assert.equal((await searchApi(`user.name:root AND ${run}`)).total, 1);
    assert.equal((await searchApi(`user.name:alice OR user.name:root`)).total, 2);
    assert.equal((await searchApi(`${run} AND NOT host.name:web-1.example.com`)).total, 5);
  });

  it('vigil search asks the running server and prints what it found', async () => {
    const found = await runCli(['search', `"${run}-octet"`, '--data', data]);
    assert.equal(found.code, 0, found.stderr);
    assert.match(found.stdout, /octet run\w+-octet/);
    const json = await runCli(['search', run, '--json', '--data', data, '--limit', '3']);
    const parsed = JSON.parse(json.stdout) as { total: number; hits: unknown[] };
    assert.equal(parsed.total, 6);
    assert.equal(parsed.hits.length, 3);
  });

  it('vigil search opens the data folder itself once the server has stopped', async () => {
    assert.equal(await server.stop(), 0, server.output());
    const found = await runCli(['search', `${run} AND process.name:sshd`, '--data', data, '--json']);
    assert.equal(found.code, 0, found.stderr);
    assert.equal((JSON.parse(found.stdout) as { total: number }).total, 1);
  });
});
