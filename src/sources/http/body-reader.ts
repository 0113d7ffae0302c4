/**
 * Reads every request body as raw bytes (fastify's own parsers refuse what shippers send), as
 * fastify's buffer parser does: 413 past the route's body limit, 400 when the body does not
 * match its Content-Length, a copy of the bytes for the route. One thing more: on routes that
 * declare a JSON `bodyShape`, a guard watches the body as it arrives, and once the bytes so far
 * are enough for the route's parser to refuse it (an object with too many members, nesting too
 * deep), reading stops there and the route gets those bytes (body-shape-guard.ts says why its
 * answer is the same as for the whole body). The rest is never read: the refusal closes the
 * connection (`prepareRefusal`).
 */
import type { Readable } from 'node:stream';
import { errorCodes, type FastifyRequest } from 'fastify';
import { VigilError } from '../../core/errors.js';
import { shapeGuard, type ShapeGuard } from './body-shape-guard.js';

const { FST_ERR_CTP_BODY_TOO_LARGE, FST_ERR_CTP_INVALID_CONTENT_LENGTH } = errorCodes;

/** What the guard checks of one body in one go; more waits for later turns of the event loop (~0.1 ms of scanning). */
const CHECK_AT_ONCE_BYTES = 64 * 1024;

/** Requests whose body was cut short by a guard: their parser must refuse them, and their connection is closed. */
const cutShort = new WeakSet<FastifyRequest>();

export function bodyCutShort(request: FastifyRequest): boolean {
  return cutShort.has(request);
}

/**
 * Called by a route after its parser accepted the body and before it stores anything: a body
 * cut short that parsed would be a bug in the guard, and storing part of a request is worse
 * than refusing it.
 */
export function ensureWholeBody(request: FastifyRequest): void {
  if (cutShort.has(request)) throw new VigilError('internal', 'the request body was cut short but parsed; nothing was stored, please report this');
}

function guardFor(request: FastifyRequest, maxJsonDepth: number): ShapeGuard | undefined {
  const shape = request.routeOptions.config.bodyShape;
  if (shape === undefined) return undefined;
  const encoding = (request.headers['content-encoding'] ?? '').trim().toLowerCase();
  if (encoding !== '' && encoding !== 'identity') return undefined;
  return shapeGuard(shape, maxJsonDepth);
}

/** A stream returned by a preParsing hook that decodes may report the bytes it read off the wire. */
type Payload = Readable & { receivedEncodedLength?: number };

/**
 * The content type parser for `*` (register it with no `parseAs`: it reads the stream itself).
 * With a guard, past the first CHECK_AT_ONCE_BYTES each chunk is checked on a later turn of the
 * event loop, the stream paused meanwhile: Node reads up to 32 chunks (2 MiB) from one socket in
 * a row, and checking them all at once would hold every other request for that long. A refused
 * body stops being read.
 */
export function bodyReader(maxJsonDepth: number) {
  return (request: FastifyRequest, payload: Payload, done: (error: Error | null, body?: Buffer) => void): void => {
    const limit = request.routeOptions.bodyLimit;
    const contentLength = Number(request.headers['content-length']);
    if (contentLength > limit) {
      done(new FST_ERR_CTP_BODY_TOO_LARGE());
      return;
    }
    const guard = guardFor(request, maxJsonDepth);
    const chunks: Buffer[] = [];
    let received = 0;
    /** Chunks not yet shown to the guard. */
    let unchecked: Buffer[] = [];
    /** Bytes the guard may still check at once, before checks move to later turns. */
    let budget = CHECK_AT_ONCE_BYTES;
    let settled = false;

    const settle = (error: Error | null, body?: Buffer): void => {
      settled = true;
      payload.removeListener('data', onData);
      payload.removeListener('end', onEnd);
      payload.removeListener('error', onEnd);
      done(error, body);
    };
    /** Shows a chunk to the guard; false when that settled the body (refused, or the guard threw). */
    const checked = (chunk: Buffer): boolean => {
      let refused: boolean;
      try {
        refused = (guard as ShapeGuard).write(chunk);
      } catch (error) {
        settle(error as Error);
        return false;
      }
      if (!refused) return true;
      payload.pause();
      cutShort.add(request);
      const body = Buffer.concat(chunks, received);
      (guard as ShapeGuard).remember(body);
      settle(null, body);
      return false;
    };
    const checkLater = (): void => {
      if (settled) return;
      budget = CHECK_AT_ONCE_BYTES;
      const batch = unchecked;
      unchecked = [];
      for (const chunk of batch) if (!checked(chunk)) return;
      payload.resume();
    };
    function onData(chunk: Buffer | string): void {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      received += bytes.length;
      if (received > limit || (payload.receivedEncodedLength ?? 0) > limit) {
        // Not read further: the answer closes the connection.
        payload.pause();
        settle(new FST_ERR_CTP_BODY_TOO_LARGE());
        return;
      }
      chunks.push(bytes);
      if (!guard) return;
      if (unchecked.length === 0 && bytes.length <= budget) {
        // A small body (most requests) is checked at once, without waiting a turn.
        budget -= bytes.length;
        checked(bytes);
        return;
      }
      if (unchecked.push(bytes) === 1) {
        payload.pause();
        setImmediate(checkLater);
      }
    }
    function onEnd(error?: Error & { statusCode?: number }): void {
      if (error) {
        if (!(typeof error.statusCode === 'number' && error.statusCode >= 400)) error.statusCode = 400;
        settle(error);
        return;
      }
      if (!Number.isNaN(contentLength) && (payload.receivedEncodedLength || received) !== contentLength) {
        settle(new FST_ERR_CTP_INVALID_CONTENT_LENGTH());
        return;
      }
      // The guard has seen every chunk: `end` comes only after the stream is resumed.
      // Always a copy: the route never holds a view of a socket buffer.
      settle(null, Buffer.concat(chunks, received));
    }
    payload.on('data', onData);
    payload.on('end', onEnd);
    payload.on('error', onEnd);
    payload.resume();
  };
}
