/**
 * ReDoS: patterns known to make backtracking engines take exponential or polynomial time, in a
 * Sigma rule (`|re`, wildcards) and in a query (globs on a field, a promoted column, the message,
 * free text), are either refused at load with a RuleError / query-invalid, or run against a
 * 100 KB field in well under a second. Sigma regexes run on RE2JS; query globs run as LIKE only
 * when the engine does that in linear time (prefix, suffix, substring), else as RE2 in DuckDB:
 * DuckDB's general LIKE backtracks (`%a%b` on 100 KB of `a`: ~20 s; `%a%a%a%b` on 400
 * characters: 5 s), which this test caught.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createEvent } from '../../src/core/event.js';
import { isVigilError } from '../../src/core/errors.js';
import { compileRule } from '../../src/detect/sigma/rule-compiler.js';
import { RuleError } from '../../src/detect/sigma/rule-document.js';
import { ruleEvent } from '../../src/detect/sigma/rule-event.test-support.js';
import { planQuery, runQuery } from '../../src/search/query-plan.js';
import { DuckDbStore } from '../../src/store/duckdb/duckdb-store.js';
import { recordFigures } from '../support/reliability-figures.js';

const FIELD_BYTES = 100_000;
const LIMIT_MS = 1000;
const HUGE = 'a'.repeat(FIELD_BYTES);

/** Patterns that blow up backtracking engines, and ones RE2 must refuse (huge repetitions). */
const CATASTROPHIC = [
  '(a+)+$',
  '.*(?:.*=.*)',
  '(x+x+)+y',
  '((a*)*)*b',
  '(a|aa)+$',
  '(a|a?)+$',
  '(\\w+\\s?)+$',
  '(.*a){25}',
  '^(([a-z])+.)+[A-Z]([a-z])+$',
  'a{1000}{1000}',
  '(?:a{999}){999}',
  '(a{1,1000}){1,1000}',
  // The classic exponential case for backtrackers (a?ⁿaⁿ); RE2's cost grows with n × text, so n
  // stays modest to keep the 1 s bound meaningful on a loaded 2-core machine.
  `(${'a?'.repeat(300)})${'a'.repeat(300)}`,
  'x'.repeat(20_000),
  `(?:${Array.from({ length: 5000 }, (_, i) => `w${i}`).join('|')})+$`,
];

const timings: Record<string, number> = {};

function rule(pattern: string, modifier: string): unknown {
  return {
    title: 'redos',
    id: '0e2c3c68-4c9a-4d9b-9d8e-2f7f3c0b0001',
    logsource: { product: 'linux' },
    detection: { selection: { [`CommandLine|${modifier}`]: pattern }, condition: 'selection' },
  };
}

describe('ReDoS in Sigma rules', () => {
  for (const [index, pattern] of CATASTROPHIC.entries()) {
    it(`|re ${JSON.stringify(pattern.slice(0, 40))}${pattern.length > 40 ? '…' : ''}: refused with a RuleError or linear on ${FIELD_BYTES} bytes`, () => {
      const started = performance.now();
      let compiled;
      try {
        compiled = compileRule(rule(pattern, 're'));
      } catch (error) {
        assert.ok(error instanceof RuleError, `expected a RuleError, got ${String(error)}`);
        assert.match(error.reason, /linear-time engine/);
        timings[`sigma re #${index} refused at load (ms)`] = performance.now() - started;
        return;
      }
      const loadMs = performance.now() - started;
      for (const text of [HUGE, `${HUGE}!`, 'x'.repeat(FIELD_BYTES), `${'a='.repeat(FIELD_BYTES / 2)}`]) {
        const t = performance.now();
        compiled.matches(ruleEvent({ CommandLine: text }));
        const ms = performance.now() - t;
        timings[`sigma re #${index} match 100 KB (ms)`] = Math.max(timings[`sigma re #${index} match 100 KB (ms)`] ?? 0, ms);
        assert.ok(ms < LIMIT_MS, `${pattern.slice(0, 40)} took ${ms.toFixed(0)} ms on 100 KB`);
      }
      assert.ok(loadMs < LIMIT_MS, `compiling took ${loadMs.toFixed(0)} ms`);
    });
  }

  it('Sigma wildcards (`*`, `?` in a value) with many stars run in linear time on 100 KB', () => {
    for (const value of ['*a*a*a*a*a*a*a*a*b', `${'*a?'.repeat(200)}b`, '*a*b*']) {
      const compiled = compileRule(rule(value, 'contains'));
      const t = performance.now();
      compiled.matches(ruleEvent({ CommandLine: HUGE }));
      const ms = performance.now() - t;
      timings[`sigma glob ${value.slice(0, 16)} (ms)`] = ms;
      assert.ok(ms < LIMIT_MS, `${value} took ${ms.toFixed(0)} ms`);
    }
  });
});

describe('ReDoS in queries', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-redos-'));
  let store: DuckDbStore;
  before(async () => {
    store = await DuckDbStore.open({ path: join(dir, 'events.duckdb'), memoryLimit: '256MB', threads: 1 });
    const T0 = Date.UTC(2024, 4, 1, 12);
    await store.appendEvents(
      Array.from({ length: 3 }, (_, i) =>
        createEvent({
          tenant: 'a',
          time: T0 + i,
          received: T0,
          source: { input: 'f', kind: 'file' },
          format: 'json',
          original: HUGE,
          fields: { message: HUGE, 'host.name': HUGE, 'user.name': HUGE, 'process.command_line': [HUGE, `${HUGE}b`] },
        }),
      ),
    );
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const queries: Array<[string, number]> = [
    // [query, events expected]: the rewrite must keep the meaning, not only the speed.
    ['message:*a*a*a*a*b', 0],
    ['message:*a*a*a*', 3],
    ['user.name:*a*a*a*a*a*b', 0],
    ['user.name:a?a*a*a', 3],
    ['host.name:*a*a*a*a*b', 0],
    ['host.name:*a?a*a*a*', 3],
    ['process.command_line:*a*a*a*b', 3],
    ['*a*a*a*a*b', 0],
    ['*a*a*a*a*', 3],
    ['user.name:*a*a\\%*b', 0],
    ['user.name:*a*a\\**', 0],
    [`message:${'*a'.repeat(300)}*b`, 0],
    ['message:a*', 3],
    ['message:*b', 0],
  ];
  for (const [query, expected] of queries) {
    it(`${JSON.stringify(query.slice(0, 40))} on 100 KB fields: ${expected} events, under ${LIMIT_MS} ms`, async () => {
      let plan;
      try {
        plan = planQuery(query);
      } catch (error) {
        assert.ok(isVigilError(error) && error.code === 'query-invalid', String(error));
        return;
      }
      const t = performance.now();
      const out = await runQuery(store, plan, { tenant: 'a', limit: 10 });
      const ms = performance.now() - t;
      timings[`query ${query.slice(0, 30)} (ms)`] = ms;
      assert.ok(out.kind === 'events', 'a search, not a table');
      assert.equal(out.result.hits.length, expected);
      assert.ok(ms < LIMIT_MS, `${query.slice(0, 40)} took ${ms.toFixed(0)} ms`);
    });
  }

  after(() => {
    const values = Object.values(timings);
    recordFigures('redos', 'ReDoS: catastrophic patterns in Sigma rules and queries against 100 KB fields', [
      { label: 'slowest Sigma |re or wildcard match on a 100 KB field', value: Math.max(...Object.entries(timings).filter(([k]) => k.startsWith('sigma')).map(([, v]) => v)), unit: 'ms' },
      { label: 'slowest query glob against 100 KB fields (3 events)', value: Math.max(...Object.entries(timings).filter(([k]) => k.startsWith('query')).map(([, v]) => v)), unit: 'ms' },
      { label: 'patterns and queries tried', value: values.length, unit: 'cases' },
    ], { timings });
  });
});
