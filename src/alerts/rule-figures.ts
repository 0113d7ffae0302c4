/**
 * Feedback from triage to rule tuning: per rule, what it raised, grouped, had suppressed and
 * throttled, what analysts decided about its alerts, how long triage took, and the suppressions
 * its false positives suggest (the entity values that recur among them).
 */
import { DAY_MS, dayOf, type Alert, type RuleDay } from '../core/alert.js';
import type { Store } from '../core/store.js';

export interface SuggestedSuppression {
  readonly ruleId: string;
  readonly field: string;
  readonly value: string;
  /** False-positive alerts of the rule with this value. */
  readonly falsePositives: number;
}

export interface RuleFigures {
  readonly ruleId: string;
  readonly ruleTitle: string;
  readonly ruleAuthor: string;
  readonly raised: number;
  readonly grouped: number;
  readonly suppressed: number;
  readonly throttled: number;
  readonly verdicts: { readonly true_positive: number; readonly false_positive: number; readonly benign: number };
  /** False positives ÷ verdicts; null without verdicts. */
  readonly falsePositiveRate: number | null;
  /** Median time from an alert's creation to the first analyst move, ms; null when none was triaged. */
  readonly medianTimeToTriageMs: number | null;
  /** Throttled at least once, or mostly false positives over at least `minVerdicts`. */
  readonly noisy: boolean;
  readonly suggestions: readonly SuggestedSuppression[];
}

export interface FigureOptions {
  readonly days: number;
  readonly now?: number;
  /** Verdicts a rule needs before its false-positive rate makes it noisy. Default 5. */
  readonly minVerdicts?: number;
  /** False-positive rate from which a rule is noisy. Default 0.5. */
  readonly noisyRate?: number;
}

export function ruleFigures(days: readonly RuleDay[], alerts: readonly Alert[], options: FigureOptions): RuleFigures[] {
  const now = options.now ?? Date.now();
  const from = dayOf(now) - options.days + 1;
  const byRule = new Map<string, { title: string; author: string; day: Omit<RuleDay, 'tenant' | 'ruleId' | 'day'>; alerts: Alert[] }>();
  const entry = (ruleId: string) => {
    let e = byRule.get(ruleId);
    if (!e) byRule.set(ruleId, (e = { title: ruleId, author: '', day: { raised: 0, grouped: 0, suppressed: 0, throttled: 0 }, alerts: [] }));
    return e;
  };
  for (const d of days) {
    if (d.day < from) continue;
    const e = entry(d.ruleId);
    e.day = { raised: e.day.raised + d.raised, grouped: e.day.grouped + d.grouped, suppressed: e.day.suppressed + d.suppressed, throttled: e.day.throttled + d.throttled };
  }
  for (const a of alerts) {
    if (a.created < from * DAY_MS) continue;
    const e = entry(a.ruleId);
    e.title = a.ruleTitle;
    e.author = a.ruleAuthor;
    e.alerts.push(a);
  }
  const minVerdicts = options.minVerdicts ?? 5;
  const noisyRate = options.noisyRate ?? 0.5;
  return [...byRule]
    .map(([ruleId, e]) => {
      const verdicts = { true_positive: 0, false_positive: 0, benign: 0 };
      for (const a of e.alerts) if (a.verdict) verdicts[a.verdict]++;
      const decided = verdicts.true_positive + verdicts.false_positive + verdicts.benign;
      const rate = decided === 0 ? null : verdicts.false_positive / decided;
      const triage = e.alerts
        .map((a) => a.history.find((h) => h.by !== 'vigil' && h.action !== 'comment'))
        .map((h, i) => (h ? h.at - e.alerts[i]!.created : undefined))
        .filter((ms): ms is number => ms !== undefined && ms >= 0)
        .sort((a, b) => a - b);
      const median = triage.length === 0 ? null : triage.length % 2 ? triage[(triage.length - 1) / 2]! : (triage[triage.length / 2 - 1]! + triage[triage.length / 2]!) / 2;
      return {
        ruleId,
        ruleTitle: e.title,
        ruleAuthor: e.author,
        ...e.day,
        verdicts,
        falsePositiveRate: rate,
        medianTimeToTriageMs: median,
        noisy: e.day.throttled > 0 || (rate !== null && decided >= minVerdicts && rate >= noisyRate),
        suggestions: suggestions(ruleId, e.alerts),
      };
    })
    .sort((a, b) => Number(b.noisy) - Number(a.noisy) || b.raised + b.grouped + b.throttled - (a.raised + a.grouped + a.throttled));
}

/** Entity values seen in at least two false-positive alerts of the rule, and in none of its true positives. */
function suggestions(ruleId: string, alerts: readonly Alert[]): SuggestedSuppression[] {
  const counts = new Map<string, { field: string; value: string; n: number }>();
  const confirmed = new Set<string>();
  for (const a of alerts) {
    const entities = (a.details['entities'] ?? {}) as Record<string, unknown>;
    for (const [field, raw] of Object.entries(entities)) {
      if (typeof raw !== 'string' && typeof raw !== 'number') continue;
      const key = `${field}\u0000${String(raw)}`;
      if (a.verdict === 'true_positive') confirmed.add(key);
      if (a.verdict !== 'false_positive') continue;
      const c = counts.get(key) ?? { field, value: String(raw), n: 0 };
      c.n++;
      counts.set(key, c);
    }
  }
  return [...counts]
    .filter(([key, c]) => c.n >= 2 && !confirmed.has(key))
    .map(([, c]) => ({ ruleId, field: c.field, value: c.value, falsePositives: c.n }))
    .sort((a, b) => b.falsePositives - a.falsePositives)
    .slice(0, 5);
}

/** Per-rule figures of a tenant over the last `days` days. */
export async function figuresOf(store: Pick<Store, 'ruleDays' | 'listAlerts'>, tenant: string, days: number, now = Date.now()): Promise<RuleFigures[]> {
  const fromDay = Math.floor(now / 86_400_000) - days + 1;
  const [counts, closed] = await Promise.all([store.ruleDays(tenant, fromDay), store.listAlerts(tenant, 10_000, { state: 'closed' })]);
  const open = await store.listAlerts(tenant, 10_000, { state: 'open' });
  return ruleFigures(counts, [...closed, ...open], { days, now });
}
