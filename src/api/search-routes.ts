/**
 * `GET /api/v1/search?q=&from=&to=&limit=`: the query language of `src/search`, pipes included,
 * over the caller's tenant (from the token; a request cannot name another). Events come newest
 * first unless the query sorts; `limit` defaults to 100 and is capped at 10,000 so one request
 * cannot pull the whole store through the API (`/api/v1/export` streams whole results).
 */
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Event } from '../core/event.js';
import type { Store } from '../core/store.js';
import type { TableResult } from '../core/query.js';
import { VigilError } from '../core/errors.js';
import { parseTime, planQuery, runQuery, type QueryScope } from '../search/index.js';
import { MAX_EXPORT_EVENTS, exportQuery, parseExportFormat } from '../search/result-export.js';
import { principalOf } from '../sources/http/index.js';
import { auditDetail } from './audit/audit-hook.js';

export const DEFAULT_SEARCH_LIMIT = 100;
export const MAX_SEARCH_LIMIT = 10_000;

/** An event search: newest first unless the query sorts; `fields` when the query projects. */
export interface SearchReply {
  readonly kind: 'events';
  readonly total: number;
  readonly tookMs: number;
  readonly hits: readonly Event[];
  readonly fields?: readonly string[] | undefined;
}

/** An aggregation (`| stats`, `| timechart`, `| top`): a table. */
export interface TableReply extends TableResult {
  readonly kind: 'table';
}

type SearchQuery = { q?: unknown; from?: unknown; to?: unknown; limit?: unknown; format?: unknown };

function single(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value;
  throw new VigilError('query-invalid', `give "${name}" once`, { where: `query parameter ${name}` });
}

function parseLimit(text: string | undefined, fallback: number, max: number): number {
  if (text === undefined || text === '') return fallback;
  if (!/^\d{1,9}$/.test(text) || Number(text) < 1) {
    throw new VigilError('query-invalid', `limit must be a whole number from 1 to ${max}`, { where: 'query parameter limit' });
  }
  return Math.min(Number(text), max);
}

/** The scope of a request: the token's tenant (never one the request names) and the time bounds. */
function scopeOf(request: FastifyRequest, limit: number): QueryScope {
  const principal = principalOf(request);
  const query = (request.query ?? {}) as SearchQuery;
  const now = Date.now();
  const fromText = single(query.from, 'from');
  const toText = single(query.to, 'to');
  const from = fromText !== undefined && fromText !== '' ? parseTime(fromText, now) : undefined;
  const to = toText !== undefined && toText !== '' ? parseTime(toText, now) : undefined;
  if (from !== undefined && to !== undefined && from >= to) {
    throw new VigilError('query-invalid', '"from" must be earlier than "to"', { where: 'query parameters from, to' });
  }
  return { tenant: principal.tenant, from, to, limit };
}

/** What the audit trail keeps of a search or an export: the query as sent (bounded there). */
function auditQuery(request: FastifyRequest, query: SearchQuery): void {
  const text = (value: unknown) => (typeof value === 'string' ? value : value === undefined ? null : String(value));
  auditDetail(request, {
    query: text(query.q) ?? '',
    from: text(query.from),
    to: text(query.to),
    ...(query.format === undefined ? {} : { format: text(query.format) }),
    ...(query.limit === undefined ? {} : { limit: text(query.limit) }),
  });
}

export async function searchRoutes(app: FastifyInstance, options: { store: Store }): Promise<void> {
  app.get('/api/v1/search', { config: { access: 'viewer', audit: 'search' } }, async (request): Promise<SearchReply | TableReply> => {
    const query = (request.query ?? {}) as SearchQuery;
    auditQuery(request, query);
    const plan = planQuery(single(query.q, 'q') ?? '');
    const scope = scopeOf(request, parseLimit(single(query.limit, 'limit'), DEFAULT_SEARCH_LIMIT, MAX_SEARCH_LIMIT));
    const out = await runQuery(options.store, plan, scope);
    if (out.kind === 'table') return { kind: 'table', ...out.table };
    const { total, tookMs, hits } = out.result;
    return { kind: 'events', total, tookMs, hits, ...(out.fields === undefined ? {} : { fields: out.fields }) };
  });

  /**
   * `GET /api/v1/export?q=&from=&to=&format=csv|ndjson&limit=`: the whole result, streamed as
   * it is read (see src/search/result-export.ts); `limit` caps the events (default: all, up to
   * 10 million). The download is named after the time of the export.
   */
  app.get('/api/v1/export', { config: { access: 'analyst', audit: 'export' } }, async (request, reply) => {
    const query = (request.query ?? {}) as SearchQuery;
    auditQuery(request, query);
    const format = parseExportFormat(single(query.format, 'format'));
    const plan = planQuery(single(query.q, 'q') ?? '');
    const scope = scopeOf(request, parseLimit(single(query.limit, 'limit'), MAX_EXPORT_EVENTS, MAX_EXPORT_EVENTS));
    const chunks = exportQuery(options.store, plan, scope, format);
    // Read the first chunk before answering, so a query the store rejects is a clean 400.
    const first = await chunks.next();
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    reply
      .header('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8')
      .header('content-disposition', `attachment; filename="vigil-export-${stamp}.${format === 'csv' ? 'csv' : 'ndjson'}"`)
      .header('x-content-type-options', 'nosniff');
    async function* rest(): AsyncGenerator<string> {
      if (first.done !== true) yield first.value;
      yield* chunks;
    }
    return reply.send(Readable.from(rest()));
  });
}
