/**
 * Shared by the syslog listener tests: a recording EventSink (the one in-memory fake the test
 * rules allow), real loopback clients and metric readers.
 */
import { createSocket } from 'node:dgram';
import { connect as connectTcp, type Socket } from 'node:net';
import type { Event } from '../../src/core/event.js';
import { Metrics } from '../../src/core/metrics.js';
import type { EventSink } from '../../src/core/source.js';
import { SyslogSource, type SyslogSourceOptions } from '../../src/sources/syslog/syslog-source.js';

/** Records what it is given; `hold` decides which batches wait until `release()`. */
export class RecordingSink implements EventSink {
  readonly events: Event[] = [];
  readonly held: { batch: readonly Event[]; resolve: () => void }[] = [];
  hold: (batch: readonly Event[]) => boolean = () => false;
  refuse: (batch: readonly Event[]) => Error | undefined = () => undefined;
  submits = 0;

  async submit(batch: readonly Event[]): Promise<void> {
    this.submits++;
    const refusal = this.refuse(batch);
    if (refusal) throw refusal;
    if (this.hold(batch)) await new Promise<void>((resolve) => this.held.push({ batch, resolve }));
    this.events.push(...batch);
  }

  release(): void {
    for (const { resolve } of this.held.splice(0)) resolve();
  }

  texts(): string[] {
    return this.events.map((e) => e.original);
  }
}

export async function until(condition: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export async function eventually(condition: () => Promise<boolean>, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export async function counter(metrics: Metrics, name: 'received' | 'parseFailed' | 'truncated' | 'dropped' | 'connectionsEvicted', labels: Record<string, string>): Promise<number> {
  const { values } = await metrics[name].get();
  return values.filter((v) => Object.entries(labels).every(([k, l]) => v.labels[k as keyof typeof v.labels] === l)).reduce((sum, v) => sum + v.value, 0);
}

export interface Harness {
  source: SyslogSource;
  sink: RecordingSink;
  metrics: Metrics;
}

export async function startSource(overrides: Partial<SyslogSourceOptions> = {}): Promise<Harness> {
  const metrics = new Metrics();
  const sink = new RecordingSink();
  const source = new SyslogSource({
    tenant: 't1',
    udp: '127.0.0.1:0',
    tcp: '127.0.0.1:0',
    maxMessageBytes: 2048,
    maxConnections: 16,
    idleTimeoutMs: 60_000,
    metrics,
    ...overrides,
  });
  await source.start(sink);
  return { source, sink, metrics };
}

export async function openTcp(port: number): Promise<Socket> {
  const socket = connectTcp(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  return socket;
}

export function sendUdp(port: number, message: string | Buffer): Promise<number> {
  const client = createSocket('udp4');
  return new Promise((resolve, reject) =>
    client.send(message, port, '127.0.0.1', (error) => {
      const localPort = client.address().port;
      client.close();
      if (error) reject(error);
      else resolve(localPort);
    }),
  );
}

export const LINE_3164 = '<34>Oct 11 22:14:15 mymachine su: hello over';
export const LINE_5424 = '<165>1 2003-10-11T22:14:15.003Z host app 42 ID1 [x@1 a="b"] five four two four';
