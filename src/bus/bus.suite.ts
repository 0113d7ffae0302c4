/**
 * The Bus conformance suite: the embedded event log and the NATS JetStream bus both run it, so
 * ingest and the pipeline can rely on the same behaviour from either.
 *
 * Usage, in `<impl>.test.ts`:
 *   busSuite('FileLog', async () => { … return { bus, reopen, cleanup }; });
 * `open` is called once per test and must give an empty bus with one consumer. `reopen(from)`
 * opens the same log again for the same consumer, resuming after the store's checkpoint `from`;
 * the suite closes the earlier bus first. The suite closes every bus, then calls `cleanup`.
 */
import { strict as assert } from 'node:assert';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Bus, BusBatch } from '../core/bus.js';
import { isVigilError } from '../core/errors.js';
import { createEvent, type Event } from '../core/event.js';

export interface BusUnderTest {
  readonly bus: Bus;
  readonly reopen: (from: string | undefined) => Promise<Bus>;
  readonly cleanup: () => Promise<void>;
}

export function suiteEvents(n: number, tag: string, host = 'h1'): Event[] {
  return Array.from({ length: n }, (_, i) =>
    createEvent({
      tenant: 'default',
      received: 1_700_000_000_000 + i,
      source: { input: 'suite', kind: 'http-ingest', address: '192.0.2.7:5140' },
      format: 'json',
      original: `{"n":${i}}`,
      fields: { message: `${tag} ${i}`, 'host.name': host },
    }),
  );
}

/** Pulls until `count` events arrived (or fails after `timeoutMs`); returns them and the batches. */
export async function pullAll(bus: Bus, count: number, options: { maxEvents?: number; commit?: boolean; timeoutMs?: number } = {}): Promise<{ events: Event[]; batches: BusBatch[] }> {
  const events: Event[] = [];
  const batches: BusBatch[] = [];
  const signal = AbortSignal.timeout(options.timeoutMs ?? 10_000);
  while (events.length < count || count === 0) {
    if (count === 0) break;
    const batch = await bus.pull(options.maxEvents ?? 1000, signal);
    if (!batch) assert.fail(`only ${events.length} of ${count} events arrived in time`);
    batches.push(batch);
    events.push(...batch.events);
    if (options.commit ?? true) await bus.commit(batch.position);
  }
  return { events, batches };
}

export function busSuite(name: string, open: () => Promise<BusUnderTest>): void {
  describe(`Bus conformance: ${name}`, () => {
    let sut: BusUnderTest;
    const opened: Bus[] = [];

    beforeEach(async () => {
      sut = await open();
      opened.push(sut.bus);
    });

    afterEach(async () => {
      for (const b of opened.splice(0)) await b.close();
      await sut.cleanup();
    });

    async function reopen(from: string | undefined): Promise<Bus> {
      for (const b of opened.splice(0)) await b.close();
      const bus = await sut.reopen(from);
      opened.push(bus);
      return bus;
    }

    it('hands out published events unchanged and in publish order', async () => {
      const first = suiteEvents(30, 'first');
      const second = suiteEvents(20, 'second');
      await sut.bus.publish(first);
      await sut.bus.publish(second);
      const { events } = await pullAll(sut.bus, 50);
      assert.deepEqual(events, [...first, ...second]);
    });

    it('counts published events in depth until their position is committed', async () => {
      assert.equal(sut.bus.depth(), 0);
      await sut.bus.publish(suiteEvents(25, 'depth'));
      assert.equal(sut.bus.depth(), 25);
      const { batches } = await pullAll(sut.bus, 25, { commit: false });
      assert.equal(sut.bus.depth(), 25, 'pulled but not committed still counts');
      await sut.bus.commit(batches.at(-1)!.position);
      assert.equal(sut.bus.depth(), 0);
    });

    it('returns at most maxEvents per pull (publishes no larger than that)', async () => {
      for (let i = 0; i < 5; i++) await sut.bus.publish(suiteEvents(5, `max-${i}`));
      const { batches } = await pullAll(sut.bus, 25, { maxEvents: 10 });
      assert.ok(batches.every((b) => b.events.length <= 10), `batch sizes ${batches.map((b) => b.events.length).join(',')}`);
    });

    it('waits for events published after the pull began, and resolves undefined when aborted', async () => {
      const waiting = sut.bus.pull(100, AbortSignal.timeout(10_000));
      await new Promise((r) => setTimeout(r, 50));
      const late = suiteEvents(3, 'late');
      await sut.bus.publish(late);
      const batch = await waiting;
      assert.ok(batch && batch.events.length > 0, 'the waiting pull got events');
      await sut.bus.commit(batch.position);
      // A bus may hand a publish out in several batches (one message per event on NATS).
      const rest = await pullAll(sut.bus, late.length - batch.events.length);
      assert.deepEqual([...batch.events, ...rest.events].map((e) => e.id), late.map((e) => e.id));
      const controller = new AbortController();
      const idle = sut.bus.pull(100, controller.signal);
      setTimeout(() => controller.abort(), 50);
      assert.equal(await idle, undefined);
    });

    it('resumes after the store checkpoint: events stored but not committed are not handed out again', async () => {
      const a = suiteEvents(10, 'a');
      const b = suiteEvents(10, 'b');
      const c = suiteEvents(10, 'c');
      await sut.bus.publish(a);
      await sut.bus.publish(b);
      const first = await sut.bus.pull(10, AbortSignal.timeout(10_000));
      assert.deepEqual(first?.events.map((e) => e.id), a.map((e) => e.id));
      // The store committed `a` with its position, and the process stopped before `commit`.
      const bus = await reopen(first!.position);
      await bus.publish(c);
      const { events } = await pullAll(bus, 20);
      assert.deepEqual(events.map((e) => e.id), [...b, ...c].map((e) => e.id));
      assert.equal(bus.depth(), 0);
    });

    it('accepts an empty publish and refuses publishing after close with a retryable error', async () => {
      await sut.bus.publish([]);
      await sut.bus.close();
      await assert.rejects(sut.bus.publish(suiteEvents(1, 'closed')), (e: unknown) => isVigilError(e) && (e.code === 'overloaded' || e.code === 'store-unavailable'));
    });
  });
}
