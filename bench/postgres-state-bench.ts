/**
 * The PostgreSQL state store on a realistic alert table: the queue, the overview's summary and
 * an intake batch (docs/scaling.md, "PostgreSQL state"). Not part of `npm run bench`: it needs
 * a server.
 *
 *   VIGIL_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test node --import tsx bench/postgres-state-bench.ts
 *
 * Loads 200,000 alerts (one a second, 90% in tenant a, 5% open, two entities each) into a
 * throwaway schema, times each query as the mean of several runs, then drops the schema.
 */
import pg from 'pg';
import { PostgresStateStore } from '../src/store/postgres/postgres-state-store.js';

const url = process.env['VIGIL_BENCH_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `vigil_bench_${process.pid}`;
const T = 1_700_000_000_000;
const admin = new pg.Pool({ connectionString: url, options: `-c search_path=${schema}`, max: 1 });
const store = await PostgresStateStore.open({ url, schema });

async function time(name: string, runs: number, task: () => Promise<unknown>): Promise<void> {
  await task();
  const started = performance.now();
  for (let i = 0; i < runs; i++) await task();
  console.log(`${name.padEnd(40)} ${((performance.now() - started) / runs).toFixed(1).padStart(8)} ms`);
}

try {
  console.log(`lower() collation: ${store.lowerCollation}`);
  await admin.query(`INSERT INTO alerts SELECT 'al-' || g, CASE WHEN g % 10 = 0 THEN 'b' ELSE 'a' END, ${T} + g * 1000, 'r-' || (g % 50), 'Rule ' || (g % 50), 'vigil',
    (ARRAY['low','medium','high','critical'])[1 + g % 4], ARRAY['e' || g], CASE WHEN g % 20 = 0 THEN 'new' ELSE 'closed' END,
    ('{"rule":{"x":1},"count":3,"entities":{"host.name":"h' || (g % 300) || '","source.ip":"10.0.' || (g % 7) || '.1"}}')::json,
    1, ${T} + g * 1000, ${T} + g * 1000, ${T} + g * 1000, '', NULL, NULL, '[]'::json FROM generate_series(1, 200000) AS g`);
  await admin.query('ANALYZE alerts');
  await time('queue, open, 100', 50, () => store.listAlerts('a', 100, { state: 'open' }));
  await time('queue, all, 100', 50, () => store.listAlerts('a', 100));
  await time('queue, closed + level + text, 100', 50, () => store.listAlerts('a', 100, { state: 'closed', levels: ['high'], text: 'rule 1' }));
  await time('summary, 1 h (3,240 alerts)', 20, () => store.alertSummary({ tenant: 'a', from: T + 100_000_000, to: T + 103_600_000, bucketMs: 60_000, topRules: 10, topEntities: 10 }));
  await time('summary, 24 h (77,760 alerts)', 5, () => store.alertSummary({ tenant: 'a', from: T + 100_000_000, to: T + 186_400_000, bucketMs: 3_600_000, topRules: 10, topEntities: 10 }));
  let n = 0;
  await time('intake batch, 500 merges', 20, () =>
    store.applyAlertBatch({
      inserts: [],
      merges: Array.from({ length: 500 }, (_, i) => ({ tenant: 'a', id: `al-${((n * 500 + i) % 200_000) + 1}`, add: 1, lastSeen: T, eventIds: ['x'] })),
      days: [{ tenant: 'a', ruleId: 'r-1', day: n++, raised: 1, grouped: 500, suppressed: 0, throttled: 0 }],
      suppressionHits: [],
    }),
  );
} finally {
  await store.close();
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.end();
}
