/**
 * Figures of a reliability test: printed on stdout and written to
 * bench/results/reliability-<topic>.json in the benchmarks' format (bench/results-file.ts), so
 * docs/reliability.md and the issue's closing note can cite what this machine measured.
 */
import { fileURLToPath } from 'node:url';
import type { Figure } from '../../bench/bench-result.js';
import { gitCommit, machine, writeResults } from '../../bench/results-file.js';

const started = new Date();
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export function recordFigures(topic: string, title: string, figures: readonly Figure[], details: Record<string, unknown> = {}): string {
  for (const f of figures) console.log(`# ${title}: ${f.label}: ${f.value === null ? 'n/a' : Number(f.value.toFixed(2))} ${f.unit}`);
  return writeResults({
    name: `reliability-${topic}`,
    title,
    durationSec: 0,
    figures,
    details,
    date: started.toISOString(),
    wallSec: (Date.now() - started.getTime()) / 1000,
    machine: machine(),
    gitCommit: gitCommit(ROOT),
  });
}
