/**
 * Envelopes that carry many records in one JSON object: CloudTrail's S3 files
 * (`{"Records":[…]}`) and Azure's Event Hub and storage exports (`{"records":[…]}`). Each
 * record inside is one event, whichever input the envelope came by (a file, an NDJSON line, a
 * request body). Only an object holding nothing but that array is an envelope, so a record that
 * merely has a `records` field is left whole.
 */
import type { JsonObject } from './record-mapping.js';

export function envelopeRecords(value: unknown): readonly JsonObject[] | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length !== 1 || (keys[0] !== 'Records' && keys[0] !== 'records')) return undefined;
  const inner = (value as Record<string, unknown>)[keys[0]];
  if (!Array.isArray(inner) || inner.length === 0) return undefined;
  return inner.every((r) => typeof r === 'object' && r !== null && !Array.isArray(r)) ? (inner as JsonObject[]) : undefined;
}
