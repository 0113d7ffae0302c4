/**
 * Splunk HEC events to ECS fields.
 * - `event` as text becomes `message`; as an object it is flattened into the top level;
 * - `fields` (Splunk's indexed fields) are flattened into the top level and win over `event`;
 * - Splunk's metadata is kept verbatim as `splunk.host`, `splunk.source`, `splunk.sourcetype`,
 *   `splunk.index`, and also filled into the ECS names when the record does not set them:
 *   `host` → `host.name`; `source` → `log.file.path` only when it looks like a file path
 *   (HEC sources are often labels such as `http:app`); `sourcetype` → `event.dataset`;
 * - `time` (epoch seconds, number or text) is the event time; without it the record's own
 *   `@timestamp`/`timestamp`/`time` is used, as for any JSON record.
 */
import type { FieldValue, Fields } from '../../core/event.js';
import type { HecEnvelope, MappedRecord, MappingLimits } from '../../sources/http/record-mapping.js';
import { emptyFields, flattenJsonObject, mergeFields } from './flatten-json.js';
import { finishRecord } from './json-mapping.js';
import { parseTimestamp } from './event-time.js';

/** Splunk metadata is text; numbers and booleans are accepted as their text, anything else ignored. */
function metaText(value: unknown): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

function looksLikePath(source: string): boolean {
  return source.startsWith('/') || /^[A-Za-z]:[\\/]/.test(source) || source.startsWith('\\\\');
}

function fillIfAbsent(fields: Fields, key: string, value: FieldValue | undefined): void {
  if (value !== undefined && !(key in fields)) fields[key] = value;
}

export function mapHecEvent(envelope: HecEnvelope, limits: MappingLimits): MappedRecord {
  const flatten = { maxDepth: limits.maxJsonDepth, maxFields: limits.maxFieldsPerEvent };
  let fields: Fields;
  let truncated = false;
  if (typeof envelope.event === 'string') {
    fields = emptyFields();
    fields['message'] = envelope.event;
  } else {
    ({ fields, truncated } = flattenJsonObject(envelope.event, flatten));
  }
  const indexed = envelope.fields;
  if (typeof indexed === 'object' && indexed !== null && !Array.isArray(indexed)) {
    const extra = flattenJsonObject(indexed as { readonly [key: string]: unknown }, flatten);
    truncated = mergeFields(fields, extra.fields, limits.maxFieldsPerEvent) || extra.truncated || truncated;
  }

  const host = metaText(envelope.host);
  const source = metaText(envelope.source);
  const sourcetype = metaText(envelope.sourcetype);
  const index = metaText(envelope.index);
  // Metadata may exceed the field cap by these few keys: they say where the event came from.
  if (host !== undefined) fields['splunk.host'] = host;
  if (source !== undefined) fields['splunk.source'] = source;
  if (sourcetype !== undefined) fields['splunk.sourcetype'] = sourcetype;
  if (index !== undefined) fields['splunk.index'] = index;
  fillIfAbsent(fields, 'host.name', host);
  if (source !== undefined && looksLikePath(source)) fillIfAbsent(fields, 'log.file.path', source);
  fillIfAbsent(fields, 'event.dataset', sourcetype);

  if (envelope.time !== undefined && envelope.time !== null && envelope.time !== '') {
    const time = typeof envelope.time === 'number' || typeof envelope.time === 'string' ? parseTimestamp(envelope.time) : undefined;
    if (time !== undefined) return finishRecord(fields, truncated, time);
    const record = finishRecord(fields, truncated);
    return record.flags.includes('time-unparsed') ? record : { ...record, flags: [...record.flags, 'time-unparsed'] };
  }
  return finishRecord(fields, truncated);
}
