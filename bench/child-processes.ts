/**
 * Every process the benchmark starts is registered here, so an error, Ctrl-C or a normal end
 * never leaves a server, rsyslogd or load generator running behind us; temporary folders too,
 * since a killed run would otherwise leave gigabytes of rsyslog output in /tmp.
 */
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

interface Tracked {
  readonly child: ChildProcess;
  /** Spawned `detached`: it leads its own process group, which is killed as a whole. */
  readonly group: boolean;
}

const tracked = new Set<Tracked>();
const tempDirs = new Set<string>();
let handlersInstalled = false;
let interruptedBy: NodeJS.Signals | undefined;

/** The signal that interrupted the run, if one did: half-finished figures are not results. */
export function interrupted(): NodeJS.Signals | undefined {
  return interruptedBy;
}

function signal(entry: Tracked, sig: NodeJS.Signals): void {
  const pid = entry.child.pid;
  if (pid === undefined || entry.child.exitCode !== null || entry.child.signalCode !== null) return;
  try {
    // A negative pid signals the whole group: servers may start helpers of their own.
    process.kill(entry.group ? -pid : pid, sig);
  } catch {
    // Already gone.
  }
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', () => killAllNow('SIGKILL'));
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      interruptedBy = sig;
      process.stderr.write(`\nbench: ${sig}, stopping child processes\n`);
      killAllNow('SIGTERM');
      setTimeout(() => process.exit(130), 1000).unref();
      // Exit as soon as the children are gone, or force it after a second.
      void Promise.all([...tracked].map((entry) => exited(entry.child, 900))).then(() => {
        removeTempDirsNow();
        process.exit(130);
      });
    });
  }
}

let keepTempDirs = false;

/** With --keep, folders (server data and logs, rsyslog output) stay for a post-mortem. */
export function keepTemporaryFolders(keep: boolean): void {
  keepTempDirs = keep;
}

/** Registers a temporary folder for deletion if the run is interrupted. */
export function trackTempDir(path: string): void {
  installHandlers();
  tempDirs.add(path);
}

/** Deletes a temporary folder now and forgets it. */
export function removeTempDir(path: string): void {
  if (keepTempDirs) process.stderr.write(`bench: kept ${path}\n`);
  else rmSync(path, { recursive: true, force: true });
  tempDirs.delete(path);
}

function removeTempDirsNow(): void {
  for (const path of tempDirs) removeTempDir(path);
}

export function trackChild(child: ChildProcess, options: { group: boolean }): void {
  installHandlers();
  const entry: Tracked = { child, group: options.group };
  tracked.add(entry);
  child.once('exit', () => tracked.delete(entry));
}

function killAllNow(sig: NodeJS.Signals): void {
  for (const entry of tracked) signal(entry, sig);
}

/** Resolves true once the child has exited, false if it is still alive after `timeoutMs`. */
export function exited(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  const entry = [...tracked].find((candidate) => candidate.child === child) ?? { child, group: false };
  signal(entry, 'SIGTERM');
  if (await exited(child, graceMs)) return;
  signal(entry, 'SIGKILL');
  await exited(child, 5000);
}
