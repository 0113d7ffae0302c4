/**
 * The event model every stage shares: the original record, untouched, plus normalised fields
 * named after the Elastic Common Schema. Sigma rules read native names (from `original`);
 * search, correlation and the UI read the ECS names in `fields`.
 */
import { newId } from './ids.js';

/** A normalised field value. Fields are flat: nested objects are stored under dotted keys. */
export type FieldValue = string | number | boolean | null | readonly FieldValue[];

/** Flat map of ECS-style dotted names (`host.name`, `source.ip`) to values. */
export type Fields = Record<string, FieldValue>;

/** How the event reached Vigil. */
export const SOURCE_KINDS = ['syslog-udp', 'syslog-tcp', 'syslog-tls', 'http-ingest', 'splunk-hec', 'elastic-bulk', 'file'] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

export interface EventSource {
  /** Name of the configured input (`syslog`, `http`, `file:/var/log/auth.log`). */
  readonly input: string;
  readonly kind: SourceKind;
  /** Remote peer (`ip:port`) or file path; absent when unknown. */
  readonly address?: string;
}

/** How the original record was read. `raw` means no parser understood it. */
export const EVENT_FORMATS = ['rfc3164', 'rfc5424', 'json', 'hec', 'bulk', 'web-access', 'web-error', 'auditd', 'zeek', 'windows', 'device', 'raw'] as const;
export type EventFormat = (typeof EVENT_FORMATS)[number];

/**
 * Why an event is not exactly what was sent. Never silent: a flag is stored with the event
 * and counted in metrics.
 */
export type EventFlag = 'unparsed' | 'truncated' | 'time-unparsed';

export interface Event {
  /** UUIDv7: sortable by receive time, unique across processes. */
  readonly id: string;
  /** Every event belongs to a tenant; derived from the credential that sent it, never from content. */
  readonly tenant: string;
  /** Receive time, epoch milliseconds. */
  readonly received: number;
  /** Event time (from the record when it has one, else the receive time), epoch milliseconds. */
  readonly time: number;
  readonly source: EventSource;
  readonly format: EventFormat;
  /** The original record exactly as received (text, or JSON text), possibly truncated (see flags). */
  readonly original: string;
  /** Normalised ECS fields, flattened. `message` holds the human-readable text. */
  readonly fields: Fields;
  readonly flags: readonly EventFlag[];
}

export const DEFAULT_TENANT = 'default';

/** What a parser knows about one record; `createEvent` adds identity and receive metadata. */
export interface EventInit {
  readonly tenant: string;
  readonly received: number;
  /** Event time from the record; falls back to `received`. */
  readonly time?: number | undefined;
  readonly source: EventSource;
  readonly format: EventFormat;
  readonly original: string;
  readonly fields: Fields;
  readonly flags?: readonly EventFlag[];
}

export function createEvent(init: EventInit): Event {
  return {
    id: newId(),
    tenant: init.tenant,
    received: init.received,
    time: init.time ?? init.received,
    source: init.source,
    format: init.format,
    original: init.original,
    fields: init.fields,
    flags: init.flags ?? [],
  };
}
