/**
 * What every event store checks of an event before it builds a row, and how it splits the
 * message off the fields: one place, so DuckDB and ClickHouse refuse the same events with the
 * same words and store the same fields. Each store then builds its own column values (DuckDB
 * bigint times, ClickHouse well-formed UTF-8).
 */
import { VigilError } from '../core/errors.js';
import type { Event, FieldValue, Fields } from '../core/event.js';

export interface CheckedEvent {
  readonly id: string;
  readonly tenant: string;
  readonly time: number;
  readonly received: number;
  readonly input: string;
  readonly kind: string;
  readonly format: string;
  readonly original: string;
  /** The fields without a string `message` (the message column holds it). */
  readonly storedFields: Fields;
  readonly message: FieldValue | undefined;
}

export function invalidEvent(index: number, event: Event, problem: string): VigilError {
  return new VigilError(
    'internal',
    `event ${index} of the batch (id ${String(event.id)}) cannot be stored: ${problem}; this is a bug in the stage that built it, please report it`,
  );
}

/** Validates the event's shape; `clean` is applied to every text the row keeps as it is. */
export function checkEvent(event: Event, index: number, clean: (text: string) => string = (text) => text): CheckedEvent {
  const text = (name: string, value: unknown): string => {
    if (typeof value !== 'string') throw invalidEvent(index, event, `${name} must be a string, got ${typeof value}`);
    return clean(value);
  };
  const millis = (name: string, value: unknown): number => {
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
      throw invalidEvent(index, event, `${name} must be an integer epoch-ms number, got ${String(value)}`);
    }
    return value;
  };
  const checked = {
    id: text('id', event.id),
    tenant: text('tenant', event.tenant),
    time: millis('time', event.time),
    received: millis('received', event.received),
    input: text('source.input', event.source?.input),
    kind: text('source.kind', event.source?.kind),
    format: text('format', event.format),
    original: text('original', event.original),
  };
  if (event.fields === null || typeof event.fields !== 'object') throw invalidEvent(index, event, 'fields must be an object');
  if (!Array.isArray(event.flags)) throw invalidEvent(index, event, 'flags must be an array');
  const message = event.fields.message;
  let storedFields: Fields = event.fields;
  if (typeof message === 'string') {
    // The message column holds it; the JSON keeps a message of any other type, with its type.
    const { message: _inColumn, ...rest } = event.fields;
    storedFields = rest;
  }
  return { ...checked, storedFields, message };
}
