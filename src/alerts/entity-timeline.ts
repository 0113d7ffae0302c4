/**
 * The entity timeline: everything stored about one host, user or address in a time range, in
 * order: its events and the alerts that name it. It also lists the related entities, the other
 * hosts, users and addresses that appear in those events, so an analyst can pivot from the web
 * server to the account that logged in and on to the address it came from.
 */
import type { Alert } from '../core/alert.js';
import { VigilError } from '../core/errors.js';
import type { Event, FieldValue } from '../core/event.js';
import type { Store } from '../core/store.js';

export const ENTITY_FIELDS = ['host.name', 'user.name', 'source.ip', 'destination.ip', 'host.ip', 'user.target.name', 'process.name', 'file.path'] as const;

export interface TimelineItem {
  readonly at: number;
  readonly kind: 'event' | 'alert';
  readonly id: string;
  /** The event's message (or its original, shortened), or the alert's rule title with its author. */
  readonly summary: string;
  readonly level?: string | undefined;
}

export interface EntityTimeline {
  readonly entity: { readonly field: string; readonly value: string };
  readonly from: number | undefined;
  readonly to: number | undefined;
  readonly events: number;
  /** True when more events matched than the timeline lists (the newest are kept). */
  readonly truncated: boolean;
  readonly items: readonly TimelineItem[];
  /** Other entities in the same events, most frequent first. */
  readonly related: readonly { readonly field: string; readonly value: string; readonly events: number }[];
}

const MAX_EVENTS = 10_000;

export function parseEntity(text: string): { field: string; value: string } {
  const i = text.indexOf(':');
  const field = i > 0 ? text.slice(0, i).trim() : '';
  const value = i > 0 ? text.slice(i + 1).trim().replace(/^"(.*)"$/, '$1') : '';
  if (!(ENTITY_FIELDS as readonly string[]).includes(field) || value === '' || value.length > 1000) {
    throw new VigilError('bad-request', `an entity is field:value with one of ${ENTITY_FIELDS.join(', ')}, e.g. host.name:web01`, { where: 'entity' });
  }
  return { field, value };
}

export async function entityTimeline(
  store: Pick<Store, 'search' | 'listAlerts'>,
  tenant: string,
  entity: { field: string; value: string },
  from?: number,
  to?: number,
  limit = 2000,
): Promise<EntityTimeline> {
  const result = await store.search({
    tenant,
    query: { kind: 'field', field: entity.field, value: entity.value, wildcard: false, quoted: true },
    ...(from === undefined ? {} : { from }),
    ...(to === undefined ? {} : { to }),
    limit: Math.min(limit, MAX_EVENTS),
  });
  const alerts = (await store.listAlerts(tenant, MAX_EVENTS)).filter((a) => names(a, entity) && (from === undefined || a.lastSeen >= from) && (to === undefined || a.firstSeen < to));
  const items: TimelineItem[] = [
    ...result.hits.map((e) => ({ at: e.time, kind: 'event' as const, id: e.id, summary: summaryOf(e) })),
    ...alerts.map((a) => ({ at: a.firstSeen, kind: 'alert' as const, id: a.id, summary: `${a.ruleTitle} (${a.ruleAuthor})${a.count > 1 ? ` ×${a.count}` : ''}`, level: a.level })),
  ].sort((x, y) => x.at - y.at || (x.kind === y.kind ? 0 : x.kind === 'event' ? -1 : 1));
  const related = new Map<string, { field: string; value: string; events: number }>();
  for (const e of result.hits) {
    for (const field of ENTITY_FIELDS) {
      for (const value of values(e.fields[field])) {
        if (field === entity.field && value.toLowerCase() === entity.value.toLowerCase()) continue;
        const key = `${field}\u0000${value}`;
        const r = related.get(key) ?? { field, value, events: 0 };
        r.events++;
        related.set(key, r);
      }
    }
  }
  return {
    entity,
    from,
    to,
    events: result.total,
    truncated: result.total > result.hits.length,
    items,
    related: [...related.values()].sort((a, b) => b.events - a.events).slice(0, 50),
  };
}

function names(a: Alert, entity: { field: string; value: string }): boolean {
  const v = ((a.details['entities'] ?? {}) as Record<string, unknown>)[entity.field];
  return values(v as FieldValue | undefined).some((x) => x.toLowerCase() === entity.value.toLowerCase());
}

function values(v: FieldValue | undefined): string[] {
  if (v === undefined || v === null) return [];
  const list = Array.isArray(v) ? v : [v];
  return list.filter((x): x is string | number => typeof x === 'string' || typeof x === 'number').map(String);
}

function summaryOf(e: Event): string {
  const m = e.fields['message'];
  const text = typeof m === 'string' && m !== '' ? m : e.original;
  return text.length > 300 ? `${text.slice(0, 299)}…` : text;
}
