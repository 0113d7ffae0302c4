/**
 * The sources page's figures from the two grouped scans both event stores run (their SQL
 * differs, the columns do not): one place turns the rows into `SourceActivity`, so the page
 * reads the same from DuckDB and ClickHouse. Also the check of the request's whole numbers.
 */
import { VigilError } from '../../core/errors.js';
import type { SourceActivity } from '../../core/store.js';

/** A request's count or time as the bigint the SQL binds; refused below `min` or not whole. */
export function wholeArgument(value: number, name: string, min = 0): bigint {
  if (!Number.isSafeInteger(value) || value < min) throw new VigilError('query-invalid', `${name} must be a whole number of at least ${min}, got ${String(value)}`, { where: name });
  return BigInt(value);
}

/**
 * `sources`: input, kind, last received, events, unparsed, first in window, recent events,
 * recent unparsed. `hosts`: input, kind, host, last received, events (busiest first per source).
 */
export function sourceActivityFromRows(sources: readonly (readonly unknown[])[], hosts: readonly (readonly unknown[])[]): SourceActivity[] {
  const byKey = new Map<string, { host: string; lastEvent: number; events: number }[]>();
  for (const [input, kind, host, last, n] of hosts) {
    const key = `${String(input)}\u0000${String(kind)}`;
    const list = byKey.get(key) ?? [];
    list.push({ host: String(host), lastEvent: Number(last), events: Number(n) });
    byKey.set(key, list);
  }
  return sources.map(([input, kind, last, events, unparsedCount, first, recentEvents, recentUnparsed]) => ({
    input: String(input),
    kind: String(kind),
    lastEvent: Number(last),
    events: Number(events),
    unparsed: Number(unparsedCount),
    firstInWindow: first === null || first === undefined ? null : Number(first),
    recentEvents: Number(recentEvents),
    recentUnparsed: Number(recentUnparsed),
    hosts: byKey.get(`${String(input)}\u0000${String(kind)}`) ?? [],
  }));
}
