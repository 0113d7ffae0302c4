/**
 * The long fuzz run: every fuzz file of test/fuzz with 12.5x the cases of `npm test` and another
 * seed (FUZZ_RUNS, FUZZ_SEED), each in its own process as `npm test` runs it. Figures (cases and
 * wall time per target) go to bench/results/reliability-fuzz.json.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it, after } from 'node:test';
import { recordFigures } from '../support/reliability-figures.js';

const RUNS = Number(process.env['FUZZ_RUNS'] ?? 25_000);
const SEED = Number(process.env['FUZZ_SEED'] ?? 9_2026);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const TARGETS = [
  ['parsers (13 entry points)', 'test/fuzz/parsers-fuzz.test.ts'],
  ['syslog stream framer', 'test/fuzz/syslog-framer-fuzz.test.ts'],
  ['query parser, planner and store', 'test/fuzz/query-fuzz.test.ts'],
  ['Sigma loader', 'test/fuzz/sigma-loader-fuzz.test.ts'],
] as const;

const figures: { label: string; value: number; unit: string }[] = [];

describe(`long fuzz run: ${RUNS} cases per property, seed ${SEED}`, { timeout: 900_000 }, () => {
  for (const [name, file] of TARGETS) {
    it(name, (t) => {
      const started = performance.now();
      // Without NODE_TEST_CONTEXT, which would make the child report in the runner's binary form.
      const { NODE_TEST_CONTEXT: _context, ...env } = process.env;
      const run = spawnSync(process.execPath, ['--import', 'tsx', '--test', file], {
        cwd: ROOT,
        env: { ...env, FUZZ_RUNS: String(RUNS), FUZZ_SEED: String(SEED) },
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
      });
      const seconds = (performance.now() - started) / 1000;
      const tests = Number(/^# tests (\d+)/m.exec(run.stdout)?.[1] ?? 0);
      t.diagnostic(`${name}: ${tests} properties, ${RUNS} cases each (some × 5 or ÷ 4, see the file), ${seconds.toFixed(1)} s`);
      figures.push({ label: `${name}: wall time for ${RUNS} cases per property`, value: seconds, unit: 's' });
      assert.ok(tests > 0, `${file} ran no test:\n${run.stdout.slice(0, 2000)}${run.stderr.slice(0, 2000)}`);
      assert.equal(run.status, 0, `${file} failed with FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS}:\n${run.stdout.split('\n').filter((l) => /not ok|error|Counterexample|seed/.test(l)).join('\n').slice(0, 4000)}`);
    });
  }
  after(() => {
    recordFigures('fuzz', `Fuzzing (fast-check, seed ${SEED}, ${RUNS} cases per property): no throw, each input under 1 s`, [
      { label: 'cases per property', value: RUNS, unit: 'cases' },
      ...figures,
    ], { seed: SEED, targets: TARGETS.map(([name, file]) => ({ name, file })) });
  });
});
