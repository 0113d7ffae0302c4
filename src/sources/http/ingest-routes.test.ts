/**
 * POST /api/v1/ingest over real HTTP. (Tests start the whole server from src/api: the route's
 * behaviour includes authentication, which the server installs.)
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { VigilError } from '../../core/errors.js';
import { bearer, counterValue, startTestServer, TEST_LIMITS, type TestServer } from '../../api/test-server.test-support.js';

let t: TestServer;
before(async () => {
  t = await startTestServer();
});
after(async () => {
  await t.close();
});
beforeEach(() => {
  t.sink.batches.length = 0;
  t.sink.calls = 0;
  t.sink.gate = async () => {};
});

async function ingest(body: string | Buffer, headers: Record<string, string> = {}) {
  const response = await fetch(`${t.url}/api/v1/ingest`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson', ...bearer(t.tokens.ingest), ...headers },
    body,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('POST /api/v1/ingest', () => {
  test('stores every NDJSON line as one event with flattened fields, the token tenant and the peer address', async () => {
    const res = await ingest('{"@timestamp":"2024-05-01T10:00:00Z","user":{"name":"root"},"id":"client-1"}\n\n"disk full"\n');
    assert.equal(res.status, 200);
    assert.equal(res.body['accepted'], 2);
    const events = t.sink.events;
    assert.deepEqual(res.body['ids'], events.map((e) => e.id), 'the ids answered are the ids stored');
    const [first, second] = events;
    assert.equal(first?.tenant, 'acme');
    assert.equal(first?.format, 'json');
    assert.equal(first?.source.kind, 'http-ingest');
    assert.equal(first?.source.input, 'http');
    assert.match(first?.source.address ?? '', /^127\.0\.0\.1:\d+$/);
    assert.equal(first?.time, Date.UTC(2024, 4, 1, 10));
    assert.equal(first?.fields['user.name'], 'root');
    assert.equal(first?.fields['id'], 'client-1', 'a record id is kept as a field');
    assert.notEqual(first?.id, 'client-1', 'the event id is always Vigil\'s');
    assert.equal(first?.original, '{"@timestamp":"2024-05-01T10:00:00Z","user":{"name":"root"},"id":"client-1"}');
    assert.equal(second?.fields['message'], 'disk full');
    assert.equal(t.sink.calls, 1, 'one request is one submit');
  });

  test('accepts a JSON array and a single pretty-printed object', async () => {
    assert.equal((await ingest('[{"a":1},{"b":2}]', { 'content-type': 'application/json' })).body['accepted'], 2);
    assert.equal((await ingest('{\n  "a": {\n    "b": 1\n  }\n}\n')).body['accepted'], 1);
    assert.equal(t.sink.events.at(-1)?.fields['a.b'], 1);
  });

  test('inflates a gzip body', async () => {
    const res = await ingest(gzipSync('{"n":1}\n{"n":2}\n'), { 'content-encoding': 'gzip' });
    assert.equal(res.status, 200);
    assert.deepEqual(t.sink.events.map((e) => e.fields['n']), [1, 2]);
  });

  test('answers 400 naming the first bad line and submits nothing from the request', async () => {
    const before = await counterValue(t.metrics, 'vigil_events_dropped_total', { input: 'http', reason: 'malformed' });
    const res = await ingest('{"ok":1}\n{"ok":2}\n{"broken":\n{"ok":4}\n');
    assert.equal(res.status, 400);
    const error = res.body['error'] as Record<string, string>;
    assert.equal(error['code'], 'bad-request');
    assert.equal(error['where'], 'body line 3');
    assert.match(error['message'] ?? '', /line 3: not valid JSON/);
    assert.equal(t.sink.calls, 0);
    assert.equal(await counterValue(t.metrics, 'vigil_events_dropped_total', { input: 'http', reason: 'malformed' }), before + 3);
  });

  test('refuses numbers and arrays as records, and an empty body', async () => {
    assert.equal((await ingest('{"a":1}\n42\n')).status, 400);
    assert.equal((await ingest('\n\n')).status, 400);
    assert.equal(t.sink.calls, 0);
  });

  test('refuses a record nested deeper than maxJsonDepth with 400 and stores nothing', async () => {
    const deep = '{"a":'.repeat(TEST_LIMITS.maxJsonDepth + 1) + '1' + '}'.repeat(TEST_LIMITS.maxJsonDepth + 1);
    const res = await ingest(`{"ok":1}\n${deep}\n`);
    assert.equal(res.status, 400);
    assert.match(JSON.stringify(res.body), /line 2: JSON nested deeper than 16 levels/);
    assert.equal(t.sink.calls, 0);
  });

  test('a __proto__ key does not pollute Object.prototype', async () => {
    const res = await ingest('{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},"a":1}\n');
    assert.equal(res.status, 200);
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
    assert.deepEqual({ ...t.sink.events[0]?.fields }, { a: 1 });
  });

  test('truncates an original over maxEventBytes, flags it, and still parses its fields', async () => {
    const big = 'é'.repeat(TEST_LIMITS.maxEventBytes);
    const res = await ingest(JSON.stringify({ message: big, user: 'root' }) + '\n');
    assert.equal(res.status, 200);
    const [event] = t.sink.events;
    assert.deepEqual(event?.flags, ['truncated']);
    assert.ok(Buffer.byteLength(event?.original ?? '') <= TEST_LIMITS.maxEventBytes);
    assert.ok(!event?.original.endsWith('\uFFFD'), 'no character is cut in half');
    assert.equal(event?.fields['user'], 'root');
    assert.equal(event?.fields['message'], big);
  });

  test('answers only once the sink has made the events durable', async () => {
    let release!: () => void;
    t.sink.gate = () => new Promise<void>((resolve) => (release = resolve));
    let answered = false;
    const pending = ingest('{"a":1}\n').then((res) => {
      answered = true;
      return res;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(answered, false, 'no answer before submit resolves');
    release();
    assert.equal((await pending).status, 200);
  });

  test('a slow sink for one request does not hold up another request', async () => {
    let release!: () => void;
    t.sink.gate = async (events) => {
      if (events[0]?.fields['slow'] === true) await new Promise<void>((resolve) => (release = resolve));
    };
    const slow = ingest('{"slow":true}\n');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const fast = await ingest('{"slow":false}\n');
    assert.equal(fast.status, 200, 'the fast request is answered while the slow one waits');
    release();
    assert.equal((await slow).status, 200);
  });

  test('answers 503 with Retry-After when the sink is overloaded, counting the events as dropped', async () => {
    t.sink.gate = async () => {
      throw new VigilError('overloaded', 'queue full');
    };
    const before = await counterValue(t.metrics, 'vigil_events_dropped_total', { input: 'http', reason: 'overloaded' });
    const response = await fetch(`${t.url}/api/v1/ingest`, { method: 'POST', headers: bearer(t.tokens.ingest), body: '{"a":1}\n{"a":2}\n' });
    assert.equal(response.status, 503);
    assert.equal(response.headers.get('retry-after'), '5');
    assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'overloaded');
    assert.equal(await counterValue(t.metrics, 'vigil_events_dropped_total', { input: 'http', reason: 'overloaded' }), before + 2);
  });

  test('answers 503 when the sink fails for another reason, without leaking its message', async () => {
    t.sink.gate = async () => {
      throw new Error('disk exploded at /secret/path');
    };
    const res = await ingest('{"a":1}\n');
    assert.equal(res.status, 503);
    assert.doesNotMatch(JSON.stringify(res.body), /secret/);
  });
});
