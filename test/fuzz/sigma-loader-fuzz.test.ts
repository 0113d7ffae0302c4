/**
 * The Sigma loader under fast-check: arbitrary YAML documents, and real SigmaHQ rules (from the
 * shared corpus) and the project's rule fixtures mutated as text. Loading never throws; a
 * document it cannot use is reported in `failed` or `skipped` with a reason, never as an
 * `internal error` (an exception the compiler did not mean); each file loads in under 1 s.
 * Seeded: FUZZ_SEED, FUZZ_RUNS.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { loadRules } from '../../src/detect/sigma/rule-loader.js';
import { corpusHas, corpusPath } from '../support/corpus.js';

const RUNS = Number(process.env['FUZZ_RUNS'] ?? 2_000) / 4;
const SEED = Number(process.env['FUZZ_SEED'] ?? 20261207);

function yamlFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yamlFiles(path, out);
    else if (/\.ya?ml$/.test(name)) out.push(path);
  }
  return out;
}

const FIXTURES = yamlFiles(new URL('../fixtures/sigma', import.meta.url).pathname);
const CORPUS = corpusHas('sigma', 'rules') ? yamlFiles(corpusPath('sigma', 'rules')).filter((_, i) => i % 20 === 0) : [];
const SEEDS = [...FIXTURES, ...CORPUS].map((f) => readFileSync(f, 'utf8'));

const ALPHABET = [' ', '\n', '\t', ':', '-', '|', '*', '?', '\\', "'", '"', '{', '}', '[', ']', '&', '!', '%', '#', '>', '(', ')', 're', 'all', 'contains', 'windash', 'base64offset', 'cidr', 'expand', ' and ', ' or ', ' not ', '1 of ', 'all of them', '*a*a*', '(a+)+$', '__proto__', 'constructor', '~', 'null', '&a', '*a', '<<: *a', '!!binary', '\u0000', '日'];

type Mutation = { at: number; op: number; insert: string; n: number };
const mutation: fc.Arbitrary<Mutation> = fc.record({ at: fc.nat(), op: fc.integer({ min: 0, max: 2 }), insert: fc.constantFrom(...ALPHABET), n: fc.integer({ min: 1, max: 12 }) });

function apply(text: string, ops: readonly Mutation[]): string {
  let s = text;
  for (const { at: raw, op, insert, n } of ops) {
    const at = raw % (s.length + 1);
    if (op === 0) s = s.slice(0, at) + s.slice(at + n);
    else if (op === 1) s = s.slice(0, at) + insert + s.slice(at);
    else s = s.slice(0, at) + s.slice(at, at + n).repeat(2) + s.slice(at + n);
  }
  return s;
}

describe('Sigma loader fuzz', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-sigma-fuzz-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;

  function load(text: string): void {
    const file = join(dir, `r${n++ % 4}.yml`);
    writeFileSync(file, text);
    const started = performance.now();
    const set = loadRules([file]);
    const ms = performance.now() - started;
    assert.ok(ms < 1000, `loading took ${ms.toFixed(0)} ms`);
    const internal = set.failed.find((p) => p.reason.startsWith('internal error'));
    assert.equal(internal, undefined, `an unexpected exception: ${internal?.reason}\n${text.slice(0, 2000)}`);
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  }

  it(`${SEEDS.length} real rules and fixtures, mutated: ${RUNS} cases`, () => {
    assert.ok(SEEDS.length >= FIXTURES.length && FIXTURES.length > 0);
    fc.assert(
      fc.property(fc.constantFrom(...SEEDS), fc.array(mutation, { minLength: 1, maxLength: 8 }), (seed, ops) => load(apply(seed, ops))),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it(`arbitrary YAML documents, rule-shaped or not: ${RUNS} cases`, () => {
    const key = fc.oneof(fc.constantFrom('title', 'id', 'status', 'logsource', 'detection', 'condition', 'selection', 'correlation', 'filter', 'behaviour', 'rules', 'timespan', 'group-by', 'type', 'product', 'category', 'CommandLine|contains', 'Image|endswith', 'x|re', 'x|cidr', 'x|all', 'x|base64offset|contains', 'keywords', '__proto__', 'constructor'), fc.string({ maxLength: 10 }));
    const leaf = fc.oneof(fc.jsonValue({ maxDepth: 1 }), fc.constantFrom('selection', 'selection and not filter', '1 of selection*', 'all of them', '(a+)+$', 'event_count', '5m', 'high'));
    const { tree } = fc.letrec((tie) => ({
      tree: fc.oneof({ depthSize: 'small' }, leaf, tie('object'), fc.array(tie('tree'), { maxLength: 4 })),
      object: fc.dictionary(key, tie('tree'), { maxKeys: 6, noNullPrototype: true }),
    }));
    fc.assert(
      fc.property(fc.array(tree, { minLength: 1, maxLength: 3 }), (docs) => load(docs.map((d) => stringify(d)).join('---\n'))),
      { seed: SEED, numRuns: RUNS },
    );
  });
});
