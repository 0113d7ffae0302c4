/**
 * The audit trail for admins, of their own tenant (docs/accounts.md):
 * - `GET /api/v1/audit?limit=&before=&beforeId=&action=&actor=` → `{"entries": [AuditEntry]}`,
 *   newest first; to page back pass the last entry's time as `before` and its id as `beforeId`.
 * - `GET /api/v1/audit/export?format=csv|ndjson&action=&actor=` → the whole trail as a
 *   download, streamed page by page. CSV cells that a spreadsheet would run as a formula are
 *   neutralised the way search exports are (src/search/result-export.ts): actors, targets and
 *   details can hold attacker-chosen text (a login name, a search query).
 * Buffered entries are written before either is read, so what was just done is in the answer.
 */
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AUDIT_ACTIONS, type AuditAction, type AuditEntry, type AuditQuery } from '../core/audit.js';
import { VigilError } from '../core/errors.js';
import type { Store } from '../core/store.js';
import { csvLine } from '../search/result-export.js';
import { principalOf } from '../sources/http/index.js';
import type { AuditTrail } from './audit/audit-trail.js';
import { auditDetail } from './audit/audit-hook.js';

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;
const EXPORT_PAGE = 1000;
/** An export stops here; page with `before` past it. */
const MAX_EXPORT_ENTRIES = 1_000_000;

export const AUDIT_CSV_COLUMNS = ['time', 'id', 'tenant', 'actor', 'actorKind', 'role', 'action', 'target', 'outcome', 'remote', 'details'] as const;

function single(raw: unknown, name: string): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (typeof raw === 'string') return raw;
  throw new VigilError('query-invalid', `give "${name}" once`, { where: `query parameter ${name}` });
}

function filters(request: FastifyRequest): Omit<AuditQuery, 'limit'> {
  const q = (request.query ?? {}) as Record<string, unknown>;
  const action = single(q['action'], 'action');
  if (action !== undefined && !(AUDIT_ACTIONS as readonly string[]).includes(action)) {
    throw new VigilError('query-invalid', `action is one of ${AUDIT_ACTIONS.join(', ')}`, { where: 'query parameter action' });
  }
  const actor = single(q['actor'], 'actor');
  if (actor !== undefined && actor.length > 256) throw new VigilError('query-invalid', 'actor is at most 256 characters', { where: 'query parameter actor' });
  const before = single(q['before'], 'before');
  if (before !== undefined && !/^\d{1,15}$/.test(before)) throw new VigilError('query-invalid', 'before is epoch milliseconds', { where: 'query parameter before' });
  const beforeId = single(q['beforeId'], 'beforeId');
  if (beforeId !== undefined && (before === undefined || beforeId.length > 64)) {
    throw new VigilError('query-invalid', 'beforeId is the id of the last entry received, given with its time as before', { where: 'query parameter beforeId' });
  }
  return {
    tenant: principalOf(request).tenant,
    ...(action === undefined ? {} : { action: action as AuditAction }),
    ...(actor === undefined ? {} : { actor }),
    ...(before === undefined ? {} : { before: Number(before) }),
    ...(beforeId === undefined ? {} : { beforeId }),
  };
}

function csvRow(e: AuditEntry): string {
  return csvLine([new Date(e.time).toISOString(), e.id, e.tenant, e.actor, e.actorKind, e.role, e.action, e.target, e.outcome, e.remote, JSON.stringify(e.details)]);
}

export async function auditRoutes(app: FastifyInstance, options: { store: Store; trail: AuditTrail }): Promise<void> {
  const { store, trail } = options;

  app.get('/api/v1/audit', { config: { access: 'admin' } }, async (request): Promise<{ entries: readonly AuditEntry[] }> => {
    const q = (request.query ?? {}) as Record<string, unknown>;
    const rawLimit = single(q['limit'], 'limit');
    if (rawLimit !== undefined && (!/^\d{1,6}$/.test(rawLimit) || Number(rawLimit) < 1)) {
      throw new VigilError('query-invalid', `limit is a whole number from 1 to ${MAX_LIMIT}`, { where: 'query parameter limit' });
    }
    const query = { ...filters(request), limit: rawLimit === undefined ? DEFAULT_LIMIT : Math.min(Number(rawLimit), MAX_LIMIT) };
    await trail.flush();
    return { entries: await store.listAudit(query) };
  });

  app.get('/api/v1/audit/export', { config: { access: 'admin', audit: 'audit-export' } }, async (request, reply) => {
    const q = (request.query ?? {}) as Record<string, unknown>;
    const format = (single(q['format'], 'format') ?? 'ndjson').toLowerCase();
    if (format !== 'csv' && format !== 'ndjson') throw new VigilError('query-invalid', 'format is csv or ndjson', { where: 'query parameter format' });
    const base = filters(request);
    auditDetail(request, { format, ...(base.action ? { action: base.action } : {}), ...(base.actor ? { actor: base.actor } : {}) });
    await trail.flush();
    // The first page is read before answering, so a failing store is a clean error, not a cut download.
    const first = await store.listAudit({ ...base, limit: EXPORT_PAGE });
    async function* lines(): AsyncGenerator<string> {
      if (format === 'csv') yield AUDIT_CSV_COLUMNS.join(',') + '\r\n';
      let page = first;
      let sent = 0;
      while (page.length > 0 && sent < MAX_EXPORT_ENTRIES) {
        yield page.map((e) => (format === 'csv' ? csvRow(e) : JSON.stringify(e) + '\n')).join('');
        sent += page.length;
        if (page.length < EXPORT_PAGE) break;
        const last = page.at(-1) as AuditEntry;
        page = await store.listAudit({ ...base, limit: EXPORT_PAGE, before: last.time, beforeId: last.id });
      }
    }
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    reply
      .header('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8')
      .header('content-disposition', `attachment; filename="vigil-audit-${stamp}.${format}"`)
      .header('x-content-type-options', 'nosniff');
    return reply.send(Readable.from(lines()));
  });
}
