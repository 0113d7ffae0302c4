/**
 * Turning anything a route or fastify throws into a VigilError with the right status, and the
 * uniform error body `{ error: { code, message, where? } }`. Refusals that our own code throws
 * are counted where they happen (it knows how many events were lost); errors fastify raises
 * itself (body over `bodyLimit`, bad Content-Length) are counted here, and so are refused
 * queries: the query language's parsers and compilers know nothing of requests or metrics.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Metrics } from '../../core/metrics.js';
import { VigilError, isVigilError } from '../../core/errors.js';
import { inputOf } from './route-access.js';
import { bodyCutShort } from './body-reader.js';
import { lingerAfterAnswer } from './lingering-close.js';

export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly where?: string };
}

export function errorBody(error: VigilError): ErrorBody {
  return error.where === undefined
    ? { error: { code: error.code, message: error.message } }
    : { error: { code: error.code, message: error.message, where: error.where } };
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' ? status : undefined;
}

/**
 * The VigilError for `error`, counting fastify's own refusals in `metrics.dropped`. Unknown
 * errors become `internal` with a generic message: their text may hold details a client should
 * not see; it goes to the log instead.
 */
export function toVigilError(error: unknown, request: FastifyRequest, metrics: Metrics): VigilError {
  if (isVigilError(error)) {
    if (error.code === 'query-invalid') metrics.drop(inputOf(request), 'malformed');
    return error;
  }
  const status = statusOf(error);
  const input = inputOf(request);
  if (status === 413) {
    metrics.drop(input, 'oversized');
    return new VigilError('payload-too-large', 'the request body is larger than http.maxBodyBytes; send smaller batches', { where: 'body' });
  }
  if (status === 404) return new VigilError('not-found', `no route ${request.method} ${request.url.split('?')[0]}`);
  if (status !== undefined && status >= 400 && status < 500) {
    metrics.drop(input, 'malformed');
    return new VigilError('bad-request', (error as Error).message || 'bad request');
  }
  return new VigilError('internal', 'internal error; the server log has the details', { cause: error });
}

/**
 * Headers every refusal carries. A refused request may still have a body on the wire that was
 * never read (refused before reading, or cut short by its shape guard): closing the connection
 * stops the client streaming it to us, after a short linger so that it reads the answer first.
 */
export function prepareRefusal(reply: FastifyReply, request: FastifyRequest, error: VigilError): void {
  if (error.status === 503) reply.header('retry-after', '5');
  const hasBody = request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0;
  if (((error.status === 401 || error.status === 403 || error.status === 413) && hasBody && !request.body) || bodyCutShort(request)) {
    reply.header('connection', 'close');
    lingerAfterAnswer(request.raw);
  }
}

/** 5xx other than overload are our fault: logged as errors with their cause; the rest at debug. */
export function logRefusal(log: Logger | undefined, request: FastifyRequest, error: VigilError): void {
  if (!log) return;
  const failed = error.status >= 500 && error.code !== 'overloaded';
  if (!failed && !log.isLevelEnabled('debug')) return; // refusals are many under a flood: no context built
  const context = { code: error.code, status: error.status, method: request.method, route: request.routeOptions.url };
  if (failed) log.error({ ...context, err: error.cause ?? error }, 'http: request failed');
  else log.debug(context, 'http: request refused');
}
