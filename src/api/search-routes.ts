/**
 * `GET /api/v1/search?q=&from=&to=&limit=`: the query language of `src/search` over the caller's
 * tenant (from the token; a request cannot name another). Newest first; `limit` defaults to 100
 * and is capped at 10,000 so one request cannot pull the whole store through the API.
 */
import type { FastifyInstance } from 'fastify';
import type { Event } from '../core/event.js';
import type { Store } from '../core/store.js';
import type { SearchRequest } from '../core/query.js';
import { VigilError } from '../core/errors.js';
import { parseQuery, parseTime } from '../search/index.js';
import { principalOf } from '../sources/http/index.js';

export const DEFAULT_SEARCH_LIMIT = 100;
export const MAX_SEARCH_LIMIT = 10_000;

export interface SearchReply {
  readonly total: number;
  readonly tookMs: number;
  readonly hits: readonly Event[];
}

type SearchQuery = { q?: unknown; from?: unknown; to?: unknown; limit?: unknown };

function single(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value;
  throw new VigilError('query-invalid', `give "${name}" once`, { where: `query parameter ${name}` });
}

function parseLimit(text: string | undefined): number {
  if (text === undefined || text === '') return DEFAULT_SEARCH_LIMIT;
  if (!/^\d{1,9}$/.test(text) || Number(text) < 1) {
    throw new VigilError('query-invalid', `limit must be a whole number from 1 to ${MAX_SEARCH_LIMIT}`, { where: 'query parameter limit' });
  }
  return Math.min(Number(text), MAX_SEARCH_LIMIT);
}

export async function searchRoutes(app: FastifyInstance, options: { store: Store }): Promise<void> {
  app.get('/api/v1/search', { config: { access: 'analyst' } }, async (request): Promise<SearchReply> => {
    const principal = principalOf(request);
    const query = (request.query ?? {}) as SearchQuery;
    const now = Date.now();
    const from = single(query.from, 'from');
    const to = single(query.to, 'to');
    const search: SearchRequest = {
      tenant: principal.tenant,
      query: parseQuery(single(query.q, 'q') ?? ''),
      limit: parseLimit(single(query.limit, 'limit')),
      ...(from !== undefined && from !== '' ? { from: parseTime(from, now) } : {}),
      ...(to !== undefined && to !== '' ? { to: parseTime(to, now) } : {}),
    };
    if (search.from !== undefined && search.to !== undefined && search.from >= search.to) {
      throw new VigilError('query-invalid', '"from" must be earlier than "to"', { where: 'query parameters from, to' });
    }
    const result = await options.store.search(search);
    return { total: result.total, tookMs: result.tookMs, hits: result.hits };
  });
}
