/**
 * Cases over HTTP (analyst): `GET/POST /api/v1/cases`, `GET /api/v1/cases/:id` (with alerts,
 * timeline and observables), `POST /api/v1/cases/:id/actions` (`add-alerts`, `note`, `status`,
 * `assign`), `GET /api/v1/cases/:id/export?format=md|json`.
 */
import type { FastifyInstance } from 'fastify';
import { CaseFiles, caseMarkdown, type CaseAction, type CaseView } from '../alerts/case-file.js';
import { entityTimeline, parseEntity, type EntityTimeline } from '../alerts/entity-timeline.js';
import { CASE_STATUSES, type Case, type CaseStatus } from '../core/alert.js';
import { VigilError } from '../core/errors.js';
import type { Store } from '../core/store.js';
import { principalOf } from '../sources/http/index.js';
import { jsonObjectBody } from './json-body.js';
import { auditDetail } from './audit/audit-hook.js';

export async function caseRoutes(app: FastifyInstance, options: { store: Store }): Promise<void> {
  const cases = new CaseFiles(options.store);
  app.get('/api/v1/cases', { config: { access: 'viewer' } }, async (request): Promise<{ cases: readonly Case[] }> => ({ cases: await options.store.listCases(principalOf(request).tenant, 1000) }));
  app.post('/api/v1/cases', { config: { access: 'analyst', audit: 'case-create' } }, async (request, reply): Promise<Case> => {
    const principal = principalOf(request);
    const body = jsonObjectBody(request.body, '{"title": "Brute force then login on web1", "alertIds": ["…"]}');
    const c = await cases.create(principal.tenant, typeof body['title'] === 'string' ? body['title'] : '', idList(body['alertIds']), principal.tokenName);
    auditDetail(request, { id: c.id, title: c.title, alertIds: idList(body['alertIds']) });
    void reply.code(201);
    return c;
  });
  app.get('/api/v1/cases/:id', { config: { access: 'viewer' } }, async (request): Promise<CaseView> => cases.view(principalOf(request).tenant, (request.params as { id: string }).id));
  app.post('/api/v1/cases/:id/actions', { config: { access: 'analyst', audit: 'case-update' } }, async (request): Promise<Case> => {
    const principal = principalOf(request);
    const action = caseAction(jsonObjectBody(request.body, '{"action": "note", "text": "…"}'));
    auditDetail(request, { ...action });
    return cases.apply(principal.tenant, (request.params as { id: string }).id, action, principal.tokenName);
  });
  app.get('/api/v1/timeline', { config: { access: 'viewer' } }, async (request): Promise<EntityTimeline> => {
    const q = (request.query ?? {}) as Record<string, string | undefined>;
    const entity = parseEntity(q['entity'] ?? '');
    const time = (raw: string | undefined, name: string) => {
      if (raw === undefined || raw === '') return undefined;
      if (!/^\d{1,15}$/.test(raw)) throw new VigilError('query-invalid', `${name} is epoch milliseconds`, { where: `query parameter ${name}` });
      return Number(raw);
    };
    const limit = Math.max(1, Math.min(10_000, Number(q['limit']) || 2000));
    return entityTimeline(options.store, principalOf(request).tenant, entity, time(q['from'], 'from'), time(q['to'], 'to'), limit);
  });
  app.get('/api/v1/cases/:id/export', { config: { access: 'viewer', audit: 'export' } }, async (request, reply): Promise<string | CaseView> => {
    const view = await cases.view(principalOf(request).tenant, (request.params as { id: string }).id);
    const format = (request.query as { format?: string } | undefined)?.format ?? 'md';
    auditDetail(request, { format });
    if (format === 'json') return view;
    if (format !== 'md') throw new VigilError('query-invalid', 'format is md or json', { where: 'query parameter format' });
    void reply.type('text/markdown; charset=utf-8');
    return caseMarkdown(view);
  });
}

export function caseAction(body: Record<string, unknown>): CaseAction {
  switch (body['action']) {
    case 'add-alerts':
      return { action: 'add-alerts', alertIds: idList(body['alertIds']) };
    case 'note':
      return { action: 'note', text: typeof body['text'] === 'string' ? body['text'] : '' };
    case 'status':
      if (typeof body['status'] !== 'string' || !(CASE_STATUSES as readonly string[]).includes(body['status'])) {
        throw new VigilError('bad-request', `status is one of ${CASE_STATUSES.join(', ')}`, { where: 'status' });
      }
      return { action: 'status', status: body['status'] as CaseStatus };
    case 'assign':
      return { action: 'assign', owner: typeof body['owner'] === 'string' && body['owner'].trim() !== '' ? body['owner'].trim().slice(0, 200) : null };
    default:
      throw new VigilError('bad-request', 'action is one of add-alerts, note, status, assign', { where: 'action' });
  }
}

function idList(raw: unknown): string[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw) || !raw.every((x) => typeof x === 'string' && x.length <= 100)) throw new VigilError('bad-request', 'alertIds is a list of alert ids', { where: 'alertIds' });
  return raw as string[];
}
