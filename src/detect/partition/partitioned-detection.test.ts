/**
 * Partitioned detection gives exactly the detections of one `DetectionRun` on the corpus of
 * real logs (every log file, about 40,000 events, two tenants), with 1, 2, 4 and 8 partitions:
 * the built-in rules alone, and with correlations and behaviour rules of every kind of state
 * over the built-in SSH rules (test/fixtures/sigma/partition). The files are replayed one
 * after another and interleaved as concurrent sources, which sends event time back and forth.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { before, describe, it } from 'node:test';
import { corpusHas } from '../../../test/support/corpus.js';
import { corpusEvents, inFileOrder, interleaved, type CorpusFile } from '../../../test/support/corpus-events.js';
import { BUILTIN_RULES, builtinPlaceholders } from '../builtin-rules.js';
import { LogsourceMap } from '../sigma/logsource-map.js';
import { loadRules, type RuleSet } from '../sigma/rule-loader.js';
import { difference, partitionedRun, singleProcess } from './partitioned-run.test-support.js';

const FIXTURE = fileURLToPath(new URL('../../../test/fixtures/sigma/partition', import.meta.url));
const present = corpusHas('loghub') && corpusHas('evtx-attack-samples') && corpusHas('stratus-red-team');
const routing = LogsourceMap.load();
// A change window, so "Change Outside the Change Window" (a behaviour rule) has something to say.
const placeholders = builtinPlaceholders({}, {}, ['mon-fri 08:00-18:00 Europe/Berlin']);

function kinds(detections: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const d of detections) {
    const kind = (JSON.parse(d) as string[])[0]!;
    out[kind] = (out[kind] ?? 0) + 1;
  }
  return out;
}

describe('partitioned detection on the corpus', { skip: !present && 'corpus absent: set VIGIL_CORPUS' }, () => {
  let files: CorpusFile[] = [];
  before(async () => {
    files = await corpusEvents();
  });

  const sets: [string, () => RuleSet, (k: Record<string, number>) => void][] = [
    ['the built-in rules', () => loadRules([BUILTIN_RULES], { placeholders }), (k) => {
      assert.ok((k['correlation'] ?? 0) >= 100, `${k['correlation']} correlation detections`);
      assert.ok((k['behaviour'] ?? 0) >= 5, `${k['behaviour']} behaviour detections`);
    }],
    ['the built-in rules and a correlation or behaviour rule of every kind', () => loadRules([BUILTIN_RULES, FIXTURE], { placeholders }), (k) => {
      assert.ok((k['correlation'] ?? 0) >= 800, `${k['correlation']} correlation detections`);
      assert.ok((k['behaviour'] ?? 0) >= 300, `${k['behaviour']} behaviour detections`);
    }],
  ];

  for (const [name, load, enough] of sets) {
    for (const [order, arrange] of [['one file after another', inFileOrder], ['files interleaved', interleaved]] as const) {
      it(`${name}, ${order}: the same detections with 1, 2, 4 and 8 partitions`, () => {
        const ruleSet = load();
        assert.deepEqual(ruleSet.failed, []);
        const events = arrange(files);
        assert.ok(events.length > 30_000, `${events.length} events`);
        const single = singleProcess(ruleSet, routing, events);
        enough(kinds(single));
        for (const partitions of [1, 2, 4, 8]) {
          // Watermark marks every 1,000 events, as a stateless worker sends them every few seconds.
          const run = partitionedRun(ruleSet, routing, events, partitions, (i) => i % 1000 === 999);
          const { onlyFirst, onlySecond } = difference(single, run.detections);
          assert.deepEqual({ onlySingle: onlyFirst.slice(0, 5), onlyPartitioned: onlySecond.slice(0, 5) }, { onlySingle: [], onlyPartitioned: [] }, `${partitions} partitions`);
          assert.equal(run.detections.length, single.length);
          const busy = run.records.filter((list) => list.some((r) => r.kind === 'input')).length;
          assert.ok(busy >= Math.min(partitions, 4), `${partitions} partitions, only ${busy} received inputs`);
        }
      });
    }
  }
});
