/**
 * Context added to an alert when it is raised (`details.context`), so the analyst who opens it
 * does not start with six searches:
 * - `geo`: country, city and network (AS) of each public address among its entities (the
 *   offline GeoIP data of src/enrich);
 * - `assets` and `users`: the inventory and directory records of its hosts and users (owner,
 *   criticality, department…), from the files in `alerts.enrichment`;
 * - `intel`: loaded threat-intelligence indicators that list one of its entity values;
 * - `prevalence`: for each entity, how many stored events name it, and when it was first and
 *   last seen (a user first seen today is different from one seen for years);
 * - `surrounding`: the events within ±`surroundingMinutes` on the same host and user (count and
 *   the newest ids), the first thing to look at after an alert.
 *
 * Only new alerts are enriched (a grouped detection updates an alert already enriched), and a
 * failed lookup leaves its part out rather than holding the alert back.
 */
import type { Alert } from '../core/alert.js';
import type { FieldValue } from '../core/event.js';
import type { Store } from '../core/store.js';
import type { EntityDirectory } from './entity-directory.js';

export interface IntelLookup {
  /** Indicators listing this value (an address, domain, URL or hash), as `{type, value, source, confidence}`. */
  (value: string): readonly Readonly<Record<string, unknown>>[];
}

export interface AlertContextOptions {
  readonly geo?: { additionsFor(address: string): readonly (readonly [string, FieldValue])[] } | undefined;
  readonly assets?: EntityDirectory | undefined;
  readonly users?: EntityDirectory | undefined;
  readonly intel?: IntelLookup | undefined;
  readonly history?: Pick<Store, 'search' | 'entityStats'> | undefined;
  /** First-seen and prevalence of each entity. */
  readonly prevalence: boolean;
  /** ± minutes of surrounding events; 0: none. */
  readonly surroundingMinutes: number;
  /** Event ids listed per surrounding group. Default 20. */
  readonly maxSurrounding?: number;
}

const ADDRESS_FIELDS = ['source.ip', 'destination.ip', 'client.ip', 'server.ip', 'host.ip'];
const HOST_FIELDS = ['host.name'];
const USER_FIELDS = ['user.name', 'user.target.name'];

export class AlertContext {
  constructor(private readonly options: AlertContextOptions) {}

  async enrich(alert: Alert): Promise<Alert> {
    const entities = (alert.details['entities'] ?? {}) as Record<string, unknown>;
    const values = (fields: readonly string[]) => fields.flatMap((f) => listOf(entities[f]).map((v) => [f, v] as const));
    const context: Record<string, unknown> = {};

    const geo: Record<string, Record<string, FieldValue>> = {};
    for (const [, ip] of values(ADDRESS_FIELDS)) {
      const additions = this.options.geo?.additionsFor(ip) ?? [];
      if (additions.length > 0) geo[ip] = Object.fromEntries(additions);
    }
    if (Object.keys(geo).length > 0) context['geo'] = geo;

    const assets: Record<string, unknown> = {};
    for (const [, v] of [...values(HOST_FIELDS), ...values(ADDRESS_FIELDS)]) {
      const r = this.options.assets?.find(v);
      if (r) assets[v] = r;
    }
    if (Object.keys(assets).length > 0) context['assets'] = assets;
    const users: Record<string, unknown> = {};
    for (const [, v] of values(USER_FIELDS)) {
      const r = this.options.users?.find(v);
      if (r) users[v] = r;
    }
    if (Object.keys(users).length > 0) context['users'] = users;

    if (this.options.intel) {
      const intel = Object.entries(entities).flatMap(([field, raw]) => listOf(raw).flatMap((v) => this.options.intel!(v).map((i) => ({ field, observed: v, ...i }))));
      if (intel.length > 0) context['intel'] = intel.slice(0, 20);
    }

    const history = this.options.history;
    if (history) {
      const prevalence: Record<string, unknown> = {};
      for (const [field, v] of this.options.prevalence ? values([...HOST_FIELDS, ...USER_FIELDS, ...ADDRESS_FIELDS]) : []) {
        const stats = await history.entityStats(alert.tenant, field, v).catch(() => undefined);
        if (stats && stats.events > 0) prevalence[`${field}=${v}`] = { events: stats.events, firstSeen: new Date(stats.first).toISOString(), lastSeen: new Date(stats.last).toISOString() };
      }
      if (Object.keys(prevalence).length > 0) context['prevalence'] = prevalence;
      const minutes = this.options.surroundingMinutes;
      if (minutes > 0) {
        const surrounding: Record<string, unknown> = {};
        const from = alert.firstSeen - minutes * 60_000;
        const to = alert.lastSeen + minutes * 60_000 + 1;
        for (const [field, v] of values([...HOST_FIELDS, ...USER_FIELDS])) {
          const result = await history
            .search({ tenant: alert.tenant, query: { kind: 'field', field, value: v, wildcard: false, quoted: true }, from, to, limit: this.options.maxSurrounding ?? 20 })
            .catch(() => undefined);
          if (result && result.total > 0) {
            surrounding[`${field}=${v}`] = { from: new Date(from).toISOString(), to: new Date(to - 1).toISOString(), events: result.total, eventIds: result.hits.map((e) => e.id) };
          }
        }
        if (Object.keys(surrounding).length > 0) context['surrounding'] = surrounding;
      }
    }
    return Object.keys(context).length === 0 ? alert : { ...alert, details: { ...alert.details, context } };
  }
}

function listOf(raw: unknown): string[] {
  const list = Array.isArray(raw) ? raw : [raw];
  return list.filter((v): v is string | number => typeof v === 'string' || typeof v === 'number').map(String);
}
