/**
 * One `vigil serve --role …` process for the scale-out tests and the roles bench: started on
 * free ports, ready once its data folder's server.json names it, with its output kept (the tail
 * of it) for the messages of a failing test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLI, REPO } from './vigil-process.js';

export interface RoleProcess {
  /** A label for messages: the roles, or what the caller named it. */
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** The HTTP listener's URL. */
  readonly http: string;
  output(): string;
  /** Sends `signal` (SIGTERM by default) unless it is gone; resolves with the exit code or signal. */
  stop(signal?: NodeJS.Signals): Promise<string>;
}

export interface RoleOptions {
  readonly config: string;
  readonly data: string;
  /** `ingest`, `detect`, `store,api`… */
  readonly roles: string;
  readonly name?: string;
  /** Also listen for syslog on a free port (ingest). */
  readonly syslog?: boolean;
  readonly readyWithinMs?: number;
  /** Called with the child at once, e.g. to have a bench kill it on exit. */
  readonly track?: (child: ChildProcess) => void;
}

/** How much output is kept: the newest half of it once it passes the whole. */
const KEEP_CHARS = 400_000;

export async function startRole(options: RoleOptions): Promise<RoleProcess> {
  const { config, data, roles } = options;
  const name = options.name ?? roles;
  mkdirSync(data, { recursive: true });
  const args = ['--import', 'tsx', CLI, 'serve', '--config', config, '--data', data, '--role', roles, '--listen-http', '127.0.0.1:0'];
  if (options.syslog) args.push('--listen-syslog', '127.0.0.1:0');
  const child = spawn(process.execPath, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  options.track?.(child);
  let output = '';
  const keep = (d: Buffer) => {
    output += d.toString();
    if (output.length > KEEP_CHARS) output = output.slice(-KEEP_CHARS / 2);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? String(code))));
  let gone: string | undefined;
  void exited.then((c) => (gone = c));
  const readyWithin = options.readyWithinMs ?? 60_000;
  const deadline = Date.now() + readyWithin;
  for (;;) {
    if (gone !== undefined) throw new Error(`${name} (vigil serve --role ${roles}) exited (${gone}) before it was ready:\n${output.slice(-3000)}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} (vigil serve --role ${roles}) was not ready within ${readyWithin / 1000} s:\n${output.slice(-3000)}`);
    }
    try {
      const info = JSON.parse(readFileSync(join(data, 'server.json'), 'utf8')) as { pid: number; http: string };
      if (info.pid === child.pid) {
        return {
          name,
          child,
          pid: info.pid,
          http: info.http,
          output: () => output,
          stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
            if (gone === undefined) child.kill(signal);
            return exited;
          },
        };
      }
    } catch {
      /* not written yet */
    }
    await sleep(100);
  }
}
