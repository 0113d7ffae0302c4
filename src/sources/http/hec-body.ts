/**
 * Splunk HEC request bodies. `/services/collector/event`: concatenated JSON objects, each an
 * envelope with a required `event`. `/services/collector/raw`: lines of text, one event each.
 * Errors carry HEC's numeric codes and the 0-based `invalid-event-number` Splunk reports.
 */
import { VigilError } from '../../core/errors.js';
import { splitConcatenatedJson } from './concatenated-json.js';
import { nonBlankLines, syntaxReason } from './ndjson-lines.js';
import type { HecEnvelope, JsonObject } from './record-mapping.js';

/** HEC status codes Vigil answers with (Splunk's numbering). */
export const HecCode = {
  success: 0,
  tokenRequired: 2,
  invalidAuthorization: 3,
  invalidToken: 4,
  noData: 5,
  invalidDataFormat: 6,
  serverError: 8,
  serverBusy: 9,
  eventRequired: 12,
  eventBlank: 13,
  healthy: 17,
  unhealthy: 18,
} as const;

export class HecError extends VigilError {
  constructor(
    readonly hecCode: number,
    readonly hecText: string,
    message: string,
    /** 0-based index of the first bad event in the batch. */
    readonly eventNumber?: number,
  ) {
    super('bad-request', message, eventNumber === undefined ? { where: 'body' } : { where: `body event ${eventNumber}` });
  }

  /** Events read so far, the bad one included. */
  get seen(): number {
    return this.eventNumber === undefined ? 1 : this.eventNumber + 1;
  }
}

export function invalidEvent(index: number, reason: string): HecError {
  return new HecError(HecCode.invalidDataFormat, 'Invalid data format', `event ${index}: ${reason}; nothing from this request was stored`, index);
}

export interface HecEventText {
  readonly index: number;
  /** The event object's JSON text as sent. */
  readonly original: string;
  readonly envelope: HecEnvelope;
}

function toEnvelope(parsed: JsonObject, index: number): HecEnvelope {
  const event = parsed['event'];
  if (event === undefined) {
    throw new HecError(HecCode.eventRequired, 'Event field is required', `event ${index}: the "event" field is required`, index);
  }
  if (event === null || event === '') {
    throw new HecError(HecCode.eventBlank, 'Event field cannot be blank', `event ${index}: the "event" field is blank`, index);
  }
  let value: string | JsonObject;
  if (typeof event === 'string') value = event;
  else if (typeof event === 'object' && !Array.isArray(event)) value = event as JsonObject;
  else value = typeof event === 'number' || typeof event === 'boolean' ? String(event) : JSON.stringify(event);
  return {
    event: value,
    time: parsed['time'],
    host: parsed['host'],
    source: parsed['source'],
    sourcetype: parsed['sourcetype'],
    index: parsed['index'],
    fields: parsed['fields'],
  };
}

/** The envelopes of an `/event` body, in order. Throws HecError at the first bad one. */
export function* hecEvents(body: Buffer, maxDepth: number): Generator<HecEventText> {
  // Objects before a framing error are still checked first: the first bad event wins.
  const { objects, framing } = splitConcatenatedJson(body, maxDepth);
  if (objects.length === 0 && !framing) throw new HecError(HecCode.noData, 'No data', 'the body holds no events');
  for (const object of objects) {
    let parsed: JsonObject;
    try {
      parsed = JSON.parse(object.text) as JsonObject;
    } catch (error) {
      throw invalidEvent(object.index, syntaxReason(error));
    }
    yield { index: object.index, original: object.text, envelope: toEnvelope(parsed, object.index) };
  }
  if (framing) throw invalidEvent(framing.index, framing.message);
}

/** The lines of a `/raw` body. */
export function* hecRawLines(body: Buffer): Generator<{ readonly index: number; readonly text: string }> {
  let index = 0;
  for (const line of nonBlankLines(body)) yield { index: index++, text: body.toString('utf8', line.start, line.end) };
}
