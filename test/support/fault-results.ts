/**
 * Figures of the fault tests (disk full, store stall, UDP flood), appended to
 * bench/results/reliability-<topic>.json with the machine and commit, the way bench/ records its
 * runs, so docs/reliability.md and the closing note can cite measured numbers.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Figure } from '../../bench/bench-result.js';
import { gitCommit, machine, RESULTS_DIR, writeResults } from '../../bench/results-file.js';
import { REPO } from './vigil-process.js';

const KEEP_RUNS = 20;

export interface FaultRun {
  readonly date: string;
  readonly wallSec: number;
  readonly gitCommit: string | null;
  readonly figures: readonly Figure[];
}

/**
 * Writes the newest run's figures at the top (the bench/ format) and appends the run to
 * `details.runs` (the last 20 kept); returns the file's path.
 */
export function appendFaultResult(topic: string, title: string, started: number, figures: readonly Figure[]): string {
  const name = `reliability-${topic}`;
  const path = join(RESULTS_DIR, `${name}.json`);
  let runs: FaultRun[] = [];
  if (existsSync(path)) {
    try {
      runs = (JSON.parse(readFileSync(path, 'utf8')) as { details?: { runs?: FaultRun[] } }).details?.runs ?? [];
    } catch {
      runs = [];
    }
  }
  const date = new Date(started).toISOString();
  const wallSec = Math.round((Date.now() - started) / 100) / 10;
  const commit = gitCommit(REPO);
  runs.push({ date, wallSec, gitCommit: commit, figures });
  return writeResults({
    name,
    title,
    durationSec: wallSec,
    figures,
    details: { runs: runs.slice(-KEEP_RUNS) },
    date,
    wallSec,
    machine: machine(),
    gitCommit: commit,
  });
}

/** Resident memory of a process in bytes, from /proc/<pid>/status (VmRSS). */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
  return kb === undefined ? 0 : Number(kb) * 1024;
}

/** The value of one Prometheus sample (`name{labels}`) in a /metrics text, 0 when absent. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const ok = Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`));
    if (ok) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}
