/**
 * `GET /api/v1/alerts/stream` (viewer): Server-Sent Events telling the console's alert queue of
 * new and changed alerts as they happen, so they appear without a reload.
 *
 *   event: alert
 *   data: {"id":"…","change":"raised"|"updated"}
 *
 * Each stream hears only its caller's tenant. A notice names the alert and nothing else: the
 * console reads the alert through the API, so no event text travels on this path. Bounds: at most
 * `maxStreams` streams are open at once (then 503, counted); a comment line every
 * `heartbeatMs` keeps proxies and the server's idle timeout from closing a quiet stream; a client
 * that stops reading is dropped (counted) once `maxBufferedBytes` wait for it, rather than
 * buffering without end; closing the server ends every stream first, so a close never hangs.
 */
import type { FastifyInstance } from 'fastify';
import type { ServerResponse } from 'node:http';
import type { AlertFeed, AlertNotice } from '../alerts/alert-feed.js';
import { VigilError } from '../core/errors.js';
import type { Metrics } from '../core/metrics.js';
import { principalOf } from '../sources/http/index.js';
import { CONSOLE_HEADERS } from './console-routes.js';

export interface AlertStreamOptions {
  readonly feed: AlertFeed;
  readonly metrics: Metrics;
  /** Default 100. */
  readonly maxStreams?: number | undefined;
  /** Default 15 s. */
  readonly heartbeatMs?: number | undefined;
  /** Bytes written but not yet taken by a client before it is dropped. Default 256 KiB. */
  readonly maxBufferedBytes?: number | undefined;
}

export const DEFAULT_MAX_STREAMS = 100;
const DEFAULT_HEARTBEAT_MS = 15_000;
const DEFAULT_MAX_BUFFERED_BYTES = 256 * 1024;
/** How long a browser waits before reconnecting a dropped stream. */
const RETRY_MS = 5_000;

interface OpenStream {
  readonly response: ServerResponse;
  end(): void;
}

export async function alertStreamRoutes(app: FastifyInstance, options: AlertStreamOptions): Promise<void> {
  const maxStreams = options.maxStreams ?? DEFAULT_MAX_STREAMS;
  const heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  const maxBuffered = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
  const open = new Set<OpenStream>();

  // Before the listener waits for connections to finish: a stream never finishes by itself.
  app.addHook('preClose', async () => {
    for (const stream of [...open]) stream.end();
  });

  // GET only: a HEAD of a stream would have headers and no end.
  app.get('/api/v1/alerts/stream', { config: { access: 'viewer' }, exposeHeadRoute: false }, async (request, reply) => {
    const { tenant } = principalOf(request);
    if (open.size >= maxStreams) {
      options.metrics.drop('api', 'too-many-connections');
      throw new VigilError('overloaded', `${maxStreams} alert streams are open already; close other console tabs or retry shortly`, { where: 'GET /api/v1/alerts/stream' });
    }
    const response = reply.raw;
    reply.hijack();
    response.writeHead(200, {
      ...CONSOLE_HEADERS,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      // Reverse proxies (nginx) would otherwise hold events back in their buffers.
      'x-accel-buffering': 'no',
    });
    response.socket?.setNoDelay(true);

    let ended = false;
    const write = (text: string): void => {
      if (ended) return;
      response.write(text);
      if (response.writableLength > maxBuffered) {
        // The client stopped reading: drop it rather than hold its backlog in memory.
        options.metrics.drop('api', 'overloaded');
        request.log.debug({ buffered: response.writableLength }, 'alert stream: client too slow; dropped');
        stream.end(true);
      }
    };
    const stream: OpenStream & { end(destroy?: boolean): void } = {
      response,
      end(destroy = false) {
        if (ended) return;
        ended = true;
        open.delete(stream);
        unsubscribe();
        clearInterval(heartbeat);
        if (destroy) response.destroy();
        else response.end();
      },
    };
    const unsubscribe = options.feed.subscribe((notice: AlertNotice) => {
      if (notice.tenant !== tenant) return;
      write(`event: alert\ndata: ${JSON.stringify({ id: notice.id, change: notice.change })}\n\n`);
    });
    const heartbeat = setInterval(() => write(': ping\n\n'), heartbeatMs);
    heartbeat.unref();
    open.add(stream);
    response.on('close', () => stream.end());
    response.on('error', () => stream.end(true));
    write(`retry: ${RETRY_MS}\n: connected\n\n`);
  });
}
