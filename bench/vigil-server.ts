/**
 * A throwaway Vigil server for one benchmark: fresh data directory, loopback ports, started
 * through the CLI exactly as an operator would (`vigil serve`), stopped and deleted afterwards.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { removeTempDir, stopChild, trackChild, trackTempDir } from './child-processes.js';
import { freePort } from './free-port.js';
import { parsePrometheusText, type Series } from './prometheus-text.js';

/**
 * `src`: the TypeScript CLI through tsx (always current); `dist`: the `npm run build` output;
 * anything else: the path of a CLI entry file (e.g. another checkout's dist/cli/main.js).
 */
export type ServerBuild = string;

export const REPO_ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));

function entryOf(build: ServerBuild): string {
  if (build === 'src') return join(REPO_ROOT, 'src/cli/main.ts');
  if (build === 'dist') return join(REPO_ROOT, 'dist/cli/main.js');
  return resolve(build);
}

/** Why the server cannot be started, or null when its entry point exists. */
export function serverUnavailable(build: ServerBuild): string | null {
  const entry = entryOf(build);
  if (existsSync(entry)) return null;
  if (build === 'dist') return `${entry} is missing: run \`npm run build\` first (or use --server src)`;
  if (build === 'src') return `${entry} is missing: the Vigil server (\`vigil serve\`) is not in this checkout yet`;
  return `${entry} does not exist`;
}

interface ServerJson {
  readonly pid: number;
  readonly http: string;
  readonly syslog: { readonly udp: string; readonly tcp: string };
}

function isServerJson(value: unknown): value is ServerJson {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<ServerJson>;
  return typeof candidate.pid === 'number' && typeof candidate.http === 'string'
    && typeof candidate.syslog?.tcp === 'string';
}

export interface VigilServer {
  /** The server process (from server.json), for /proc memory figures. */
  readonly pid: number;
  readonly http: string;
  readonly syslogTcp: { readonly host: string; readonly port: number };
  readonly adminToken: string;
  metrics(): Promise<Series[]>;
  /** Last lines the server printed, for error messages. */
  logTail(lines?: number): Promise<string>;
  /** Stops the server and deletes its data directory. */
  stop(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

function hostPort(value: string): { host: string; port: number } {
  const colon = value.lastIndexOf(':');
  return { host: value.slice(0, colon).replace(/^\[|\]$/g, ''), port: Number(value.slice(colon + 1)) };
}

export async function startVigil(build: ServerBuild, startTimeoutMs = 90_000): Promise<VigilServer> {
  const root = await mkdtemp(join(tmpdir(), 'vigil-bench-server-'));
  trackTempDir(root);
  const dataDir = join(root, 'data');
  const logFile = join(root, 'server.log');
  const httpPort = await freePort();
  const syslogPort = await freePort({ udp: true });
  const entry = entryOf(build);
  const args = [
    ...(/\.[cm]?tsx?$/.test(entry) ? ['--import', 'tsx'] : []),
    entry, 'serve',
    '--data', dataDir,
    '--listen-http', `127.0.0.1:${httpPort}`,
    '--listen-syslog', `127.0.0.1:${syslogPort}`,
  ];
  const log = createWriteStream(logFile);
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  trackChild(child, { group: true });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);

  const logTail = async (lines = 30): Promise<string> => {
    const text = await readFile(logFile, 'utf8').catch(() => '');
    return text.split('\n').slice(-lines - 1).join('\n');
  };
  const stop = async (): Promise<void> => {
    // A server stopping stores its backlog first; the benchmark throws the data away, so it
    // does not wait long for that.
    await stopChild(child, 10_000);
    removeTempDir(root);
  };

  try {
    const deadline = Date.now() + startTimeoutMs;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`vigil serve exited (code ${child.exitCode}, signal ${child.signalCode}) before it was ready:\n${await logTail()}`);
      }
      // server.json may be caught half-written: a parse failure means "not yet".
      const info: unknown = await readFile(join(dataDir, 'server.json'), 'utf8').then(JSON.parse, () => null).catch(() => null);
      const token = await readFile(join(dataDir, 'admin-token'), 'utf8').catch(() => '');
      if (isServerJson(info) && token.trim() !== '') {
        const adminToken = token.trim();
        const http = info.http.replace(/\/$/, '');
        return {
          pid: info.pid,
          http,
          syslogTcp: hostPort(info.syslog.tcp),
          adminToken,
          metrics: async () => {
            const response = await fetch(`${http}/metrics`, {
              headers: { authorization: `Bearer ${adminToken}` },
              signal: AbortSignal.timeout(5000),
            });
            if (!response.ok) throw new Error(`GET /metrics answered ${response.status}`);
            return parsePrometheusText(await response.text());
          },
          logTail,
          stop,
        };
      }
      if (Date.now() > deadline) throw new Error(`vigil serve wrote no server.json within ${startTimeoutMs} ms:\n${await logTail()}`);
      await sleep(200);
    }
  } catch (error) {
    await stop();
    throw error;
  }
}
