/**
 * A TCP or TLS syslog listener: accepts connections up to a cap, hands each to a
 * StreamConnection, and counts every refused or failed one. Socket and TLS errors are
 * counted and logged, never thrown: one bad peer must not take the process down.
 */
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import type { EventSource } from '../../core/event.js';
import { ConnectionEvictor, peerKey } from '../connection-evictor.js';
import { formatAddress, listenError, type ListenAddress } from './listen-address.js';
import { StreamConnection, type StreamConnectionContext } from './stream-connection.js';

/** PEM contents, already read from disk. */
export interface TlsMaterial {
  readonly cert: string;
  readonly key: string;
  readonly ca?: string | undefined;
  readonly requireClientCert: boolean;
}

export interface StreamListenerOptions extends StreamConnectionContext {
  readonly kind: 'syslog-tcp' | 'syslog-tls';
  readonly listen: ListenAddress;
  /** As configured, for error messages. */
  readonly spec: string;
  /** Config key, for error messages (`vigil.yaml: syslog.tcp`). */
  readonly where: string;
  readonly maxConnections: number;
  readonly tls?: TlsMaterial | undefined;
}

/** A TLS handshake may not take longer than this, nor longer than the idle timeout. */
const MAX_HANDSHAKE_MS = 30_000;

export class StreamListener {
  readonly #options: StreamListenerOptions;
  readonly #server: Server;
  /** Open or still submitting. */
  readonly #connections = new Set<StreamConnection>();
  /** Every accepted TCP socket, TLS handshakes in progress included, so close() can end them. */
  readonly #sockets = new Set<Socket>();
  /** Raw TCP sockets by peer, to find the one under a TLS socket. */
  readonly #byPeer = new Map<string, Socket>();
  /** The connection reading each raw socket, once adopted. */
  readonly #adopted = new Map<Socket, StreamConnection>();
  /** Closes the connection silent or quiet longest when the listener nears `maxConnections`. */
  readonly #evictor: ConnectionEvictor<Socket>;

  constructor(options: StreamListenerOptions) {
    this.#options = options;
    const { metrics, input, log, kind } = options;
    const tls = options.tls;
    this.#server = tls
      ? createTlsServer({
          cert: tls.cert,
          key: tls.key,
          ...(tls.ca === undefined ? {} : { ca: tls.ca }),
          // RFC 5425 §5.1 asks for mutual authentication when configured; without a CA the
          // server still proves itself and the client stays anonymous.
          requestCert: tls.requireClientCert,
          rejectUnauthorized: tls.requireClientCert,
          minVersion: 'TLSv1.2',
          handshakeTimeout: Math.min(MAX_HANDSHAKE_MS, options.idleTimeoutMs),
        })
      : createTcpServer();
    this.#server.maxConnections = options.maxConnections;
    this.#evictor = new ConnectionEvictor<Socket>({
      capacity: options.maxConnections,
      evict: (raw, state) => {
        metrics.connectionsEvicted.inc({ input, state });
        log.debug({ kind, peer: formatAddress(raw.remoteAddress, raw.remotePort), state }, 'closing an idle syslog connection to make room for a new one');
        // An adopted connection first submits what it holds (a partial line too).
        const connection = this.#adopted.get(raw);
        if (connection) void connection.close();
        else raw.destroy();
      },
    });

    // The raw TCP connection, before any TLS: counts toward the gauge from the first byte.
    this.#server.on('connection', (socket: Socket) => {
      metrics.connections.inc({ input });
      this.#sockets.add(socket);
      this.#evictor.admit(socket);
      const key = peerKey(socket);
      if (key !== undefined) this.#byPeer.set(key, socket);
      socket.once('close', () => {
        metrics.connections.dec({ input });
        this.#sockets.delete(socket);
        this.#evictor.remove(socket);
        this.#adopted.delete(socket);
        if (key !== undefined && this.#byPeer.get(key) === socket) this.#byPeer.delete(key);
      });
      if (!tls) this.#adopt(socket, socket);
    });
    if (tls) {
      this.#server.on('secureConnection', (socket: TLSSocket) => {
        const key = peerKey(socket);
        const raw = key === undefined ? undefined : this.#byPeer.get(key);
        if (raw) this.#adopt(socket, raw);
        else socket.destroy(); // its TCP socket already closed
      });
    }
    // Past `maxConnections` Node closes the new socket at once and emits `drop`.
    this.#server.on('drop', (peer?: { remoteAddress?: string; remotePort?: number }) => {
      metrics.drop(input, 'too-many-connections');
      log.warn({ kind, peer: formatAddress(peer?.remoteAddress, peer?.remotePort), maxConnections: options.maxConnections }, 'syslog connection refused: too many connections');
    });
    // A failed handshake (plain text on the TLS port, an untrusted client certificate) ends
    // here; such a peer never reaches the framer.
    this.#server.on('tlsClientError', (error: NodeJS.ErrnoException, socket: TLSSocket) => {
      metrics.drop(input, 'connection-error');
      log.debug({ kind, peer: formatAddress(socket.remoteAddress, socket.remotePort), code: error.code, error: error.message }, 'syslog TLS handshake failed');
      socket.destroy();
    });
    this.#server.on('error', (error: Error) => log.error({ kind, error: error.message }, 'syslog listener error'));
  }

  async listen(): Promise<AddressInfo> {
    const { host, port } = this.#options.listen;
    const protocol = this.#options.kind === 'syslog-tls' ? 'TLS' : 'TCP';
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error): void => reject(listenError(protocol, this.#options.spec, this.#options.where, error));
      this.#server.once('error', onError);
      this.#server.listen({ host, port }, () => {
        this.#server.off('error', onError);
        resolve();
      });
    });
    return this.#server.address() as AddressInfo;
  }

  address(): AddressInfo | undefined {
    const address = this.#server.address();
    return address && typeof address === 'object' ? address : undefined;
  }

  /** Stops accepting, submits what every connection holds, closes them. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    await Promise.all([...this.#connections].map((connection) => connection.close()));
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }

  /** Reads `socket` (the TLS socket over `raw`, or `raw` itself) into events. */
  #adopt(socket: Socket, raw: Socket): void {
    const { kind, input } = this.#options;
    const address = formatAddress(socket.remoteAddress, socket.remotePort);
    const source: EventSource = address === undefined ? { input, kind } : { input, kind, address };
    const activity = { busy: () => this.#evictor.busy(raw), quiet: () => this.#evictor.quiet(raw) };
    const connection: StreamConnection = new StreamConnection(socket, source, this.#options, () => this.#connections.delete(connection), activity);
    this.#connections.add(connection);
    this.#adopted.set(raw, connection);
  }
}
