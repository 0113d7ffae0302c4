/**
 * Zones for timestamps that carry no offset. A BSD timestamp (RFC 3164 §4.1.2) is the sender's
 * local wall-clock time with no zone and no year, so the receiver must be told which zone the
 * sender used; UTC is the default because it is the only guess that is never ambiguous.
 */
import { VigilError } from '../../core/errors.js';

export interface TimeZone {
  /** As configured: `UTC`, `+05:30`, `Europe/Berlin`. */
  readonly name: string;
  /**
   * Converts a wall-clock time, given as the epoch ms it would be if the wall clock were UTC,
   * to the real epoch ms. In a daylight-saving gap or overlap the answer is one of the two
   * readings; the original text is kept, so nothing is lost.
   */
  toEpoch(wallClockAsUtc: number): number;
}

export const UTC: TimeZone = { name: 'UTC', toEpoch: (wall) => wall };

const MINUTE = 60_000;
/** Zone transitions fall on quarter hours in every zone in use since 1970, so offsets are cached per 15 minutes. */
const OFFSET_CACHE_SLOT = 15 * MINUTE;
const OFFSET_CACHE_MAX = 4096;

function fixedOffset(name: string): TimeZone | undefined {
  // `+hh:mm`, `-hhmm`, `+hh`: the forms RFC 3339 and ISO 8601 allow.
  const m = /^([+-])(\d{2}):?(\d{2})?$/.exec(name);
  if (!m) return undefined;
  const hours = Number(m[2]);
  const minutes = Number(m[3] ?? '0');
  if (hours > 23 || minutes > 59) return undefined;
  const offset = (m[1] === '-' ? -1 : 1) * (hours * 60 + minutes) * MINUTE;
  return { name, toEpoch: (wall) => wall - offset };
}

function ianaZone(name: string): TimeZone {
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: name,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  } catch (e) {
    throw new VigilError(
      'config-invalid',
      `unknown time zone "${name}": write UTC, an offset such as +02:00, or an IANA zone name such as Europe/Berlin`,
      { where: 'time zone', cause: e },
    );
  }
  const cache = new Map<number, number>();

  /** Offset of the zone from UTC at instant `t`, in ms (positive east of Greenwich). */
  const offsetAt = (t: number): number => {
    const slot = Math.floor(t / OFFSET_CACHE_SLOT);
    const hit = cache.get(slot);
    if (hit !== undefined) return hit;
    const parts: Record<string, number> = {};
    for (const part of format.formatToParts(slot * OFFSET_CACHE_SLOT)) {
      if (part.type !== 'literal') parts[part.type] = Number(part.value);
    }
    const wall = Date.UTC(parts.year ?? 1970, (parts.month ?? 1) - 1, parts.day ?? 1, parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0);
    const offset = wall - slot * OFFSET_CACHE_SLOT;
    if (cache.size >= OFFSET_CACHE_MAX) cache.clear();
    cache.set(slot, offset);
    return offset;
  };

  return {
    name,
    toEpoch(wall: number): number {
      // Two passes: the offset at the first guess may differ from the offset at the answer
      // when a transition lies between them.
      const first = offsetAt(wall);
      const guess = wall - first;
      const second = offsetAt(guess);
      return second === first ? guess : wall - second;
    },
  };
}

/**
 * A zone by name: `UTC`/`Z`, a fixed offset (`+02:00`, `-0530`) or an IANA name. Throws
 * `config-invalid` for an unknown name, so a bad setting fails at start, not per line.
 */
export function timeZone(name: string): TimeZone {
  const trimmed = name.trim();
  if (trimmed === '' || trimmed === 'UTC' || trimmed === 'Z' || trimmed === 'utc') return UTC;
  return fixedOffset(trimmed) ?? ianaZone(trimmed);
}
