/**
 * The ClickHouse event store on chdb (embedded ClickHouse 26.7) next to the DuckDB store, on the
 * `history` benchmark's realistic events (history-generator.ts: corpus records replicated over a
 * week, three tenants): appends per second in 5,000-event batches, the cost of a redelivered
 * batch (the duplicate check alone), a free-text search, a field search and two aggregations.
 *
 *   node --import tsx bench/clickhouse-bench.ts [--events 100000]
 *
 * chdb runs in this process with its own threads; a ClickHouse server would add a network hop
 * per statement and bring its own cores. Figures are wall time on whatever machine runs it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Event } from '../src/core/event.js';
import type { EventStore, Store } from '../src/core/store.js';
import { planQuery, runQuery } from '../src/search/query-plan.js';
import { ChdbEngine } from '../src/store/clickhouse/chdb-engine.js';
import { ClickHouseEventStore } from '../src/store/clickhouse/clickhouse-store.js';
import { DuckDbStore } from '../src/store/duckdb/duckdb-store.js';
import { historyBatches, loadCorpusTemplates } from './history-generator.js';

const CORPUS = process.env.VIGIL_CORPUS ?? fileURLToPath(new URL('../../shared/corpus', import.meta.url));
const BATCH = 5000;
const END = Date.UTC(2026, 0, 8);
const START = END - 7 * 86_400_000;

const QUERIES = [
  '"failed password for invalid user"',
  'user.name:root AND event.outcome:failure',
  '* | stats count() by host.name | head 10',
  '* | timechart span=1h count() by event.outcome',
];

async function timed<T>(run: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const result = await run();
  return [result, performance.now() - started];
}

async function measure(name: string, store: EventStore, batches: readonly Event[][]): Promise<void> {
  const total = batches.reduce((n, b) => n + b.length, 0);
  const [, appendMs] = await timed(async () => {
    for (const batch of batches) await store.appendEvents(batch);
  });
  process.stdout.write(`${name}: ${total} events appended in ${(appendMs / 1000).toFixed(1)} s = ${Math.round(total / (appendMs / 1000))} events/s\n`);
  for (const text of QUERIES) {
    await runQuery(store as Store, planQuery(text), { tenant: 'default', limit: 100 }); // warm
    const runs: number[] = [];
    let answer = '';
    for (let i = 0; i < 3; i++) {
      const [out, ms] = await timed(() => runQuery(store as Store, planQuery(text), { tenant: 'default', limit: 100 }));
      runs.push(ms);
      answer = out.kind === 'events' ? `${out.result.total} hits` : `${out.table.rows.length} rows`;
    }
    runs.sort((a, b) => a - b);
    process.stdout.write(`  ${text}: median ${runs[1]!.toFixed(0)} ms (${answer})\n`);
  }
  // Last, as it changes the data on a store that does not deduplicate (DuckDB relies on its
  // checkpoint transaction instead).
  const before = await store.countEvents('default');
  const [, againMs] = await timed(() => store.appendEvents(batches.at(-1) as Event[]));
  process.stdout.write(`  the last batch of ${BATCH} delivered again: ${againMs.toFixed(0)} ms, events of tenant default ${before} -> ${await store.countEvents('default')}\n`);
}

const { values } = parseArgs({ options: { events: { type: 'string', default: '100000' } } });
const events = Number(values.events);
const groups = loadCorpusTemplates(CORPUS);
const batches = [...historyBatches(groups, { events, start: START, end: END, batchSize: BATCH })].map((b) => b.events);
const dir = await mkdtemp(join(tmpdir(), 'vigil-ch-bench-'));
try {
  const ch = await ClickHouseEventStore.open(await ChdbEngine.open(join(dir, 'clickhouse')));
  await measure('ClickHouse (chdb)', ch, batches);
  await ch.close();
  const duck = await DuckDbStore.open({ path: join(dir, 'events.duckdb'), threads: 2 });
  await measure('DuckDB', duck, batches);
  await duck.close();
} finally {
  await rm(dir, { recursive: true, force: true });
}
