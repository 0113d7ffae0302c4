/**
 * An attacker on its own thread. The resource-bomb test measures an innocent sender's latency
 * while an attack runs; when the attack was generated on the test's own event loop, its busy
 * loop (writing 100 MB, 32 concurrent requests) delayed the innocent sender's requests before
 * they ever reached the server, and that delay was blamed on the server. A real attacker is
 * another machine: here it is a worker thread at the lowest CPU priority (nice 19, set by the
 * thread itself), sending as fast as the cycles the server and the innocent sender leave allow,
 * never slowed down on purpose. At equal priority on 2 cores it took the innocent's CPU, and a
 * flood of connections measured the scheduler rather than the server.
 *
 * Protocol: the worker loads and says `ready`; `go` starts the attack, `stop` ends it; the
 * worker answers with its report once its last request has been answered.
 */
import { Worker } from 'node:worker_threads';
import type { Answer, HttpTarget } from './timed-request.js';

export type AttackSpec =
  /** One HTTP request repeated back to back, each on a fresh connection. */
  | { readonly kind: 'repeat'; readonly target: HttpTarget; readonly method: string; readonly path: string; readonly headers: Record<string, string>; readonly body: Uint8Array }
  /** A chunked body of one line `{"message":"aaa…` of `bytes`, no Content-Length, repeated. */
  | { readonly kind: 'chunked-line'; readonly target: HttpTarget; readonly path: string; readonly headers: Record<string, string>; readonly bytes: number }
  /** A TCP syslog line of `bytes` without a newline until the end, repeated on fresh connections. */
  | { readonly kind: 'syslog-line'; readonly target: HttpTarget; readonly bytes: number }
  /** `connections` concurrent requests, each with a fresh random bad token, until `atLeast` are sent and the attack is stopped. */
  | { readonly kind: 'bad-tokens'; readonly target: HttpTarget; readonly path: string; readonly connections: number; readonly atLeast: number };

export interface AttackReport {
  /** Every answer of a repeated HTTP bomb (the chunked line's and the token flood's too). */
  readonly answers: Answer[];
  /** Requests (or syslog connections) sent. */
  readonly sent: number;
  /** The token flood's answers, counted by status (its `answers` stay empty: 20,000 of them). */
  readonly statuses: Record<string, number>;
  /** Chunked line: most body bytes one request got out before it was answered or cut. */
  readonly mostBytesSent: number;
  /** Syslog line: the slowest whole write of one line (the server kept reading if short). */
  readonly slowestWriteMs: number;
}

export type AttackerMessage = { readonly type: 'ready' } | { readonly type: 'report'; readonly report: AttackReport };

// Node 20 does not carry `--import tsx` into worker threads: a small bootstrap registers tsx's
// loader in the worker first (as src/store/worker/worker-store.ts does).
const WORKER_URL = new URL('./bomb-attacker-worker.ts', import.meta.url);

export class Attacker {
  #report: AttackReport | undefined;

  private constructor(
    private readonly worker: Worker,
    private readonly reported: Promise<AttackReport>,
  ) {}

  /** Starts the worker and waits until it is loaded (loading tsx costs CPU: not during a measurement). */
  static async load(spec: AttackSpec): Promise<Attacker> {
    const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(WORKER_URL.href)}); });`;
    const worker = new Worker(bootstrap, { eval: true, workerData: spec });
    let ready: () => void = () => undefined;
    const loaded = new Promise<void>((resolve) => (ready = resolve));
    const reported = new Promise<AttackReport>((resolve, reject) => {
      worker.on('message', (message: AttackerMessage) => (message.type === 'ready' ? ready() : resolve(message.report)));
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the attacker thread exited (${code}) before it reported`)));
    });
    reported.catch(() => undefined); // awaited in run(); not an unhandled rejection before it
    await Promise.race([loaded, reported]);
    return new Attacker(worker, reported);
  }

  /** Attacks until `signal` aborts, then waits for the report. */
  async run(signal: AbortSignal): Promise<void> {
    this.worker.postMessage('go');
    if (!signal.aborted) await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    this.worker.postMessage('stop');
    try {
      this.#report = await this.reported;
    } finally {
      await this.worker.terminate();
    }
  }

  get report(): AttackReport {
    if (!this.#report) throw new Error('the attack has not run yet');
    return this.#report;
  }
}
