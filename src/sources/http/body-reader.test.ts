/**
 * Reading request bodies over real sockets: a body whose JSON shape is refused stops being read
 * at once, and gets the answer the whole body would get; the rest behaves as fastify's reader.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { gzipSync } from 'node:zlib';
import { counterValue, startTestServer, TEST_LIMITS, type TestServer } from '../../api/test-server.test-support.js';

let t: TestServer;
before(async () => {
  t = await startTestServer({ limits: { ...TEST_LIMITS, maxBodyBytes: 32 * 1024 * 1024, maxInflatedBytes: 64 * 1024 * 1024 } });
});
after(async () => {
  await t.close();
});

interface RawAnswer {
  readonly head: string;
  readonly body: string;
  /** Body bytes written before the first byte of the answer came back. */
  readonly writtenBeforeAnswer: number;
  readonly closedByServer: boolean;
}

/** Writes the request 64 KiB at a time, as a sender would, noting how much went out before the answer. */
async function send(path: string, body: Buffer, headers: Record<string, string> = {}): Promise<RawAnswer> {
  const url = new URL(t.url);
  const socket = net.connect(Number(url.port), url.hostname);
  await new Promise((resolve) => socket.once('connect', resolve));
  let answer = '';
  let written = 0;
  let writtenBeforeAnswer = -1;
  socket.on('data', (data: Buffer) => {
    if (writtenBeforeAnswer < 0) writtenBeforeAnswer = written;
    answer += data.toString('utf8');
  });
  socket.on('error', () => undefined); // the server may reset a connection it stopped reading
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const head = Object.entries({ authorization: `Bearer ${t.tokens.ingest}`, 'content-type': 'application/json', 'content-length': String(body.length), ...headers })
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  socket.write(`POST ${path} HTTP/1.1\r\nhost: vigil\r\n${head}\r\n`);
  for (let pos = 0; pos < body.length && writtenBeforeAnswer < 0 && !socket.destroyed; pos += 65536) {
    const chunk = body.subarray(pos, pos + 65536);
    written += chunk.length;
    if (!socket.write(chunk)) await new Promise((resolve) => (socket.once('drain', resolve), socket.once('close', resolve)));
    await new Promise((resolve) => setImmediate(resolve));
  }
  if (writtenBeforeAnswer < 0) await new Promise((resolve) => setTimeout(resolve, 200));
  const closedByServer = await Promise.race([closed.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 2000))]);
  socket.destroy();
  const split = answer.indexOf('\r\n\r\n');
  return { head: answer.slice(0, split).toLowerCase(), body: answer.slice(split + 4), writtenBeforeAnswer, closedByServer };
}

const MiB = 1024 * 1024;
const million = (): string => `{${Array.from({ length: 1_000_000 }, (_, i) => `"k${i}":${i}`).join(',')}}`;

describe('the body reader', () => {
  test('answers a 16 MiB object with a million keys after its first megabyte, as it would the whole body, and closes the connection', async () => {
    const object = million();
    const bodies = [
      { path: '/api/v1/ingest', input: 'http', body: `${object}\n`, message: /"line 1: a JSON object with more than 65536 members/ },
      { path: '/_bulk', input: 'bulk', body: `{"index":{}}\n${object}\n`, message: /"line 2: a JSON object with more than 65536 members/ },
      { path: '/services/collector/event', input: 'hec', body: `{"event":${object}}`, message: /"event 0: a JSON object with more than 65536 members/ },
    ];
    for (const { path, input, body, message } of bodies) {
      const before = await counterValue(t.metrics, 'vigil_events_dropped_total', { input, reason: 'malformed' });
      const answer = await send(path, Buffer.from(body));
      assert.match(answer.head, /^http\/1.1 400/, `${path}: ${answer.head}`);
      assert.match(answer.head, /connection: close/);
      assert.match(answer.body, message);
      assert.ok(answer.writtenBeforeAnswer < 2 * MiB, `${path}: answered after ${answer.writtenBeforeAnswer} of ${body.length} bytes`);
      assert.ok(answer.closedByServer, `${path}: the connection stayed open`);
      assert.equal(await counterValue(t.metrics, 'vigil_events_dropped_total', { input, reason: 'malformed' }), before + 1, `${path}: one record lost, counted malformed`);
    }
    assert.equal(t.sink.events.length, 0);
  });

  test('reads a compressed body whole: its bytes say nothing of its shape until inflated', async () => {
    const body = gzipSync(`${million()}\n`);
    const answer = await send('/api/v1/ingest', body, { 'content-encoding': 'gzip' });
    assert.match(answer.head, /^http\/1.1 400/);
    assert.match(answer.body, /line 1: a JSON object with more than 65536 members/);
    assert.equal(answer.writtenBeforeAnswer, body.length);
  });

  test('stores a large body that is fine, read in many chunks', async () => {
    const line = JSON.stringify({ message: 'x'.repeat(200 * 1024), n: Array.from({ length: 1000 }, (_, i) => i) });
    const answer = await send('/api/v1/ingest', Buffer.from(`${line}\n`.repeat(20)));
    assert.match(answer.head, /^http\/1.1 200/, answer.body);
    assert.equal(JSON.parse(answer.body).accepted, 20);
  });

  test('refuses a body shorter than its Content-Length with 400', async () => {
    const url = new URL(t.url);
    const socket = net.connect(Number(url.port), url.hostname);
    let answer = '';
    socket.on('data', (data: Buffer) => (answer += data.toString('utf8')));
    const closed = new Promise((resolve) => socket.once('close', resolve));
    socket.end(`POST /api/v1/ingest HTTP/1.1\r\nhost: vigil\r\nauthorization: Bearer ${t.tokens.ingest}\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"a":1}\n`);
    await closed;
    assert.match(answer, /^HTTP\/1.1 400/);
  });
});
