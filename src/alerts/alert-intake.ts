/**
 * The alert intake: between the detectors and the store, it decides what a detection becomes.
 *
 * 1. **Suppressed**: an active suppression of its rule (or of every rule) whose field values all
 *    match the detection's entities or details: nothing is raised, the suppression's hit count
 *    and the rule's daily `suppressed` count go up.
 * 2. **Grouped**: an open alert of the same rule for the same entities whose last detection is
 *    within `groupWindowMs` (event time) takes it: its count and last-seen time go up, its event
 *    ids grow (the newest 1,000 are kept). One brute force is one alert with a count, not 300.
 * 3. **Throttled**: a rule that has raised its daily budget of new alerts (UTC day of the clock)
 *    raises no more that day; the first throttled detection raises one notice, "Rule over its
 *    daily alert budget", and `vigil rules noisy` lists the rule.
 * 4. Otherwise **raised**: a new alert, state `new`.
 *
 * Raised and grouped detections add risk to their entities (risk-entities.ts); an entity over the
 * risk threshold raises its own alert. Everything one batch decides is written in one store
 * transaction. The grouping index lives in memory (bounded) and is rebuilt from the store's open
 * alerts at start; closing an alert through triage removes its group, so the next detection
 * opens a new alert. An alert closed in another process (the api role of a scale-out deployment)
 * is told by message, and `dropClosedGroups` finds the closures a lost message did not tell.
 */
import { dayOf, type Alert, type AlertBatch, type RuleDay, type Suppression } from '../core/alert.js';
import { newId } from '../core/ids.js';
import type { AlertRecord, Store } from '../core/store.js';
import type { AlertContext } from './alert-context.js';
import type { AlertFeed, AlertNotice } from './alert-feed.js';
import { RiskLedger, type RiskEntity, type RiskOptions } from './risk-entities.js';

export interface AlertIntakeOptions {
  readonly store: Pick<Store, 'applyAlertBatch' | 'openAlertGroups' | 'activeSuppressions' | 'ruleDays'>;
  /** Detections of one rule for the same entities within this much event time join one alert; 0: never. */
  readonly groupWindowMs: number;
  /** New alerts a rule may raise per UTC day; rule id → its own budget. */
  readonly budget: { readonly perRuleDaily: number; readonly rules?: Readonly<Record<string, number>> };
  /**
   * Other processes raise alerts into the same store (scale-out detect workers): before each
   * batch, today's raised counts are re-read from the store, so the budget is one per rule and
   * tenant for them all rather than one per process. Not atomic across processes: each may go
   * over by the new alerts of the batches the others are writing at that moment.
   */
  readonly sharedBudget?: boolean;
  readonly risk?: RiskOptions | undefined;
  /** Told of every new alert once it is stored (notifications, automated response); errors are logged. */
  readonly onRaised?: ((alerts: readonly Alert[]) => Promise<void> | void) | undefined;
  /** Told, once stored, of each alert raised and each open alert a detection joined (the console's live queue). */
  readonly feed?: Pick<AlertFeed, 'publish'> | undefined;
  /** Adds context (GeoIP, assets, users, intel, prevalence, surrounding events) to each new alert. */
  readonly context?: AlertContext | undefined;
  /** How often suppressions are re-read from the store (changes made elsewhere). Default 10 s. */
  readonly suppressionRefreshMs?: number;
  /** Groups kept in the index. Default 100,000. */
  readonly maxGroups?: number;
  readonly now?: () => number;
  readonly log?: { warn(o: object, m: string): void } | undefined;
}

interface Group {
  readonly id: string;
  lastSeen: number;
}

const MAX_EVENT_IDS = 1000;

export class AlertIntake {
  readonly #groups = new Map<string, Group>();
  readonly #raisedToday = new Map<string, number>();
  readonly #noticed = new Set<string>();
  /** Alerts this intake has raised whose batch is not yet written: absent from the store's open alerts for a reason. */
  readonly #unstored = new Set<string>();
  #today: number;
  #suppressions: readonly Suppression[] = [];
  #suppressionsRead = 0;
  readonly #risk: RiskLedger | undefined;

  private constructor(private readonly options: AlertIntakeOptions) {
    this.#today = dayOf(this.#now());
    this.#risk = options.risk ? new RiskLedger(options.risk) : undefined;
  }

  static async open(options: AlertIntakeOptions): Promise<AlertIntake> {
    const intake = new AlertIntake(options);
    const now = intake.#now();
    if (options.groupWindowMs > 0) {
      for (const g of await options.store.openAlertGroups(now - options.groupWindowMs - 86_400_000)) intake.#groups.set(`${g.tenant}\u0000${g.groupKey}`, { id: g.id, lastSeen: g.lastSeen });
    }
    for (const d of await options.store.ruleDays(undefined, intake.#today)) {
      if (d.day === intake.#today) intake.#raisedToday.set(`${d.tenant}\u0000${d.ruleId}`, d.raised);
    }
    await intake.refreshSuppressions();
    return intake;
  }

  /**
   * Today's raised counts as the store holds them, every process's raises included. A count
   * below this intake's own is one of its batches not yet written: the higher is kept. When the
   * store cannot be read, the counts held are used (throttling is noise control; detection goes on).
   */
  async #readSharedBudget(today: number): Promise<void> {
    let days: readonly RuleDay[];
    try {
      days = await this.options.store.ruleDays(undefined, today);
    } catch (error) {
      this.options.log?.warn({ err: error }, "cannot re-read today's alert counts shared with the other detect workers; throttling on this process's counts for this batch");
      return;
    }
    for (const d of days) {
      if (d.day !== today) continue;
      const key = `${d.tenant}\u0000${d.ruleId}`;
      if (d.raised > (this.#raisedToday.get(key) ?? 0)) this.#raisedToday.set(key, d.raised);
    }
  }

  /** Re-reads the active suppressions (call after adding or deleting one). */
  async refreshSuppressions(): Promise<void> {
    this.#suppressions = await this.options.store.activeSuppressions(this.#now());
    this.#suppressionsRead = this.#now();
  }

  /** Forgets the group of an alert that was closed: the next detection opens a new alert. */
  closed(alert: Pick<Alert, 'tenant' | 'groupKey' | 'id'>): void {
    const key = `${alert.tenant}\u0000${alert.groupKey}`;
    if (this.#groups.get(key)?.id === alert.id) this.#groups.delete(key);
  }

  /**
   * Forgets the groups whose alert is no longer open in the store: closed by another process
   * whose word did not arrive (the scale-out relay is NATS core, at most once). Only groups of
   * alerts already written are judged, and only those the read covers, so an alert raised while
   * the store is read is never taken for a closed one. Resolves with how many were dropped.
   */
  async dropClosedGroups(): Promise<number> {
    if (this.options.groupWindowMs <= 0) return 0;
    const since = this.#now() - this.options.groupWindowMs - 86_400_000;
    const judged = new Map<string, string>();
    for (const [key, group] of this.#groups) if (group.lastSeen >= since && !this.#unstored.has(group.id)) judged.set(key, group.id);
    if (judged.size === 0) return 0;
    const open = new Set((await this.options.store.openAlertGroups(since)).map((g) => `${g.tenant}\u0000${g.id}`));
    let dropped = 0;
    for (const [key, id] of judged) {
      const tenant = key.slice(0, key.indexOf('\u0000'));
      if (this.#groups.get(key)?.id === id && !open.has(`${tenant}\u0000${id}`)) {
        this.#groups.delete(key);
        dropped++;
      }
    }
    return dropped;
  }

  /**
   * Decides and stores what the detections become. `deliveries`: ids of partitioned detections
   * (scale-out) stored in the same transaction, so the caller can drop a detection delivered again.
   */
  async raise(records: readonly AlertRecord[], deliveries?: readonly string[]): Promise<void> {
    if (records.length === 0 && (deliveries === undefined || deliveries.length === 0)) return;
    const now = this.#now();
    if (now - this.#suppressionsRead > (this.options.suppressionRefreshMs ?? 10_000)) {
      await this.refreshSuppressions().catch((error: unknown) => this.options.log?.warn({ err: error }, 'cannot re-read suppressions; keeping the ones loaded'));
    }
    const today = dayOf(now);
    if (today !== this.#today) {
      this.#today = today;
      this.#raisedToday.clear();
      this.#noticed.clear();
    }
    const budgeted = this.options.budget.perRuleDaily > 0 || Object.values(this.options.budget.rules ?? {}).some((n) => n > 0);
    if (this.options.sharedBudget && budgeted) await this.#readSharedBudget(today);
    const inserts: Alert[] = [];
    const merges = new Map<string, { tenant: string; id: string; add: number; lastSeen: number; eventIds: string[] }>();
    const days = new Map<string, { tenant: string; ruleId: string; day: number; raised: number; grouped: number; suppressed: number; throttled: number }>();
    const hits = new Map<string, { tenant: string; id: string; add: number }>();
    const count = (r: AlertRecord, what: 'raised' | 'grouped' | 'suppressed' | 'throttled') => {
      const key = `${r.tenant}\u0000${r.ruleId}`;
      let d = days.get(key);
      if (!d) days.set(key, (d = { tenant: r.tenant, ruleId: r.ruleId, day: today, raised: 0, grouped: 0, suppressed: 0, throttled: 0 }));
      d[what]++;
    };

    const queue = [...records];
    while (queue.length > 0) {
      const record = queue.shift()!;
      const suppression = this.#suppressions.find((s) => suppresses(s, record, now));
      if (suppression) {
        const key = `${suppression.tenant}\u0000${suppression.id}`;
        const h = hits.get(key) ?? { tenant: suppression.tenant, id: suppression.id, add: 0 };
        h.add++;
        hits.set(key, h);
        count(record, 'suppressed');
        continue;
      }
      const seen = detectionTime(record);
      const groupKey = groupKeyOf(record);
      const indexKey = `${record.tenant}\u0000${groupKey}`;
      const group = this.options.groupWindowMs > 0 ? this.#groups.get(indexKey) : undefined;
      if (group && seen - group.lastSeen <= this.options.groupWindowMs && seen >= group.lastSeen - this.options.groupWindowMs) {
        group.lastSeen = Math.max(group.lastSeen, seen);
        const m = merges.get(group.id) ?? { tenant: record.tenant, id: group.id, add: 0, lastSeen: seen, eventIds: [] };
        m.add++;
        m.lastSeen = Math.max(m.lastSeen, seen);
        m.eventIds.push(...record.eventIds);
        if (m.eventIds.length > MAX_EVENT_IDS) m.eventIds.splice(0, m.eventIds.length - MAX_EVENT_IDS);
        merges.set(group.id, m);
        // A group whose alert is in this very batch is an insert still: fold the merge into it.
        const pending = inserts.findIndex((a) => a.id === group.id);
        if (pending >= 0) {
          const a = inserts[pending]!;
          inserts[pending] = { ...a, count: a.count + 1, lastSeen: Math.max(a.lastSeen, seen), eventIds: [...a.eventIds, ...record.eventIds].slice(-MAX_EVENT_IDS) };
          merges.delete(group.id);
        }
        count(record, 'grouped');
        queue.push(...this.#riskOf(record, seen).alerts);
        continue;
      }
      const budgetKey = `${record.tenant}\u0000${record.ruleId}`;
      const raised = this.#raisedToday.get(budgetKey) ?? 0;
      const budget = this.options.budget.rules?.[record.ruleId] ?? this.options.budget.perRuleDaily;
      if (budget > 0 && raised >= budget && !record.ruleId.startsWith('vigil-budget-')) {
        count(record, 'throttled');
        if (!this.#noticed.has(budgetKey)) {
          this.#noticed.add(budgetKey);
          queue.push(budgetNotice(record, budget, now));
        }
        continue;
      }
      this.#raisedToday.set(budgetKey, raised + 1);
      const risk = this.#riskOf(record, seen);
      const alert: Alert = {
        ...record,
        // The risk of each entity, this detection included: how much else points at them.
        ...(Object.keys(risk.totals).length > 0 ? { details: { ...record.details, risk: risk.totals } } : {}),
        state: 'new',
        count: 1,
        firstSeen: seen,
        lastSeen: seen,
        updated: record.created,
        groupKey,
        assignee: null,
        verdict: null,
        history: [{ at: record.created, by: 'vigil', action: 'created' }],
      };
      inserts.push(alert);
      this.#unstored.add(alert.id);
      if (this.options.groupWindowMs > 0) {
        this.#groups.delete(indexKey);
        this.#groups.set(indexKey, { id: alert.id, lastSeen: seen });
        if (this.#groups.size > (this.options.maxGroups ?? 100_000)) this.#groups.delete(this.#groups.keys().next().value!);
      }
      count(record, 'raised');
      queue.push(...risk.alerts);
    }
    if (this.options.context) {
      for (const [i, a] of inserts.entries()) {
        inserts[i] = await this.options.context.enrich(a).catch((error: unknown) => {
          this.options.log?.warn({ err: error, rule: a.ruleId }, 'alert enrichment failed; the alert is raised without context');
          return a;
        });
      }
    }
    const batch: AlertBatch = {
      inserts,
      merges: [...merges.values()],
      days: [...days.values()] satisfies RuleDay[],
      suppressionHits: [...hits.values()],
      ...(deliveries && deliveries.length > 0 ? { deliveries } : {}),
    };
    try {
      await this.options.store.applyAlertBatch(batch);
    } finally {
      // Written, or failed: either way the store now says whether the alert is open.
      for (const a of inserts) this.#unstored.delete(a.id);
    }
    if (this.options.feed) {
      const notices: AlertNotice[] = [
        ...inserts.map((a) => ({ tenant: a.tenant, id: a.id, change: 'raised' as const })),
        ...batch.merges.map((m) => ({ tenant: m.tenant, id: m.id, change: 'updated' as const })),
      ];
      if (notices.length > 0) this.options.feed.publish(notices);
    }
    if (inserts.length > 0 && this.options.onRaised) {
      try {
        await this.options.onRaised(inserts);
      } catch (error) {
        this.options.log?.warn({ err: error }, 'acting on new alerts failed; they are stored');
      }
    }
  }

  /** The tenant's entities with the most risk now (empty when risk scoring is off). */
  topRisk(tenant: string, limit: number, now: number = this.#now()): RiskEntity[] {
    return this.#risk?.top(tenant, limit, now) ?? [];
  }

  #riskOf(record: AlertRecord, seen: number): { alerts: AlertRecord[]; totals: Record<string, number> } {
    if (!this.#risk || record.ruleId.startsWith('vigil-risk-') || record.ruleId.startsWith('vigil-budget-')) return { alerts: [], totals: {} };
    return this.#risk.add(record, seen);
  }

  #now(): number {
    return this.options.now?.() ?? Date.now();
  }
}

/** Rule and entities: what makes two detections "the same thing happening again". */
export function groupKeyOf(record: AlertRecord): string {
  const entities = record.details['entities'];
  const parts: string[] = [];
  if (entities !== null && typeof entities === 'object' && !Array.isArray(entities)) {
    for (const key of Object.keys(entities).sort()) parts.push(`${key}=${scalarText((entities as Record<string, unknown>)[key])}`);
  }
  return `${record.ruleId}|${parts.join('|')}`;
}

function detectionTime(record: AlertRecord): number {
  const t = typeof record.details['time'] === 'string' ? Date.parse(record.details['time']) : NaN;
  return Number.isFinite(t) ? t : record.created;
}

/** Every field of the suppression matches (case-insensitive) an entity or a detail of the detection. */
export function suppresses(s: Suppression, record: AlertRecord, now: number): boolean {
  if (s.tenant !== record.tenant) return false;
  if (s.expires !== undefined && s.expires <= now) return false;
  if (s.ruleId !== undefined && s.ruleId !== record.ruleId) return false;
  for (const [field, wanted] of Object.entries(s.fields)) {
    const entities = record.details['entities'] as Record<string, unknown> | undefined;
    const value = entities?.[field] ?? detailAt(record.details, field);
    const values = Array.isArray(value) ? value : [value];
    if (!values.some((v) => v !== undefined && v !== null && scalarText(v).toLowerCase() === wanted.toLowerCase())) return false;
  }
  return true;
}

/** `a.b.c` in the details: own properties only, so `__proto__` and the like find nothing. */
function detailAt(details: Record<string, unknown>, path: string): unknown {
  let at: unknown = details;
  for (const part of path.split('.')) {
    if (at === null || typeof at !== 'object' || !Object.prototype.hasOwnProperty.call(at, part)) return undefined;
    at = (at as Record<string, unknown>)[part];
  }
  return at;
}

function scalarText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v) ?? '';
}

function budgetNotice(record: AlertRecord, budget: number, now: number): AlertRecord {
  return {
    id: newId(now),
    tenant: record.tenant,
    created: now,
    ruleId: `vigil-budget-${record.ruleId}`,
    ruleTitle: `Rule over its daily alert budget: ${record.ruleTitle}`,
    ruleAuthor: 'Vigil',
    level: 'low',
    eventIds: [],
    state: 'new',
    details: {
      kind: 'budget',
      rule: { id: record.ruleId, title: record.ruleTitle, author: record.ruleAuthor },
      budget,
      description: `The rule raised ${budget} new alerts today, its daily budget; its further detections today are counted but raise nothing. Tune it (suppressions, filters) or raise its budget in alerts.budget.rules.`,
      entities: {},
      time: new Date(now).toISOString(),
    },
  };
}
