/**
 * The console's live APIs on a whole server (real DuckDB on its own thread, real syslog over TCP,
 * a Sigma rule): syslog lines that fire the rule reach an open alert stream, triage reaches it
 * too, another tenant hears none of it, and the overview and sources pages count exactly what
 * was sent.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { parseConfig } from '../core/config.js';
import type { Alert } from '../core/alert.js';
import { createToken } from '../api/auth/tokens.js';
import type { Overview } from '../api/overview-routes.js';
import type { SourceHealth } from '../api/source-health.js';
import { SseClient, alertMessage } from '../api/sse-client.test-support.js';
import { startVigilServer, type RunningServer } from './vigil-server.js';

const RULE = `title: Console test failed login
id: 7f0c6b1e-3d2a-4c5b-9e8f-0a1b2c3d4e5f
author: Vigil tests
logsource: { product: linux, service: sshd }
detection:
  selection: { event.action: ssh_login, event.outcome: failure }
  condition: selection
level: high
`;

let dir: string;
let server: RunningServer;
let admin: string;
let globexAnalyst: string;
let globexIngest: string;
let acmeStream: SseClient;
let globexStream: SseClient;
let alertId: string;

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const api = (path: string, token: string, init: RequestInit = {}) =>
  fetch(`${server.info.http}${path}`, { ...init, headers: { ...bearer(token), ...(init.headers as Record<string, string> | undefined) } });

function failedLogin(user: string): string {
  return `<38>1 ${new Date().toISOString()} web-7 sshd 4242 - - Failed password for ${user} from 203.0.113.50 port 40000 ssh2`;
}

async function sendTcp(lines: readonly string[]): Promise<void> {
  const [host, port] = [server.info.syslog.tcp!.replace(/:\d+$/, ''), Number(server.info.syslog.tcp!.split(':').pop())];
  await new Promise<void>((resolve, reject) => {
    const socket = connect(port, host, () => socket.end(lines.map((l) => `${l}\n`).join('')));
    socket.on('close', () => resolve());
    socket.on('error', reject);
  });
}

async function storedEvents(tenant: string, expected: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await server.store.countEvents(tenant)) >= expected) break;
    await sleep(50);
  }
  await server.pipeline.whenIdle();
  assert.equal(await server.store.countEvents(tenant), expected);
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vigil-console-live-'));
  const rule = join(dir, 'failed-login.yml');
  await writeFile(rule, RULE);
  const config = parseConfig({
    data: join(dir, 'data'),
    http: { listen: '127.0.0.1:0' },
    syslog: { udp: false, tcp: '127.0.0.1:0' },
    detection: { builtin: false, rules: [rule] },
    enrich: { geoip: { enabled: false } },
  });
  server = await startVigilServer(config, pino({ level: 'silent' }));
  admin = (await readFile(server.folder.adminToken, 'utf8')).trim();
  globexAnalyst = (await createToken(server.store, { name: 'globex-analyst', role: 'analyst', tenant: 'globex' })).secret;
  globexIngest = (await createToken(server.store, { name: 'globex-shipper', role: 'ingest', tenant: 'globex' })).secret;
});
after(async () => {
  // Streams are left open on purpose: stopping the server must end them, not wait on them.
  await Promise.race([server?.stop(), sleep(15_000, undefined, { ref: false }).then(() => assert.fail('the server did not stop with streams open'))]);
  assert.ok(acmeStream.ended && globexStream.ended);
  await rm(dir, { recursive: true, force: true });
});

describe('the console, live', { timeout: 60_000 }, () => {
  it('streams the alert that syslog lines raise, to their tenant only', async () => {
    acmeStream = await SseClient.open(`${server.info.http}/api/v1/alerts/stream`, bearer(admin));
    globexStream = await SseClient.open(`${server.info.http}/api/v1/alerts/stream`, bearer(globexAnalyst));
    assert.equal(acmeStream.response.status, 200);
    assert.equal(globexStream.response.status, 200);
    await acmeStream.comment(1);
    await globexStream.comment(1);

    await sendTcp([failedLogin('root'), failedLogin('root'), failedLogin('root'), '\u0001\u0002 not a log line at all']);
    const raised = alertMessage(await acmeStream.next((m) => alertMessage(m)?.change === 'raised'));
    alertId = raised!.id;
    const alert = (await (await api(`/api/v1/alerts/${alertId}`, admin)).json()) as Alert;
    assert.equal(alert.ruleTitle, 'Console test failed login');
    assert.equal(alert.tenant, 'default');
    await storedEvents('default', 4);
  });

  it('streams triage, and the other tenant still heard nothing', async () => {
    const from = acmeStream.messages.length;
    const acked = await api(`/api/v1/alerts/${alertId}/actions`, admin, { method: 'POST', body: '{"action":"ack"}' });
    assert.equal(acked.status, 200);
    await acked.arrayBuffer();
    assert.deepEqual(alertMessage(await acmeStream.next((m) => alertMessage(m)?.change === 'updated', 10_000, from)), { id: alertId, change: 'updated' });
    assert.deepEqual(globexStream.messages, []);
  });

  it("streams the other tenant's own alert to it alone", async () => {
    const lines = [failedLogin('admin'), failedLogin('admin'), failedLogin('admin')].join('\n');
    const imported = await api('/api/v1/import?format=syslog&path=auth.log', globexIngest, { method: 'POST', body: lines });
    assert.equal(imported.status, 200, await imported.clone().text());
    const theirs = alertMessage(await globexStream.next((m) => alertMessage(m)?.change === 'raised'));
    assert.notEqual(theirs?.id, alertId);
    await storedEvents('globex', 3);
    await sleep(200);
    assert.ok(!acmeStream.messages.some((m) => alertMessage(m)?.id === theirs?.id), 'not told to the default tenant');
  });

  it('the overview counts what was sent and raised', async () => {
    const response = await api('/api/v1/overview?hours=1', admin);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    const overview = (await response.json()) as Overview;
    assert.equal(overview.bucketMs, 60_000);
    assert.equal(overview.eventRate.buckets.length, overview.eventRate.series[0]?.counts.length);
    assert.deepEqual(overview.eventRate.series.map((s) => [s.source, s.counts.reduce((a, b) => a + b, 0)]), [['syslog', 4]]);
    assert.deepEqual(overview.eventsPerSecond, [{ source: 'syslog', rate: Math.round((4 / 300) * 1000) / 1000 }]);
    assert.deepEqual(overview.alertsByLevel.series.map((s) => [s.level, s.counts.reduce((a, b) => a + b, 0)]), [['high', 1]]);
    assert.deepEqual(overview.topRules, [
      { ruleId: '7f0c6b1e-3d2a-4c5b-9e8f-0a1b2c3d4e5f', ruleTitle: 'Console test failed login', ruleAuthor: 'Vigil tests', level: 'high', alerts: 1, detections: 3 },
    ]);
    const ip = overview.topEntities.find((e) => e.field === 'source.ip');
    assert.equal(ip?.value, '203.0.113.50');
    assert.equal(ip?.alerts, 1);
    assert.equal(ip?.score, 40, 'a high detection is 40 risk points');
    assert.equal(overview.openAlerts, 1);
    assert.deepEqual(overview.silentSources, []);
  });

  it('the sources page shows each input with its counts, health and hosts', async () => {
    const response = await api('/api/v1/sources', admin);
    assert.equal(response.status, 200);
    const { sources } = (await response.json()) as { sources: SourceHealth[] };
    assert.deepEqual(sources.map((s) => [s.input, s.kind, s.status]), [
      ['http', 'http-ingest', 'idle'],
      ['hec', 'splunk-hec', 'idle'],
      ['bulk', 'elastic-bulk', 'idle'],
      ['syslog', 'syslog-tcp', 'ok'],
    ]);
    assert.ok(sources.slice(0, 3).every((s) => s.listen === server.info.http && s.lastEvent === null));
    const tcp = sources[3]!;
    assert.equal(tcp.listen, server.info.syslog.tcp);
    assert.deepEqual([tcp.received, tcp.stored, tcp.parseFailed, tcp.events24h, tcp.parseFailed24h], [4, 4, 1, 4, 1]);
    assert.ok(tcp.lastEvent !== null && Date.now() - tcp.lastEvent < 60_000);
    assert.equal(tcp.ratePerSecond, Math.round((4 / 300) * 1000) / 1000);
    assert.deepEqual(tcp.hosts.map((h) => [h.host, h.events24h]), [
      ['web-7', 3],
      ['127.0.0.1', 1],
    ]);

    const theirs = (await (await api('/api/v1/sources', globexAnalyst)).json()) as { sources: SourceHealth[] };
    const tcpThere = theirs.sources.find((s) => s.kind === 'syslog-tcp');
    assert.deepEqual([tcpThere?.status, tcpThere?.received, tcpThere?.hosts], ['idle', 0, []], 'the default tenant\'s syslog is not theirs');
    const file = theirs.sources.find((s) => s.input === 'file');
    assert.deepEqual([file?.kind, file?.listen, file?.status, file?.received, file?.stored, file?.events24h], ['file', null, 'ok', 3, 3, 3]);
  });
});
