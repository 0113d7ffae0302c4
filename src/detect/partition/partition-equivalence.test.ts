/**
 * Partitioned detection equals one process on generated streams built to hit the hard cases
 * the corpus rarely does: events out of time order (late by minutes, old files replayed after
 * new ones), closing windows that other groups' events close, groups idle for longer than their
 * timespan, chained correlations (keyed by the outer group, and a family that cannot be split),
 * aliases, a correlation without a group, one without a level, and every behaviour type.
 * Watermark marks arrive at random points; two tenants share keys. One run per stream also
 * restores every partition from its checkpoint every few records.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { SeededRandom } from '../../../test/support/seeded-random.js';
import { generate } from '../../../test/support/generated-detection-stream.js';
import { LogsourceMap } from '../sigma/logsource-map.js';
import { loadRules } from '../sigma/rule-loader.js';
import { InputRoutes } from './input-routes.js';
import { difference, partitionedRun, sharedTenantRun, singleProcess } from './partitioned-run.test-support.js';

const RULES = fileURLToPath(new URL('../../../test/fixtures/sigma/partition-synthetic', import.meta.url));
const routing = LogsourceMap.load();
const ruleSet = loadRules([RULES]);

describe('partitioned detection on generated streams', () => {
  it('loads every fixture rule, and splits the chained families it can', () => {
    assert.deepEqual(ruleSet.failed, []);
    assert.equal(ruleSet.behaviours.length, 7);
    const routes = new InputRoutes(ruleSet);
    const byTitle = new Map([...routes.families.values()].map((f) => [f.rules.map((r) => r.title).join(' + '), f.keyed]));
    assert.equal(byTitle.get('Chain inner (sliding) + Chain outer by fewer fields'), true);
    assert.equal(byTitle.get('Chain inner (closing) + Chain outer over a closing inner and a base rule'), true);
    assert.equal(byTitle.get('Inner read by two outers (family not split) + First outer of the shared inner + Second outer of the shared inner'), false);
    assert.equal(byTitle.get('Sliding count'), true);
  });

  for (const seed of [1, 2, 3, 4, 5, 6]) {
    it(`seed ${seed}: the same detections as one process with 2, 3 (restored from checkpoints all along), 5 and 8 partitions`, () => {
      const events = generate(seed, 2500);
      const single = singleProcess(ruleSet, routing, events);
      const kinds = new Set(single.map((d) => (JSON.parse(d) as string[])[0]));
      assert.deepEqual([...kinds].sort(), ['behaviour', 'correlation', 'rule'], 'the stream sets off every kind of detection');
      assert.ok(single.length > 300, `${single.length} detections`);
      const r = new SeededRandom(seed * 7919);
      for (const partitions of [2, 3, 5, 8]) {
        // With 3 partitions, each also goes through its checkpoint (text) and back every 37 records.
        const run = partitionedRun(ruleSet, routing, events, partitions, () => r.next() < 0.02, partitions === 3 ? 37 : 0);
        const { onlyFirst, onlySecond } = difference(single, run.detections);
        assert.deepEqual({ onlySingle: onlyFirst.slice(0, 5), onlyPartitioned: onlySecond.slice(0, 5) }, { onlySingle: [], onlyPartitioned: [] }, `${partitions} partitions`);
        assert.equal(run.detections.length, single.length);
        assert.ok(run.records.every((list) => list.some((rec) => rec.kind === 'input')), 'every partition holds some groups');
      }
    });
  }

  // Scaled out, several stateless stages share one tenant's events (each reads the hosts of its
  // events partitions) and a partition sees their outputs interleaved. Its result is then that of
  // one process reading the events in that interleaved order: not the stream's order (a host
  // read later is late for groups that span hosts), and not more than one process would raise.
  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: two stateless stages splitting the hosts equal one process reading in the order they read`, () => {
      const events = generate(seed, 2500);
      const hosts = new Map([['ws1', 0], ['ws2', 1], ['srv1', 0], ['dc1', 1]]);
      for (const batch of [1, 25, 200]) {
        const run = sharedTenantRun(ruleSet, routing, events, 5, 2, (e) => hosts.get(String(e.fields['Computer'])) ?? 0, batch);
        assert.ok(run.readOrder.length === events.length && run.readOrder.some((e, i) => e !== events[i]), 'the stages read in another order than the stream');
        const single = singleProcess(ruleSet, routing, run.readOrder);
        const { onlyFirst, onlySecond } = difference(single, run.detections);
        assert.deepEqual({ onlySingle: onlyFirst.slice(0, 5), onlyPartitioned: onlySecond.slice(0, 5) }, { onlySingle: [], onlyPartitioned: [] }, `batches of ${batch}`);
      }
    });
  }
});
