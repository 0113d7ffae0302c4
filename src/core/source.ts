/**
 * The source seam: a source turns bytes from the outside world into Events and hands them to
 * an EventSink. Awaiting `submit` is the backpressure: it resolves once the events are durable
 * (fsynced in the event log) and rejects with `overloaded` when the pipeline is too far behind,
 * so a source can answer 503 or stop reading its socket.
 */
import type { Event } from './event.js';

export interface EventSink {
  submit(events: readonly Event[]): Promise<void>;
}

export interface Source {
  /** Input name, as in config and metrics. */
  readonly name: string;
  start(sink: EventSink): Promise<void>;
  /** Stops accepting, drains what it holds, closes sockets. */
  stop(): Promise<void>;
}
