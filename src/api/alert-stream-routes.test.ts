/**
 * The alert stream over a real socket: what a stream hears (its tenant's changes, triage
 * included), heartbeats, the bound on open streams, a slow reader dropped instead of buffered,
 * and a server close that ends open streams instead of waiting on them.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { AlertFeed } from '../alerts/alert-feed.js';
import { alertOf } from '../core/alert.js';
import { createToken } from './auth/tokens.js';
import { bearer, counterValue, startTestServer, type TestServer } from './test-server.test-support.js';
import { SseClient, alertMessage } from './sse-client.test-support.js';

const feed = new AlertFeed();
let t: TestServer;
let otherTenant: string;
const streamUrl = () => `${t.url}/api/v1/alerts/stream`;

before(async () => {
  t = await startTestServer({
    alertFeed: feed,
    alertStream: { heartbeatMs: 100, maxStreams: 3, maxBufferedBytes: 16 * 1024 },
    // Idle and request deadlines far below the stream's life: a stream must outlive both.
    timeouts: { headersMs: 300, requestMs: 400, idleMs: 2_000, checkIntervalMs: 100 },
  });
  otherTenant = (await createToken(t.store, { name: 'elsewhere', role: 'analyst', tenant: 'globex' })).secret;
});
after(async () => {
  await t.close();
});

/** Waits until the server has exactly `count` streams subscribed to the feed. */
async function listening(count: number): Promise<void> {
  for (let i = 0; i < 300 && feed.listeners !== count; i++) await sleep(10);
  assert.equal(feed.listeners, count);
}

describe('GET /api/v1/alerts/stream', () => {
  test('needs a reading role: none without a token, none for an ingest token', async () => {
    assert.equal((await fetch(streamUrl())).status, 401);
    const ingest = await fetch(streamUrl(), { headers: bearer(t.tokens.ingest) });
    assert.equal(ingest.status, 403);
    await ingest.arrayBuffer();
  });

  test("tells each stream of its own tenant's alerts only, and of triage", async () => {
    const acme = await SseClient.open(streamUrl(), bearer(t.tokens.analyst));
    const globex = await SseClient.open(streamUrl(), bearer(otherTenant));
    try {
      assert.equal(acme.response.status, 200);
      assert.equal(acme.response.headers.get('content-type'), 'text/event-stream; charset=utf-8');
      assert.equal(acme.response.headers.get('cache-control'), 'no-store');
      assert.equal(acme.response.headers.get('x-content-type-options'), 'nosniff');
      await listening(2);
      feed.publish([{ tenant: 'globex', id: 'g-1', change: 'raised' }]);
      feed.publish([{ tenant: 'acme', id: 'a-1', change: 'raised' }]);
      assert.deepEqual(alertMessage(await acme.next((m) => m.event === 'alert')), { id: 'a-1', change: 'raised' });
      assert.deepEqual(alertMessage(await globex.next((m) => m.event === 'alert')), { id: 'g-1', change: 'raised' });

      // Triage through the API tells the stream too (the server's triage publishes to its feed).
      await t.store.appendAlerts([{ ...alertOf({ id: 'a-2', tenant: 'acme', created: Date.now(), ruleId: 'r', ruleTitle: 'R', ruleAuthor: 'x', level: 'high', eventIds: [], state: 'new', details: {} }) }]);
      const acked = await fetch(`${t.url}/api/v1/alerts/a-2/actions`, { method: 'POST', headers: bearer(t.tokens.analyst), body: '{"action":"ack"}' });
      assert.equal(acked.status, 200);
      await acked.arrayBuffer();
      assert.deepEqual(alertMessage(await acme.next((m) => m.data.includes('a-2'))), { id: 'a-2', change: 'updated' });
      const bulk = await fetch(`${t.url}/api/v1/alerts/actions`, { method: 'POST', headers: bearer(t.tokens.analyst), body: '{"ids":["a-2"],"action":"comment","comment":"seen"}' });
      assert.equal(bulk.status, 200);
      await bulk.arrayBuffer();
      await acme.next((m) => m.data.includes('a-2'), 5_000, acme.messages.length);

      await sleep(150);
      assert.deepEqual(acme.messages.map(alertMessage).map((m) => m?.id), ['a-1', 'a-2', 'a-2'], 'never another tenant');
      assert.deepEqual(globex.messages.map(alertMessage).map((m) => m?.id), ['g-1']);
    } finally {
      await acme.close();
      await globex.close();
    }
    await listening(0);
  });

  test('sends a comment heartbeat and outlives the request and idle deadlines', async () => {
    const stream = await SseClient.open(streamUrl(), bearer(t.tokens.analyst));
    try {
      await stream.comment(4);
      assert.ok(stream.comments.includes('ping'));
      await sleep(600);
      assert.equal(stream.ended, false, 'open past the 400 ms request deadline');
      await listening(1);
      feed.publish([{ tenant: 'acme', id: 'late', change: 'updated' }]);
      assert.deepEqual(alertMessage(await stream.next((m) => m.event === 'alert')), { id: 'late', change: 'updated' });
    } finally {
      await stream.close();
    }
  });

  test('opens at most maxStreams at once; the next gets 503 with Retry-After, counted', async () => {
    await listening(0);
    const before = await counterValue(t.metrics, 'vigil_events_dropped_total', { input: 'api', reason: 'too-many-connections' });
    const open = await Promise.all([1, 2, 3].map(() => SseClient.open(streamUrl(), bearer(t.tokens.analyst))));
    try {
      await listening(3);
      const refused = await fetch(streamUrl(), { headers: bearer(t.tokens.analyst) });
      assert.equal(refused.status, 503);
      assert.equal(refused.headers.get('retry-after'), '5');
      assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'overloaded');
      assert.equal(await counterValue(t.metrics, 'vigil_events_dropped_total', { input: 'api', reason: 'too-many-connections' }), before + 1);
    } finally {
      await Promise.all(open.map((s) => s.close()));
    }
    await listening(0);
    const again = await SseClient.open(streamUrl(), bearer(t.tokens.analyst));
    assert.equal(again.response.status, 200, 'a closed stream frees its place');
    await again.close();
  });

  test('drops a client that stops reading instead of buffering for it', async () => {
    await listening(0);
    const before = await counterValue(t.metrics, 'vigil_events_dropped_total', { input: 'api', reason: 'overloaded' });
    const url = new URL(t.url);
    const socket = net.connect(Number(url.port), url.hostname);
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(`GET /api/v1/alerts/stream HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${t.tokens.analyst}\r\n\r\n`);
    await listening(1);
    socket.pause();
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => undefined);
    // Far more than the socket buffers and maxBufferedBytes hold, while the client reads nothing.
    for (let i = 0; i < 20_000 && feed.listeners > 0; i++) feed.publish([{ tenant: 'acme', id: `flood-${i}-${'x'.repeat(100)}`, change: 'raised' }]);
    assert.equal(feed.listeners, 0, 'the slow stream was unsubscribed');
    assert.equal(await counterValue(t.metrics, 'vigil_events_dropped_total', { input: 'api', reason: 'overloaded' }), before + 1);
    socket.resume();
    await closed;
  });

  test('closing the server ends open streams rather than waiting on them', async () => {
    const own = new AlertFeed();
    const server = await startTestServer({ alertFeed: own });
    const streams = await Promise.all([1, 2].map(() => SseClient.open(`${server.url}/api/v1/alerts/stream`, bearer(server.tokens.analyst))));
    for (let i = 0; i < 200 && own.listeners < 2; i++) await sleep(10);
    assert.equal(own.listeners, 2);
    const started = Date.now();
    await Promise.race([server.close(), sleep(5_000, undefined, { ref: false }).then(() => assert.fail('close hung on open streams'))]);
    assert.ok(Date.now() - started < 5_000);
    await Promise.all(streams.map((s) => s.done));
    assert.ok(streams.every((s) => s.ended));
    assert.equal(own.listeners, 0);
  });
});
