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

/** What a body may bring in one go (read, and checked by its guard: ~0.1 ms); more waits for later turns of the event loop. */
const AT_ONCE_BYTES = 64 * 1024;

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
 * Past the first AT_ONCE_BYTES, a body is read one chunk per turn of the event loop (and each
 * chunk checked by its guard then), the stream paused in between: Node reads up to 32 chunks
 * (2 MiB) from one socket in a row, and a sender streaming a 100 MB body would otherwise hold
 * every other request for that long each time. A refused body stops being read.
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
    /** Chunks read while the stream waits for its next turn, not yet shown to the guard. */
    let waiting: Buffer[] = [];
    /** Bytes the body may still bring before it waits for the next turn. */
    let budget = AT_ONCE_BYTES;
    let settled = false;

    const settle = (error: Error | null, body?: Buffer): void => {
      settled = true;
      payload.removeListener('data', onData);
      payload.removeListener('end', onEnd);
      payload.removeListener('error', onEnd);
      done(error, body);
    };
    /** Shows a chunk to the guard, if any; false when that settled the body (refused, or the guard threw). */
    const checked = (chunk: Buffer): boolean => {
      if (!guard) return true;
      let refused: boolean;
      try {
        refused = guard.write(chunk);
      } catch (error) {
        settle(error as Error);
        return false;
      }
      if (!refused) return true;
      payload.pause();
      cutShort.add(request);
      const body = Buffer.concat(chunks, received);
      guard.remember(body);
      settle(null, body);
      return false;
    };
    const nextTurn = (): void => {
      if (settled) return;
      budget = AT_ONCE_BYTES;
      const batch = waiting;
      waiting = [];
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
      if (waiting.length === 0 && bytes.length <= budget) {
        // A small body (most requests) is read and checked at once, without waiting a turn.
        budget -= bytes.length;
        checked(bytes);
        return;
      }
      if (waiting.push(bytes) === 1) {
        payload.pause();
        setImmediate(nextTurn);
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
