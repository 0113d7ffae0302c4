import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { FileLog } from '../bus/file-log/file-log.js';
import { JetStreamBus } from '../bus/jetstream/jetstream-bus.js';
import { natsServerMissing, startNatsServer, type NatsCluster } from '../../test/support/nats-server.js';
import { createEvent, type Event } from '../core/event.js';
import { Metrics } from '../core/metrics.js';
import type { Detector } from '../core/stage.js';
import { DuckDbStore } from '../store/duckdb/duckdb-store.js';
import { Pipeline, STORE_CONSUMER } from './pipeline.js';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

function events(n: number, tag: string): Event[] {
  return Array.from({ length: n }, (_, i) =>
    createEvent({
      tenant: 'default',
      received: Date.now(),
      source: { input: 'test', kind: 'http-ingest' },
      format: 'json',
      original: `{"n":${i}}`,
      fields: { message: `${tag} ${i}`, 'host.name': 'h1' },
    }),
  );
}

async function open(dir: string, options: { detectors?: Detector[]; dead?: Event[] } = {}) {
  const store = await DuckDbStore.open({ path: join(dir, 'events.duckdb') });
  const checkpoint = await store.readCheckpoint(STORE_CONSUMER);
  const metrics = new Metrics();
  const bus = await FileLog.open({ dir: join(dir, 'log'), segmentBytes: 1024 * 1024, from: checkpoint?.position, maxQueueEvents: 100_000, metrics });
  const pipeline = new Pipeline({
    bus,
    store,
    metrics,
    batchSize: 1000,
    detectors: options.detectors,
    deadLetter: async (event) => void options.dead?.push(event),
  });
  return {
    store,
    bus,
    pipeline,
    metrics,
    close: async () => {
      await pipeline.stop();
      await bus.close();
      await store.close();
    },
  };
}

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'vigil-pipeline-'));
  dirs.push(d);
  return d;
}

async function count(store: DuckDbStore, text: string): Promise<number> {
  const r = await store.search({ tenant: 'default', query: { kind: 'text', text, wildcard: false, quoted: true }, limit: 10 });
  return r.total;
}

describe('Pipeline', () => {
  it('stores what sources submit and counts it per input', async () => {
    const p = await open(await tempDir());
    p.pipeline.start();
    await p.pipeline.submit(events(250, 'alpha'));
    await p.pipeline.whenIdle();
    assert.equal(await count(p.store, 'alpha'), 250);
    assert.equal((await p.metrics.stored.get()).values.find((v) => v.labels.input === 'test')?.value, 250);
    assert.equal(p.bus.depth(), 0);
    await p.close();
  });

  it('replays events that were durable but not yet stored when it starts again', async () => {
    const dir = await tempDir();
    const first = await open(dir);
    // Not started: the events reach the log but not the store, as after a crash.
    await first.pipeline.submit(events(40, 'beta'));
    await first.close();

    const second = await open(dir);
    assert.equal(second.bus.depth(), 40);
    second.pipeline.start();
    await second.pipeline.whenIdle();
    assert.equal(await count(second.store, 'beta'), 40);
    await second.close();

    const third = await open(dir);
    assert.equal(third.bus.depth(), 0, 'nothing is replayed twice');
    assert.equal(await count(third.store, 'beta'), 40);
    await third.close();
  });

  it('stores the alerts detectors raise', async () => {
    const detector: Detector = {
      name: 'every-tenth',
      detect: (batch) =>
        batch
          .filter((_, i) => i % 10 === 0)
          .map((e) => ({
            id: `alert-${e.id}`,
            tenant: e.tenant,
            created: Date.now(),
            ruleId: 'r1',
            ruleTitle: 'test rule',
            ruleAuthor: 'vigil tests',
            level: 'low',
            eventIds: [e.id],
            state: 'new' as const,
            details: {},
          })),
    };
    const p = await open(await tempDir(), { detectors: [detector] });
    p.pipeline.start();
    await p.pipeline.submit(events(30, 'gamma'));
    await p.pipeline.whenIdle();
    assert.equal((await p.store.listAlerts('default', 100)).length, 3);
    await p.close();
  });

  it('sends an event the store refuses to the dead letter and stores the rest of its batch', async () => {
    const dead: Event[] = [];
    const p = await open(await tempDir(), { dead });
    const batch = events(5, 'delta');
    const poison = { ...batch[2]!, time: 1.5 }; // not an integer epoch-ms: the store refuses it
    batch[2] = poison;
    await p.pipeline.submit(batch);
    p.pipeline.start();
    await p.pipeline.whenIdle();
    assert.equal(await count(p.store, 'delta'), 4);
    assert.deepEqual(dead.map((e) => e.id), [poison.id]);
    assert.equal((await p.metrics.dropped.get()).values.find((v) => v.labels.reason === 'store-error')?.value, 1);
    await p.pipeline.submit(events(3, 'epsilon'));
    await p.pipeline.whenIdle();
    assert.equal(await count(p.store, 'epsilon'), 3, 'the pipeline keeps going after a poison batch');
    await p.close();
  });
});

describe('Pipeline on the NATS JetStream bus', { skip: natsServerMissing() }, () => {
  let nats: NatsCluster | undefined;
  after(async () => {
    await nats?.stop();
  });

  /** A pipeline whose bus is JetStream, resuming from the store's checkpoint as a store role would. */
  async function openOnNats(dir: string) {
    nats ??= await startNatsServer();
    const store = await DuckDbStore.open({ path: join(dir, 'events.duckdb') });
    const checkpoint = await store.readCheckpoint(STORE_CONSUMER);
    const metrics = new Metrics();
    const bus = await JetStreamBus.open({
      servers: nats.urls,
      stream: { name: 'PIPELINE', maxBytes: 64 * 1024 * 1024, ackWaitMs: 2000 },
      consumer: { name: STORE_CONSUMER },
      from: checkpoint?.position,
    });
    const pipeline = new Pipeline({ bus, store, metrics, batchSize: 1000 });
    return {
      store,
      bus,
      pipeline,
      close: async () => {
        await pipeline.stop();
        await bus.close();
        await store.close();
      },
    };
  }

  it('stores every submitted event once, across a restart that replays what was not committed', async () => {
    const dir = await tempDir();
    const first = await openOnNats(dir);
    first.pipeline.start();
    await first.pipeline.submit(events(300, 'nats-one'));
    await first.pipeline.whenIdle();
    assert.equal(await count(first.store, 'nats-one'), 300);
    // Durable on the bus, not consumed: as after a crash of the store role.
    await first.pipeline.stop();
    await first.pipeline.submit(events(120, 'nats-two'));
    await first.bus.close();
    await first.store.close();

    const second = await openOnNats(dir);
    // At least every uncommitted event (nats-server 2.9 may list one handed-back message twice).
    assert.ok(second.bus.depth() >= 120, `depth ${second.bus.depth()}`);
    second.pipeline.start();
    await second.pipeline.whenIdle();
    assert.equal(await count(second.store, 'nats-two'), 120);
    assert.equal(await count(second.store, 'nats-one'), 300, 'nothing stored twice');
    assert.equal(second.bus.depth(), 0);
    await second.close();
  });
});
