/**
 * Alerts, triage, suppressions and rule figures over HTTP (analyst access). Every alert names
 * its rule's id, title, level and author (the Detection Rule License asks for the author
 * wherever a match is shown). Who made a change is the name of the token that made it.
 *
 * - `GET  /api/v1/alerts?limit=&state=&rule=`       newest activity first
 * - `GET  /api/v1/alerts/:id`                        one alert with its history
 * - `POST /api/v1/alerts/:id/actions`                `{action: ack|start|close|reopen|assign|comment, verdict?, assignee?, comment?}`
 * - `GET  /api/v1/suppressions`, `POST /api/v1/suppressions`, `DELETE /api/v1/suppressions/:id`
 * - `GET  /api/v1/rules/figures?days=`               per-rule counts, verdicts, noise, suggestions
 */
import type { FastifyInstance } from 'fastify';
import { ALERT_STATES, ALERT_VERDICTS, type Alert, type AlertFilter, type Suppression } from '../core/alert.js';
import { VigilError } from '../core/errors.js';
import type { Store } from '../core/store.js';
import { TRIAGE_ACTIONS, type AlertTriage, type TriageRequest } from '../alerts/alert-triage.js';
import { figuresOf, type RuleFigures } from '../alerts/rule-figures.js';
import { suppressionFrom } from '../alerts/suppression-request.js';
import { principalOf } from '../sources/http/index.js';
import { jsonObjectBody } from './json-body.js';

export const DEFAULT_ALERT_LIMIT = 100;
export const MAX_ALERT_LIMIT = 10_000;

export interface AlertRouteOptions {
  readonly store: Store;
  readonly triage: AlertTriage;
  /** Tells the intake that suppressions changed. */
  readonly suppressionsChanged?: () => Promise<void>;
}

export async function alertRoutes(app: FastifyInstance, options: AlertRouteOptions): Promise<void> {
  const { store } = options;

  app.get('/api/v1/alerts', { config: { access: 'viewer' } }, async (request): Promise<{ alerts: readonly Alert[] }> => {
    const principal = principalOf(request);
    const q = (request.query ?? {}) as Record<string, unknown>;
    const limit = q['limit'] === undefined || q['limit'] === '' ? DEFAULT_ALERT_LIMIT : wholeNumber(q['limit'], 'limit', 1, MAX_ALERT_LIMIT);
    const filter: AlertFilter = {
      ...(q['state'] === undefined || q['state'] === '' ? {} : { state: oneOf(q['state'], [...ALERT_STATES, 'open'] as const, 'state') }),
      ...(typeof q['rule'] === 'string' && q['rule'] !== '' ? { ruleId: q['rule'] } : {}),
    };
    return { alerts: await store.listAlerts(principal.tenant, limit, filter) };
  });

  app.get('/api/v1/alerts/:id', { config: { access: 'viewer' } }, async (request): Promise<Alert> => {
    const { id } = request.params as { id: string };
    const alert = await store.getAlert(principalOf(request).tenant, id);
    if (!alert) throw new VigilError('not-found', `no alert ${id}`, { where: 'alert id' });
    return alert;
  });

  app.post('/api/v1/alerts/:id/actions', { config: { access: 'analyst', audit: 'alert-triage' } }, async (request): Promise<Alert> => {
    const principal = principalOf(request);
    const { id } = request.params as { id: string };
    const body = jsonObjectBody(request.body, '{"action": "close", "verdict": "false_positive", "comment": "our scanner"}');
    const triage: TriageRequest = {
      action: oneOf(body['action'], TRIAGE_ACTIONS, 'action'),
      ...(body['verdict'] === undefined ? {} : { verdict: oneOf(body['verdict'], ALERT_VERDICTS, 'verdict') }),
      ...(body['assignee'] === undefined ? {} : { assignee: body['assignee'] === null ? null : text(body['assignee'], 'assignee') }),
      ...(body['comment'] === undefined ? {} : { comment: text(body['comment'], 'comment') }),
    };
    return options.triage.apply(principal.tenant, id, triage, principal.tokenName);
  });

  app.get('/api/v1/suppressions', { config: { access: 'viewer' } }, async (request): Promise<{ suppressions: readonly Suppression[] }> => ({
    suppressions: await store.listSuppressions(principalOf(request).tenant),
  }));

  app.post('/api/v1/suppressions', { config: { access: 'analyst', audit: 'suppression-create' } }, async (request, reply): Promise<Suppression> => {
    const principal = principalOf(request);
    const body = jsonObjectBody(request.body, '{"ruleId": "…", "fields": {"source.ip": "203.0.113.7"}, "reason": "our scanner", "for": "7d"}');
    const suppression = suppressionFrom(body, principal.tenant, principal.tokenName, Date.now());
    await store.saveSuppression(suppression);
    await options.suppressionsChanged?.();
    void reply.code(201);
    return suppression;
  });

  app.delete('/api/v1/suppressions/:id', { config: { access: 'analyst', audit: 'suppression-delete' } }, async (request): Promise<{ deleted: boolean }> => {
    const { id } = request.params as { id: string };
    const deleted = await store.deleteSuppression(principalOf(request).tenant, id);
    if (!deleted) throw new VigilError('not-found', `no suppression ${id}`, { where: 'suppression id' });
    await options.suppressionsChanged?.();
    return { deleted };
  });

  app.get('/api/v1/rules/figures', { config: { access: 'viewer' } }, async (request): Promise<{ days: number; rules: readonly RuleFigures[] }> => {
    const principal = principalOf(request);
    const q = (request.query ?? {}) as Record<string, unknown>;
    const days = q['days'] === undefined || q['days'] === '' ? 30 : wholeNumber(q['days'], 'days', 1, 366);
    return { days, rules: await figuresOf(store, principal.tenant, days) };
  });
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
