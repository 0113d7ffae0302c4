/** The server as a whole: health, metrics, body limits, gzip bombs, TLS, slow clients, logs. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import net from 'node:net';
import { Writable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { pino } from 'pino';
import { makeTestCert, type TestCert } from '../../test/support/tls-cert.js';
import { bearer, counterValue, startTestServer, TEST_LIMITS, type TestServer } from './test-server.test-support.js';

const LIMITS = { ...TEST_LIMITS, maxBodyBytes: 64 * 1024, maxInflatedBytes: 256 * 1024 };
let healthy = true;
let logText = '';
let t: TestServer;

before(async () => {
  const stream = new Writable({
    write(chunk, _encoding, done) {
      logText += String(chunk);
      done();
    },
  });
  t = await startTestServer({
    limits: LIMITS,
    health: () => ({ ok: healthy, details: { queueDepth: 3 } }),
    log: pino({ level: 'debug' }, stream),
    timeouts: { headersMs: 300, requestMs: 800, checkIntervalMs: 100 },
  });
});
after(async () => {
  await t.close();
});

describe('health and metrics', () => {
  test('GET /healthz needs no token and answers 200, or 503 when unhealthy', async () => {
    const ok = await fetch(`${t.url}/healthz`);
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { status: 'ok', queueDepth: 3 });
    healthy = false;
    const down = await fetch(`${t.url}/healthz`);
    healthy = true;
    assert.equal(down.status, 503);
    assert.equal(((await down.json()) as { status: string }).status, 'unavailable');
  });

  test('GET /metrics serves Prometheus text to an analyst', async () => {
    await fetch(`${t.url}/api/v1/ingest`, { method: 'POST', headers: bearer(t.tokens.ingest), body: '{"a":1}\n' });
    const response = await fetch(`${t.url}/metrics`, { headers: bearer(t.tokens.analyst) });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /text\/plain/);
    assert.match(await response.text(), /vigil_events_received_total\{input="http"\} 1/);
  });

  test('an unknown route answers the uniform error body', async () => {
    const response = await fetch(`${t.url}/nope`, { headers: bearer(t.tokens.analyst) });
    assert.equal(response.status, 404);
    assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'not-found');
  });
});

describe('body limits', () => {
  test('a body over maxBodyBytes is 413, counted oversized, and nothing is submitted', async () => {
    const before = await counterValue(t.metrics, 'vigil_events_dropped_total', { input: 'http', reason: 'oversized' });
    const calls = t.sink.calls;
    const big = `${JSON.stringify({ pad: 'x'.repeat(LIMITS.maxBodyBytes) })}\n`;
    const response = await fetch(`${t.url}/api/v1/ingest`, { method: 'POST', headers: bearer(t.tokens.ingest), body: big });
    assert.equal(response.status, 413);
    assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'payload-too-large');
    assert.equal(t.sink.calls, calls);
    assert.equal(await counterValue(t.metrics, 'vigil_events_dropped_total', { input: 'http', reason: 'oversized' }), before + 1);
  });

  test('a gzip bomb (1 MiB of zeros in ~1 KiB) is 413 once inflation passes maxInflatedBytes; nothing is submitted', async () => {
    const bomb = gzipSync(Buffer.alloc(1024 * 1024));
    assert.ok(bomb.length < LIMITS.maxBodyBytes);
    const calls = t.sink.calls;
    const before = await counterValue(t.metrics, 'vigil_events_dropped_total', { input: 'hec', reason: 'oversized' });
    const response = await fetch(`${t.url}/services/collector/event`, {
      method: 'POST',
      headers: { authorization: `Splunk ${t.tokens.ingest}`, 'content-encoding': 'gzip' },
      body: bomb,
    });
    assert.equal(response.status, 413);
    await response.arrayBuffer();
    assert.equal(t.sink.calls, calls);
    assert.equal(await counterValue(t.metrics, 'vigil_events_dropped_total', { input: 'hec', reason: 'oversized' }), before + 1);
  });

  test('an unauthenticated gzip bomb gets 401, not 413: the body is never inflated', async () => {
    const response = await fetch(`${t.url}/api/v1/ingest`, {
      method: 'POST',
      headers: { 'content-encoding': 'gzip' },
      body: gzipSync(Buffer.alloc(1024 * 1024)),
    });
    assert.equal(response.status, 401);
  });

  test('a body that is not gzip but says so is 400', async () => {
    const response = await fetch(`${t.url}/api/v1/ingest`, {
      method: 'POST',
      headers: { ...bearer(t.tokens.ingest), 'content-encoding': 'gzip' },
      body: '{"a":1}',
    });
    assert.equal(response.status, 400);
  });
});

describe('slow clients', () => {
  test('a client dribbling headers is disconnected, and others are served meanwhile', async () => {
    const { port } = new URL(t.url);
    const socket = net.connect(Number(port), '127.0.0.1');
    const closed = new Promise<number>((resolve) => socket.on('close', () => resolve(Date.now())));
    socket.on('error', () => {});
    const started = Date.now();
    socket.write('POST /api/v1/ingest HTTP/1.1\r\nHost: x\r\n');
    const dribble = setInterval(() => socket.write('X-Slow: 1\r\n'), 50);
    const other = await fetch(`${t.url}/healthz`);
    assert.equal(other.status, 200);
    const closedAt = await closed;
    clearInterval(dribble);
    assert.ok(closedAt - started < 2000, `closed after ${closedAt - started} ms`);
  });

  test('a client dribbling its body is disconnected after the request timeout', async () => {
    const { port } = new URL(t.url);
    const socket = net.connect(Number(port), '127.0.0.1');
    const closed = new Promise<number>((resolve) => socket.on('close', () => resolve(Date.now())));
    socket.on('error', () => {});
    const started = Date.now();
    socket.write(`POST /api/v1/ingest HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t.tokens.ingest}\r\nContent-Length: 100000\r\n\r\n`);
    const dribble = setInterval(() => socket.write('{'), 50);
    const closedAt = await closed;
    clearInterval(dribble);
    assert.ok(closedAt - started < 3000, `closed after ${closedAt - started} ms`);
  });
});

describe('listening', () => {
  test('a port already in use is a config error naming http.listen', async () => {
    const port = new URL(t.url).port;
    await assert.rejects(startTestServer({ listen: `127.0.0.1:${port}` }), { code: 'config-invalid', where: 'vigil.yaml: http.listen' });
  });
});

describe('logging', () => {
  test('tokens never reach the log, while requests and failures do', async () => {
    await fetch(`${t.url}/api/v1/ingest`, { method: 'POST', headers: bearer(t.tokens.ingest), body: 'not json\n' });
    await fetch(`${t.url}/api/v1/search`, { headers: bearer(t.tokens.ingest) });
    await fetch(`${t.url}/api/v1/search?token=${t.tokens.analyst}`);
    assert.match(logText, /incoming request/);
    assert.match(logText, /request refused/);
    for (const secret of Object.values(t.tokens)) assert.equal(logText.includes(secret), false);
  });
});

describe('TLS', () => {
  let cert: TestCert;
  let server: TestServer;
  before(async () => {
    cert = makeTestCert();
    server = await startTestServer({ tls: { cert: cert.certPath, key: cert.keyPath, requireClientCert: false } });
  });
  after(async () => {
    await server.close();
  });

  function request(url: string, options: https.RequestOptions, body?: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = https.request(url, { ca: cert.cert, ...options }, (res) => {
        let text = '';
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  test('serves ingest over TLS with the configured certificate', async () => {
    assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const res = await request(`${server.url}/api/v1/ingest`, { method: 'POST', headers: bearer(server.tokens.ingest) }, '{"over":"tls"}\n');
    assert.equal(res.status, 200);
    assert.equal(server.sink.events[0]?.fields['over'], 'tls');
  });

  test('refuses plain HTTP on the TLS port', async () => {
    const plain = server.url.replace('https:', 'http:');
    await assert.rejects(fetch(`${plain}/healthz`));
  });

  test('with requireClientCert, a client without a certificate is refused and one with a trusted certificate is served', async () => {
    const mutual = await startTestServer({ tls: { cert: cert.certPath, key: cert.keyPath, ca: cert.certPath, requireClientCert: true } });
    try {
      await assert.rejects(request(`${mutual.url}/healthz`, {}));
      const res = await request(`${mutual.url}/healthz`, { cert: cert.cert, key: cert.key });
      assert.equal(res.status, 200);
    } finally {
      await mutual.close();
    }
  });
});
