/**
 * The socket side of the HTTP server: plain or TLS (TLS 1.2 minimum, optional client
 * certificates), and timeouts that stop slow clients from holding connections open. Node checks
 * the header and request deadlines every `checkIntervalMs`, so a slowloris connection lives at
 * most `headersMs + checkIntervalMs`.
 */
import http from 'node:http';
import https from 'node:https';
import { readFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import type { FastifyServerFactory } from 'fastify';
import { VigilError } from '../core/errors.js';
import { ConnectionEvictor, peerKey, type EvictedState } from '../sources/connection-evictor.js';

export interface HttpTimeouts {
  /** All request headers must arrive within this. */
  readonly headersMs: number;
  /** The whole request, body included, must arrive within this. */
  readonly requestMs: number;
  /** A connection with no traffic at all is closed after this. */
  readonly idleMs: number;
  /** An idle keep-alive connection is closed after this (above common load-balancer idle timeouts of 60 s). */
  readonly keepAliveMs: number;
  readonly checkIntervalMs: number;
}

export const DEFAULT_TIMEOUTS: HttpTimeouts = {
  headersMs: 15_000,
  requestMs: 120_000,
  idleMs: 120_000,
  keepAliveMs: 65_000,
  checkIntervalMs: 5_000,
};

/**
 * Connections past this are refused at accept, not queued in memory. Before the cap is reached
 * the connection idle longest is closed to make room (ConnectionEvictor), so idle sockets
 * cannot lock senders out.
 */
export const MAX_CONNECTIONS = 10_000;

export interface ListenerHooks {
  /** A TLS handshake failed (a version below 1.2, plain text on the TLS port). */
  readonly onTlsRefused?: () => void;
  /** An idle connection was closed to make room for a new one. */
  readonly onEvicted?: (state: EvictedState) => void;
}

export interface TlsOptions {
  /** PEM paths. */
  readonly cert: string;
  readonly key: string;
  readonly ca?: string | undefined;
  readonly requireClientCert: boolean;
}

export interface TlsMaterial {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly ca?: Buffer | undefined;
  readonly requireClientCert: boolean;
}

async function readPem(path: string, key: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new VigilError('config-invalid', `cannot read ${path}: ${(error as Error).message}; fix http.tls.${key}`, {
      where: `vigil.yaml: http.tls.${key}`,
      cause: error,
    });
  }
}

export async function loadTls(tls: TlsOptions): Promise<TlsMaterial> {
  if (tls.requireClientCert && !tls.ca) {
    throw new VigilError('config-invalid', 'http.tls.requireClientCert needs http.tls.ca: the CA bundle that signs client certificates', {
      where: 'vigil.yaml: http.tls.ca',
    });
  }
  const [cert, key, ca] = await Promise.all([
    readPem(tls.cert, 'cert'),
    readPem(tls.key, 'key'),
    tls.ca ? readPem(tls.ca, 'ca') : Promise.resolve(undefined),
  ]);
  return { cert, key, ca, requireClientCert: tls.requireClientCert };
}

/** A fastify `serverFactory` building the listener with our TLS, timeout and eviction settings. */
export function serverFactory(tls: TlsMaterial | undefined, timeouts: HttpTimeouts, hooks: ListenerHooks = {}, capacity = MAX_CONNECTIONS): FastifyServerFactory {
  return (handler) => {
    const common = {
      headersTimeout: timeouts.headersMs,
      requestTimeout: timeouts.requestMs,
      keepAliveTimeout: timeouts.keepAliveMs,
      connectionsCheckingInterval: timeouts.checkIntervalMs,
    };
    const server = tls
      ? https.createServer(
          {
            ...common,
            cert: tls.cert,
            key: tls.key,
            ...(tls.ca ? { ca: tls.ca } : {}),
            requestCert: tls.requireClientCert,
            rejectUnauthorized: tls.requireClientCert,
            minVersion: 'TLSv1.2',
          },
          handler,
        )
      : http.createServer(common, handler);
    // A failed handshake (TLS below 1.2, plain HTTP on the TLS port) is counted, then Node
    // closes the socket.
    const { onTlsRefused } = hooks;
    if (tls && onTlsRefused) server.on('tlsClientError', () => onTlsRefused());
    server.setTimeout(timeouts.idleMs);
    server.maxConnections = capacity;
    evictIdleConnections(server, capacity, hooks.onEvicted);
    return server;
  };
}

/**
 * Tracks every raw TCP connection as silent (no request yet), busy (a request in progress) or
 * quiet (keep-alive between requests) and evicts the idle one of longest standing when a new
 * connection arrives at a nearly full listener. Requests find their raw socket by the peer's
 * address and port, which is the same on a TLS socket and the TCP socket under it; destroying
 * the raw socket closes a TLS connection too.
 */
function evictIdleConnections(server: http.Server, capacity: number, onEvicted: ((state: EvictedState) => void) | undefined): void {
  const byPeer = new Map<string, Socket>();
  const evictor = new ConnectionEvictor<Socket>({
    capacity,
    evict: (socket, state) => {
      socket.destroy();
      onEvicted?.(state);
    },
  });
  server.on('connection', (socket: Socket) => {
    const key = peerKey(socket);
    evictor.admit(socket);
    if (key !== undefined) byPeer.set(key, socket);
    socket.once('close', () => {
      evictor.remove(socket);
      if (key !== undefined && byPeer.get(key) === socket) byPeer.delete(key);
    });
  });
  server.on('request', (request: http.IncomingMessage, response: http.ServerResponse) => {
    const key = peerKey(request.socket);
    const socket = key === undefined ? undefined : byPeer.get(key);
    if (!socket) return;
    evictor.busy(socket);
    response.once('close', () => evictor.quiet(socket));
  });
}

/** `HOST:PORT` (IPv6 in brackets) into listen options. */
export function parseListen(listen: string): { host: string; port: number } {
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(listen);
  const port = Number(match?.[2]);
  if (!match || port > 65535) {
    throw new VigilError('config-invalid', `http.listen "${listen}" is not HOST:PORT; write e.g. 127.0.0.1:8080 or [::1]:8080`, {
      where: 'vigil.yaml: http.listen',
    });
  }
  const host = (match[1] as string).replace(/^\[|\]$/g, '');
  return { host, port };
}
