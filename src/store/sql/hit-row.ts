/**
 * An Event rebuilt from a row of the hit columns both event stores select in the same order
 * (`HIT_COLUMNS` in duckdb/schema.ts and clickhouse/schema.ts): one function, so a hit reads the
 * same from either store. Drivers differ only in how they hand over values (DuckDB times as
 * bigint, ClickHouse 64-bit integers as text), which `text` and `millis` absorb.
 */
import type { Event, EventFlag, EventFormat, Fields, SourceKind } from '../../core/event.js';

function text(value: unknown): string {
  return typeof value === 'string' ? value : value === null || value === undefined ? '' : String(value);
}

function millis(value: unknown): number {
  return typeof value === 'bigint' || typeof value === 'number' || typeof value === 'string' ? Number(value) : 0;
}

/** Rebuilds an Event from `id, tenant, time, received, source_input, source_kind, source_address, format, flags, original, message, fields`. */
export function eventFromHitRow(row: readonly unknown[]): Event {
  const [id, tenant, time, received, input, kind, address, format, flags, original, message, fields] = row;
  const parsed = JSON.parse(text(fields)) as Fields;
  // A message still in the JSON was not a string: that copy has the right type.
  const restored: Fields = typeof message === 'string' && !('message' in parsed) ? { ...parsed, message } : parsed;
  return {
    id: text(id),
    tenant: text(tenant),
    time: millis(time),
    received: millis(received),
    source:
      typeof address === 'string'
        ? { input: text(input), kind: text(kind) as SourceKind, address }
        : { input: text(input), kind: text(kind) as SourceKind },
    format: text(format) as EventFormat,
    original: text(original),
    fields: restored,
    flags: Array.isArray(flags) ? (flags.filter((f) => typeof f === 'string') as EventFlag[]) : [],
  };
}
