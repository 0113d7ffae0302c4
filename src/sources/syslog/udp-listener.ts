/**
 * Syslog over UDP (RFC 5426): one message per datagram. Datagrams are gathered for up to
 * BATCH_WINDOW_MS or BATCH_MAX_EVENTS, then submitted together. UDP has no flow control, so
 * a refused batch is dropped and counted, and at most MAX_BATCHES_IN_FLIGHT batches wait on
 * the sink at once: past that, new batches are dropped (counted `overloaded`) instead of
 * piling up in memory.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import type { Event } from '../../core/event.js';
import type { Metrics } from '../../core/metrics.js';
import type { EventSink } from '../../core/source.js';
import { formatAddress, listenError, type ListenAddress } from './listen-address.js';
import { dropReasonFor, submitBatch } from './sink-submission.js';
import type { SourceLog } from './source-log.js';
import { countSyslogEvent, syslogMessageToEvent, type SyslogEventContext } from './syslog-event.js';
import { utf8Boundary } from './utf8-boundary.js';
import { udpSocketDrops, udpSocketInodeByPort } from './udp-kernel-drops.js';

export const BATCH_WINDOW_MS = 10;
export const BATCH_MAX_EVENTS = 1000;
const MAX_BATCHES_IN_FLIGHT = 8;
/** Asked of the kernel so bursts queue there rather than being dropped; Linux caps it at net.core.rmem_max. */
const RECEIVE_BUFFER_BYTES = 8 * 1024 * 1024;

export interface UdpListenerOptions extends SyslogEventContext {
  readonly input: string;
  readonly listen: ListenAddress;
  readonly spec: string;
  readonly where: string;
  readonly maxMessageBytes: number;
  readonly metrics: Metrics;
  readonly log: SourceLog;
  readonly sink: EventSink;
}

const LF = 0x0a;
const CR = 0x0d;
const NUL = 0x00;

export class UdpListener {
  readonly #options: UdpListenerOptions;
  readonly #socket: UdpSocket;
  #batch: Event[] = [];
  #timer: NodeJS.Timeout | undefined;
  readonly #inFlight = new Set<Promise<void>>();
  #lastDropWarning = 0;
  #unwatchKernelDrops: (() => void) | undefined;

  constructor(options: UdpListenerOptions) {
    this.#options = options;
    this.#socket = createSocket({ type: options.listen.family === 6 ? 'udp6' : 'udp4' });
    this.#socket.on('message', (datagram: Buffer, peer) => this.#accept(datagram, formatAddress(peer.address, peer.port)));
    this.#socket.on('error', (error: Error) => options.log.error({ kind: 'syslog-udp', error: error.message }, 'syslog UDP socket error'));
  }

  async listen(): Promise<AddressInfo> {
    const { host, port } = this.#options.listen;
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error): void => reject(listenError('UDP', this.#options.spec, this.#options.where, error));
      this.#socket.once('error', onError);
      this.#socket.bind({ address: host, port }, () => {
        this.#socket.off('error', onError);
        resolve();
      });
    });
    try {
      this.#socket.setRecvBufferSize(RECEIVE_BUFFER_BYTES);
    } catch (error) {
      this.#options.log.debug({ error: (error as Error).message }, 'could not enlarge the syslog UDP receive buffer');
    }
    this.#watchKernelDrops();
    return this.#socket.address();
  }

  /**
   * The kernel drops datagrams silently when the receive buffer is full; its per-socket count
   * is found through the socket's inode.
   */
  #watchKernelDrops(): void {
    const inode = udpSocketInodeByPort(this.#socket.address().port);
    if (inode === undefined) return;
    this.#unwatchKernelDrops = this.#options.metrics.watchUdpKernelDrops(this.#options.input, () => udpSocketDrops(inode));
  }

  address(): AddressInfo | undefined {
    try {
      return this.#socket.address();
    } catch {
      return undefined; // not bound, or closed
    }
  }

  /** Stops receiving, submits the batch being gathered, waits for every batch in flight. */
  async close(): Promise<void> {
    this.#unwatchKernelDrops?.();
    await new Promise<void>((resolve) => {
      try {
        this.#socket.close(() => resolve());
      } catch {
        resolve(); // never bound, or already closed
      }
    });
    this.#flush();
    await Promise.all([...this.#inFlight]);
  }

  #accept(datagram: Buffer, address: string | undefined): void {
    const { maxMessageBytes, metrics, input } = this.#options;
    let end = datagram.length;
    let truncated = false;
    if (end > maxMessageBytes) {
      end = utf8Boundary(datagram, maxMessageBytes);
      truncated = true;
    }
    // Senders often end a datagram with LF or NUL, which RFC 5426 does not ask for.
    while (end > 0 && (datagram[end - 1] === LF || datagram[end - 1] === CR || datagram[end - 1] === NUL)) end--;
    if (end === 0) return;
    const source = address === undefined ? { input, kind: 'syslog-udp' as const } : { input, kind: 'syslog-udp' as const, address };
    const event = syslogMessageToEvent(datagram.toString('utf8', 0, end), truncated, Date.now(), source, this.#options);
    countSyslogEvent(metrics, input, event);
    this.#batch.push(event);
    if (this.#batch.length >= BATCH_MAX_EVENTS) this.#flush();
    else if (!this.#timer) this.#timer = setTimeout(() => this.#flush(), BATCH_WINDOW_MS);
  }

  #flush(): void {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    const batch = this.#batch;
    if (batch.length === 0) return;
    this.#batch = [];
    const { metrics, input, sink } = this.#options;
    if (this.#inFlight.size >= MAX_BATCHES_IN_FLIGHT) {
      metrics.drop(input, 'overloaded', batch.length);
      this.#warnDropped(batch.length, 'too many batches waiting on the pipeline');
      return;
    }
    const submitted = submitBatch(sink, batch).then(
      () => undefined,
      (error: unknown) => {
        metrics.drop(input, dropReasonFor(error), batch.length);
        this.#warnDropped(batch.length, (error as Error).message);
      },
    );
    this.#inFlight.add(submitted);
    void submitted.finally(() => this.#inFlight.delete(submitted));
  }

  /** At most one warning per 10 s: a flood of drops must not become a flood of log lines (the counter has the total). */
  #warnDropped(events: number, why: string): void {
    const now = Date.now();
    if (now - this.#lastDropWarning < 10_000) return;
    this.#lastDropWarning = now;
    this.#options.log.warn({ events, error: why }, 'syslog UDP batch dropped (UDP has no flow control); see vigil_events_dropped_total');
  }
}
