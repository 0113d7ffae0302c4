/**
 * Reads an ingest body: the raw bytes fastify buffered (after the auth hook, capped at
 * `maxBodyBytes`), inflated when the client compressed them. Inflation is capped at
 * `maxInflatedBytes` by zlib itself (`maxOutputLength`), so a gzip bomb costs at most that much
 * memory before it is refused with 413.
 */
import { gunzip, inflate } from 'node:zlib';
import { promisify } from 'node:util';
import type { FastifyRequest } from 'fastify';
import { VigilError } from '../../core/errors.js';
import type { IngestContext } from './ingest-context.js';
import type { HttpInput } from './route-access.js';

const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);

function encodingOf(request: FastifyRequest): string {
  const header = request.headers['content-encoding'];
  return (Array.isArray(header) ? header.join(',') : header ?? '').trim().toLowerCase();
}

function isZlibError(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string';
}

/** The decoded body bytes; an empty buffer when the request had none. */
export async function readBody(ctx: IngestContext, request: FastifyRequest, input: HttpInput): Promise<Buffer> {
  const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
  const encoding = encodingOf(request);
  if (encoding === '' || encoding === 'identity') return raw;
  const inflater = encoding === 'gzip' || encoding === 'x-gzip' ? gunzipAsync : encoding === 'deflate' ? inflateAsync : undefined;
  if (!inflater) {
    ctx.metrics.drop(input, 'malformed');
    throw new VigilError('bad-request', `Content-Encoding "${encoding}" is not supported; send gzip, deflate or an uncompressed body`, {
      where: 'Content-Encoding header',
    });
  }
  try {
    return await inflater(raw, { maxOutputLength: ctx.limits.maxInflatedBytes });
  } catch (error) {
    if (error instanceof RangeError || (isZlibError(error) && error.code === 'ERR_BUFFER_TOO_LARGE')) {
      ctx.metrics.drop(input, 'oversized');
      throw new VigilError(
        'payload-too-large',
        `the body inflates to more than ${ctx.limits.maxInflatedBytes} bytes (http.maxInflatedBytes); send smaller batches`,
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
