/**
 * Benchmark 3 is written separately (bench/search-bench.ts). It is loaded by URL at run time so
 * that this runner works, and typechecks, whether or not that file exists yet.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BenchResult, Figure } from './bench-result.js';

export interface SearchRow {
  readonly name: string;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly [key: string]: unknown;
}

type BenchSearch = (opts: { events: number }) => Promise<SearchRow[]>;

const SEARCH_BENCH = new URL('./search-bench.ts', import.meta.url);

function hasBenchSearch(module: unknown): module is { benchSearch: BenchSearch } {
  return typeof module === 'object' && module !== null && typeof (module as { benchSearch?: unknown }).benchSearch === 'function';
}

function isSearchRow(row: unknown): row is SearchRow {
  if (typeof row !== 'object' || row === null) return false;
  const candidate = row as Partial<SearchRow>;
  return typeof candidate.name === 'string' && typeof candidate.p50Ms === 'number' && typeof candidate.p95Ms === 'number';
}

export async function benchSearchIfPresent(events: number, log: (line: string) => void): Promise<BenchResult> {
  const base = { name: 'search', title: `search on ${events.toLocaleString('en-US')} stored events`, durationSec: 0 };
  if (!existsSync(fileURLToPath(SEARCH_BENCH))) {
    return { ...base, figures: [], details: {}, skipped: ['bench/search-bench.ts is not in this checkout yet'] };
  }
  const module: unknown = await import(SEARCH_BENCH.href);
  if (!hasBenchSearch(module)) {
    return { ...base, figures: [], details: {}, skipped: ['bench/search-bench.ts does not export benchSearch()'] };
  }
  log(`search: ${events.toLocaleString('en-US')} events...`);
  const rows: unknown = await module.benchSearch({ events });
  const valid = Array.isArray(rows) ? rows.filter(isSearchRow) : [];
  const figures: Figure[] = valid.flatMap((row) => [
    { label: `${row.name}: p50`, value: row.p50Ms, unit: 'ms' },
    { label: `${row.name}: p95`, value: row.p95Ms, unit: 'ms' },
  ]);
  return { ...base, figures, details: { events, rows: valid } };
}
