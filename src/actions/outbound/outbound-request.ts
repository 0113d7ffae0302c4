/**
 * One guarded HTTP request: resolve, vet every address, connect to the vetted address (pinned
 * through a custom `lookup`, so the socket goes where the check looked), keep the original name
 * for the Host header and TLS SNI/certificate check. Redirects are never followed: a 3xx could
 * point anywhere, including where the guard refuses. The response body is read up to a limit
 * (for the error message) and the rest discarded.
 */
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { OutboundPolicy, OutboundRefusedError, parseOutboundUrl, resolveVetted, systemResolver, type Resolver, type VettedAddress } from './outbound-guard.js';

/** Why a request did not deliver. `retryable` says whether trying again later can help. */
export type OutboundFailure = 'refused' | 'timeout' | 'connect' | 'redirect' | 'http-status' | 'response-too-large';

export class OutboundRequestError extends Error {
  readonly failure: OutboundFailure;
  readonly retryable: boolean;
  readonly status: number | undefined;
  constructor(failure: OutboundFailure, message: string, options: { retryable: boolean; status?: number; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'OutboundRequestError';
    this.failure = failure;
    this.retryable = options.retryable;
    this.status = options.status;
  }
}

export interface OutboundRequest {
  readonly url: string;
  readonly method?: 'POST' | 'PUT' | 'GET';
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
  /** Whole exchange, connect to last byte. Default 10 s. */
  readonly timeoutMs?: number;
  /** Response bytes kept (for messages); the rest is read and discarded. Default 4 KiB. */
  readonly maxResponseBytes?: number;
  readonly policy: OutboundPolicy;
  readonly resolver?: Resolver;
  /** Extra CA certificates (tests, private PKI). */
  readonly ca?: string | Buffer;
}

export interface OutboundResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  /** The first `maxResponseBytes` of the body. */
  readonly body: Buffer;
  /** Whether the body was longer than what was kept. */
  readonly truncated: boolean;
  /** The address actually connected to. */
  readonly address: string;
}

/** A lookup that always answers with the vetted address, whatever name it is asked about. */
export function pinnedLookup(vetted: VettedAddress): LookupFunction {
  // Answers in both shapes: `all: true` is what happy-eyeballs connection racing asks for.
  return ((_hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options.all) callback(null, [{ address: vetted.address, family: vetted.family }]);
    else callback(null, vetted.address, vetted.family);
  }) as unknown as LookupFunction;
}

/**
 * Sends one request. Resolves with any 2xx response; rejects with OutboundRefusedError when the
 * guard refuses the destination, OutboundRequestError for everything else.
 */
export async function sendOutbound(request: OutboundRequest): Promise<OutboundResponse> {
  const target = parseOutboundUrl(request.url);
  const addresses = await resolveVetted(target.host, request.policy, request.resolver ?? systemResolver);
  // Every answer passed; connect to the first, as the system resolver's order intends.
  const vetted = addresses[0]!;
  const timeoutMs = request.timeoutMs ?? 10_000;
  const maxBytes = request.maxResponseBytes ?? 4096;
  const body = request.body === undefined ? undefined : Buffer.isBuffer(request.body) ? request.body : Buffer.from(request.body, 'utf8');
  const headers: Record<string, string> = { ...request.headers };
  if (body) headers['content-length'] = String(body.length);
  const options: https.RequestOptions = {
    method: request.method ?? 'POST',
    // The URL's host stays the host: the Host header and the TLS server name are the original name.
    host: target.host,
    port: target.port,
    path: `${target.url.pathname}${target.url.search}`,
    headers,
    lookup: pinnedLookup(vetted),
    agent: false,
    ...(target.secure && request.ca !== undefined ? { ca: request.ca } : {}),
  };
  const transport = target.secure ? https : http;
  return await new Promise<OutboundResponse>((resolve, reject) => {
    let settled = false;
    const fail = (e: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      reject(e);
    };
    const req = transport.request(options, (res) => {
      const status = res.statusCode ?? 0;
      const kept: Buffer[] = [];
      let keptBytes = 0;
      let truncated = false;
      res.on('data', (chunk: Buffer) => {
        if (keptBytes < maxBytes) {
          const part = chunk.subarray(0, maxBytes - keptBytes);
          kept.push(part);
          keptBytes += part.length;
          if (part.length < chunk.length) truncated = true;
        } else truncated = true;
      });
      res.on('error', (e) => fail(new OutboundRequestError('connect', `reading the response from ${target.host} failed: ${e.message}`, { retryable: true, cause: e })));
      res.on('end', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        const text = Buffer.concat(kept);
        if (status >= 300 && status < 400) {
          const where = typeof res.headers.location === 'string' ? ` to ${res.headers.location.slice(0, 200)}` : '';
          reject(new OutboundRequestError('redirect', `${target.host} answered ${status} (redirect${where}); Vigil does not follow redirects, configure the final URL`, { retryable: false, status }));
          return;
        }
        if (status < 200 || status >= 300) {
          // 408, 429 and 5xx are the receiver's passing trouble; other 4xx will not fix themselves.
          const retryable = status === 408 || status === 429 || status >= 500;
          const snippet = text.toString('utf8', 0, Math.min(text.length, 200)).replace(/[\r\n]+/g, ' ');
          reject(new OutboundRequestError('http-status', `${target.host} answered ${status}${snippet ? `: ${snippet}` : ''}`, { retryable, status }));
          return;
        }
        resolve({ status, headers: res.headers, body: text, truncated, address: vetted.address });
      });
    });
    const timer = setTimeout(() => fail(new OutboundRequestError('timeout', `${target.host} did not answer within ${timeoutMs} ms`, { retryable: true })), timeoutMs);
    req.on('error', (e: NodeJS.ErrnoException) => {
      const code = e.code ?? 'error';
      fail(new OutboundRequestError('connect', `cannot reach ${target.host} at ${vetted.address}:${target.port} (${code}: ${e.message})`, { retryable: true, cause: e }));
    });
    req.end(body);
  });
}

/**
 * Whether a failed delivery is worth retrying: a refused destination is not (except a name that
 * did not resolve, which may be passing DNS trouble); an error that says `retryable` is taken at
 * its word; anything else is assumed passing.
 */
export function isRetryable(e: unknown): boolean {
  if (e instanceof OutboundRefusedError) return e.reason === 'unresolvable';
  if (typeof e === 'object' && e !== null && typeof (e as { retryable?: unknown }).retryable === 'boolean') return (e as { retryable: boolean }).retryable;
  return true;
}
