/**
 * The seam between the HTTP source and the parser that turns one record into ECS fields.
 * The source owns the wire formats (framing, JSON syntax, protocol replies); the mapping
 * (flattening, event time, HEC and `_bulk` metadata names) lives in `src/parsers/json` and is
 * handed in by whoever wires the server, because sources sit left of parsers in the pipeline and
 * must not import them.
 */
import type { EventFlag, Fields } from '../../core/event.js';

/** A JSON object as `JSON.parse` returns it: own keys may include `__proto__`. */
export type JsonObject = { readonly [key: string]: unknown };

export interface MappingLimits {
  /** Nesting deeper than this is refused (`http.maxJsonDepth`). */
  readonly maxJsonDepth: number;
  /** Fields past this count are dropped and the event is flagged `truncated`. */
  readonly maxFieldsPerEvent: number;
}

/** What the parser made of one record. */
export interface MappedRecord {
  readonly fields: Fields;
  /** Event time from the record, epoch ms; absent means "use the receive time". */
  readonly time: number | undefined;
  readonly flags: readonly EventFlag[];
}

/** One Splunk HEC event as sent: `event` is required, the rest is optional metadata. */
export interface HecEnvelope {
  readonly event: string | JsonObject;
  readonly time?: unknown;
  readonly host?: unknown;
  readonly source?: unknown;
  readonly sourcetype?: unknown;
  readonly index?: unknown;
  readonly fields?: unknown;
}

/** `_bulk` action metadata that travels with a document. */
export interface BulkMetadata {
  readonly index: string | undefined;
  readonly id: string | undefined;
}

/**
 * Maps one record to fields. Throws `VigilError('bad-request')` for a record that cannot be
 * stored (nested too deep); the caller adds the record's position to the message.
 */
export interface RecordMapping {
  /** A record of `POST /api/v1/ingest`: a JSON object, or a bare string taken as the message. */
  json(record: JsonObject | string, limits: MappingLimits): MappedRecord;
  /** A Splunk HEC event (from `/services/collector/event`, or a `/raw` line wrapped as one). */
  hec(envelope: HecEnvelope, limits: MappingLimits): MappedRecord;
  /** An Elasticsearch `_bulk` source document. */
  bulk(document: JsonObject, metadata: BulkMetadata, limits: MappingLimits): MappedRecord;
}
