/**
 * `YYYY-MM-DD hh:mm:ss[.fff]` and `YYYY/MM/DD hh:mm:ss[.fff]`: the local date-time many network
 * devices (Huawei USG, firewalld, Juniper NetScreen's trailer) and application loggers put where
 * syslog expects its timestamp. No offset is written, so it is read in the configured zone.
 */
import type { TimeZone } from './time-zone.js';
import { fourDigits, twoDigits, wallClockMs } from './wall-clock.js';

export interface NumericTimestamp {
  /** Epoch ms, or NaN when the shape is right but a part is out of range. */
  readonly time: number;
  /** Index after the timestamp. */
  readonly end: number;
}

const DASH = 0x2d;
const SLASH = 0x2f;
const COLON = 0x3a;
const SPACE = 0x20;
const DOT = 0x2e;
const COMMA = 0x2c;

export function scanNumericTimestamp(s: string, start: number, end: number, zone: TimeZone): NumericTimestamp | undefined {
  if (end - start < 19) return undefined;
  const sep = s.charCodeAt(start + 4);
  if ((sep !== DASH && sep !== SLASH) || s.charCodeAt(start + 7) !== sep || s.charCodeAt(start + 10) !== SPACE) return undefined;
  if (s.charCodeAt(start + 13) !== COLON || s.charCodeAt(start + 16) !== COLON) return undefined;
  const year = fourDigits(s, start);
  const month = twoDigits(s, start + 5);
  const day = twoDigits(s, start + 8);
  const hour = twoDigits(s, start + 11);
  const minute = twoDigits(s, start + 14);
  const second = twoDigits(s, start + 17);
  if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) return undefined;
  let i = start + 19;
  let ms = 0;
  // Python's logging writes `,123`; most others `.123`. Digits past the millisecond are cut.
  const dot = s.charCodeAt(i);
  if ((dot === DOT || dot === COMMA) && i + 1 < end) {
    let k = i + 1;
    let scale = 100;
    while (k < end) {
      const d = s.charCodeAt(k) - 0x30;
      if (!(d >= 0 && d <= 9)) break;
      ms += d * scale;
      scale /= 10;
      k++;
    }
    if (k === i + 1) return undefined;
    ms = Math.floor(ms);
    i = k;
  }
  // macOS and some appliances add an offset: `-0700`, `+02:00` or `Z`.
  const offset = scanOffset(s, i, end);
  if (offset) i = offset.end;
  if (i < end && s.charCodeAt(i) !== SPACE && s.charCodeAt(i) !== COLON) return undefined;
  const wall = wallClockMs(year, month, day, hour, minute, second, ms);
  if (Number.isNaN(wall)) return { time: NaN, end: i };
  return { time: offset ? wall - offset.minutes * 60_000 : zone.toEpoch(wall), end: i };
}

function scanOffset(s: string, i: number, end: number): { minutes: number; end: number } | undefined {
  const sign = s.charCodeAt(i);
  if (sign === 0x5a /* Z */) return { minutes: 0, end: i + 1 };
  if (sign !== 0x2b && sign !== DASH) return undefined;
  const hours = twoDigits(s, i + 1);
  const colon = s.charCodeAt(i + 3) === COLON ? 1 : 0;
  const minutes = twoDigits(s, i + 3 + colon);
  if (hours < 0 || minutes < 0 || hours > 23 || minutes > 59 || i + 5 + colon > end) return undefined;
  return { minutes: (sign === DASH ? -1 : 1) * (hours * 60 + minutes), end: i + 5 + colon };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * `2015 Nov 13 13:40:01`: the year-first BSD form of Cisco NX-OS and some rsyslog templates.
 * Read in `zone`.
 */
export function scanYearFirstBsdTimestamp(s: string, start: number, end: number, zone: TimeZone): NumericTimestamp | undefined {
  if (end - start < 20 || s.charCodeAt(start + 4) !== SPACE || s.charCodeAt(start + 8) !== SPACE) return undefined;
  const year = fourDigits(s, start);
  const month = MONTHS.indexOf(s.slice(start + 5, start + 8)) + 1;
  if (year < 0 || month === 0) return undefined;
  // The day may be space-padded (`Nov  3`) or not.
  let i = start + 9;
  if (s.charCodeAt(i) === SPACE) i++;
  const twoDigitDay = twoDigits(s, i);
  const day = twoDigitDay >= 0 ? twoDigitDay : s.charCodeAt(i) - 0x30;
  if (!(day >= 1 && day <= 31)) return undefined;
  i += twoDigitDay >= 0 ? 2 : 1;
  if (s.charCodeAt(i) !== SPACE || s.charCodeAt(i + 3) !== COLON || s.charCodeAt(i + 6) !== COLON) return undefined;
  const hour = twoDigits(s, i + 1);
  const minute = twoDigits(s, i + 4);
  const second = twoDigits(s, i + 7);
  if (hour < 0 || minute < 0 || second < 0) return undefined;
  i += 9;
  if (i < end && s.charCodeAt(i) !== SPACE && s.charCodeAt(i) !== COLON) return undefined;
  const wall = wallClockMs(year, month, day, hour, minute, second, 0);
  return { time: Number.isNaN(wall) ? NaN : zone.toEpoch(wall), end: i };
}
