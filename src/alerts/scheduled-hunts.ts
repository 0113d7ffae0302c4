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
 * Each run searches the window ending at the run's start, so consecutive runs cover time without
 * gaps or overlaps; the alert names the hunt (rule id `vigil-hunt-<name>`, author: who configured
 * it, `Vigil configuration` by default), the query, the count and the newest matching event ids,
 * and goes through the alert intake like any detection (grouping, suppressions, budgets).
 */
import { VigilError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import type { QueryNode } from '../core/query.js';
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
  readonly store: Pick<Store, 'search'>;
  readonly tenants: () => Promise<readonly string[]>;
  readonly parse: (query: string) => QueryNode;
  readonly raise: (alerts: readonly AlertRecord[]) => Promise<void>;
  readonly now?: () => number;
  readonly log?: { info(o: object, m: string): void; warn(o: object, m: string): void } | undefined;
}

const SAMPLE = 20;

export class ScheduledHunts {
  readonly #lastRun = new Map<string, number>();
  readonly #parsed = new Map<string, QueryNode>();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> = Promise.resolve();

  /** Parses every query now: a broken hunt stops the start, naming it and the column. */
  constructor(private readonly options: ScheduledHuntsOptions) {
    for (const h of options.hunts) {
      try {
        this.#parsed.set(h.name, options.parse(h.query));
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
    const query = this.#parsed.get(h.name)!;
    const from = now - h.lookbackMs;
    const alerts: AlertRecord[] = [];
    for (const tenant of await this.options.tenants()) {
      const result = await this.options.store.search({ tenant, query, from, to: now, limit: SAMPLE });
      if (result.total < h.minCount) continue;
      alerts.push({
        id: newId(now),
        tenant,
        created: now,
        ruleId: `vigil-hunt-${h.name}`,
        ruleTitle: `Hunt: ${h.name}`,
        ruleAuthor: h.author,
        level: h.level,
        eventIds: result.hits.map((e) => e.id),
        state: 'new',
        details: {
          kind: 'hunt',
          description: h.description,
          query: h.query,
          count: result.total,
          window: { start: new Date(from).toISOString(), end: new Date(now).toISOString() },
          entities: {},
          tags: h.tags,
          time: new Date(now).toISOString(),
        },
      });
    }
    if (alerts.length > 0) await this.options.raise(alerts);
    this.options.log?.info({ hunt: h.name, alerts: alerts.length }, 'scheduled hunt ran');
    return alerts;
  }

  #now(): number {
    return this.options.now?.() ?? Date.now();
  }
}
