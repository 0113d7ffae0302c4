/**
 * The socket side of the HTTP server: plain or TLS (TLS 1.2 minimum, optional client
 * certificates), and timeouts that stop slow clients from holding connections open. Node checks
 * the header and request deadlines every `checkIntervalMs`, so a slowloris connection lives at
 * most `headersMs + checkIntervalMs`.
 */
import http from 'node:http';
import https from 'node:https';
import { readFile } from 'node:fs/promises';
import type { FastifyServerFactory } from 'fastify';
import { VigilError } from '../core/errors.js';

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

/** Connections past this are refused by the kernel-level accept loop, not queued in memory. */
export const MAX_CONNECTIONS = 10_000;

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

/** A fastify `serverFactory` building the listener with our TLS and timeout settings. */
export function serverFactory(tls: TlsMaterial | undefined, timeouts: HttpTimeouts, onTlsRefused?: () => void): FastifyServerFactory {
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
    if (tls && onTlsRefused) server.on('tlsClientError', () => onTlsRefused());
    server.setTimeout(timeouts.idleMs);
    server.maxConnections = MAX_CONNECTIONS;
    return server;
  };
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
