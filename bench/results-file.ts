/**
 * One JSON file per benchmark under bench/results/, with enough about the machine and the code
 * to compare two runs honestly (a 2-core laptop and a 32-core server are different stories).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './bench-result.js';

export const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));

export interface Machine {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly totalMemoryBytes: number;
  readonly node: string;
  readonly os: string;
}

export function machine(): Machine {
  const list = cpus();
  return {
    cpus: list.length,
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    totalMemoryBytes: totalmem(),
    node: process.version,
    os: `${platform()} ${release()}`,
  };
}

/** The checked-out commit, or null outside a git checkout. Read-only: never touches the index. */
export function gitCommit(cwd: string): string | null {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

export interface ResultsFile extends BenchResult {
  /** When the benchmark started, ISO 8601. */
  readonly date: string;
  /** Wall-clock seconds the whole benchmark took (servers starting, runs, catch-up). */
  readonly wallSec: number;
  readonly machine: Machine;
  readonly gitCommit: string | null;
}

/** Writes bench/results/<name>.json and returns its path. */
export function writeResults(file: ResultsFile): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const path = join(RESULTS_DIR, `${file.name}.json`);
  // NaN (a missed sample) is not JSON; null says "not measured".
  const json = JSON.stringify(file, (_key, value: unknown) => (typeof value === 'number' && !Number.isFinite(value) ? null : value), 2);
  writeFileSync(path, `${json}\n`);
  return path;
}
