/**
 * Retro-matching: when indicators arrive that Vigil has not hunted for before, stored events of
 * the last `lookbackDays` are searched for them, so the host that talked to a C2 address last
 * week is found the day the address is published.
 *
 * How, and why this way:
 * - The store narrows: each batch of indicators becomes one query of case-insensitive text terms
 *   (an address, a domain, a hash as it appears in the original record; a URL as its host and
 *   path) or, for IPv4 networks, address wildcards. That is a scan the store does well.
 * - Every candidate is then confirmed with `matchEvent`, the function live detection uses, over
 *   an index of the new indicators only: a retro alert means exactly what a live one means.
 * - Only events received before the indicators were loaded are judged: later ones met the
 *   indicators live. Together with the record of indicators already hunted (kept in
 *   `stateFile`, so a restart does not hunt again), no (event, indicator) pair alerts twice.
 * - An indicator published today about traffic of last week alerts: that is the point. Its own
 *   expiry still holds (`valid_until` before the event: no match), as it does live.
 *
 * Hunts run in the background, one batch at a time with the event loop free between batches,
 * and stop at `stop()`. IPv6 networks are not hunted (no text form to narrow on); live matching
 * covers them from their arrival.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Event } from '../../core/event.js';
import type { Metrics } from '../../core/metrics.js';
import type { QueryNode } from '../../core/query.js';
import type { EventHistory } from '../../core/store.js';
import { parseUrl, type Indicator } from './indicator.js';
import { IndicatorIndex } from './indicator-index.js';
import { intelAlert, matchEvent } from './intel-detector.js';

export interface RetroHuntOptions {
  readonly history: EventHistory;
  /** The tenants whose history is searched. */
  readonly tenants: () => Promise<readonly string[]>;
  readonly lookbackDays: number;
  /** Where the keys of hunted indicators are kept; none: in memory only. */
  readonly stateFile?: string | undefined;
  /** Indicators per query. Default 100. */
  readonly batchSize?: number;
  /** Candidate events read per store query (at most 10,000, the store's page). Default 10,000. */
  readonly maxEventsPerQuery?: number;
  /** Pages read per batch and tenant before giving up on older events. Default 50. */
  readonly maxPages?: number;
  readonly metrics?: Metrics | undefined;
  readonly log?: { info(o: object, m: string): void; warn(o: object, m: string): void } | undefined;
}

export interface RetroHuntReport {
  readonly indicators: number;
  readonly candidates: number;
  readonly alerts: number;
  /** Queries whose candidates exceeded the cap (older matches may be missing). */
  readonly truncated: number;
  readonly skipped: number;
}

const DAY = 86_400_000;

export function indicatorKey(i: Pick<Indicator, 'type' | 'value'>): string {
  return `${i.type}:${i.value}`;
}

export class IntelRetroHunter {
  readonly #hunted: Set<string>;
  #chain: Promise<unknown> = Promise.resolve();
  #stopped = false;

  constructor(private readonly options: RetroHuntOptions) {
    this.#hunted = readState(options.stateFile, options.log);
  }

  /** How many indicator keys have been hunted (and will not be again). */
  get huntedCount(): number {
    return this.#hunted.size;
  }

  /** Queues a hunt for the indicators not hunted before; resolves when it has run. */
  hunt(indicators: readonly Indicator[], loadedAt: number = Date.now()): Promise<RetroHuntReport> {
    const run = this.#chain.then(() => this.#hunt(indicators, loadedAt));
    this.#chain = run.catch(() => undefined);
    return run;
  }

  /** Stops between batches; resolves when the current hunt has stopped. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#chain;
  }

  async #hunt(indicators: readonly Indicator[], loadedAt: number): Promise<RetroHuntReport> {
    const fresh = new Map<string, Indicator[]>();
    for (const i of indicators) {
      const key = indicatorKey(i);
      if (this.#hunted.has(key)) continue;
      const list = fresh.get(key);
      if (list) list.push(i);
      else fresh.set(key, [i]);
    }
    const report = { indicators: fresh.size, candidates: 0, alerts: 0, truncated: 0, skipped: 0 };
    if (fresh.size === 0 || this.#stopped) return report;
    const started = performance.now();
    const tenants = await this.options.tenants();
    const keys = [...fresh.keys()];
    const size = this.options.batchSize ?? 100;
    const from = loadedAt - this.options.lookbackDays * DAY;
    for (let b = 0; b < keys.length && !this.#stopped; b += size) {
      const batchKeys = keys.slice(b, b + size);
      const batch = batchKeys.flatMap((k) => fresh.get(k)!);
      const terms = batch.map(narrowingTerm).filter((t): t is QueryNode => t !== undefined);
      report.skipped += batch.length - terms.length;
      if (terms.length > 0) {
        const index = IndicatorIndex.from(batch);
        for (const tenant of tenants) {
          const found = await this.#huntBatch(tenant, { kind: 'or', children: terms }, index, from, loadedAt);
          report.candidates += found.candidates;
          report.alerts += found.alerts;
          if (found.truncated) report.truncated++;
        }
      }
      for (const k of batchKeys) this.#hunted.add(k);
      this.#save();
      await new Promise<void>((r) => setImmediate(r));
    }
    const m = this.options.metrics;
    m?.intelRetroHunts.inc();
    m?.intelRetroAlerts.inc(report.alerts);
    this.options.log?.info({ ...report, lookbackDays: this.options.lookbackDays, seconds: Math.round((performance.now() - started) / 100) / 10 }, 'intel retro-hunt over stored events');
    if (report.truncated > 0) this.options.log?.warn({ truncated: report.truncated }, 'intel retro-hunt: some indicators matched more stored events than one query reads; older matches may be missing');
    return report;
  }

  async #huntBatch(tenant: string, query: QueryNode, index: IndicatorIndex, from: number, loadedAt: number): Promise<{ candidates: number; alerts: number; truncated: boolean }> {
    // The store returns the newest events first, at most `limit` at a time: page backwards in
    // event time, re-reading the boundary millisecond and skipping the ids already seen there.
    const limit = Math.min(this.options.maxEventsPerQuery ?? 10_000, 10_000);
    const maxPages = this.options.maxPages ?? 50;
    const now = Date.now();
    let to: number | undefined;
    let boundary = new Set<string>();
    let candidates = 0;
    let alerts = 0;
    for (let page = 0; page < maxPages; page++) {
      const result = await this.options.history.search({ tenant, query, from, ...(to === undefined ? {} : { to }), limit });
      const found = [];
      let oldest = Infinity;
      for (const event of result.hits) {
        if (boundary.has(event.id)) continue;
        candidates++;
        oldest = Math.min(oldest, event.time);
        if (event.received >= loadedAt) continue;
        for (const match of matchEvent(index, event, now)) found.push(retroAlert(event, match, loadedAt, now));
      }
      if (found.length > 0) await this.options.history.appendAlerts(found);
      alerts += found.length;
      if (result.hits.length < limit || !Number.isFinite(oldest)) return { candidates, alerts, truncated: false };
      boundary = new Set(result.hits.filter((e) => e.time === oldest).map((e) => e.id));
      to = oldest + 1;
      if (boundary.size >= limit) return { candidates, alerts, truncated: true };
      await new Promise<void>((r) => setImmediate(r));
    }
    return { candidates, alerts, truncated: true };
  }

  #save(): void {
    const file = this.options.stateFile;
    if (!file) return;
    try {
      writeFileSync(`${file}.tmp`, JSON.stringify({ version: 1, hunted: [...this.#hunted] }), { mode: 0o600 });
      renameSync(`${file}.tmp`, file);
    } catch (error) {
      this.options.log?.warn({ err: error, file }, 'could not save which indicators were retro-hunted; they may be hunted again after a restart');
    }
  }
}

function retroAlert(event: Event, match: ReturnType<typeof matchEvent>[number], loadedAt: number, now: number) {
  const alert = intelAlert(event, match, now);
  return { ...alert, details: { ...alert.details, retro: true, indicatorLoaded: new Date(loadedAt).toISOString() } };
}

/** The store query that finds every event an indicator could match (a superset; matchEvent decides). */
export function narrowingTerm(i: Indicator): QueryNode | undefined {
  const text = (t: string): QueryNode => ({ kind: 'text', text: t, wildcard: false, quoted: true });
  switch (i.type) {
    case 'ipv4':
    case 'ipv6':
    case 'domain':
    case 'md5':
    case 'sha1':
    case 'sha256':
      return text(i.value);
    case 'url': {
      const u = parseUrl(i.value);
      if (!u) return undefined;
      return u.rest === '/' ? text(u.host) : { kind: 'and', children: [text(u.host), text(u.rest)] };
    }
    case 'cidr': {
      const [network, bits] = i.value.split('/');
      const prefix = Number(bits);
      if (!network || network.includes(':') || !(prefix >= 8)) return undefined;
      // Whole octets of the network, then a wildcard: a superset for prefixes between octets.
      const octets = network.split('.').slice(0, Math.floor(prefix / 8));
      const pattern = octets.length === 4 ? network : `${octets.join('.')}.*`;
      const fields = ['source.ip', 'destination.ip'];
      return { kind: 'or', children: fields.map((field) => ({ kind: 'field', field, value: pattern, wildcard: octets.length < 4, quoted: false })) };
    }
  }
}

function readState(file: string | undefined, log: RetroHuntOptions['log']): Set<string> {
  if (!file) return new Set();
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return new Set();
  }
  try {
    const doc = JSON.parse(text) as { hunted?: unknown };
    if (Array.isArray(doc.hunted)) return new Set(doc.hunted.filter((k): k is string => typeof k === 'string'));
  } catch {
    // Reported below.
  }
  log?.warn({ file }, 'the record of retro-hunted indicators is damaged; every loaded indicator will be hunted once more');
  return new Set();
}
