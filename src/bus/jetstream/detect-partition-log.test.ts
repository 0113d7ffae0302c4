/**
 * The detection partition log on a real nats-server (started here on a free loopback port):
 * per-partition order and positions, re-sent inputs stored once, commits that purge what a
 * checkpoint covers, a reader resumed from a restored position, a partition count that cannot
 * change; then partition workers over it, one of them losing its connection mid-stream and
 * another taking its partitions over from their checkpoints: the sink keeps exactly the
 * correlation and behaviour detections of one process.
 */
import { strict as assert } from 'node:assert';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { isVigilError } from '../../core/errors.js';
import { natsServerMissing, startNatsServer, type NatsCluster } from '../../../test/support/nats-server.js';
import type { KeyedInput, PartitionRecord } from '../../detect/partition/keyed-input.js';
import { MemoryCheckpointStore, type DetectionSink, type IdentifiedDetection } from '../../detect/partition/partition-log.js';
import { PartitionWorker } from '../../detect/partition/partition-worker.js';
import { canonical, difference, singleProcess } from '../../detect/partition/partitioned-run.test-support.js';
import { generate } from '../../../test/support/generated-detection-stream.js';
import { StatelessStage, type StatelessOutput } from '../../detect/partition/stateless-stage.js';
import { LogsourceMap } from '../../detect/sigma/logsource-map.js';
import { loadRules } from '../../detect/sigma/rule-loader.js';
import { JetStreamPartitionLog } from './detect-partition-log.js';

const missing = natsServerMissing();
let server: NatsCluster | undefined;
let streams = 0;
const connections: NatsConnection[] = [];

before(async () => {
  if (!missing) server = await startNatsServer();
});
after(async () => {
  for (const c of connections) await c.close().catch(() => undefined);
  await server?.stop();
});

async function connection(): Promise<NatsConnection> {
  const c = await connect({ servers: [...server!.urls] });
  connections.push(c);
  return c;
}

/** A fresh stream of its own per test. */
function names(): { stream: string; subjectPrefix: string; maxBytes: number } {
  const n = ++streams;
  return { stream: `D${n}`, subjectPrefix: `d${n}.detect`, maxBytes: 32 * 1024 * 1024 };
}

function input(partition: number, eventId: string, time: number): KeyedInput {
  return { kind: 'input', tenant: 'acme', target: 'c:x', key: 'k', partition, rule: { id: 'r1' }, time, eventId, fields: { n: 1 }, watermark: -Infinity };
}

async function readAll(log: JetStreamPartitionLog, partition: number, after: number, want: number): Promise<{ position: number; record: PartitionRecord }[]> {
  const out: { position: number; record: PartitionRecord }[] = [];
  let from = after;
  while (out.length < want) {
    const batch = await log.read(partition, from, 100, AbortSignal.timeout(5000));
    assert.ok(batch, `partition ${partition}: only ${out.length} of ${want} records before the time ran out`);
    out.push(...batch);
    from = batch.at(-1)!.position;
  }
  return out;
}

const RULES = fileURLToPath(new URL('../../../test/fixtures/sigma/partition-synthetic', import.meta.url));

if (missing) {
  it('detection partition log on JetStream', { skip: missing }, () => {});
} else {
  describe('JetStreamPartitionLog', () => {
    it('keeps each partition in append order, stores a re-sent input once, and resumes a reader after a restored position', async () => {
      const log = await JetStreamPartitionLog.open({ connection: await connection(), partitions: 3, ...names() });
      const records: PartitionRecord[] = [];
      for (let i = 0; i < 300; i++) records.push(input(i % 3, `e${i}`, 1000 + i));
      records.push({ kind: 'watermark', tenant: 'acme', partition: 1, watermark: 5000 }, { kind: 'flush', tenant: 'acme', partition: 1 });
      await log.append(records);
      // A stateless worker restarted and matched the first events again: the inputs come once.
      await log.append(records.slice(0, 30));
      assert.equal(log.duplicates, 30);
      const p1 = await readAll(log, 1, 0, 102);
      assert.deepEqual(p1.map((r) => (r.record.kind === 'input' ? r.record.eventId : r.record.kind)), [...records.filter((r) => r.partition === 1).map((r) => (r.kind === 'input' ? r.eventId : r.kind))]);
      assert.ok(p1.every((r, i) => i === 0 || r.position > p1[i - 1]!.position), 'positions only grow');
      assert.equal((p1.at(-2)!.record as { watermark: number }).watermark, 5000, 'a watermark survives the round trip');
      // Committing purges what a checkpoint covers; a reader restored at that position reads the rest.
      const cut = p1[49]!.position;
      await log.commit(1, cut);
      assert.equal(await log.depth(1), 52);
      const reopened = await JetStreamPartitionLog.open({ connection: await connection(), partitions: 3, stream: log.stream, subjectPrefix: log.subjectPrefix });
      const rest = await readAll(reopened, 1, cut, 52);
      assert.deepEqual(rest.map((r) => r.position), p1.slice(50).map((r) => r.position));
      // Nothing more: a read waits, and ends when its signal aborts.
      const waiting = reopened.read(1, rest.at(-1)!.position, 10, AbortSignal.timeout(300));
      assert.equal(await waiting, undefined);
      await log.close();
      await reopened.close();
    });

    it('refuses another partition count for an existing stream, saying what to do', async () => {
      const n = names();
      await JetStreamPartitionLog.open({ connection: await connection(), partitions: 4, ...n });
      await assert.rejects(JetStreamPartitionLog.open({ connection: await connection(), partitions: 8, ...n }), (e: unknown) => {
        assert.ok(isVigilError(e) && e.code === 'config-invalid');
        assert.match(e.message, /holds 4 partitions, the configuration asks for 8/);
        return true;
      });
    });

    it('workers: one loses its connection mid-stream, another restores its partitions from their checkpoints; the sink keeps one process’s detections', async () => {
      const ruleSet = loadRules([RULES]);
      const routing = LogsourceMap.load();
      const events = generate(11, 3000);
      const expected = singleProcess(ruleSet, routing, events).filter((d) => !d.startsWith('["rule"'));
      assert.ok(expected.length > 200, `${expected.length} correlation and behaviour detections`);
      const partitions = 4;
      const n = names();
      const stage = new StatelessStage(ruleSet, routing, partitions);
      const writer = await JetStreamPartitionLog.open({ connection: await connection(), partitions, ...n });
      const checkpoints = new MemoryCheckpointStore();
      const sink = new CollectingSink();
      const errors: number[] = [];
      const workerOn = async (nc: NatsConnection) =>
        new PartitionWorker({
          routes: stage.routes,
          log: await JetStreamPartitionLog.open({ connection: nc, partitions, ...n }),
          checkpoints,
          sink,
          batch: 64,
          checkpointRecords: 100,
          checkpointMs: 200,
          onError: (p) => errors.push(p),
        });
      const doomed = await connection();
      const a = await workerOn(doomed);
      const b = await workerOn(await connection());
      await a.assign(0);
      await a.assign(1);
      await b.assign(2);
      await b.assign(3);

      const out: StatelessOutput = { detections: [], inputs: [] };
      const chunk = 200;
      let c: PartitionWorker | undefined;
      for (let at = 0; at < events.length; at += chunk) {
        for (const event of events.slice(at, at + chunk)) stage.process(event, out);
        await writer.append(out.inputs.splice(0));
        await writer.append(stage.watermarkMarks());
        await sleep(20);
        if (at >= events.length * 0.5 && !c) {
          // Worker A's process dies: its connection goes without a goodbye.
          await doomed.close();
          while (errors.length < 2 && a.partitions.length > 0) await sleep(20);
          c = await workerOn(await connection());
          await c.assign(0);
          await c.assign(1);
        }
      }
      await writer.append(stage.flushMarks());
      const last = new Map<number, number>();
      for (let p = 0; p < partitions; p++) last.set(p, await lastPosition(writer, p));
      for (let p = 0; p < partitions; p++) {
        const owner = [b, c!].find((w) => w.partitions.includes(p))!;
        const deadline = Date.now() + 20_000;
        while ((owner.position(p) ?? 0) < last.get(p)! && Date.now() < deadline) await sleep(20);
      }
      await b.close();
      await c!.close();

      assert.deepEqual(errors.sort(), [0, 1], 'worker A lost both its partitions');
      assert.deepEqual(sink.conflicts, [], 'an id delivered twice carries the same detection');
      const { onlyFirst, onlySecond } = difference(expected, [...sink.kept.values()]);
      assert.deepEqual({ onlySingle: onlyFirst.slice(0, 5), onlyWorkers: onlySecond.slice(0, 5) }, { onlySingle: [], onlyWorkers: [] });
      assert.ok(checkpoints.saves > 4, `${checkpoints.saves} checkpoints saved`);
    });
  });
}

async function lastPosition(log: JetStreamPartitionLog, partition: number): Promise<number> {
  let from = 0;
  for (;;) {
    const batch = await log.read(partition, from, 1000, AbortSignal.timeout(500));
    if (!batch || batch.length === 0) return from;
    from = batch.at(-1)!.position;
  }
}

/** Keeps the first detection of each id, as the alert intake's delivery ids do. */
class CollectingSink implements DetectionSink {
  readonly kept = new Map<string, string>();
  readonly conflicts: string[] = [];
  async deliver(detections: readonly IdentifiedDetection[]): Promise<void> {
    for (const { id, detection } of detections) {
      const text = canonical(detection);
      const known = this.kept.get(id);
      if (known === undefined) this.kept.set(id, text);
      else if (known !== text) this.conflicts.push(id);
    }
  }
}
