/**
 * Risk per entity, in the spirit of Splunk's risk-based alerting: each detection adds points
 * (by its level) to the user, host and address it names; an entity whose points within
 * `windowMs` reach `threshold` raises its own alert, of level `level`, listing what contributed.
 *
 * A rule counts once per entity and window, at its highest level: three hundred failed logins
 * are one piece of evidence, five different rules about one host are five. After an entity has
 * alerted, it alerts again only once it has crossed the threshold afresh in a later window.
 * Everything is judged in event time, and kept in memory (bounded; lost on restart, when risk
 * starts again from zero).
 */
import { newId } from '../core/ids.js';
import type { AlertRecord } from '../core/store.js';

export interface RiskOptions {
  /** Points by level. */
  readonly points: Readonly<Record<string, number>>;
  readonly threshold: number;
  readonly windowMs: number;
  /** Level of the risk alert. */
  readonly level: string;
  /** Entity fields that collect risk. */
  readonly fields: readonly string[];
  /** Entities kept. Default 100,000. */
  readonly maxEntities?: number;
}

/** An entity's risk now: the points of the rules that fired about it within the window. */
export interface RiskEntity {
  readonly field: string;
  readonly value: string;
  readonly score: number;
  /** Rules contributing. */
  readonly rules: number;
  /** Event time of the latest contribution, epoch ms. */
  readonly lastSeen: number;
}

export const DEFAULT_RISK_POINTS: Readonly<Record<string, number>> = { informational: 1, low: 5, medium: 15, high: 40, critical: 80 };

interface Contribution {
  readonly ruleId: string;
  readonly ruleTitle: string;
  readonly ruleAuthor: string;
  readonly level: string;
  readonly points: number;
  readonly time: number;
  readonly alertId: string;
}

interface EntityRisk {
  readonly tenant: string;
  readonly field: string;
  /** As the first detection spelled it (the key is lower-cased). */
  readonly value: string;
  readonly byRule: Map<string, Contribution>;
  /** Event time of the last risk alert; it may alert again once every contribution is newer. */
  alertedAt: number | undefined;
}

export class RiskLedger {
  readonly #entities = new Map<string, EntityRisk>();

  constructor(private readonly options: RiskOptions) {}

  /** Adds a detection's risk; returns the risk alerts it sets off, and each entity's points now. */
  add(record: AlertRecord, time: number): { alerts: AlertRecord[]; totals: Record<string, number> } {
    const totals: Record<string, number> = {};
    const points = this.options.points[record.level] ?? 0;
    if (points <= 0) return { alerts: [], totals };
    const entities = (record.details['entities'] ?? {}) as Record<string, unknown>;
    const out: AlertRecord[] = [];
    for (const field of this.options.fields) {
      const raw = entities[field];
      for (const value of Array.isArray(raw) ? raw : [raw]) {
        if (typeof value !== 'string' && typeof value !== 'number') continue;
        const key = `${record.tenant}\u0000${field}\u0000${String(value).toLowerCase()}`;
        let entity = this.#entities.get(key);
        if (!entity) {
          entity = { tenant: record.tenant, field, value: String(value), byRule: new Map(), alertedAt: undefined };
          if (this.#entities.size >= (this.options.maxEntities ?? 100_000)) this.#entities.delete(this.#entities.keys().next().value!);
        }
        this.#entities.delete(key);
        this.#entities.set(key, entity);
        for (const [rule, c] of entity.byRule) if (c.time < time - this.options.windowMs) entity.byRule.delete(rule);
        const before = entity.byRule.get(record.ruleId);
        if (!before || before.points < points || before.time < time) {
          entity.byRule.set(record.ruleId, {
            ruleId: record.ruleId,
            ruleTitle: record.ruleTitle,
            ruleAuthor: record.ruleAuthor,
            level: before && before.points > points ? before.level : record.level,
            points: Math.max(points, before?.points ?? 0),
            time,
            alertId: record.id,
          });
        }
        const total = [...entity.byRule.values()].reduce((n, c) => n + c.points, 0);
        totals[`${field}=${String(value)}`] = total;
        if (total < this.options.threshold) continue;
        if (entity.alertedAt !== undefined && [...entity.byRule.values()].some((c) => c.time <= entity.alertedAt!)) continue;
        entity.alertedAt = time;
        out.push(this.#alert(record, field, String(value), total, [...entity.byRule.values()], time));
      }
    }
    return { alerts: out, totals };
  }

  /**
   * The tenant's entities with the most risk from detections within the window before `now`,
   * highest first: the console's "entities at risk".
   */
  top(tenant: string, limit: number, now: number): RiskEntity[] {
    const since = now - this.options.windowMs;
    const out: RiskEntity[] = [];
    for (const entity of this.#entities.values()) {
      if (entity.tenant !== tenant) continue;
      let score = 0;
      let rules = 0;
      let last = 0;
      for (const c of entity.byRule.values()) {
        if (c.time < since) continue;
        score += c.points;
        rules++;
        last = Math.max(last, c.time);
      }
      if (score > 0) out.push({ field: entity.field, value: entity.value, score, rules, lastSeen: last });
    }
    return out.sort((a, b) => b.score - a.score || b.lastSeen - a.lastSeen).slice(0, limit);
  }

  #alert(record: AlertRecord, field: string, value: string, total: number, contributions: readonly Contribution[], time: number): AlertRecord {
    const created = Date.now();
    return {
      id: newId(created),
      tenant: record.tenant,
      created,
      ruleId: `vigil-risk-${field}`,
      ruleTitle: `Risk threshold exceeded for ${field} ${value}`,
      ruleAuthor: 'Vigil',
      level: this.options.level,
      eventIds: [],
      state: 'new',
      details: {
        kind: 'risk',
        description: `Detections of ${contributions.length} rule(s) about this ${field} within ${Math.round(this.options.windowMs / 3_600_000)} h add up to ${total} risk points (threshold ${this.options.threshold}). Each may be minor on its own; together they describe one entity in trouble. Review them as one incident.`,
        risk: total,
        threshold: this.options.threshold,
        contributions: contributions
          .slice()
          .sort((a, b) => b.points - a.points)
          .map((c) => ({ ruleId: c.ruleId, ruleTitle: c.ruleTitle, ruleAuthor: c.ruleAuthor, level: c.level, points: c.points, time: new Date(c.time).toISOString(), alertId: c.alertId })),
        entities: { [field]: value },
        tags: [],
        time: new Date(time).toISOString(),
      },
    };
  }
}
