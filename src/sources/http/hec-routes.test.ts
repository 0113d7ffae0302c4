/** Splunk HEC endpoints over real HTTP, answering with HEC's { text, code } bodies. */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { VigilError } from '../../core/errors.js';
import { counterValue, startTestServer, type TestServer } from '../../api/test-server.test-support.js';

let t: TestServer;
let healthy = true;
before(async () => {
  t = await startTestServer({ health: () => ({ ok: healthy, details: {} }) });
});
after(async () => {
  await t.close();
});
beforeEach(() => {
  t.sink.batches.length = 0;
  t.sink.calls = 0;
  t.sink.gate = async () => {};
  healthy = true;
});

async function hec(path: string, body: string | Buffer, headers: Record<string, string> = { authorization: `Splunk ${t.tokens.ingest}` }) {
  const response = await fetch(`${t.url}${path}`, { method: 'POST', headers, body });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('Splunk HEC', () => {
  test('stores concatenated events from /services/collector/event with HEC metadata mapped', async () => {
    const body =
      '{"time":1700000000.25,"host":"web-1","source":"/var/log/secure","sourcetype":"linux_secure","index":"main","event":"Accepted password for root"}' +
      '{"event":{"action":"logon","user":{"name":"bob"}},"fields":{"env":"prod"}}\n  ' +
      '{"event":"third"}';
    const res = await hec('/services/collector/event', body);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { text: 'Success', code: 0 });
    const [first, second, third] = t.sink.events;
    assert.equal(t.sink.events.length, 3);
    assert.equal(first?.time, 1700000000250);
    assert.equal(first?.fields['message'], 'Accepted password for root');
    assert.equal(first?.fields['host.name'], 'web-1');
    assert.equal(first?.fields['splunk.sourcetype'], 'linux_secure');
    assert.equal(first?.fields['splunk.index'], 'main');
    assert.equal(first?.format, 'hec');
    assert.equal(first?.source.kind, 'splunk-hec');
    assert.equal(first?.tenant, 'acme');
    assert.equal(first?.original.startsWith('{"time":1700000000.25'), true);
    assert.equal(second?.fields['user.name'], 'bob');
    assert.equal(second?.fields['env'], 'prod');
    assert.equal(third?.fields['message'], 'third');
  });

  test('/services/collector and /event/1.0 are the same endpoint, and gzip works', async () => {
    assert.equal((await hec('/services/collector', '{"event":"a"}')).status, 200);
    const gz = await hec('/services/collector/event/1.0', gzipSync('{"event":"b"}{"event":"c"}'), {
      authorization: `Splunk ${t.tokens.ingest}`,
      'content-encoding': 'gzip',
    });
    assert.equal(gz.status, 200);
    assert.deepEqual(t.sink.events.map((e) => e.fields['message']), ['a', 'b', 'c']);
  });

  test('an event without "event" is refused with code 12 and its 0-based number; nothing is stored', async () => {
    const res = await hec('/services/collector/event', '{"event":"ok"}{"event":"ok"}{"host":"x"}{"event":"ok"}');
    assert.equal(res.status, 400);
    assert.equal(res.body['code'], 12);
    assert.equal(res.body['text'], 'Event field is required');
    assert.equal(res.body['invalid-event-number'], 2);
    assert.equal(t.sink.calls, 0);
  });

  test('malformed JSON is refused with code 6 and the number of the first bad event', async () => {
    const res = await hec('/services/collector/event', '{"event":"ok"}{"event": nope}{"event":"ok"}');
    assert.equal(res.status, 400);
    assert.deepEqual([res.body['code'], res.body['text'], res.body['invalid-event-number']], [6, 'Invalid data format', 1]);
    const junk = await hec('/services/collector/event', '{"event":"ok"} garbage');
    assert.deepEqual([junk.body['code'], junk.body['invalid-event-number']], [6, 1]);
    assert.equal(t.sink.calls, 0);
  });

  test('a blank event is code 13 and an empty body is code 5', async () => {
    assert.equal((await hec('/services/collector/event', '{"event":""}')).body['code'], 13);
    const empty = await hec('/services/collector/event', '  ');
    assert.deepEqual([empty.status, empty.body['code'], empty.body['text']], [400, 5, 'No data']);
  });

  test('a depth bomb is refused with 400 before parsing', async () => {
    const res = await hec('/services/collector/event', `{"event":${'['.repeat(100_000)}`);
    assert.equal(res.status, 400);
    assert.equal(res.body['code'], 6);
    assert.equal(t.sink.calls, 0);
  });

  test('/raw stores each line as an event with the query-string metadata', async () => {
    const res = await hec('/services/collector/raw?host=fw-1&sourcetype=cisco:asa&index=net', 'line one\r\n\nline two\n');
    assert.equal(res.status, 200);
    assert.deepEqual(t.sink.events.map((e) => e.original), ['line one', 'line two']);
    assert.equal(t.sink.events[0]?.fields['message'], 'line one');
    assert.equal(t.sink.events[0]?.fields['host.name'], 'fw-1');
    assert.equal(t.sink.events[0]?.fields['splunk.sourcetype'], 'cisco:asa');
    assert.equal(t.sink.events[0]?.format, 'raw');
  });

  test('answers HEC auth errors: code 2 without a token, code 4 with a bad one, 403 for a non-ingest token', async () => {
    const missing = await hec('/services/collector/event', '{"event":"x"}', {});
    assert.deepEqual([missing.status, missing.body['code'], missing.body['text']], [401, 2, 'Token is required']);
    const bad = await hec('/services/collector/event', '{"event":"x"}', { authorization: 'Splunk vgl_' + 'A'.repeat(43) });
    assert.deepEqual([bad.status, bad.body['code'], bad.body['text']], [401, 4, 'Invalid token']);
    const analyst = await hec('/services/collector/event', '{"event":"x"}', { authorization: `Splunk ${t.tokens.analyst}` });
    assert.equal(analyst.status, 403);
    assert.equal(t.sink.calls, 0);
  });

  test('answers 503 "Server is busy" (code 9) when the sink is overloaded', async () => {
    t.sink.gate = async () => {
      throw new VigilError('overloaded', 'full');
    };
    const before = await counterValue(t.metrics, 'vigil_events_dropped_total', { input: 'hec', reason: 'overloaded' });
    const res = await hec('/services/collector/event', '{"event":"x"}{"event":"y"}');
    assert.deepEqual([res.status, res.body['text'], res.body['code']], [503, 'Server is busy', 9]);
    assert.equal(await counterValue(t.metrics, 'vigil_events_dropped_total', { input: 'hec', reason: 'overloaded' }), before + 2);
  });

  test('health needs no token: code 17 when healthy, 503 code 18 when not', async () => {
    const ok = await fetch(`${t.url}/services/collector/health`);
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { text: 'HEC is healthy', code: 17 });
    healthy = false;
    const busy = await fetch(`${t.url}/services/collector/health/1.0`);
    assert.equal(busy.status, 503);
    assert.equal(((await busy.json()) as { code: number }).code, 18);
  });

  test('ignores X-Splunk-Request-Channel', async () => {
    const res = await hec('/services/collector/event', '{"event":"x"}', {
      authorization: `Splunk ${t.tokens.ingest}`,
      'x-splunk-request-channel': '11111111-1111-1111-1111-111111111111',
    });
    assert.equal(res.status, 200);
  });
});
