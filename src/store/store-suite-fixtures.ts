/** Fixtures shared by the Store conformance suite's files (store.suite.ts). */
import { createEvent, type Event, type Fields } from '../core/event.js';
import type { QueryNode } from '../core/query.js';
import type { AlertRecord, Store, TokenRecord } from '../core/store.js';

/** What a suite file needs from the running suite: the store under test, and a search helper. */
export interface SuiteContext {
  readonly store: Store;
  /** Ids of the hits for `query` (tenant `a` unless given), newest first. */
  ids(query: QueryNode, extra?: { tenant?: string; from?: number; to?: number; limit?: number }): Promise<string[]>;
}

export const T0 = Date.UTC(2024, 4, 1, 12, 0, 0);
export const MINUTE = 60_000;

export interface EventSpec {
  readonly tenant?: string;
  readonly minute?: number;
  readonly message?: string;
  readonly original?: string;
  readonly fields?: Fields;
}

/** An event `minute` minutes after T0; original defaults to a syslog line around the message. */
export function event(spec: EventSpec): Event {
  const message = spec.message ?? 'hello';
  return createEvent({
    tenant: spec.tenant ?? 'a',
    received: T0 + (spec.minute ?? 0) * MINUTE + 5,
    time: T0 + (spec.minute ?? 0) * MINUTE,
    source: { input: 'syslog', kind: 'syslog-udp', address: '10.0.0.9:514' },
    format: 'rfc5424',
    original: spec.original ?? `<34>1 2024-05-01T12:00:00Z host app - - - ${message}`,
    fields: { message, ...spec.fields },
  });
}

// Small builders for query trees, so specs read like queries.
export const f = (field: string, value: string, wildcard = false): QueryNode => ({ kind: 'field', field, value, wildcard, quoted: false });
export const t = (text: string, wildcard = false): QueryNode => ({ kind: 'text', text, wildcard, quoted: !wildcard });
export const not = (child: QueryNode): QueryNode => ({ kind: 'not', child });
export const and = (...children: QueryNode[]): QueryNode => ({ kind: 'and', children });
export const or = (...children: QueryNode[]): QueryNode => ({ kind: 'or', children });
export const exists = (field: string): QueryNode => ({ kind: 'exists', field });

export function token(overrides: Partial<TokenRecord> = {}): TokenRecord {
  return { id: 'tok-1', name: 'shipper', role: 'ingest', tenant: 'a', hash: 'a'.repeat(64), created: T0, revoked: false, ...overrides };
}

export function alert(overrides: Partial<AlertRecord> = {}): AlertRecord {
  return {
    id: 'al-1',
    tenant: 'a',
    created: T0,
    ruleId: 'r-1',
    ruleTitle: 'SSH brute force',
    ruleAuthor: 'vigil',
    level: 'high',
    eventIds: ['e1', 'e2'],
    state: 'new',
    details: { count: 12, source: { ip: '203.0.113.7' } },
    ...overrides,
  };
}
