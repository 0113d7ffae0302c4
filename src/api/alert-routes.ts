/**
 * Alerts, triage, suppressions and rule figures over HTTP (analyst access). Every alert names
 * its rule's id, title, level and author (the Detection Rule License asks for the author
 * wherever a match is shown). Who made a change is the name of the token that made it.
 *
 * - `GET  /api/v1/alerts?limit=&state=&rule=&level=&q=&assignee=&unassigned=&from=&to=`  newest activity first
 * - `GET  /api/v1/alerts/:id`                        one alert with its history
 * - `POST /api/v1/alerts/:id/actions`                `{action: ack|start|close|reopen|assign|comment, verdict?, assignee?, comment?}`
 * - `POST /api/v1/alerts/actions`                    the same move on up to 500 alerts: `{ids, action, …}` → `{updated, failed}`
 * - `GET  /api/v1/suppressions`, `POST /api/v1/suppressions`, `DELETE /api/v1/suppressions/:id`
 * - `GET  /api/v1/rules/figures?days=`               per-rule counts, verdicts, noise, suggestions
 */
import type { FastifyInstance } from 'fastify';
import { ALERT_STATES, ALERT_VERDICTS, type Alert, type AlertFilter, type Suppression } from '../core/alert.js';
import { VigilError, isVigilError } from '../core/errors.js';
import { parseTime } from '../search/index.js';
import type { Event } from '../core/event.js';
import type { Store } from '../core/store.js';
import { TRIAGE_ACTIONS, type AlertTriage, type TriageRequest } from '../alerts/alert-triage.js';
import { figuresOf, type RuleFigures } from '../alerts/rule-figures.js';
import { suppressionFrom } from '../alerts/suppression-request.js';
import { principalOf } from '../sources/http/index.js';
import { jsonObjectBody } from './json-body.js';
import { auditDetail } from './audit/audit-hook.js';

export const DEFAULT_ALERT_LIMIT = 100;
export const MAX_ALERT_LIMIT = 10_000;
/** Events of one alert returned by `GET /api/v1/alerts/:id/events`. */
export const MAX_ALERT_EVENTS = 500;

export interface AlertRouteOptions {
  readonly store: Store;
  readonly triage: AlertTriage;
  /** Tells the intake (or, scale-out, every detect role) that a tenant's suppressions changed. */
  readonly suppressionsChanged?: (tenant: string) => Promise<void>;
}

export async function alertRoutes(app: FastifyInstance, options: AlertRouteOptions): Promise<void> {
  const { store } = options;

  app.get('/api/v1/alerts', { config: { access: 'viewer' } }, async (request): Promise<{ alerts: readonly Alert[] }> => {
    const principal = principalOf(request);
    const q = (request.query ?? {}) as Record<string, unknown>;
    const limit = q['limit'] === undefined || q['limit'] === '' ? DEFAULT_ALERT_LIMIT : wholeNumber(q['limit'], 'limit', 1, MAX_ALERT_LIMIT);
    return { alerts: await store.listAlerts(principal.tenant, limit, alertFilterOf(q)) };
  });

  app.get('/api/v1/alerts/:id', { config: { access: 'viewer' } }, async (request): Promise<Alert> => {
    const { id } = request.params as { id: string };
    const alert = await store.getAlert(principalOf(request).tenant, id);
    if (!alert) throw new VigilError('not-found', `no alert ${id}`, { where: 'alert id' });
    return alert;
  });

  // The events an alert lists, by id: exact whatever their event time (an imported old log's
  // alert has events years before the alert). The first MAX_ALERT_EVENTS of the list.
  app.get('/api/v1/alerts/:id/events', { config: { access: 'viewer' } }, async (request): Promise<{ events: readonly Event[]; listed: number }> => {
    const { tenant } = principalOf(request);
    const { id } = request.params as { id: string };
    const alert = await store.getAlert(tenant, id);
    if (!alert) throw new VigilError('not-found', `no alert ${id}`, { where: 'alert id' });
    return { events: await store.eventsByIds(tenant, alert.eventIds.slice(0, MAX_ALERT_EVENTS)), listed: alert.eventIds.length };
  });

  app.post('/api/v1/alerts/:id/actions', { config: { access: 'analyst', audit: 'alert-triage' } }, async (request): Promise<Alert> => {
    const principal = principalOf(request);
    const { id } = request.params as { id: string };
    const body = jsonObjectBody(request.body, '{"action": "close", "verdict": "false_positive", "comment": "our scanner"}');
    const triage = triageOf(body);
    auditDetail(request, { action: triage.action, ...(triage.verdict ? { verdict: triage.verdict } : {}), ...(triage.assignee !== undefined ? { assignee: triage.assignee } : {}) });
    return options.triage.apply(principal.tenant, id, triage, principal.tokenName);
  });

  // Bulk triage: each alert moves on its own (one may be closed already while the others are not),
  // so one refused move fails that alert alone and the answer says which and why.
  app.post('/api/v1/alerts/actions', { config: { access: 'analyst', audit: 'alert-triage' } }, async (request): Promise<BulkTriageReply> => {
    const principal = principalOf(request);
    const body = jsonObjectBody(request.body, '{"ids": ["…", "…"], "action": "close", "verdict": "false_positive"}');
    const ids = alertIds(body['ids']);
    const triage = triageOf(body);
    const updated: Alert[] = [];
    const failed: BulkTriageReply['failed'][number][] = [];
    for (const id of ids) {
      try {
        updated.push(await options.triage.apply(principal.tenant, id, triage, principal.tokenName));
      } catch (error) {
        if (!isVigilError(error) || error.status >= 500) throw error;
        failed.push({ id, code: error.code, error: error.message });
      }
    }
    auditDetail(request, {
      action: triage.action,
      ...(triage.verdict ? { verdict: triage.verdict } : {}),
      ...(triage.assignee !== undefined ? { assignee: triage.assignee } : {}),
      alerts: ids.length,
      updated: updated.length,
      failed: failed.length,
      ids: ids.slice(0, 50),
    });
    return { updated, failed };
  });

  app.get('/api/v1/suppressions', { config: { access: 'viewer' } }, async (request): Promise<{ suppressions: readonly Suppression[] }> => ({
    suppressions: await store.listSuppressions(principalOf(request).tenant),
  }));

  app.post('/api/v1/suppressions', { config: { access: 'analyst', audit: 'suppression-create' } }, async (request, reply): Promise<Suppression> => {
    const principal = principalOf(request);
    const body = jsonObjectBody(request.body, '{"ruleId": "…", "fields": {"source.ip": "203.0.113.7"}, "reason": "our scanner", "for": "7d"}');
    const suppression = suppressionFrom(body, principal.tenant, principal.tokenName, Date.now());
    auditDetail(request, { id: suppression.id, ruleId: suppression.ruleId ?? null, fields: suppression.fields, reason: suppression.reason, expires: suppression.expires ?? null });
    await store.saveSuppression(suppression);
    await options.suppressionsChanged?.(principal.tenant);
    void reply.code(201);
    return suppression;
  });

  app.delete('/api/v1/suppressions/:id', { config: { access: 'analyst', audit: 'suppression-delete' } }, async (request): Promise<{ deleted: boolean }> => {
    const { id } = request.params as { id: string };
    const deleted = await store.deleteSuppression(principalOf(request).tenant, id);
    if (!deleted) throw new VigilError('not-found', `no suppression ${id}`, { where: 'suppression id' });
    await options.suppressionsChanged?.(principalOf(request).tenant);
    return { deleted };
  });

  app.get('/api/v1/rules/figures', { config: { access: 'viewer' } }, async (request): Promise<{ days: number; rules: readonly RuleFigures[] }> => {
    const principal = principalOf(request);
    const q = (request.query ?? {}) as Record<string, unknown>;
    const days = q['days'] === undefined || q['days'] === '' ? 30 : wholeNumber(q['days'], 'days', 1, 366);
    return { days, rules: await figuresOf(store, principal.tenant, days) };
  });
}

export const MAX_BULK_ALERTS = 500;

export interface BulkTriageReply {
  readonly updated: readonly Alert[];
  /** `error` is the message; `code` the error code (`not-found`, `bad-request`). */
  readonly failed: readonly { readonly id: string; readonly code: string; readonly error: string }[];
}

function triageOf(body: Record<string, unknown>): TriageRequest {
  return {
    action: oneOf(body['action'], TRIAGE_ACTIONS, 'action'),
    ...(body['verdict'] === undefined ? {} : { verdict: oneOf(body['verdict'], ALERT_VERDICTS, 'verdict') }),
    ...(body['assignee'] === undefined ? {} : { assignee: body['assignee'] === null ? null : text(body['assignee'], 'assignee') }),
    ...(body['comment'] === undefined ? {} : { comment: text(body['comment'], 'comment') }),
  };
}

/** 1 to 500 distinct alert ids, in the order given. */
function alertIds(raw: unknown): string[] {
  if (!Array.isArray(raw) || raw.length === 0 || raw.length > MAX_BULK_ALERTS) {
    throw new VigilError('bad-request', `ids must be a list of 1 to ${MAX_BULK_ALERTS} alert ids`, { where: 'ids' });
  }
  const ids = new Set<string>();
  for (const id of raw) {
    if (typeof id !== 'string' || id.length === 0 || id.length > 200) throw new VigilError('bad-request', 'each id must be an alert id (text of at most 200 characters)', { where: 'ids' });
    ids.add(id);
  }
  return [...ids];
}

export const ALERT_LEVELS = ['informational', 'low', 'medium', 'high', 'critical'] as const;

/** The listing's query parameters as a filter; the store applies it in its query. */
export function alertFilterOf(q: Record<string, unknown>, now: number = Date.now()): AlertFilter {
  const given = (name: string): string | undefined => {
    const value = q[name];
    if (value === undefined || value === '') return undefined;
    if (typeof value !== 'string') throw new VigilError('query-invalid', `give ${name} once`, { where: `query parameter ${name}` });
    if (value.length > 200) throw new VigilError('query-invalid', `${name} is too long (at most 200 characters)`, { where: `query parameter ${name}` });
    return value;
  };
  const level = given('level');
  const assignee = given('assignee');
  const unassigned = given('unassigned');
  if (unassigned !== undefined && unassigned !== 'true' && unassigned !== 'false') {
    throw new VigilError('query-invalid', 'unassigned is true or false', { where: 'query parameter unassigned' });
  }
  if (assignee !== undefined && unassigned === 'true') {
    throw new VigilError('query-invalid', 'give assignee or unassigned=true, not both', { where: 'query parameter assignee' });
  }
  const time = (name: 'from' | 'to'): number | undefined => {
    const value = given(name);
    if (value === undefined) return undefined;
    try {
      return parseTime(value, now);
    } catch (error) {
      throw new VigilError('query-invalid', `${name}: ${(error as Error).message}`, { where: `query parameter ${name}` });
    }
  };
  const from = time('from');
  const to = time('to');
  if (from !== undefined && to !== undefined && from >= to) throw new VigilError('query-invalid', '"from" must be earlier than "to"', { where: 'query parameters from, to' });
  const state = given('state');
  const rule = given('rule');
  const text = given('q')?.trim();
  return {
    ...(state === undefined ? {} : { state: oneOf(state, [...ALERT_STATES, 'open'] as const, 'state') }),
    ...(rule === undefined ? {} : { ruleId: rule }),
    ...(level === undefined ? {} : { levels: level.split(',').map((l) => oneOf(l.trim(), ALERT_LEVELS, 'level')) }),
    ...(text ? { text } : {}),
    ...(assignee === undefined ? {} : { assignee }),
    ...(unassigned === 'true' ? { assignee: null } : {}),
    ...(from === undefined ? {} : { from }),
    ...(to === undefined ? {} : { to }),
  };
}

function wholeNumber(raw: unknown, name: string, min: number, max: number): number {
  if (typeof raw !== 'string' || !/^\d{1,9}$/.test(raw) || Number(raw) < min) {
    throw new VigilError('query-invalid', `${name} must be a whole number from ${min} to ${max}`, { where: `query parameter ${name}` });
  }
  return Math.min(Number(raw), max);
}

function oneOf<T extends string>(raw: unknown, allowed: readonly T[], name: string): T {
  if (typeof raw === 'string' && (allowed as readonly string[]).includes(raw)) return raw as T;
  throw new VigilError('bad-request', `${name} must be one of ${allowed.join(', ')}`, { where: name });
}

function text(raw: unknown, name: string): string {
  if (typeof raw !== 'string') throw new VigilError('bad-request', `${name} must be text`, { where: name });
  if (raw.length > 10_000) throw new VigilError('bad-request', `${name} is too long (at most 10,000 characters)`, { where: name });
  return raw;
}
