/**
 * Checkpoints: a partition killed anywhere and restored from its last checkpoint, with
 * everything after it (or everything) delivered again, gives exactly the detections of the
 * uninterrupted run, each under the same id, and applies no input twice. Then the same through
 * workers over the in-process log: a worker dies mid-stream, another takes its partitions over
 * from their checkpoints, a partition is moved between live workers, and what reaches the sink
 * (keeping the first of each id) equals one process. Real data: the corpus, with the built-in
 * rules and a correlation or behaviour rule of every kind.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { before, describe, it } from 'node:test';
import { corpusHas } from '../../../test/support/corpus.js';
import { corpusEvents, interleaved } from '../../../test/support/corpus-events.js';
import { SeededRandom } from '../../../test/support/seeded-random.js';
import type { Event } from '../../core/event.js';
import { BUILTIN_RULES, builtinPlaceholders } from '../builtin-rules.js';
import { LogsourceMap } from '../sigma/logsource-map.js';
import { loadRules } from '../sigma/rule-loader.js';
import { InputRoutes } from './input-routes.js';
import type { PartitionRecord } from './keyed-input.js';
import { MemoryCheckpointStore, MemoryPartitionLog, type CheckpointStore, type DetectionSink, type IdentifiedDetection, type PartitionLog } from './partition-log.js';
import { PartitionState } from './partition-state.js';
import { PartitionWorker } from './partition-worker.js';
import { canonical, difference, partitionedRun, singleProcess } from './partitioned-run.test-support.js';
import { StatelessStage, type StatelessOutput } from './stateless-stage.js';

const FIXTURE = fileURLToPath(new URL('../../../test/fixtures/sigma/partition', import.meta.url));
const present = corpusHas('loghub') && corpusHas('evtx-attack-samples');
const routing = LogsourceMap.load();
const ruleSet = loadRules([BUILTIN_RULES, FIXTURE], { placeholders: builtinPlaceholders({}, {}, ['mon-fri 08:00-18:00 Europe/Berlin']) });
const PARTITIONS = 4;

/** Detections of one partition's records applied without interruption, by id. */
function uninterrupted(routes: InputRoutes, partition: number, records: readonly PartitionRecord[]): Map<string, string> {
  const state = new PartitionState(routes, partition, PARTITIONS);
  const out = new Map<string, string>();
  records.forEach((record, i) => state.apply(i + 1, record).forEach((d, k) => out.set(`${i + 1}:${k}`, canonical(d))));
  return out;
}

describe('detection partition checkpoints', { skip: !present && 'corpus absent: set VIGIL_CORPUS' }, () => {
  let events: Event[] = [];
  before(async () => {
    events = interleaved(await corpusEvents());
  });

  it('killed at arbitrary points and restored from the last checkpoint, a partition gives the same detections under the same ids', () => {
    const routes = new InputRoutes(ruleSet);
    const { records } = partitionedRun(ruleSet, routing, events, PARTITIONS, (i) => i % 1000 === 999);
    const random = new SeededRandom(42);
    let kills = 0;
    let replayed = 0;
    for (let p = 0; p < PARTITIONS; p++) {
      const list = records[p]!;
      const expected = uninterrupted(routes, p, list);
      assert.ok(expected.size > 20, `partition ${p}: ${expected.size} detections`);
      const killAt = new Set(Array.from({ length: 6 }, () => random.int(2, list.length)));
      const every = 97;
      let state = new PartitionState(routes, p, PARTITIONS);
      let checkpoint: string | undefined;
      const delivered = new Map<string, string>();
      let appliedTwice = 0;
      for (let position = 1; position <= list.length; position++) {
        if (killAt.delete(position)) {
          // The worker dies: its state is gone. A new one starts from the last checkpoint and
          // the log delivers everything again from the start; what the checkpoint covers is skipped.
          kills++;
          state = checkpoint === undefined ? new PartitionState(routes, p, PARTITIONS) : PartitionState.restore(routes, checkpoint);
          const from = state.position;
          replayed += position - 1 - from;
          for (let again = 1; again < position; again++) {
            const out = state.apply(again, list[again - 1]!);
            if (again <= from) assert.deepEqual(out, [], 'a record the checkpoint covers is skipped');
            out.forEach((d, k) => {
              const id = `${again}:${k}`;
              if (delivered.has(id)) appliedTwice++;
              assert.equal(delivered.get(id) ?? canonical(d), canonical(d), `${id}: a replayed detection is the same`);
              delivered.set(id, canonical(d));
            });
          }
        }
        state.apply(position, list[position - 1]!).forEach((d, k) => {
          const id = `${position}:${k}`;
          assert.ok(!delivered.has(id), `${id} delivered before it was first applied`);
          delivered.set(id, canonical(d));
        });
        if (position % every === 0) checkpoint = state.encodeCheckpoint();
      }
      assert.deepEqual([...delivered].sort(), [...expected].sort(), `partition ${p}`);
      assert.ok(appliedTwice <= replayed);
    }
    assert.ok(kills >= 20, `${kills} kills`);
    assert.ok(replayed > 0, 'some records were applied again after a kill');
  });

  it('workers: one dies mid-stream, another takes its partitions over, a partition moves between live workers; the sink gets one process’s detections', async () => {
    const routes = new InputRoutes(ruleSet);
    const expected = singleProcess(ruleSet, routing, events).filter((d) => !d.startsWith('["rule"'));
    const log = new MemoryPartitionLog(PARTITIONS);
    const checkpoints = new MemoryCheckpointStore();
    const sink = new CollectingSink();
    // As JetStream does with messages not yet acknowledged, the log delivers some records again.
    const options = { routes, checkpoints, sink, log: redelivering(log), batch: 16, checkpointRecords: 50, checkpointMs: 20 };

    // Worker A dies right after delivering detections it has not checkpointed yet: from then
    // on everything it touches fails, as in a killed process.
    const doomed = { alive: true, armed: false };
    const errors: number[] = [];
    const a = new PartitionWorker({ ...options, log: mortalLog(log, doomed), checkpoints: mortalStore(checkpoints, doomed), sink: mortalSink(sink, doomed), onError: (p) => errors.push(p) });
    const b = new PartitionWorker(options);
    const c = new PartitionWorker(options);
    await a.assign(0);
    await a.assign(1);
    await b.assign(2);
    await b.assign(3);

    const stage = new StatelessStage(ruleSet, routing, PARTITIONS);
    const appended = new Array<number>(PARTITIONS).fill(0);
    const append = async (list: readonly PartitionRecord[]): Promise<void> => {
      for (const r of list) appended[r.partition]!++;
      await log.append(list);
    };
    const out: StatelessOutput = { detections: [], inputs: [] };
    const chunk = 400;
    for (let at = 0; at < events.length; at += chunk) {
      for (const event of events.slice(at, at + chunk)) stage.process(event, out);
      await append(out.inputs.splice(0));
      await append(stage.watermarkMarks());
      await sleep(1);
      if (at >= events.length * 0.4) doomed.armed = true;
      if (!doomed.alive && a.partitions.length === 0 && c.partitions.length === 0) {
        assert.deepEqual(errors.sort(), [0, 1]);
        await c.assign(0);
        await c.assign(1);
      }
      if (b.partitions.includes(2) && at >= events.length * 0.7) {
        await b.revoke(2);
        await c.assign(2);
      }
    }
    assert.ok(!doomed.alive && c.partitions.includes(0), 'worker A died and C took over');
    await append(stage.flushMarks());
    for (let p = 0; p < PARTITIONS; p++) {
      const owner = [b, c].find((w) => w.partitions.includes(p))!;
      while ((owner.position(p) ?? 0) < appended[p]!) await sleep(5);
    }
    await b.close();
    await c.close();

    assert.deepEqual(sink.conflicts, [], 'an id delivered twice carries the same detection');
    assert.ok(sink.repeats > 0, 'detections A delivered after its last checkpoint came again (and were dropped by id)');
    const { onlyFirst, onlySecond } = difference(expected, [...sink.kept.values()]);
    assert.deepEqual({ onlySingle: onlyFirst.slice(0, 5), onlyWorkers: onlySecond.slice(0, 5) }, { onlySingle: [], onlyWorkers: [] });
    assert.ok(expected.length > 1000, `${expected.length} detections`);
    assert.ok(checkpoints.saves > 10, `${checkpoints.saves} checkpoints saved`);
  });
});

/** Keeps the first detection of each id, as an idempotent alert store does. */
class CollectingSink implements DetectionSink {
  readonly kept = new Map<string, string>();
  readonly conflicts: string[] = [];
  repeats = 0;
  async deliver(detections: readonly IdentifiedDetection[]): Promise<void> {
    for (const { id, detection } of detections) {
      const text = canonical(detection);
      const known = this.kept.get(id);
      if (known === undefined) this.kept.set(id, text);
      else if (known !== text) this.conflicts.push(id);
      else this.repeats++;
    }
  }
}

/** Delivers up to 25 records before those asked for again (those not yet committed). */
function redelivering(log: PartitionLog): PartitionLog {
  return {
    partitions: log.partitions,
    append: (records) => log.append(records),
    read: (p, after, max, signal) => log.read(p, Math.max(0, after - 25), max + 25, signal),
    commit: (p, position) => log.commit(p, position),
  };
}

const dead = (): Error => new Error('the worker process was killed');

function mortalLog(log: PartitionLog, life: { alive: boolean }): PartitionLog {
  return {
    partitions: log.partitions,
    append: (records) => (life.alive ? log.append(records) : Promise.reject(dead())),
    read: async (p, after, max, signal) => {
      if (!life.alive) throw dead();
      const batch = await log.read(p, after, max, signal);
      if (!life.alive) throw dead();
      return batch;
    },
    commit: (p, position) => (life.alive ? log.commit(p, position) : Promise.reject(dead())),
  };
}

function mortalStore(store: CheckpointStore, life: { alive: boolean }): CheckpointStore {
  return {
    load: (p) => store.load(p),
    save: (p, checkpoint) => (life.alive ? store.save(p, checkpoint) : Promise.reject(dead())),
  };
}

function mortalSink(sink: DetectionSink, life: { alive: boolean; armed: boolean }): DetectionSink {
  return {
    deliver: async (detections) => {
      if (!life.alive) throw dead();
      await sink.deliver(detections);
      if (life.armed) life.alive = false;
    },
  };
}
