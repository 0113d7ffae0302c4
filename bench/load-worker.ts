/**
 * Load generators run in their own `node` process so that producing load never competes with
 * the measuring code for one event loop. Both sides speak a four-message protocol over the
 * fork IPC channel: the worker prepares and connects ("ready"), waits for "go" so every
 * measurement starts at the same instant, reports "progress" each second and one "done".
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { trackChild, stopChild } from './child-processes.js';

export type WorkerMessage<Progress, Result> =
  | { readonly type: 'ready' }
  | { readonly type: 'progress'; readonly progress: Progress }
  | { readonly type: 'done'; readonly result: Result }
  | { readonly type: 'error'; readonly message: string };

export interface LoadWorker<Progress, Result> {
  /** Starts the load; resolves with the worker's final result. */
  run(onProgress?: (progress: Progress) => void): Promise<Result>;
  stop(): Promise<void>;
}

function isMessage(value: unknown): value is { type: string } {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

/**
 * Forks `script` (a module URL next to this file) with `config` as its only argument and
 * resolves once the worker reports it is ready.
 */
export async function startLoadWorker<Config, Progress, Result>(
  script: URL,
  config: Config,
): Promise<LoadWorker<Progress, Result>> {
  // Same loader flags as ours (tsx), so the worker can be TypeScript too.
  const child: ChildProcess = fork(fileURLToPath(script), [JSON.stringify(config)], {
    execArgv: process.execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  trackChild(child, { group: false });

  let onProgress: ((progress: Progress) => void) | undefined;
  let settle: { resolve: (result: Result) => void; reject: (error: Error) => void } | undefined;
  let pendingError: Error | undefined;

  const ready = new Promise<void>((resolve, reject) => {
    child.on('message', (raw: unknown) => {
      if (!isMessage(raw)) return;
      const message = raw as WorkerMessage<Progress, Result>;
      switch (message.type) {
        case 'ready':
          resolve();
          break;
        case 'progress':
          onProgress?.(message.progress);
          break;
        case 'done':
          settle?.resolve(message.result);
          break;
        case 'error': {
          const error = new Error(`load worker: ${message.message}`);
          reject(error);
          if (settle) settle.reject(error);
          else pendingError = error;
          break;
        }
      }
    });
    // 'close' (not 'exit') comes after the IPC channel has delivered everything sent.
    child.once('close', (code, sig) => {
      const error = new Error(`load worker exited early (code ${code}, signal ${sig})`);
      reject(error);
      settle?.reject(error);
    });
  });
  await ready;

  return {
    run(progress) {
      onProgress = progress;
      return new Promise<Result>((resolve, reject) => {
        if (pendingError) return reject(pendingError);
        settle = { resolve, reject };
        child.send({ type: 'go' });
      });
    },
    stop: () => stopChild(child, 2000),
  };
}

/** Worker side: reads the config, then lets `prepare` connect and returns a `start` function. */
export function serveLoadWorker<Config, Progress, Result>(
  prepare: (config: Config, report: (progress: Progress) => void) => Promise<() => Promise<Result>>,
): void {
  const send = (message: WorkerMessage<Progress, Result>): Promise<void> =>
    new Promise((resolve) => {
      if (!process.send) return resolve();
      process.send(message, undefined, {}, () => resolve());
    });
  // If the parent dies, so do we: a stray load generator would skew the next run.
  process.on('disconnect', () => process.exit(0));
  const config = JSON.parse(process.argv[2] ?? '{}') as Config;
  prepare(config, (progress) => void send({ type: 'progress', progress }))
    .then((start) => {
      process.once('message', (message: unknown) => {
        if (!isMessage(message) || message.type !== 'go') return;
        start().then(
          async (result) => {
            await send({ type: 'done', result });
            process.disconnect();
          },
          (error: unknown) => fail(error),
        );
      });
      void send({ type: 'ready' });
    })
    .catch(fail);

  function fail(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    void send({ type: 'error', message }).then(() => process.exit(1));
  }
}
