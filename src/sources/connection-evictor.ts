/**
 * Keeps a capped listener open to new senders when its slots are held by connections that do
 * nothing. A listener refuses connections past its cap (`server.maxConnections`), so 10,000
 * sockets that connect and never send would lock every real sender out until a timeout reaps
 * them. Instead, when a new connection arrives and the listener is nearly full, the connection
 * that has done nothing for longest is closed to make room:
 *
 * - first the oldest *silent* one (connected, never sent a byte or a request): a scanner or an
 *   idle-connection flood, which loses nothing by being closed;
 * - then the one *quiet* for longest (sent before, nothing in progress now): a keep-alive HTTP
 *   client or an idle syslog sender, which reconnects when it next has something to send.
 *
 * A connection in the middle of a request is never evicted. This is what HTTP servers that
 * survive connection floods do (nginx closes idle keep-alive connections first when it runs out of
 * worker connections); a per-address cap would not help against one address holding them all.
 *
 * Bookkeeping is O(1) per event: two Maps in least-recently-active order (Maps keep insertion
 * order, and a re-inserted key moves to the end).
 */

export type EvictedState = 'silent' | 'quiet';

/**
 * A live connection's identity on one listener: the peer's address and port. A TLS socket and
 * the TCP socket under it share it, which lets a listener find the raw socket it tracks from
 * the TLS socket it is handed later.
 */
export function peerKey(socket: { readonly remoteAddress?: string | undefined; readonly remotePort?: number | undefined }): string | undefined {
  return socket.remoteAddress === undefined ? undefined : `${socket.remoteAddress}|${socket.remotePort}`;
}

export interface ConnectionEvictorOptions<C> {
  /** The listener's hard cap (`server.maxConnections`). */
  readonly capacity: number;
  /** Closes an evicted connection (a syslog connection first submits what it holds). */
  readonly evict: (connection: C, state: EvictedState) => void;
}

export class ConnectionEvictor<C> {
  /** Tracked connections at or above which an arrival evicts one: a few slots below the cap, so arrivals between two evictions are not refused. */
  readonly threshold: number;
  readonly #evict: (connection: C, state: EvictedState) => void;
  /** Connected, nothing received yet; oldest first. */
  readonly #silent = new Map<C, true>();
  /** Received before, nothing in progress; least recently active first. */
  readonly #quiet = new Map<C, true>();
  /** In the middle of a request: never evicted. */
  readonly #busy = new Set<C>();

  constructor(options: ConnectionEvictorOptions<C>) {
    if (!Number.isInteger(options.capacity) || options.capacity < 1) {
      throw new RangeError(`connection capacity must be a positive integer, not ${options.capacity}`);
    }
    this.threshold = Math.max(1, options.capacity - Math.max(1, Math.ceil(options.capacity / 100)));
    this.#evict = options.evict;
  }

  get size(): number {
    return this.#silent.size + this.#quiet.size + this.#busy.size;
  }

  /** A new connection: makes room first if the listener is nearly full. */
  admit(connection: C): void {
    while (this.size >= this.threshold && this.#evictOne()) {
      // each pass closes one idle connection
    }
    this.#silent.set(connection, true);
  }

  /** The connection sent something and has nothing in progress (a syslog chunk, a finished HTTP exchange). */
  quiet(connection: C): void {
    if (!this.#forget(connection)) return;
    this.#quiet.set(connection, true);
  }

  /** The connection is in the middle of a request: it may not be evicted until `quiet`. */
  busy(connection: C): void {
    if (!this.#forget(connection)) return;
    this.#busy.add(connection);
  }

  /** The connection closed. */
  remove(connection: C): void {
    this.#forget(connection);
  }

  #forget(connection: C): boolean {
    return this.#silent.delete(connection) || this.#quiet.delete(connection) || this.#busy.delete(connection);
  }

  #evictOne(): boolean {
    for (const [map, state] of [
      [this.#silent, 'silent'],
      [this.#quiet, 'quiet'],
    ] as const) {
      const oldest = map.keys().next();
      if (oldest.done) continue;
      map.delete(oldest.value);
      this.#evict(oldest.value, state);
      return true;
    }
    return false;
  }
}
