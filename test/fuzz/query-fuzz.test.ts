/**
 * The query language under hostile input (fast-check, seeded: FUZZ_SEED, FUZZ_RUNS): mutations
 * of real queries (pipes, comparisons, networks, quotes, escapes) and arbitrary text. Each must
 * either plan, or fail with `query-invalid` naming a column inside (or just past) the text, in
 * under a second; and every query that plans must run against a real DuckDB store without any
 * other error: no SQL error, no crash, no hang.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createEvent } from '../../src/core/event.js';
import { isVigilError } from '../../src/core/errors.js';
import { planQuery, runQuery } from '../../src/search/query-plan.js';
import { DuckDbStore } from '../../src/store/duckdb/duckdb-store.js';
import fc from 'fast-check';
import { parseQuery } from '../../src/search/query-parser.js';

const CASES = Number(process.env['FUZZ_RUNS'] ?? 2_000);
const SEED = Number(process.env['FUZZ_SEED'] ?? 20261207);

const SEEDS = [
  '"Failed password" AND source.ip:183.62.140.253 | stats count()',
  'destination.port>1024 AND NOT source.ip:10.0.0.0/8 | top 5 destination.port',
  'user.name:adm* OR (host.name:web-0? AND event.outcome:failure) | stats dc(user.name) as users, count() by source.ip | sort -users | head 3',
  '@timestamp>=2024-05-01T12:00:00Z | timechart span=5m count() by event.outcome',
  'process.pid >= 100 | sort -process.pid, host.name | head 2 | fields host.name, process.pid',
  'client.ip:2001:db8::/32 -"x\\"y" \\| a\\:b C:\\Windows\\System32',
  '* | sort @timestamp | head 3 | stats sum(http.bytes), avg(http.bytes), min(http.bytes), max(http.bytes) by host.name',
];
const ALPHABET = ' \t"\\|()<>=:;,.-/*?!&+@\'[]{}%$\u202e日0123456789abcxyzAND OR NOT stats by head sort top fields timechart span=1h count() dc(';

describe('query language fuzz', { timeout: 240_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-query-fuzz-'));
  let store: DuckDbStore;
  before(async () => {
    store = await DuckDbStore.open({ path: join(dir, 'events.duckdb'), memoryLimit: '256MB', threads: 1 });
    const T0 = Date.UTC(2024, 4, 1, 12);
    await store.appendEvents(
      Array.from({ length: 50 }, (_, i) =>
        createEvent({
          tenant: 'a',
          time: T0 + i * 60_000,
          received: T0,
          source: { input: 'f', kind: 'file' },
          format: 'json',
          original: JSON.stringify({ i, msg: `Failed password for u${i % 4} from 10.0.0.${i}` }),
          fields: { message: `event ${i}`, 'host.name': `web-0${i % 3}`, 'user.name': `u${i % 4}`, 'source.ip': i % 2 ? `10.0.0.${i}` : `2001:db8::${i}`, 'process.pid': i * 7, 'http.bytes': i },
        }),
      ),
    );
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const mutation = fc.record({ at: fc.nat(), op: fc.integer({ min: 0, max: 2 }), ch: fc.constantFrom(...ALPHABET), n: fc.integer({ min: 1, max: 6 }) });
  const query = fc.oneof(
    {
      weight: 9,
      arbitrary: fc.tuple(fc.constantFrom(...SEEDS), fc.array(mutation, { minLength: 1, maxLength: 5 })).map(([seed, ops]) => {
        let q = seed;
        for (const { at: raw, op, ch, n } of ops) {
          const at = raw % (q.length + 1);
          if (op === 0) q = q.slice(0, at) + q.slice(at + n);
          else if (op === 1) q = q.slice(0, at) + ch.repeat(Math.min(n, 3)) + q.slice(at);
          else q = q.slice(0, at);
        }
        return q;
      }),
    },
    { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(...ALPHABET), maxLength: 120 }) },
  );

  /** The plan, or undefined after checking the refusal names a column of the text. */
  function planOrRefusal(q: string) {
    const started = performance.now();
    try {
      return planQuery(q);
    } catch (e) {
      assert.ok(isVigilError(e) && e.code === 'query-invalid', `${JSON.stringify(q)}: ${String(e)}`);
      const column = Number(/^query column (\d+)$/.exec(e.where ?? '')?.[1]);
      assert.ok(column >= 1 && column <= q.length + 2, `${JSON.stringify(q)}: column ${e.where}`);
      return undefined;
    } finally {
      assert.ok(performance.now() - started < 1000, `${JSON.stringify(q)} took over 1 s to plan`);
    }
  }

  it('plans or names the column of the mistake, and runs whatever plans', async (t) => {
    let planned = 0;
    let ran = 0;
    await fc.assert(
      fc.asyncProperty(query, async (q) => {
        const plan = planOrRefusal(q);
        if (plan === undefined) return;
        planned++;
        const started = performance.now();
        try {
          await runQuery(store, plan, { tenant: 'a', limit: 100 });
          ran++;
        } catch (e) {
          // The store may still refuse what the planner cannot know (e.g. a sort column), but only
          // as a query error, never as a SQL or internal failure.
          assert.ok(isVigilError(e) && e.code === 'query-invalid', `${JSON.stringify(q)} failed in the store: ${String(e)}`);
        }
        assert.ok(performance.now() - started < 5_000, `${JSON.stringify(q)} took too long`);
      }),
      { seed: SEED, numRuns: CASES },
    );
    t.diagnostic(`${CASES} queries: ${planned} planned, ${ran} of those run against the store`);
    assert.ok(planned > CASES / 5 && ran > CASES / 5, `planned ${planned}, ran ${ran}: the mutations must leave enough valid queries`);
  });

  it(`parses arbitrary text (any Unicode, up to past the length limit): ${CASES * 5} cases, only query-invalid escapes`, () => {
    const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), fc.string({ unit: fc.constantFrom(...ALPHABET), minLength: 4000, maxLength: 4200 }), fc.constantFrom('('.repeat(5000), 'NOT '.repeat(2000), `${'a OR '.repeat(1000)}b`, `"${'\\'.repeat(3000)}`));
    fc.assert(
      fc.property(text, (q) => {
        const started = performance.now();
        try {
          parseQuery(q);
        } catch (e) {
          assert.ok(isVigilError(e) && e.code === 'query-invalid', `${JSON.stringify(q.slice(0, 80))}: ${String(e)}`);
        }
        planOrRefusal(q);
        assert.ok(performance.now() - started < 1000);
      }),
      { seed: SEED, numRuns: CASES * 5 },
    );
  });
});
