/**
 * Reads an ingest body: the raw bytes fastify buffered (after the auth hook, capped at
 * `maxBodyBytes`), inflated when the client compressed them. Inflation stops as soon as the
 * output passes `maxInflatedBytes`, or inflates like a bomb (MAX_INFLATE_RATIO), so a gzip bomb
 * costs at most that much memory and time before it is refused with 413.
 *
 * Why a stream and not `zlib.gunzip(raw, { maxOutputLength })`: the one-shot call gathers its
 * output in 16 KiB pieces and copies them into one buffer, which took 340–620 ms to refuse a
 * 1 MiB bomb at the 128 MiB cap on this project's 2-core machine; the stream with 1 MiB pieces
 * takes about 100 ms for the same bytes (figures in docs/reliability.md, "Resource bombs").
 */
import { createGunzip, createInflate, type Gunzip, type Inflate } from 'node:zlib';
import type { FastifyRequest } from 'fastify';
import { VigilError } from '../../core/errors.js';
import type { IngestContext } from './ingest-context.js';
import type { HttpInput } from './route-access.js';

/**
 * Output piece size, by the size of the compressed body: large pieces keep the per-piece cost of
 * a big body low (1 MiB pieces refuse the 1 MiB bomb in half the time of 64 KiB pieces), small
 * pieces keep a small body from allocating a megabyte it never fills.
 */
function inflateChunkBytes(compressedBytes: number): number {
  return Math.min(1024 * 1024, Math.max(16 * 1024, 2 ** Math.ceil(Math.log2(Math.max(1, compressedBytes * 4)))));
}

/**
 * A decompression bomb is told by its ratio long before it reaches the cap. Logs compress 5 to
 * 30 times (repetitive JSON a little more); deflate cannot do better than about 1,030 times (the
 * 1 MiB → 1 GiB bomb). Past RATIO_CHECKED_FROM bytes of output, a body that has inflated more
 * than MAX_INFLATE_RATIO times what the inflater consumed of it is refused (as Apache POI's
 * zip-bomb guard does with its minimum inflate ratio): the bomb costs 16 MiB of inflation
 * instead of 128 MiB, and a batch of ordinary logs never comes near either figure.
 */
export const MAX_INFLATE_RATIO = 200;
export const RATIO_CHECKED_FROM = 16 * 1024 * 1024;

class InflatedTooLarge extends Error {
  constructor(readonly reason: 'size' | 'ratio') {
    super(reason === 'size' ? 'inflated past the cap' : `inflated more than ${MAX_INFLATE_RATIO} times its compressed size`);
  }
}

/**
 * Inflates `raw`, refusing with InflatedTooLarge the moment the output passes `cap` bytes, or
 * passes RATIO_CHECKED_FROM bytes at more than MAX_INFLATE_RATIO times the input consumed.
 */
export function inflateCapped(raw: Buffer, inflater: Gunzip | Inflate, cap: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const pieces: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (error: Error | undefined): void => {
      if (settled) return;
      settled = true;
      if (error) {
        inflater.destroy();
        reject(error);
      } else resolve(Buffer.concat(pieces, size));
    };
    inflater.on('data', (piece: Buffer) => {
      size += piece.length;
      if (size > cap) return settle(new InflatedTooLarge('size'));
      // bytesWritten: compressed bytes the inflater has consumed so far.
      if (size > RATIO_CHECKED_FROM && size > MAX_INFLATE_RATIO * inflater.bytesWritten) return settle(new InflatedTooLarge('ratio'));
      pieces.push(piece);
    });
    inflater.once('error', (error: Error) => settle(error));
    inflater.once('end', () => settle(undefined));
    inflater.end(raw);
  });
}

function encodingOf(request: FastifyRequest): string {
  const header = request.headers['content-encoding'];
  return (Array.isArray(header) ? header.join(',') : header ?? '').trim().toLowerCase();
}

/** The decoded body bytes; an empty buffer when the request had none. */
export async function readBody(ctx: IngestContext, request: FastifyRequest, input: HttpInput): Promise<Buffer> {
  const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
  const encoding = encodingOf(request);
  if (encoding === '' || encoding === 'identity') return raw;
  const chunkSize = inflateChunkBytes(raw.length);
  const inflater =
    encoding === 'gzip' || encoding === 'x-gzip'
      ? createGunzip({ chunkSize })
      : encoding === 'deflate'
        ? createInflate({ chunkSize })
        : undefined;
  if (!inflater) {
    ctx.metrics.drop(input, 'malformed');
    throw new VigilError('bad-request', `Content-Encoding "${encoding}" is not supported; send gzip, deflate or an uncompressed body`, {
      where: 'Content-Encoding header',
    });
  }
  try {
    return await inflateCapped(raw, inflater, ctx.limits.maxInflatedBytes);
  } catch (error) {
    if (error instanceof InflatedTooLarge) {
      ctx.metrics.drop(input, 'oversized');
      throw new VigilError(
        'payload-too-large',
        error.reason === 'size'
          ? `the body inflates to more than ${ctx.limits.maxInflatedBytes} bytes (http.maxInflatedBytes); send smaller batches`
          : `the body inflates to more than ${MAX_INFLATE_RATIO} times its compressed size past ${RATIO_CHECKED_FROM} bytes, as a decompression bomb does; send smaller batches`,
        { where: 'body' },
      );
    }
    ctx.metrics.drop(input, 'malformed');
    throw new VigilError('bad-request', `the body is not valid ${encoding} data; check the shipper's compression setting`, {
      where: 'body',
      cause: error,
    });
  }
}
