/**
 * The rules a server runs, over HTTP (docs/api.md, "Rules"). Every answer that shows a rule
 * carries its id, title and author (Detection Rule License).
 *
 * - `GET  /api/v1/rules`               every loaded rule, switched on or off for the caller's tenant, with its figures
 * - `GET  /api/v1/rules/:id`           one rule with its source text
 * - `POST /api/v1/rules/:id/enable`, `/disable`
 * - `POST /api/v1/rules/:id/hunt`      `{from?, to?, limit?}`: the rule over stored history, raising nothing
 * - `POST /api/v1/rules/import`        `{files: [{path, content}]}`: a folder of rule files (admin)
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { VigilError } from '../core/errors.js';
import type { Store } from '../core/store.js';
import type { CatalogRule, RuleCatalog } from '../detect/rule-catalog.js';
import { figuresOf, type RuleFigures } from '../alerts/rule-figures.js';
import { parseTime } from '../search/index.js';
import { principalOf } from '../sources/http/index.js';
import { jsonBody, jsonObjectBody } from './json-body.js';

export interface RuleView extends CatalogRule {
  readonly enabled: boolean;
  readonly figures: RuleFigures | null;
}

export interface RuleRouteOptions {
  readonly catalog: RuleCatalog;
  readonly store: Store;
  /** Days of figures shown beside each rule. */
  readonly figureDays?: number;
  /** How long one hunt may read history before it answers with what it found. */
  readonly huntBudgetMs?: number;
}

const huntBody = z.strictObject({
  from: z.union([z.string(), z.number()]).optional(),
  to: z.union([z.string(), z.number()]).optional(),
  limit: z.number().int().min(1).max(1000).optional(),
});

const importBody = z.strictObject({
  files: z
    .array(z.strictObject({ path: z.string().min(1).max(1024), content: z.string().max(1024 * 1024, 'a rule file may hold at most 1 MiB') }))
    .min(1, 'send at least one file')
    .max(2000, 'at most 2,000 files per import; import the folder in parts'),
});

function issue(error: z.ZodError): VigilError {
  const first = error.issues[0];
  const key = first?.path.join('.') || 'body';
  return new VigilError('bad-request', `${key}: ${first?.message ?? 'invalid'}`, { where: `body ${key}` });
}

function timeOf(value: string | number | undefined, key: string, now: number): number | undefined {
  if (value === undefined || value === '') return undefined;
  try {
    return typeof value === 'number' ? value : parseTime(value, now);
  } catch (error) {
    throw new VigilError('bad-request', `${key}: ${(error as Error).message}`, { where: `body ${key}`, cause: error });
  }
}

function ruleId(request: FastifyRequest): string {
  return (request.params as { id: string }).id;
}

export async function ruleRoutes(app: FastifyInstance, options: RuleRouteOptions): Promise<void> {
  const { catalog, store } = options;
  const days = options.figureDays ?? 30;

  async function figuresByRule(tenant: string): Promise<Map<string, RuleFigures>> {
    return new Map((await figuresOf(store, tenant, days)).map((f) => [f.ruleId, f]));
  }

  const view = (rule: CatalogRule, tenant: string, figures: Map<string, RuleFigures>): RuleView => ({
    ...rule,
    enabled: catalog.enabled(tenant, rule.id),
    figures: figures.get(rule.id) ?? null,
  });

  app.get('/api/v1/rules', { config: { access: 'viewer' } }, async (request) => {
    const { tenant } = principalOf(request);
    const figures = await figuresByRule(tenant);
    return { rules: catalog.list().map((r) => view(r, tenant, figures)), figureDays: days };
  });

  app.get('/api/v1/rules/:id', { config: { access: 'viewer' } }, async (request) => {
    const { tenant } = principalOf(request);
    const rule = catalog.find(ruleId(request));
    if (!rule) throw new VigilError('not-found', `no rule with id ${ruleId(request)} is loaded; list them with GET /api/v1/rules`, { where: 'path id' });
    return { rule: { ...view(rule, tenant, await figuresByRule(tenant)), source: catalog.source(rule.id) ?? null } };
  });

  for (const [verb, enabled] of [['enable', true], ['disable', false]] as const) {
    app.post(`/api/v1/rules/:id/${verb}`, { config: { access: 'analyst', audit: enabled ? 'rule-enable' : 'rule-disable' } }, async (request) => {
      const principal = principalOf(request);
      const id = ruleId(request);
      const rule = catalog.find(id);
      const figures = await figuresByRule(principal.tenant);
      // Alerts of detectors without a rule file (intel, beacons) can be switched by the id they carry.
      if (rule === undefined && !figures.has(id)) throw new VigilError('not-found', `no rule with id ${id} is loaded or has raised alerts; list them with GET /api/v1/rules`, { where: 'path id' });
      const state = await catalog.setEnabled(principal.tenant, id, enabled, principal.tokenName);
      request.auditDetails = { title: rule?.title ?? null };
      return { rule: rule ? view(rule, principal.tenant, figures) : null, state };
    });
  }

  app.post('/api/v1/rules/:id/hunt', { config: { access: 'analyst', audit: 'rule-hunt' } }, async (request) => {
    const principal = principalOf(request);
    const parsed = huntBody.safeParse(request.body === undefined || (Buffer.isBuffer(request.body) && request.body.length === 0) ? {} : jsonBody(request.body, '{"from": "now-7d", "to": "now", "limit": 100}'));
    if (!parsed.success) throw issue(parsed.error);
    const now = Date.now();
    const from = timeOf(parsed.data.from, 'from', now) ?? now - 7 * 86_400_000;
    const to = timeOf(parsed.data.to, 'to', now);
    request.auditDetails = { from: new Date(from).toISOString(), to: to === undefined ? null : new Date(to).toISOString() };
    return catalog.hunt(principal.tenant, ruleId(request), { from, to, limit: parsed.data.limit ?? 100, budgetMs: options.huntBudgetMs ?? 60_000 });
  });

  app.post('/api/v1/rules/import', { config: { access: 'admin', audit: 'rule-import' } }, async (request) => {
    const parsed = importBody.safeParse(jsonObjectBody(request.body, '{"files": [{"path": "rules/x.yml", "content": "title: ..."}]}'));
    if (!parsed.success) throw issue(parsed.error);
    const report = await catalog.import(parsed.data.files);
    request.auditDetails = { written: report.written.length, failed: report.failed.length };
    return report;
  });
}
