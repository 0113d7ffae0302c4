/**
 * `sigma`: the Sigma engine with every rule of SigmaHQ's `rules/` loaded, on the corpus's
 * Windows JSON (OTRF Security-Datasets, Sysmon and Security events) replayed to one million
 * events on one core. Figures: events/s for detection alone and for parse + detection, the
 * share of loaded rules actually evaluated per event (p50/p95/max: what the log-source routing
 * and the candidate index save), memory, and the same run without the candidate index as the
 * in-run reference (every rule of the event's log sources evaluated, as a naive engine does).
 * The published figure to beat is rsigma's 19–30k events/s per core (Rust, Apple M4 Pro).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResult, Figure } from './bench-result.js';
import { MiB } from './bench-result.js';
import { createEvent, type Event } from '../src/core/event.js';
import { parseLine } from '../src/parsers/line/line-parser.js';
import { loadRules } from '../src/detect/sigma/rule-loader.js';
import { LogsourceMap } from '../src/detect/sigma/logsource-map.js';
import { SigmaEngine } from '../src/detect/sigma/sigma-engine.js';
import type { CompiledRule } from '../src/detect/sigma/sigma-types.js';

const CORPUS = process.env.VIGIL_CORPUS ?? fileURLToPath(new URL('../../shared/corpus', import.meta.url));
const TOTAL = 1_000_000;

function toEvent(line: string): Event {
  const parsed = parseLine(line, 'json', Date.now());
  return createEvent({ tenant: 'bench', received: Date.now(), time: parsed.time, source: { input: 'bench', kind: 'file' }, format: parsed.format, original: line, fields: parsed.fields, flags: parsed.flags });
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

export async function benchSigma(log: (line: string) => void, total = TOTAL): Promise<BenchResult> {
  const rulesDir = join(CORPUS, 'sigma', 'rules');
  const dataDir = join(CORPUS, 'security-datasets', 'windows');
  if (!existsSync(rulesDir) || !existsSync(dataDir)) {
    return { name: 'sigma', title: 'Sigma engine', durationSec: 0, figures: [], details: {}, skipped: [`corpus not found at ${CORPUS}`] };
  }
  const heapBefore = process.memoryUsage().heapUsed;
  log('sigma: loading every rule of sigma/rules...');
  let started = performance.now();
  const set = loadRules([rulesDir]);
  const routing = LogsourceMap.load();
  const engine = new SigmaEngine(set.rules, routing);
  const loadSeconds = (performance.now() - started) / 1000;
  global.gc?.();
  const heapRules = process.memoryUsage().heapUsed - heapBefore;

  const lines = readdirSync(dataDir).filter((f) => f.endsWith('.json')).sort().flatMap((f) => readFileSync(join(dataDir, f), 'utf8').split('\n').filter((l) => l.trim() !== ''));
  const events = lines.map(toEvent);
  log(`sigma: ${set.rules.length} rules (${engine.unrouted.length} without a log source), ${events.length} distinct events replayed to ${total.toLocaleString('en')}...`);

  // Warm-up, so the JIT has settled before timing.
  for (let i = 0; i < 20_000; i++) engine.match(events[i % events.length]!);

  const shares = new Float64Array(total);
  let matches = 0;
  started = performance.now();
  for (let i = 0; i < total; i++) {
    matches += engine.match(events[i % events.length]!).length;
    shares[i] = engine.lastEvaluated;
  }
  const detectSeconds = (performance.now() - started) / 1000;
  const rss = process.memoryUsage().rss;
  shares.sort();
  const ruleCount = set.rules.length;

  log('sigma: parse + detect (100k events)...');
  const parseTotal = Math.min(total, 100_000);
  started = performance.now();
  for (let i = 0; i < parseTotal; i++) engine.match(toEvent(lines[i % lines.length]!));
  const parseDetectRate = parseTotal / ((performance.now() - started) / 1000);

  log('sigma: reference without the candidate index (100k events)...');
  const unindexed: CompiledRule[] = set.rules.map((r) => ({ meta: r.meta, matches: r.matches.bind(r), witnesses: [], needs: r.needs }));
  const naive = new SigmaEngine(unindexed, routing);
  const naiveTotal = Math.min(total, 100_000);
  for (let i = 0; i < 2000; i++) naive.match(events[i % events.length]!);
  started = performance.now();
  let naiveMatches = 0;
  for (let i = 0; i < naiveTotal; i++) naiveMatches += naive.match(events[i % events.length]!).length;
  const naiveRate = naiveTotal / ((performance.now() - started) / 1000);
  const indexedOnSame = events.length > 0 ? (() => {
    let n = 0;
    for (let i = 0; i < naiveTotal; i++) n += engine.match(events[i % events.length]!).length;
    return n;
  })() : 0;

  const rate = total / detectSeconds;
  const figures: Figure[] = [
    { label: 'detection, all of rules/ loaded', value: Math.round(rate), unit: 'events/s', note: `${ruleCount} rules, 1 core, ${total.toLocaleString('en')} events` },
    { label: 'parse (JSON) + detection', value: Math.round(parseDetectRate), unit: 'events/s' },
    { label: 'rules evaluated per event, p50', value: Number(((100 * percentile(shares, 0.5)) / ruleCount).toFixed(3)), unit: '% of rules', note: `${percentile(shares, 0.5)} rules` },
    { label: 'rules evaluated per event, p95', value: Number(((100 * percentile(shares, 0.95)) / ruleCount).toFixed(3)), unit: '% of rules', note: `${percentile(shares, 0.95)} rules` },
    { label: 'rules evaluated per event, max', value: Number(((100 * shares[shares.length - 1]!) / ruleCount).toFixed(3)), unit: '% of rules' },
    { label: 'reference: no candidate index', value: Math.round(naiveRate), unit: 'events/s', note: 'routing only' },
    { label: 'candidate index speed-up', value: Number((rate / naiveRate).toFixed(1)), unit: 'x' },
    { label: 'rule load + compile', value: Number(loadSeconds.toFixed(1)), unit: 's' },
    { label: 'heap held by the rule set', value: Math.round(heapRules / MiB), unit: 'MiB' },
    { label: 'process RSS after 1M events', value: Math.round(rss / MiB), unit: 'MiB' },
  ];
  return {
    name: 'sigma',
    title: 'Sigma engine, one core, SigmaHQ rules/ on OTRF Windows JSON',
    durationSec: Math.round(detectSeconds),
    figures,
    details: {
      rules: ruleCount,
      unmapped: engine.unrouted.length,
      distinctEvents: events.length,
      matchesPerMillion: matches,
      sameMatchesWithoutIndex: naiveMatches === indexedOnSame,
      naiveMatches,
      indexedMatches: indexedOnSame,
      buckets: Object.fromEntries(engine.bucketSizes()),
    },
  };
}
