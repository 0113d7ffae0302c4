/**
 * The records of a `POST /api/v1/ingest` body: NDJSON (one JSON object per line, blank lines
 * ignored), a JSON array of objects, or one JSON object (which may span lines). A line holding a
 * bare JSON string is a plain message; numbers, arrays, null and booleans are refused. `original`
 * is always the record's JSON text: the exact line, or JSON.stringify of an array element.
 */
import type { JsonObject } from './record-mapping.js';
import { envelopeRecords } from './record-envelope.js';
import { JsonDepthError, nonBlankLines, parseJsonLine, syntaxReason, type ParsedLine } from './ndjson-lines.js';

export interface IngestRecord {
  /** `line 3` or `element 2`: how the client finds it. */
  readonly position: string;
  readonly value: JsonObject | string;
  /** The exact line text, or JSON.stringify of an array element. */
  readonly original: string;
}

export class IngestRecordError extends Error {
  constructor(
    readonly position: string,
    readonly reason: string,
    /** Records read so far, the bad one included: what the request loses. */
    readonly seen: number,
  ) {
    super(`${position}: ${reason}`);
    this.name = 'IngestRecordError';
  }
}

function bomLength(body: Buffer): number {
  return body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? 3 : 0;
}

function firstByte(body: Buffer): number | undefined {
  for (let i = bomLength(body); i < body.length; i++) {
    const b = body[i] as number;
    if (b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09) return b;
  }
  return undefined;
}

function asRecordValue(value: unknown): JsonObject | string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as JsonObject;
  return undefined;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  return `a ${typeof value}`;
}

function parseWhole(body: Buffer, maxDepth: number): unknown {
  return parseJsonLine(body, bomLength(body), body.length, maxDepth).value;
}

function* arrayRecords(body: Buffer, maxDepth: number): Generator<IngestRecord> {
  let parsed: unknown;
  try {
    parsed = parseWhole(body, maxDepth);
  } catch (error) {
    throw new IngestRecordError('body', error instanceof JsonDepthError ? error.message : syntaxReason(error), 1);
  }
  const items = parsed as unknown[];
  for (let i = 0; i < items.length; i++) {
    const value = asRecordValue(items[i]);
    const position = `element ${i + 1}`;
    if (value === undefined) throw new IngestRecordError(position, `expected a JSON object or string, found ${describe(items[i])}`, i + 1);
    yield { position, value, original: JSON.stringify(value) };
  }
}

function* lineRecords(body: Buffer, maxDepth: number): Generator<IngestRecord> {
  let seen = 0;
  for (const line of nonBlankLines(body)) {
    seen++;
    const position = `line ${line.number}`;
    let parsed: ParsedLine;
    try {
      parsed = parseJsonLine(body, line.start, line.end, maxDepth);
    } catch (error) {
      if (seen === 1 && !(error instanceof JsonDepthError)) {
        // Not NDJSON after all? A single object pretty-printed over several lines is fine.
        const whole = singleObject(body, maxDepth);
        if (whole) {
          yield whole;
          return;
        }
      }
      throw new IngestRecordError(position, error instanceof JsonDepthError ? error.message : syntaxReason(error), seen);
    }
    const value = asRecordValue(parsed.value);
    if (value === undefined) throw new IngestRecordError(position, `expected a JSON object or string, found ${describe(parsed.value)}`, seen);
    yield { position, value, original: parsed.text };
  }
}

function singleObject(body: Buffer, maxDepth: number): IngestRecord | undefined {
  if (firstByte(body) !== 0x7b) return undefined;
  try {
    const parsed = parseWhole(body, maxDepth);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
    return { position: 'line 1', value: parsed as JsonObject, original: body.toString('utf8', bomLength(body)).trim() };
  } catch {
    return undefined;
  }
}

/**
 * Yields the body's records in order; throws IngestRecordError at the first bad one. A record
 * that is an envelope (`{"Records":[…]}`) yields the records it holds.
 */
export function* ingestRecords(body: Buffer, maxDepth: number): Generator<IngestRecord> {
  const records = firstByte(body) === 0x5b ? arrayRecords(body, maxDepth) : lineRecords(body, maxDepth);
  for (const record of records) {
    const inner = envelopeRecords(record.value);
    if (!inner) {
      yield record;
      continue;
    }
    for (const [i, value] of inner.entries()) yield { position: `${record.position}, record ${i + 1}`, value, original: JSON.stringify(value) };
  }
}
