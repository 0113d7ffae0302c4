/**
 * `GET /api/v1/alerts?limit=`: the caller's tenant's alerts, newest first. Every alert names
 * its rule's id, title, level and author (the Detection Rule License asks for the author
 * wherever a match is shown). Triage (states, cases) is its own issue; this is the read side.
 */
import type { FastifyInstance } from 'fastify';
import type { AlertRecord, Store } from '../core/store.js';
import { VigilError } from '../core/errors.js';
import { principalOf } from '../sources/http/index.js';

export const DEFAULT_ALERT_LIMIT = 100;
export const MAX_ALERT_LIMIT = 10_000;

export async function alertRoutes(app: FastifyInstance, options: { store: Store }): Promise<void> {
  app.get('/api/v1/alerts', { config: { access: 'analyst' } }, async (request): Promise<{ alerts: readonly AlertRecord[] }> => {
    const principal = principalOf(request);
    const raw = (request.query as { limit?: unknown } | undefined)?.limit;
    let limit = DEFAULT_ALERT_LIMIT;
    if (raw !== undefined && raw !== '') {
      if (typeof raw !== 'string' || !/^\d{1,9}$/.test(raw) || Number(raw) < 1) {
        throw new VigilError('query-invalid', `limit must be a whole number from 1 to ${MAX_ALERT_LIMIT}`, { where: 'query parameter limit' });
      }
      limit = Math.min(Number(raw), MAX_ALERT_LIMIT);
    }
    return { alerts: await options.store.listAlerts(principal.tenant, limit) };
  });
}
