/**
 * The console's overview and sources pages (viewer), for the caller's tenant:
 *
 * - `GET /api/v1/overview?hours=24`: events per input over time (the query language's
 *   `timechart count() by source.input`, by event time), events per second per input over the
 *   last 5 minutes (by receive time), alerts by level over time, the rules with the most alerts,
 *   the entities most at risk, the sources gone silent, and the open alert count;
 * - `GET /api/v1/sources`: every input with its health (source-health.ts) and its hosts.
 */
import type { FastifyInstance } from 'fastify';
import type { RiskEntity } from '../alerts/risk-entities.js';
import { VigilError } from '../core/errors.js';
import type { Metrics } from '../core/metrics.js';
import type { Store } from '../core/store.js';
import { MAX_TABLE_ROWS } from '../store/sql/aggregate-compiler.js';
import { principalOf } from '../sources/http/index.js';
import { sourceHealth, type ConfiguredInput, type SourceHealth } from './source-health.js';

export interface OverviewRouteOptions {
  readonly store: Store;
  readonly metrics: Metrics;
  /** The inputs the server listens with (called per request: listeners start after the API). */
  readonly inputs: () => readonly ConfiguredInput[];
  /** The tenant's entities most at risk now (the alert intake's risk ledger, or the detect roles' over NATS); absent: none. */
  readonly risk?: ((tenant: string, limit: number) => readonly RiskEntity[] | Promise<readonly RiskEntity[]>) | undefined;
}

export interface Overview {
  readonly from: number;
  readonly to: number;
  readonly bucketMs: number;
  readonly eventRate: { readonly buckets: readonly number[]; readonly series: readonly { readonly source: string; readonly counts: readonly number[] }[]; readonly truncated: boolean };
  readonly eventsPerSecond: readonly { readonly source: string; readonly rate: number }[];
  readonly alertsByLevel: { readonly buckets: readonly number[]; readonly series: readonly { readonly level: string; readonly counts: readonly number[] }[] };
  readonly topRules: readonly { readonly ruleId: string; readonly ruleTitle: string; readonly ruleAuthor: string; readonly level: string; readonly alerts: number; readonly detections: number }[];
  readonly topEntities: readonly { readonly field: string; readonly value: string; readonly score: number; readonly alerts: number }[];
  readonly silentSources: readonly { readonly source: string; readonly kind: string; readonly lastEvent: number; readonly expectedEverySeconds: number | null }[];
  readonly openAlerts: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** Bucket widths, smallest first; the overview takes the first giving at most MAX_BUCKETS. */
const SPANS = [MINUTE, 5 * MINUTE, 10 * MINUTE, 15 * MINUTE, 30 * MINUTE, HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, 24 * HOUR];
const MAX_BUCKETS = 120;
export const MAX_OVERVIEW_HOURS = 30 * 24;
const TOP = 10;
const LEVEL_ORDER = ['critical', 'high', 'medium', 'low', 'informational'];

export function bucketFor(rangeMs: number): number {
  return SPANS.find((span) => Math.ceil(rangeMs / span) <= MAX_BUCKETS) ?? SPANS.at(-1)!;
}

function hoursOf(raw: unknown): number {
  if (raw === undefined || raw === '') return 24;
  if (typeof raw !== 'string' || !/^\d{1,4}$/.test(raw) || Number(raw) < 1 || Number(raw) > MAX_OVERVIEW_HOURS) {
    throw new VigilError('query-invalid', `hours must be a whole number from 1 to ${MAX_OVERVIEW_HOURS}`, { where: 'query parameter hours' });
  }
  return Number(raw);
}

export async function overviewRoutes(app: FastifyInstance, options: OverviewRouteOptions): Promise<void> {
  const { store, metrics } = options;

  app.get('/api/v1/overview', { config: { access: 'viewer' } }, async (request): Promise<Overview> => {
    const { tenant } = principalOf(request);
    const hours = hoursOf((request.query as Record<string, unknown> | undefined)?.['hours']);
    const to = Date.now();
    const bucketMs = bucketFor(hours * HOUR);
    const from = Math.floor((to - hours * HOUR) / bucketMs) * bucketMs;
    const buckets: number[] = [];
    for (let t = from; t < to; t += bucketMs) buckets.push(t);
    const slot = (time: number) => Math.floor((time - from) / bucketMs);

    const [risk, rates, alerts, sources] = await Promise.all([
      options.risk?.(tenant, 2 * TOP) ?? [],
      store.aggregate({
        tenant,
        query: { kind: 'all' },
        from,
        to,
        aggregation: { kind: 'timechart', spanMs: bucketMs, metrics: [{ fn: 'count', name: 'count' }], by: ['source.input'] },
        limit: MAX_TABLE_ROWS,
      }),
      store.alertSummary({ tenant, from, to, bucketMs, topRules: TOP, topEntities: 2 * TOP }),
      // Silence and rates only: the hosts' scan is the sources page's.
      sourceHealth(store, metrics, tenant, options.inputs(), to, { hosts: false }),
    ]);

    const bySource = new Map<string, number[]>();
    for (const [time, source, count] of rates.rows) {
      const i = slot(Date.parse(String(time)));
      if (i < 0 || i >= buckets.length) continue;
      const counts = bySource.get(String(source)) ?? buckets.map(() => 0);
      counts[i] = (counts[i] ?? 0) + Number(count);
      bySource.set(String(source), counts);
    }
    const byLevel = new Map<string, number[]>();
    for (const { time, level, alerts: n } of alerts.byLevel) {
      const i = slot(time);
      if (i < 0 || i >= buckets.length) continue;
      const counts = byLevel.get(level) ?? buckets.map(() => 0);
      counts[i] = (counts[i] ?? 0) + n;
      byLevel.set(level, counts);
    }
    const rank = (level: string) => (LEVEL_ORDER.includes(level) ? LEVEL_ORDER.indexOf(level) : LEVEL_ORDER.length);

    const perSecond = new Map<string, number>();
    for (const name of bySource.keys()) perSecond.set(name, 0);
    // Inputs that have sent something (a quiet one at 0); listeners that never heard a thing are left out.
    for (const s of sources) if (s.lastEvent !== null) perSecond.set(s.input.toLowerCase(), (perSecond.get(s.input.toLowerCase()) ?? 0) + s.ratePerSecond);

    return {
      from,
      to,
      bucketMs,
      eventRate: {
        buckets,
        series: [...bySource].map(([source, counts]) => ({ source, counts })).sort((a, b) => sum(b.counts) - sum(a.counts) || (a.source < b.source ? -1 : 1)),
        truncated: rates.truncated,
      },
      eventsPerSecond: [...perSecond].map(([source, rate]) => ({ source, rate: Math.round(rate * 1000) / 1000 })).sort((a, b) => b.rate - a.rate || (a.source < b.source ? -1 : 1)),
      alertsByLevel: {
        buckets,
        series: [...byLevel].map(([level, counts]) => ({ level, counts })).sort((a, b) => rank(a.level) - rank(b.level) || (a.level < b.level ? -1 : 1)),
      },
      topRules: alerts.topRules,
      topEntities: entitiesAtRisk(risk, alerts.topEntities),
      silentSources: sources
        .filter((s) => s.status === 'silent')
        .map((s) => ({ source: s.input, kind: s.kind, lastEvent: s.lastEvent ?? 0, expectedEverySeconds: s.expectedEverySeconds })),
      openAlerts: alerts.open,
    };
  });

  app.get('/api/v1/sources', { config: { access: 'viewer' } }, async (request): Promise<{ sources: readonly SourceHealth[] }> => ({
    sources: await sourceHealth(store, metrics, principalOf(request).tenant, options.inputs()),
  }));
}

function sum(counts: readonly number[]): number {
  return counts.reduce((a, b) => a + b, 0);
}

/**
 * Risk (points from the rules that fired about an entity lately) first, then how many alerts
 * named it: with risk scoring off, the most alerted entities.
 */
function entitiesAtRisk(
  risk: readonly RiskEntity[],
  alerted: readonly { readonly field: string; readonly value: string; readonly alerts: number }[],
): Overview['topEntities'] {
  const merged = new Map<string, { field: string; value: string; score: number; alerts: number }>();
  const key = (field: string, value: string) => `${field}\u0000${value.toLowerCase()}`;
  for (const r of risk) merged.set(key(r.field, r.value), { field: r.field, value: r.value, score: r.score, alerts: 0 });
  for (const a of alerted) {
    const k = key(a.field, a.value);
    const m = merged.get(k);
    if (m) m.alerts = a.alerts;
    else merged.set(k, { field: a.field, value: a.value, score: 0, alerts: a.alerts });
  }
  return [...merged.values()].sort((a, b) => b.score - a.score || b.alerts - a.alerts || (a.field < b.field ? -1 : a.value < b.value ? -1 : 1)).slice(0, TOP);
}
