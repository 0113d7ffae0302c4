/**
 * The event time of a JSON record: `@timestamp` (ECS), else `timestamp`, `time`, `event.created`.
 * Accepted values: ISO 8601 / RFC 3339 text, or epoch numbers (also as digit strings). A number
 * below 1e11 is read as seconds (1e11 s is the year 5138, 1e11 ms is 1973), so both
 * `1700000000` and `1700000000000` mean November 2023, and HEC's float seconds work unchanged.
 * Text without a zone is read as UTC, not the server's zone, so the same record means the same
 * instant on every host.
 */
import type { FieldValue, Fields } from '../../core/event.js';

export const TIME_FIELDS = ['@timestamp', 'timestamp', 'time', 'event.created'] as const;

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|z|[+-]\d{2}(?::?\d{2})?)?)?$/;
const EPOCH_TEXT = /^-?\d+(?:\.\d+)?$/;
const SECONDS_BELOW = 1e11;
/** ±100,000,000 days around 1970: the range of a JS Date. */
const MAX_MS = 8.64e15;

export function epochToMs(value: number): number | undefined {
  if (!Number.isFinite(value)) return undefined;
  const ms = Math.abs(value) < SECONDS_BELOW ? value * 1000 : value;
  return Math.abs(ms) <= MAX_MS ? Math.round(ms) : undefined;
}

function isoToMs(text: string): number | undefined {
  const m = ISO.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone = 'Z'] = m;
  let offset = zone.toUpperCase() === 'Z' ? 'Z' : zone;
  if (offset !== 'Z' && offset.length === 3) offset += ':00';
  else if (offset !== 'Z' && !offset.includes(':')) offset = `${offset.slice(0, 3)}:${offset.slice(3)}`;
  const ms = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}${frac.slice(0, 4)}${offset}`);
  // Date.parse rolls 2024-02-30 over to March on some inputs; a month or day out of range is
  // NaN for the ISO form, which is what we want.
  return Number.isNaN(ms) ? undefined : ms;
}

/** Epoch ms for a timestamp value, or undefined when it is not one. */
export function parseTimestamp(value: FieldValue | undefined): number | undefined {
  if (typeof value === 'number') return epochToMs(value);
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (EPOCH_TEXT.test(text)) return epochToMs(Number(text));
  return isoToMs(text);
}

export interface RecordTime {
  readonly time: number | undefined;
  /** A timestamp field was present but none could be read: flag `time-unparsed`. */
  readonly unparsed: boolean;
}

/** The first readable timestamp among TIME_FIELDS. */
export function eventTimeOf(fields: Fields): RecordTime {
  let seen = false;
  for (const name of TIME_FIELDS) {
    const value = fields[name];
    if (value === undefined || value === null) continue;
    seen = true;
    const time = parseTimestamp(value);
    if (time !== undefined) return { time, unparsed: false };
  }
  return { time: undefined, unparsed: seen };
}
