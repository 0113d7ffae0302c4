/**
 * `history`: search on a month of stored history, 10 million events by default (issue 7's
 * acceptance figures). Real corpus records, parsed by Vigil's parsers, are replicated with
 * shifted times and varied hosts, users, addresses and ports (history-generator.ts), written
 * through the real `DuckDbStore.appendEvents`, then queried:
 *
 * - a selective field search (`source.ip:…`, `user.name:…`) over the whole range, limit 100,
 *   through `store.search` (hits + total count, as the API runs it): target p50 ≤ 500 ms;
 * - a free-text term over the whole range: target ≤ 2 s;
 * - a 24-hour `stats count() by <field>`: target ≤ 2 s;
 * - for reference (no target): fields that live in the JSON, and 1-hour searches.
 *
 * The database is cached in bench/.data/ and reused while its manifest (generator version,
 * schema version, event count) matches, so re-running the queries does not re-load.
 *
 *   VIGIL_BENCH_HISTORY_EVENTS=1000000 npm run bench -- --only history
 *   node --import tsx bench/history-bench.ts          # the same, stand-alone
 */
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseQuery } from '../src/search/query-parser.js';
import { planQuery, runQuery } from '../src/search/query-plan.js';
import { DuckDbStore } from '../src/store/duckdb/duckdb-store.js';
import { SCHEMA_VERSION } from '../src/store/duckdb/schema.js';
import { STORAGE_VERSION as STORE_STORAGE_VERSION } from '../src/store/duckdb/duckdb-open.js';
import type { BenchResult, Figure } from './bench-result.js';
import { MiB } from './bench-result.js';
import { GENERATOR_VERSION, historyBatches, loadCorpusTemplates, sourceIp, userName } from './history-generator.js';
import { summariseLatencies } from './latency-percentiles.js';

const CORPUS = process.env.VIGIL_CORPUS ?? fileURLToPath(new URL('../../shared/corpus', import.meta.url));
export const HISTORY_DATA_DIR = fileURLToPath(new URL('./.data/', import.meta.url));

const DAY = 86_400_000;
const HOUR = 3_600_000;
/** A fixed month, so the history (and its cache) does not depend on the day it was made. */
const END = Date.UTC(2026, 5, 1);
const START = END - 30 * DAY;
const BATCH = 20_000;
const RUNS = 7;
const TENANT = 'default';
/** The DuckDB storage format the store writes: part of the cache key, so a change rebuilds the database. */
const STORAGE_VERSION = STORE_STORAGE_VERSION;

const TARGETS = { field: 500, text: 2000, stats: 2000 } as const;

export function historyEventCount(): number {
  const raw = process.env.VIGIL_BENCH_HISTORY_EVENTS;
  if (raw === undefined || raw === '') return 10_000_000;
  const n = Number(raw.replace(/_/g, ''));
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`VIGIL_BENCH_HISTORY_EVENTS wants a positive whole number, got "${raw}"`);
  return n;
}

interface Manifest {
  readonly generatorVersion: number;
  readonly schemaVersion: number;
  readonly storageVersion: string;
  readonly events: number;
  readonly start: number;
  readonly end: number;
  readonly rawBytes: number;
  readonly loadedAt: string;
  readonly loadWallSec: number;
  readonly appendSec: number;
}

function sameHistory(m: Partial<Manifest>, events: number): boolean {
  return m.generatorVersion === GENERATOR_VERSION && m.schemaVersion === SCHEMA_VERSION && m.storageVersion === STORAGE_VERSION && m.events === events && m.start === START && m.end === END;
}

function readManifest(path: string): Partial<Manifest> {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Partial<Manifest>;
  } catch {
    return {};
  }
}

function fileBytes(path: string): number {
  return existsSync(path) ? statSync(path).size : 0;
}

async function load(path: string, events: number, log: (line: string) => void): Promise<Manifest> {
  for (const stale of [path, `${path}.wal`]) rmSync(stale, { force: true });
  log(`history: parsing the corpus templates from ${CORPUS}...`);
  const groups = loadCorpusTemplates(CORPUS);
  log(`history: ${groups.map((g) => `${g.group} ${g.templates.length}`).join(', ')} templates; storing ${events.toLocaleString('en-US')} events...`);
  // The server's defaults (config.ts): 1GB, 2 threads, the default checkpoint threshold.
  const store = await DuckDbStore.open({ path });
  const started = performance.now();
  let appendMs = 0;
  let rawBytes = 0;
  let done = 0;
  let lastLog = started;
  try {
    for (const batch of historyBatches(groups, { events, start: START, end: END, batchSize: BATCH })) {
      const t0 = performance.now();
      await store.appendEvents(batch.events, { consumer: 'history-bench', position: String(done + batch.events.length) });
      appendMs += performance.now() - t0;
      rawBytes += batch.rawBytes;
      done += batch.events.length;
      if (performance.now() - lastLog > 30_000 || done === events) {
        lastLog = performance.now();
        const sec = (lastLog - started) / 1000;
        log(`history: ${done.toLocaleString('en-US')} stored, ${Math.round(done / sec)} events/s overall, ${Math.round(done / (appendMs / 1000))} in appendEvents, ${(fileBytes(path) / MiB).toFixed(0)} MiB`);
      }
    }
  } finally {
    await store.close();
  }
  return {
    generatorVersion: GENERATOR_VERSION,
    schemaVersion: SCHEMA_VERSION,
    storageVersion: STORAGE_VERSION,
    events,
    start: START,
    end: END,
    rawBytes,
    loadedAt: new Date().toISOString(),
    // Includes generating the events in this process, as a server parses them on the same cores.
    loadWallSec: (performance.now() - started) / 1000,
    appendSec: appendMs / 1000,
  };
}

interface Timing {
  readonly name: string;
  readonly query: string;
  readonly range: string;
  readonly target?: number;
  readonly p50Ms: number;
  readonly maxMs: number;
  readonly runs: number;
  /** Matching events (search total) or groups (stats). */
  readonly hits: number;
  readonly extra?: unknown;
}

async function timed<T>(run: () => Promise<T>): Promise<{ samples: number[]; last: T }> {
  let last = await run(); // warm-up: the first read of a column pulls it from disk
  const samples: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const t0 = performance.now();
    last = await run();
    samples.push(performance.now() - t0);
  }
  return { samples, last };
}

function timing(name: string, query: string, range: string, samples: number[], hits: number, target?: number, extra?: unknown): Timing {
  const s = summariseLatencies(samples);
  const round = (v: number | null) => Math.round((v ?? 0) * 10) / 10;
  return { name, query, range, ...(target === undefined ? {} : { target }), p50Ms: round(s.p50Ms), maxMs: round(s.maxMs), runs: RUNS, hits, ...(extra === undefined ? {} : { extra }) };
}

/** The searches: what the selective / free-text targets are about, and reference points. */
function searchCases(events: number): Array<{ name: string; query: string; from: number; to: number; range: string; target?: number }> {
  const all = { from: START - HOUR, to: END + HOUR, range: '30 days' };
  const lastHour = { from: END - HOUR, to: END + HOUR, range: 'last hour' };
  void events;
  return [
    // Pool indices picked for a few hundred hits in 10M (the pools are skewed: index 0 is the busiest).
    { name: 'selective field: source.ip', query: `source.ip:${sourceIp(1000)}`, ...all, target: TARGETS.field },
    { name: 'selective field: user.name', query: `user.name:${userName(2000)}`, ...all, target: TARGETS.field },
    { name: 'selective field, 2 terms', query: `event.outcome:failure AND source.ip:${sourceIp(1000)}`, ...all, target: TARGETS.field },
    { name: 'free text: rare word', query: 'mimikatz', ...all, target: TARGETS.text },
    { name: 'free text: common word', query: 'failed', ...all, target: TARGETS.text },
    { name: 'free text: an address', query: `"${sourceIp(1000)}"`, ...all, target: TARGETS.text },
    { name: 'JSON field: destination.port', query: 'destination.port:22', ...all },
    { name: 'JSON field: process.pid', query: 'process.pid:24485', ...all },
    { name: '1 hour: all events', query: '', ...lastHour },
    { name: '1 hour: field', query: 'event.outcome:failure', ...lastHour },
  ];
}

export async function benchHistory(opts: { events: number; log: (line: string) => void }): Promise<BenchResult> {
  const { events, log } = opts;
  const base = { name: 'history', title: `search on ${events.toLocaleString('en-US')} stored events (30 days)`, durationSec: 0 };
  if (!existsSync(CORPUS)) return { ...base, figures: [], details: {}, skipped: [`corpus absent: ${CORPUS} (set VIGIL_CORPUS)`] };
  mkdirSync(HISTORY_DATA_DIR, { recursive: true });
  const path = join(HISTORY_DATA_DIR, `history-${events}.duckdb`);
  const manifestPath = join(HISTORY_DATA_DIR, `history-${events}.json`);

  let manifest = readManifest(manifestPath);
  const reused = sameHistory(manifest, events) && existsSync(path);
  if (reused) log(`history: reusing ${path} (loaded ${manifest.loadedAt})`);
  else {
    rmSync(manifestPath, { force: true });
    manifest = await load(path, events, log);
    writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  }
  const m = manifest as Manifest;
  const dbBytes = fileBytes(path) + fileBytes(`${path}.wal`);

  const timings: Timing[] = [];
  log('history: searches...');
  const store = await DuckDbStore.open({ path, readOnly: true });
  try {
    for (const c of searchCases(events)) {
      const request = { tenant: TENANT, query: parseQuery(c.query), from: c.from, to: c.to, limit: 100 };
      const { samples, last } = await timed(() => store.search(request));
      timings.push(timing(c.name, c.query, c.range, samples, last.total, c.target));
      log(`history: ${c.name}: p50 ${timings.at(-1)?.p50Ms} ms, ${last.total} hits`);
    }
  } finally {
    await store.close();
  }

  // The query language end to end: text → plan → store.aggregate, as `vigil search` runs it.
  log('history: stats...');
  const statsStore = await DuckDbStore.open({ path, readOnly: true });
  try {
    for (const field of ['source.ip', 'host.name', 'event.action']) {
      const query = `* | stats count() by ${field} | head 10`;
      const plan = planQuery(query);
      const { samples, last } = await timed(async () => {
        const out = await runQuery(statsStore, plan, { tenant: TENANT, from: END - DAY, to: END, limit: 100 });
        if (out.kind !== 'table') throw new Error('stats did not answer a table');
        return out.table;
      });
      const groups = await runQuery(statsStore, planQuery(`* | stats dc(${field})`), { tenant: TENANT, from: END - DAY, to: END, limit: 1 });
      const distinct = groups.kind === 'table' ? Number(groups.table.rows[0]?.[0] ?? 0) : 0;
      timings.push(timing(`24 h stats count() by ${field}`, query, 'last 24 hours', samples, distinct, TARGETS.stats, last.rows.slice(0, 3)));
      log(`history: stats by ${field}: p50 ${timings.at(-1)?.p50Ms} ms, ${distinct} groups`);
    }
  } finally {
    await statsStore.close();
  }

  const figures: Figure[] = [
    { label: 'stored events', value: events, unit: 'events', note: reused ? `database reused, loaded ${m.loadedAt}` : 'loaded in this run' },
    { label: 'load rate, overall', value: Math.round(events / m.loadWallSec), unit: 'events/s', note: 'generation + appendEvents in one process' },
    { label: 'load rate, appendEvents alone', value: Math.round(events / m.appendSec), unit: 'events/s' },
    { label: 'raw input (sum of originals)', value: m.rawBytes / MiB, unit: 'MiB', note: `${(m.rawBytes / events).toFixed(0)} B/event` },
    { label: 'database file', value: dbBytes / MiB, unit: 'MiB' },
    { label: 'bytes stored per event', value: dbBytes / events, unit: 'B' },
    { label: 'stored / raw input', value: dbBytes / m.rawBytes, unit: 'x' },
  ];
  for (const t of timings) {
    const verdict = t.target === undefined ? '' : `target ≤ ${t.target} ms: ${t.p50Ms <= t.target ? 'PASS' : 'FAIL'}; `;
    const what = t.name.includes('stats') ? 'groups' : 'hits';
    figures.push({ label: `${t.name}: p50`, value: t.p50Ms, unit: 'ms', note: `${verdict}${t.hits.toLocaleString('en-US')} ${what}, ${t.range}` });
    figures.push({ label: `${t.name}: max`, value: t.maxMs, unit: 'ms', note: `of ${t.runs} runs` });
  }
  return {
    ...base,
    figures,
    details: { events, database: path, databaseBytes: dbBytes, reused, manifest: m, tenant: TENANT, timings, corpus: CORPUS },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await benchHistory({ events: historyEventCount(), log: (line) => void process.stderr.write(`${line}\n`) });
  const { resultsTable } = await import('./results-table.js');
  process.stdout.write(`${resultsTable([result])}\n`);
}
