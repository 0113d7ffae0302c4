/**
 * Runs `vigil serve` as a real child process on ephemeral ports, as an operator would, and
 * finds its addresses through the data folder's server.json.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = join(REPO, 'src/cli/main.ts');

export interface ServerInfoFile {
  pid: number;
  http: string;
  syslog: { udp?: string; tcp?: string; tls?: string };
}

export interface VigilProcess {
  readonly child: ChildProcess;
  readonly info: ServerInfoFile;
  readonly token: string;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Runs the CLI to completion; returns its exit code and output. */
export function runCli(args: string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: REPO, env: { ...process.env, ...options.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

export async function startVigil(data: string, extraArgs: string[] = []): Promise<VigilProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', CLI, 'serve', '--data', data, '--listen-http', '127.0.0.1:0', '--listen-syslog', '127.0.0.1:0', ...extraArgs],
    { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let exitCode: number | null | undefined;
  void exited.then((c) => (exitCode = c));

  const deadline = Date.now() + 30_000;
  let info: ServerInfoFile | undefined;
  while (!info) {
    if (exitCode !== undefined) throw new Error(`vigil serve exited (${exitCode}) before it was ready:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`vigil serve was not ready within 30 s:\n${output}`);
    }
    try {
      const parsed = JSON.parse(readFileSync(join(data, 'server.json'), 'utf8')) as ServerInfoFile;
      if (parsed.pid === child.pid) info = parsed;
    } catch {
      /* not written yet */
    }
    if (!info) await sleep(50);
  }
  const token = readFileSync(join(data, 'admin-token'), 'utf8').trim();
  return {
    child,
    info,
    token,
    output: () => output,
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (exitCode === undefined) child.kill(signal);
      return exited;
    },
  };
}

export function hostPort(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(':');
  return { host: address.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(address.slice(i + 1)) };
}
