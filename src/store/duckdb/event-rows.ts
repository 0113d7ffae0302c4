/**
 * Event ↔ `events` row. Writing goes through the DuckDB Appender (positional, in the column
 * order of schema.ts); reading rebuilds the Event from the columns a search selects.
 */
import { LIST, VARCHAR, type DuckDBAppender, type JS } from '@duckdb/node-api';
import { VigilError } from '../../core/errors.js';
import type { Event, EventFlag, EventFormat, FieldValue, Fields, SourceKind } from '../../core/event.js';
import { PROMOTED_FIELDS } from './schema.js';

const VARCHAR_LIST = LIST(VARCHAR);

/** Text a promoted column stores for one scalar value: lower-cased, as queries compare it. */
function keyword(value: string | number | boolean): string {
  return String(value).toLowerCase();
}

function isScalar(value: FieldValue | undefined): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

function invalid(index: number, event: Event, problem: string): VigilError {
  return new VigilError(
    'internal',
    `event ${index} of the batch (id ${String(event.id)}) cannot be stored: ${problem}; this is a bug in the stage that built it, please report it`,
  );
}

function requireText(index: number, event: Event, name: string, value: unknown): string {
  if (typeof value !== 'string') throw invalid(index, event, `${name} must be a string, got ${typeof value}`);
  return value;
}

function requireMillis(index: number, event: Event, name: string, value: unknown): bigint {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw invalid(index, event, `${name} must be an integer epoch-ms number, got ${String(value)}`);
  }
  return BigInt(value);
}

function appendTextOrNull(appender: DuckDBAppender, value: string | undefined): void {
  if (value === undefined) appender.appendNull();
  else appender.appendVarchar(value);
}

function appendListOrNull(appender: DuckDBAppender, items: readonly string[] | undefined): void {
  if (items === undefined) appender.appendNull();
  else appender.appendList(items, VARCHAR_LIST);
}

/**
 * Appends one event as a row. Validation comes first, so a malformed event throws before any
 * of its columns is written; the caller rolls the whole batch back.
 */
export function appendEventRow(appender: DuckDBAppender, event: Event, index: number): void {
  const id = requireText(index, event, 'id', event.id);
  const tenant = requireText(index, event, 'tenant', event.tenant);
  const time = requireMillis(index, event, 'time', event.time);
  const received = requireMillis(index, event, 'received', event.received);
  const input = requireText(index, event, 'source.input', event.source?.input);
  const kind = requireText(index, event, 'source.kind', event.source?.kind);
  const format = requireText(index, event, 'format', event.format);
  const original = requireText(index, event, 'original', event.original);
  if (event.fields === null || typeof event.fields !== 'object') throw invalid(index, event, 'fields must be an object');
  if (!Array.isArray(event.flags)) throw invalid(index, event, 'flags must be an array');

  const jsonOnly: string[] = [];
  const { message, ...rest } = event.fields;
  let storedFields: Fields = rest;
  if (typeof message !== 'string') {
    // Only a string message has a column; anything else keeps its type in the JSON.
    storedFields = event.fields;
    if (message !== undefined && message !== null) jsonOnly.push('message');
  }
  const fieldsJson = JSON.stringify(storedFields);
  const lowerOriginal = original.toLowerCase();
  const searchText =
    typeof message === 'string' && message.length > 0 && !original.includes(message)
      ? `${lowerOriginal}\n${message.toLowerCase()}`
      : lowerOriginal;

  appender.appendVarchar(id);
  appender.appendVarchar(tenant);
  appender.appendBigInt(time);
  appender.appendBigInt(received);
  appender.appendVarchar(input);
  appender.appendVarchar(kind);
  appendTextOrNull(appender, event.source.address);
  appender.appendVarchar(format);
  appendListOrNull(appender, event.flags.length > 0 ? event.flags : undefined);
  appender.appendVarchar(original);
  appendTextOrNull(appender, typeof message === 'string' ? message : undefined);
  appender.appendVarchar(searchText);
  appender.appendVarchar(fieldsJson);

  const promoted: Array<string | readonly string[] | undefined> = [];
  for (const p of PROMOTED_FIELDS) {
    const value = event.fields[p.field];
    if (value === undefined || value === null) {
      promoted.push(undefined);
    } else if (p.shape === 'list') {
      const items = Array.isArray(value) ? value : [value];
      promoted.push(items.filter(isScalar).map(keyword));
    } else if (isScalar(value)) {
      promoted.push(keyword(value));
    } else {
      promoted.push(undefined);
      jsonOnly.push(p.field);
    }
  }
  appendListOrNull(appender, jsonOnly.length > 0 ? jsonOnly : undefined);
  for (const value of promoted) {
    if (typeof value === 'string' || value === undefined) appendTextOrNull(appender, value);
    else appender.appendList(value, VARCHAR_LIST);
  }
  appender.endRow();
}

function text(value: JS | undefined): string {
  return typeof value === 'string' ? value : '';
}

function millis(value: JS | undefined): number {
  return typeof value === 'bigint' || typeof value === 'number' ? Number(value) : 0;
}

/** Rebuilds an Event from a row of HIT_COLUMNS (schema.ts), in that order. */
export function eventFromRow(row: readonly JS[]): Event {
  const [id, tenant, time, received, input, kind, address, format, flags, original, message, fields] = row;
  const parsed = JSON.parse(text(fields)) as Fields;
  const restored: Fields = typeof message === 'string' ? { ...parsed, message } : parsed;
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
