/**
 * A refusal sent while the client is still writing its body reaches the client: the server
 * lingers (reads and discards a bounded amount) before it closes, instead of resetting the
 * connection and with it the answer the client had not read yet.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestServer, TEST_LIMITS, type TestServer } from '../../api/test-server.test-support.js';
import { LINGER_MS } from './lingering-close.js';

let t: TestServer;
before(async () => {
  t = await startTestServer({ limits: { ...TEST_LIMITS, maxBodyBytes: 1024 * 1024 } });
});
after(async () => {
  await t.close();
});

interface LateRead {
  readonly answer: string;
  readonly error: string | undefined;
  readonly closedAfterMs: number;
}

/**
 * Writes the whole request at once and reads nothing for `readAfterMs`, as a sender that is busy
 * writing (or scheduled late) does, then reads what came back.
 */
async function sendThenReadLate(path: string, headers: Record<string, string>, body: Buffer, readAfterMs: number): Promise<LateRead> {
  const url = new URL(t.url);
  const socket = net.connect(Number(url.port), url.hostname);
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.pause();
  let error: string | undefined;
  socket.on('error', (e: NodeJS.ErrnoException) => (error ??= e.code ?? e.message));
  const started = performance.now();
  let closedAt = 0;
  const closed = new Promise<void>((resolve) => socket.once('close', () => ((closedAt = performance.now()), resolve())));
  const head = Object.entries({ 'content-type': 'application/x-ndjson', 'content-length': String(body.length), ...headers })
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  socket.write(`POST ${path} HTTP/1.1\r\nhost: vigil\r\n${head}\r\n`);
  socket.write(body);
  await sleep(readAfterMs);
  let answer = '';
  socket.on('data', (data: Buffer) => (answer += data.toString('utf8')));
  socket.resume();
  await Promise.race([closed, sleep(5000)]);
  socket.destroy();
  return { answer, error, closedAfterMs: closedAt - started };
}

const line = (bytes: number): Buffer => Buffer.from(`{"message":"${'a'.repeat(bytes)}"}\n`);

describe('lingering close after a refusal', () => {
  test('a sender that reads late still gets its 413 for a body over maxBodyBytes', async () => {
    const answer = await sendThenReadLate('/api/v1/ingest', { authorization: `Bearer ${t.tokens.ingest}` }, line(3 * 1024 * 1024), 150);
    assert.match(answer.answer, /^HTTP\/1.1 413/, `got ${JSON.stringify(answer.answer.slice(0, 80))}, error ${answer.error}`);
    assert.match(answer.answer, /payload-too-large/);
  });

  test('a sender that reads late still gets its 401 for a bad token on a large body', async () => {
    const answer = await sendThenReadLate('/api/v1/ingest', { authorization: 'Bearer not-a-token' }, line(3 * 1024 * 1024), 150);
    assert.match(answer.answer, /^HTTP\/1.1 401/, `got ${JSON.stringify(answer.answer.slice(0, 80))}, error ${answer.error}`);
  });

  test('after the answer the server half-closes and stops reading: a sender still writing is not reset at once, and the server closes it after LINGER_MS', async () => {
    const url = new URL(t.url);
    // Half-open allowed: the server's FIN does not make this sender stop writing by itself.
    const socket = net.connect({ port: Number(url.port), host: url.hostname, allowHalfOpen: true });
    await new Promise((resolve) => socket.once('connect', resolve));
    let error: string | undefined;
    socket.on('error', (e: NodeJS.ErrnoException) => (error ??= e.code ?? e.message));
    let answer = '';
    let answeredAt = 0;
    socket.on('data', (data: Buffer) => ((answeredAt ||= performance.now()), (answer += data.toString('utf8'))));
    const halfClosed = new Promise<void>((resolve) => socket.once('end', () => resolve()));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    // 16 MiB announced, 2 MiB sent: refused up front, the rest of the body still "coming".
    socket.write(`POST /api/v1/ingest HTTP/1.1\r\nhost: vigil\r\nauthorization: Bearer ${t.tokens.ingest}\r\ncontent-type: application/x-ndjson\r\ncontent-length: ${16 * 1024 * 1024}\r\n\r\n`);
    socket.write(Buffer.alloc(2 * 1024 * 1024, 'a'));
    await halfClosed;
    assert.match(answer, /^HTTP\/1.1 413/);
    // The sender, scheduled late, writes more after the answer: it is not reset for it.
    await sleep(50);
    socket.write(Buffer.alloc(32 * 1024 * 1024, 'a'));
    await sleep(150);
    assert.equal(error, undefined, 'the server reset the connection as soon as it had answered');
    assert.equal(socket.destroyed, false);
    // ...nor is the rest read: it waits in the sender's buffers (the kernel's take a few MiB).
    assert.ok(socket.writableLength > 16 * 1024 * 1024, `the server read ${32 * 1024 * 1024 - socket.writableLength} bytes after its answer`);
    // Past the linger the server has closed: what the sender writes now is answered with a
    // reset, which its next write reports (its reading side ended with the server's FIN).
    await sleep(Math.max(0, answeredAt + LINGER_MS + 250 - performance.now()));
    for (let i = 0; i < 10 && error === undefined; i++) {
      socket.write(Buffer.alloc(1024, 'a'));
      await Promise.race([closed, sleep(50)]);
    }
    assert.match(error ?? '', /ECONNRESET|EPIPE/, `the server still held the connection ${LINGER_MS + 250} ms after the answer`);
  });
});
