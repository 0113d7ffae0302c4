/**
 * One TCP or TLS syslog connection: frames the byte stream, maps frames to events and submits
 * them in micro-batches, one batch per socket chunk, with per-connection backpressure. While a
 * batch is with the sink the socket is paused, so a flooding sender fills its own TCP window
 * and slows down, and nobody else does.
 *
 * Delivery: when the sink refuses with `overloaded` (or `store-unavailable`), the batch is kept
 * and retried after a growing delay with the socket still paused, rather than dropped: syslog
 * over TCP has no acknowledgements (RFC 6587), so holding the sender back is the only way to
 * lose nothing, and it gives at-least-once delivery while the process stays up. Only at stop,
 * or on an error that retrying cannot cure, is a batch dropped, and then it is counted.
 */
import type { Socket } from 'node:net';
import type { Event, EventSource } from '../../core/event.js';
import type { Metrics } from '../../core/metrics.js';
import type { EventSink } from '../../core/source.js';
import type { SourceLog } from './source-log.js';
import { FIRST_RETRY_DELAY_MS, MAX_RETRY_DELAY_MS, dropReasonFor, isRetryable, retryDelay, submitBatch } from './sink-submission.js';
import { countSyslogEvent, syslogMessageToEvent, type SyslogEventContext } from './syslog-event.js';
import { SyslogStreamFramer, type SyslogFrame } from './syslog-stream-framer.js';

export interface StreamConnectionContext extends SyslogEventContext {
  readonly input: string;
  readonly maxMessageBytes: number;
  readonly idleTimeoutMs: number;
  readonly metrics: Metrics;
  readonly log: SourceLog;
  readonly sink: EventSink;
  /** Aborted at stop: cuts retry delays short. */
  readonly stopping: AbortSignal;
}

/** Tells the listener's evictor whether the connection may be closed to make room. */
export interface ConnectionActivity {
  /** A batch is with the sink and the socket paused: data may sit in the kernel, do not evict. */
  busy(): void;
  /** Read everything it was sent; idle until more comes. */
  quiet(): void;
}

export class StreamConnection {
  readonly #socket: Socket;
  readonly #context: StreamConnectionContext;
  readonly #source: EventSource;
  readonly #framer: SyslogStreamFramer;
  #queue: Event[] = [];
  #draining: Promise<void> | undefined;
  #closing = false;
  #socketClosed = false;
  readonly #onFinished: () => void;
  readonly #activity: ConnectionActivity | undefined;

  /** `onFinished` runs once the socket is closed and every event it brought is submitted. */
  constructor(socket: Socket, source: EventSource, context: StreamConnectionContext, onFinished: () => void, activity?: ConnectionActivity) {
    this.#socket = socket;
    this.#source = source;
    this.#context = context;
    this.#onFinished = onFinished;
    this.#activity = activity;
    this.#framer = new SyslogStreamFramer(context.maxMessageBytes);
    socket.on('data', (chunk: Buffer) => {
      if (!this.#draining) activity?.quiet();
      this.#accept(this.#framer.push(chunk));
      this.#yieldTurn();
    });
    socket.on('end', () => this.#accept(this.#framer.end()));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      context.metrics.drop(context.input, 'connection-error');
      context.log.debug({ peer: source.address, kind: source.kind, code: error.code, error: error.message }, 'syslog connection error');
    });
    socket.on('close', () => {
      this.#socketClosed = true;
      if (!this.#draining) this.#onFinished();
    });
    socket.setTimeout(context.idleTimeoutMs);
    socket.on('timeout', () => this.#onIdle());
  }

  /** Stops reading, submits what the connection holds (a pending partial frame too), then closes it. */
  async close(): Promise<void> {
    this.#closing = true;
    this.#socket.pause();
    this.#accept(this.#framer.end());
    while (this.#draining) await this.#draining;
    this.#socket.destroy();
  }

  /**
   * One chunk per turn of the event loop. Node reads up to 32 chunks (2 MiB) from a socket in a
   * row; a sender streaming a line it never ends (read and discarded past maxMessageBytes, so no
   * batch pauses the socket) would hold every other connection and HTTP request for that long.
   */
  #yieldTurn(): void {
    if (this.#draining || this.#closing) return; // paused already, resumed when the batch is stored
    // Paused with data perhaps still in the kernel: not to be evicted until it reads again.
    this.#activity?.busy();
    this.#socket.pause();
    setImmediate(() => {
      if (this.#draining || this.#closing || this.#socketClosed) return;
      this.#activity?.quiet();
      this.#socket.resume();
    });
  }

  #onIdle(): void {
    // Silence while our own submit holds the socket paused is not the sender's idleness.
    if (this.#draining) {
      this.#socket.setTimeout(this.#context.idleTimeoutMs);
      return;
    }
    this.#context.log.debug({ peer: this.#source.address, idleTimeoutMs: this.#context.idleTimeoutMs }, 'closing idle syslog connection');
    this.#accept(this.#framer.end());
    this.#socket.destroy();
  }

  #accept(frames: readonly SyslogFrame[]): void {
    if (frames.length === 0) return;
    const received = Date.now();
    const { metrics, input } = this.#context;
    for (const frame of frames) {
      const event = syslogMessageToEvent(frame.text, frame.truncated, received, this.#source, this.#context);
      countSyslogEvent(metrics, input, event);
      this.#queue.push(event);
    }
    if (!this.#draining) this.#draining = this.#drain();
  }

  async #drain(): Promise<void> {
    this.#socket.pause();
    this.#activity?.busy();
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue;
        this.#queue = [];
        await this.#submit(batch);
      }
    } finally {
      this.#draining = undefined;
      if (this.#socketClosed) this.#onFinished();
      else if (!this.#closing) {
        this.#activity?.quiet();
        this.#socket.resume();
      }
    }
  }

  async #submit(batch: readonly Event[]): Promise<void> {
    const { sink, metrics, input, log, stopping } = this.#context;
    let delay = FIRST_RETRY_DELAY_MS;
    let warned = false;
    for (;;) {
      try {
        await submitBatch(sink, batch);
        if (warned) log.info({ peer: this.#source.address }, 'syslog sink accepts again; connection resumed');
        return;
      } catch (error) {
        if (!isRetryable(error) || stopping.aborted) {
          metrics.drop(input, dropReasonFor(error), batch.length);
          log.warn({ peer: this.#source.address, events: batch.length, error: (error as Error).message }, 'syslog batch dropped');
          return;
        }
        if (!warned) {
          log.warn({ peer: this.#source.address, error: (error as Error).message }, 'syslog sink refused a batch; holding the connection paused and retrying');
          warned = true;
        }
        await retryDelay(delay, stopping);
        delay = Math.min(delay * 2, MAX_RETRY_DELAY_MS);
      }
    }
  }
}
