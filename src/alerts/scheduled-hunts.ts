/**
 * Scheduled hunts: a saved search that runs on a schedule and raises an alert when it finds
 * enough, so a hunt that proved itself becomes a detection without being rewritten as a rule.
 *
 * ```yaml
 * hunts:
 *   - name: root-logins-from-outside
 *     query: 'event.action:ssh_login AND event.outcome:success AND user.name:root'
 *     every: 15m          # how often it runs
 *     lookback: 15m       # the window of event time it searches (defaults to `every`)
 *     minCount: 1         # alert when at least this many events match
 *     level: high
 *     description: Root logged in over SSH; our policy forbids it.
 * ```
 *
 * A hunt may aggregate: `query: '"Failed password" | stats count() by source.ip'` with
 * `minCount: 20` raises one alert per source address with at least 20 matches in the window
 * (`minCount` applies to the first metric; `| top f` counts too), naming the group's values as
 * its entities, so risk and grouping work per address as for any detection.
 *
 * Each run searches the window ending at the run's start, so consecutive runs cover time without
 * gaps or overlaps; the alert names the hunt (rule id `vigil-hunt-<name>`, author: who configured
 * it, `Vigil configuration` by default), the query, the count and the newest matching event ids,
 * and goes through the alert intake like any detection (grouping, suppressions, budgets).
 */
import { VigilError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import type { QueryNode, QueryPlan } from '../core/query.js';
import type { AlertRecord, Store } from '../core/store.js';

export interface HuntSpec {
  readonly name: string;
  readonly query: string;
  readonly everyMs: number;
  readonly lookbackMs: number;
  readonly minCount: number;
  readonly level: string;
  readonly description: string;
  readonly author: string;
  readonly tags: readonly string[];
}

export interface ScheduledHuntsOptions {
  readonly hunts: readonly HuntSpec[];
  readonly store: Pick<Store, 'search' | 'aggregate'>;
  readonly tenants: () => Promise<readonly string[]>;
  /** The query language's planner (src/search), given rather than imported: alerts sit left of search. */
  readonly plan: (query: string) => QueryPlan;
  readonly raise: (alerts: readonly AlertRecord[]) => Promise<void>;
  readonly now?: () => number;
  readonly log?: { info(o: object, m: string): void; warn(o: object, m: string): void } | undefined;
}

const SAMPLE = 20;
/** Groups one run of an aggregating hunt may alert on; the rest are counted in the log. */
const MAX_GROUPS = 100;

type TablePlan = Extract<QueryPlan, { kind: 'table' }>;

/** The metric `minCount` is compared with: the first one, or top's count. */
function thresholdColumn(plan: TablePlan): string {
  const agg = plan.aggregation;
  return agg.kind === 'top' ? 'count' : (agg.metrics[0]?.name ?? 'count()');
}

function groupFields(plan: TablePlan): readonly string[] {
  return plan.aggregation.kind === 'top' ? plan.aggregation.fields : plan.aggregation.by;
}

export class ScheduledHunts {
  readonly #lastRun = new Map<string, number>();
  readonly #parsed = new Map<string, QueryPlan>();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> = Promise.resolve();

  /** Parses every query now: a broken hunt stops the start, naming it and the column. */
  constructor(private readonly options: ScheduledHuntsOptions) {
    for (const h of options.hunts) {
      try {
        const plan = options.plan(h.query);
        if (plan.kind === 'table' && plan.aggregation.kind === 'timechart') {
          throw new VigilError('config-invalid', 'a scheduled hunt aggregates with | stats or | top; | timechart is for looking at', { where: `hunts ${h.name}` });
        }
        this.#parsed.set(h.name, plan);
      } catch (e) {
        throw new VigilError('config-invalid', `hunts: ${h.name}: ${(e as Error).message}`, { where: `hunts ${h.name}` });
      }
    }
  }

  start(checkEveryMs = 10_000): void {
    const now = this.#now();
    // The first run covers the lookback before the start, not all history.
    for (const h of this.options.hunts) if (!this.#lastRun.has(h.name)) this.#lastRun.set(h.name, now - h.everyMs);
    this.#timer ??= setInterval(() => void this.tick(), checkEveryMs);
    this.#timer.unref();
  }

  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.#running;
  }

  /** Runs the hunts that are due; returns the alerts raised. */
  tick(): Promise<void> {
    this.#running = this.#running.then(async () => {
      const now = this.#now();
      for (const h of this.options.hunts) {
        const last = this.#lastRun.get(h.name);
        if (last !== undefined && now - last < h.everyMs) continue;
        this.#lastRun.set(h.name, now);
        await this.run(h, now).catch((e: unknown) => this.options.log?.warn({ err: e, hunt: h.name }, 'scheduled hunt failed; it runs again at its next time'));
      }
    });
    return this.#running;
  }

  /** One run of one hunt over the window ending at `now`. */
  async run(h: HuntSpec, now: number): Promise<AlertRecord[]> {
    const plan = this.#parsed.get(h.name) ?? this.options.plan(h.query);
    const from = now - h.lookbackMs;
    const alerts: AlertRecord[] = [];
    for (const tenant of await this.options.tenants()) {
      if (plan.kind === 'table') {
        alerts.push(...(await this.runAggregation(h, plan, tenant, from, now)));
        continue;
      }
      const result = await this.options.store.search({ tenant, query: plan.query, from, to: now, limit: SAMPLE });
      if (result.total < h.minCount) continue;
      alerts.push(this.alert(h, tenant, now, from, result.hits.map((e) => e.id), result.total, {}));
    }
    if (alerts.length > 0) await this.options.raise(alerts);
    this.options.log?.info({ hunt: h.name, alerts: alerts.length }, 'scheduled hunt ran');
    return alerts;
  }

  /** One alert per group whose metric reaches minCount, with the group's own events as samples. */
  private async runAggregation(h: HuntSpec, plan: TablePlan, tenant: string, from: number, now: number): Promise<AlertRecord[]> {
    const table = await this.options.store.aggregate({
      tenant,
      query: plan.query,
      from,
      to: now,
      events: plan.events,
      aggregation: plan.aggregation,
      sort: plan.sort,
      limit: plan.limit ?? 1000,
    });
    const metric = table.columns.indexOf(thresholdColumn(plan));
    const fields = groupFields(plan);
    const rows = table.rows.filter((row) => Number(row[metric]) >= h.minCount);
    if (rows.length > MAX_GROUPS) this.options.log?.warn({ hunt: h.name, groups: rows.length }, `scheduled hunt matched more groups than it alerts on (${MAX_GROUPS}); raise minCount or narrow the query`);
    const alerts: AlertRecord[] = [];
    for (const row of rows.slice(0, MAX_GROUPS)) {
      const group: Record<string, string> = {};
      const terms: QueryNode[] = [];
      for (const field of fields) {
        const value = row[table.columns.indexOf(field)];
        if (value === null || value === undefined) continue;
        group[field] = String(value);
        terms.push({ kind: 'field', field, value: String(value), wildcard: false, quoted: true });
      }
      const sample = await this.options.store.search({ tenant, query: { kind: 'and', children: [plan.query, ...terms] }, from, to: now, limit: SAMPLE });
      alerts.push(this.alert(h, tenant, now, from, sample.hits.map((e) => e.id), Number(row[metric]), group));
    }
    return alerts;
  }

  private alert(h: HuntSpec, tenant: string, now: number, from: number, eventIds: string[], count: number, group: Record<string, string>): AlertRecord {
    const grouped = Object.keys(group).length > 0;
    return {
      id: newId(now),
      tenant,
      created: now,
      ruleId: `vigil-hunt-${h.name}`,
      ruleTitle: `Hunt: ${h.name}`,
      ruleAuthor: h.author,
      level: h.level,
      eventIds,
      state: 'new',
      details: {
        kind: 'hunt',
        description: h.description,
        query: h.query,
        count,
        ...(grouped ? { group } : {}),
        window: { start: new Date(from).toISOString(), end: new Date(now).toISOString() },
        entities: Object.fromEntries(Object.entries(group).map(([f, v]) => [f, [v]])),
        tags: h.tags,
        time: new Date(now).toISOString(),
      },
    };
  }

  #now(): number {
    return this.options.now?.() ?? Date.now();
  }
}
