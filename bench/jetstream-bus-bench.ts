/**
 * `jetstream-bus`: the NATS JetStream bus against the machine's nats-server (127.0.0.1:4222 by
 * default, VIGIL_BENCH_NATS_URL to change it), one replica. A stream of its own
 * (`VIGIL_BENCH_<pid>`, deleted afterwards) so the benchmark never touches anyone's data.
 *
 * Figures: events/s published through `JetStreamBus.publish` with every event acknowledged by
 * JetStream (calls of 1,000 events, 4 at a time, up to 1,024 messages awaiting their ack), then
 * events/s a `store` reader pulls and commits (explicit acks) from the full stream, then both at
 * once (the steady state of a running pipeline). Events are ECS-shaped, about 600 bytes as JSON.
 */
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import type { BenchResult, Figure } from './bench-result.js';
import { JetStreamBus, type JetStreamBusOptions } from '../src/bus/jetstream/jetstream-bus.js';
import { createEvent, type Event } from '../src/core/event.js';

const CALL_EVENTS = 1000;
const CONCURRENT_CALLS = 4;

function benchEvents(count: number, offset: number): Event[] {
  const received = Date.now();
  return Array.from({ length: count }, (_, k) => {
    const i = offset + k;
    const line = `<38>1 2026-01-01T00:00:00Z host-${i % 50} sshd 4242 - - Failed password for invalid user admin${i % 300} from 198.51.100.${i % 250} port ${1024 + (i % 60000)} ssh2`;
    return createEvent({
      tenant: 'bench',
      received,
      source: { input: 'bench', kind: 'syslog-tcp', address: '198.51.100.1:514' },
      format: 'rfc5424',
      original: line,
      fields: {
        message: line.slice(line.indexOf('Failed')),
        'host.name': `host-${i % 50}`,
        'process.name': 'sshd',
        'process.pid': 4242,
        'user.name': `admin${i % 300}`,
        'source.ip': `198.51.100.${i % 250}`,
        'event.category': 'authentication',
        'event.outcome': 'failure',
      },
    });
  });
}

async function publishAll(bus: JetStreamBus, total: number): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: CONCURRENT_CALLS }, async () => {
    while (next < total) {
      const offset = next;
      next += CALL_EVENTS;
      await bus.publish(benchEvents(Math.min(CALL_EVENTS, total - offset), offset));
    }
  }));
  return total / ((performance.now() - started) / 1000);
}

async function consumeAll(bus: JetStreamBus, total: number): Promise<number> {
  let read = 0;
  const signal = AbortSignal.timeout(300_000);
  const started = performance.now();
  while (read < total) {
    const batch = await bus.pull(1000, signal);
    if (!batch) throw new Error(`only ${read} of ${total} events were read within 300 s`);
    read += batch.events.length;
    await bus.commit(batch.position);
  }
  return total / ((performance.now() - started) / 1000);
}

export async function benchJetStreamBus(options: { events: number; log: (line: string) => void }): Promise<BenchResult> {
  const url = process.env.VIGIL_BENCH_NATS_URL ?? 'nats://127.0.0.1:4222';
  const title = `NATS JetStream bus, R1, ${url}`;
  const name = `VIGIL_BENCH_${process.pid}`;
  const total = options.events;
  let probe;
  try {
    probe = await connect({ servers: url, timeout: 2000 });
  } catch (error) {
    return { name: 'jetstream-bus', title, durationSec: 0, figures: [], details: {}, skipped: [`no NATS server at ${url}: ${(error as Error).message}`] };
  }
  const jsm = await jetstreamManager(probe);
  const busOptions: JetStreamBusOptions = {
    servers: url,
    stream: { name, subjectPrefix: `vigil-bench-${process.pid}.events`, replicas: 1, maxBytes: 2 * 1024 ** 3 },
  };
  const figures: Figure[] = [];
  const details: Record<string, unknown> = { url, events: total, callEvents: CALL_EVENTS, concurrentCalls: CONCURRENT_CALLS, server: probe.info?.version };
  const started = performance.now();
  try {
    const reader = await JetStreamBus.open({ ...busOptions, consumer: { name: 'store' } });
    const writer = await JetStreamBus.open(busOptions);
    try {
      options.log(`jetstream-bus: publishing ${total} events with acks...`);
      const publishRate = await publishAll(writer, total);
      figures.push({ label: 'publish, acknowledged by JetStream', value: Math.round(publishRate), unit: 'events/s' });
      options.log(`jetstream-bus: consuming them...`);
      const consumeRate = await consumeAll(reader, total);
      figures.push({ label: 'pull + commit (explicit acks), backlog', value: Math.round(consumeRate), unit: 'events/s' });
      options.log(`jetstream-bus: publishing and consuming at once...`);
      const both = performance.now();
      await Promise.all([publishAll(writer, total), consumeAll(reader, total)]);
      figures.push({ label: 'publish and consume at once, end to end', value: Math.round(total / ((performance.now() - both) / 1000)), unit: 'events/s' });
      details.stats = { writer: writer.stats(), reader: reader.stats() };
      details.eventBytes = Buffer.byteLength(JSON.stringify(benchEvents(1, 0)[0]));
    } finally {
      await writer.close();
      await reader.close();
    }
  } finally {
    await jsm.streams.delete(name).catch(() => false);
    await probe.close();
  }
  return { name: 'jetstream-bus', title, durationSec: Math.round((performance.now() - started) / 1000), figures, details };
}
