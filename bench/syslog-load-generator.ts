/**
 * Worker process: N TCP connections writing syslog lines as fast as each socket accepts them.
 * Lines are rendered once into ~64 KiB chunks before the clock starts, so the generator's cost
 * per line is a buffer write and it stays far ahead of the receiver on a 2-core machine.
 * Backpressure is honoured: after write() returns false the connection waits for 'drain'.
 */
import { connect, type Socket } from 'node:net';
import { serveLoadWorker } from './load-worker.js';
import { syslogLines } from './syslog-lines.js';
import type { SyslogLoadConfig, SyslogLoadProgress, SyslogLoadResult } from './syslog-load.js';

interface Chunk {
  readonly data: Buffer;
  readonly lines: number;
}

const POOL_LINES = 40_000;
const CHUNK_BYTES = 64 * 1024;

function buildChunks(lines: readonly string[], octetCounted: boolean): Chunk[] {
  const chunks: Chunk[] = [];
  let parts: string[] = [];
  let size = 0;
  for (const line of lines) {
    // RFC 6587 §3.4.1: MSG-LEN is the octet count of the message, then a space.
    const frame = octetCounted ? `${Buffer.byteLength(line)} ${line}` : `${line}\n`;
    parts.push(frame);
    size += frame.length;
    if (size >= CHUNK_BYTES) {
      chunks.push({ data: Buffer.from(parts.join('')), lines: parts.length });
      parts = [];
      size = 0;
    }
  }
  if (parts.length > 0) chunks.push({ data: Buffer.from(parts.join('')), lines: parts.length });
  return chunks;
}

function open(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, noDelay: true });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

serveLoadWorker<SyslogLoadConfig, SyslogLoadProgress, SyslogLoadResult>(async (config, report) => {
  const lines = syslogLines(POOL_LINES, config.seed, Date.now());
  const newline = buildChunks(lines, false);
  const octet = config.framing === 'newline' ? newline : buildChunks(lines, true);
  const sockets: Socket[] = [];
  for (let i = 0; i < config.connections; i++) sockets.push(await open(config.host, config.port));

  return async () => {
    const started = performance.now();
    const perConnection = sockets.map(() => 0);
    let bytes = 0;
    let stopped = false;
    let stoppedAt = 0;
    const errors: string[] = [];
    const total = (): number => perConnection.reduce((sum, n) => sum + n, 0);

    const ticker = setInterval(
      () => report({ sent: total(), elapsedSec: (performance.now() - started) / 1000 }),
      1000,
    );
    const deadline = setTimeout(() => {
      stopped = true;
      stoppedAt = performance.now();
    }, config.durationSec * 1000);

    const runs = sockets.map((socket, index) => {
      const useOctet = config.framing === 'octet-counted' || (config.framing === 'mixed' && index % 2 === 1);
      const chunks = useOctet ? octet : newline;
      // Start each connection elsewhere in the pool so they do not send identical streams.
      let next = Math.floor((index * chunks.length) / sockets.length);
      return new Promise<void>((resolve) => {
        socket.once('error', (error) => {
          errors.push(`connection ${index}: ${error.message}`);
          resolve();
        });
        // 'finish': everything written has reached the kernel, which delivers it even after
        // close. Waiting for the peer's FIN instead would hang on a server that never sends one.
        socket.once('finish', () => {
          socket.destroy();
          resolve();
        });
        socket.once('close', () => resolve());
        const pump = (): void => {
          while (!stopped && !socket.destroyed) {
            const chunk = chunks[next++ % chunks.length];
            if (!chunk) break;
            perConnection[index] = (perConnection[index] ?? 0) + chunk.lines;
            bytes += chunk.data.length;
            if (!socket.write(chunk.data)) {
              socket.once('drain', pump);
              return;
            }
          }
          socket.end();
        };
        pump();
      });
    });
    await Promise.all(runs);
    clearInterval(ticker);
    clearTimeout(deadline);
    const ended = performance.now();
    if (!stoppedAt) stoppedAt = ended;
    return {
      sent: total(),
      bytes,
      elapsedSec: (stoppedAt - started) / 1000,
      flushSec: (ended - stoppedAt) / 1000,
      perConnection,
      errors,
      distinctLines: lines.length,
    };
  };
});
