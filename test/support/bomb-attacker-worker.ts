/**
 * The attacker thread of test/support/bomb-attacker.ts: runs the attack in `workerData` as fast
 * as it can between `go` and `stop`, then reports what it saw.
 */
import { readlinkSync } from 'node:fs';
import net from 'node:net';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import type { AttackerMessage, AttackReport, AttackSpec } from './bomb-attacker.js';
import { CUT, timedRequest, type Answer } from './timed-request.js';

const MiB = 1024 * 1024;
const spec = workerData as AttackSpec;
const port = parentPort!;
const stop = new AbortController();

// A real attacker is another machine with CPUs of its own. Here it shares two cores with the
// server and the innocent sender, and an attacker at equal priority takes CPU from both: on a
// flood of new connections the innocent's latency then measured the scheduler, not Vigil (a bare
// Node refuser did no better). At the lowest priority (nice 19, this thread only: on Linux a
// thread id given to setpriority names one thread) the attacker gets every cycle the server and
// the innocent leave idle, so it still attacks as fast as the server lets it (its rate is
// reported), and the server still pays for every connection and byte it sends.
const threadId = Number(readlinkSync('/proc/thread-self').split('/').pop());
if (Number.isInteger(threadId) && threadId > 0) setPriority(threadId, 19);

interface Tally {
  answers: Answer[];
  sent: number;
  statuses: Record<string, number>;
  mostBytesSent: number;
  slowestWriteMs: number;
}

/** A request error is recorded as a cut connection with its message; the test judges it. */
function cut(t0: number) {
  return (error: Error): Answer => ({ status: CUT, ms: performance.now() - t0, body: error.message });
}

async function repeat(s: Extract<AttackSpec, { kind: 'repeat' }>, tally: Tally): Promise<void> {
  const body = Buffer.from(s.body.buffer, s.body.byteOffset, s.body.byteLength);
  while (!stop.signal.aborted) {
    const t0 = performance.now();
    tally.sent++;
    tally.answers.push(await timedRequest(s.target, s.method, s.path, s.headers, body).catch(cut(t0)));
  }
}

async function chunkedLine(s: Extract<AttackSpec, { kind: 'chunked-line' }>, tally: Tally): Promise<void> {
  const chunk = Buffer.alloc(MiB, 'a');
  while (!stop.signal.aborted) {
    const t0 = performance.now();
    tally.sent++;
    const answer = await timedRequest(s.target, 'POST', s.path, s.headers, (req) => {
      // Chunked, no Content-Length: the server cannot refuse it up front.
      let sent = 0;
      let answered = false;
      req.once('response', () => (answered = true));
      req.once('close', () => (answered = true));
      const pump = (): void => {
        while (!answered && sent < s.bytes) {
          sent += chunk.length;
          tally.mostBytesSent = Math.max(tally.mostBytesSent, sent);
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        if (!answered) req.end();
      };
      req.write('{"message":"');
      pump();
    }).catch(cut(t0));
    tally.answers.push(answer);
  }
}

async function syslogLine(s: Extract<AttackSpec, { kind: 'syslog-line' }>, tally: Tally): Promise<void> {
  const chunk = Buffer.alloc(MiB, 'b');
  while (!stop.signal.aborted) {
    const socket = net.connect(s.target);
    await new Promise((r) => socket.once('connect', r));
    const t0 = performance.now();
    socket.write('<13>Dec  7 12:00:00 bomber app: ');
    for (let sent = 0; sent < s.bytes; sent += chunk.length) if (!socket.write(chunk)) await new Promise((r) => socket.once('drain', r));
    await new Promise<void>((r) => socket.end('\n', () => r()));
    tally.slowestWriteMs = Math.max(tally.slowestWriteMs, performance.now() - t0);
    tally.sent++;
    socket.destroy();
  }
}

async function badTokens(s: Extract<AttackSpec, { kind: 'bad-tokens' }>, tally: Tally): Promise<void> {
  const connection = async (): Promise<void> => {
    while (tally.sent < s.atLeast || !stop.signal.aborted) {
      tally.sent++;
      const token = `vgl_${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
      const t0 = performance.now();
      const answer = await timedRequest(s.target, 'GET', s.path, { authorization: `Bearer ${token}` }, undefined).catch(cut(t0));
      tally.statuses[answer.status] = (tally.statuses[answer.status] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: s.connections }, connection));
}

async function attack(): Promise<AttackReport> {
  const tally: Tally = { answers: [], sent: 0, statuses: {}, mostBytesSent: 0, slowestWriteMs: 0 };
  switch (spec.kind) {
    case 'repeat':
      await repeat(spec, tally);
      break;
    case 'chunked-line':
      await chunkedLine(spec, tally);
      break;
    case 'syslog-line':
      await syslogLine(spec, tally);
      break;
    case 'bad-tokens':
      await badTokens(spec, tally);
      break;
  }
  return tally;
}

port.on('message', (message: string) => {
  if (message === 'stop') stop.abort();
  if (message !== 'go') return;
  void attack().then((report) => port.postMessage({ type: 'report', report } satisfies AttackerMessage));
});
port.postMessage({ type: 'ready' } satisfies AttackerMessage);
