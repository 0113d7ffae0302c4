/**
 * RFC 3339 §5.6 timestamps, as RFC 5424 §6.2.3 uses them and as rsyslog writes them in place
 * of the BSD timestamp (`RSYSLOG_FileFormat`): `2003-10-11T22:14:15.003Z`,
 * `2003-08-24T05:14:15.000003-07:00`. Index scanning, no regex: this runs once per line.
 */
import type { TimeZone } from './time-zone.js';
import { fourDigits, twoDigits, wallClockMs } from './wall-clock.js';

const DASH = 0x2d;
const COLON = 0x3a;
const DOT = 0x2e;
const PLUS = 0x2b;

/** True when `s[start..]` begins like `YYYY-MM-DD` (cheap format sniffing). */
export function looksLikeRfc3339(s: string, start: number, end: number): boolean {
  return end - start >= 10 && fourDigits(s, start) >= 0 && s.charCodeAt(start + 4) === DASH && s.charCodeAt(start + 7) === DASH;
}

/**
 * Epoch ms of the timestamp that spans exactly `s[start, end)`, or NaN when it is not one.
 * Fractions finer than a millisecond are cut (events keep ms precision; `original` keeps all
 * digits). A missing offset, which RFC 3339 forbids but rsyslog templates produce, is read in
 * `zone`.
 */
export function parseRfc3339Timestamp(s: string, start: number, end: number, zone: TimeZone): number {
  if (end - start < 19) return NaN;
  const year = fourDigits(s, start);
  const month = twoDigits(s, start + 5);
  const day = twoDigits(s, start + 8);
  const sep = s.charCodeAt(start + 10);
  const hour = twoDigits(s, start + 11);
  const minute = twoDigits(s, start + 14);
  const second = twoDigits(s, start + 17);
  if (
    year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0 ||
    s.charCodeAt(start + 4) !== DASH || s.charCodeAt(start + 7) !== DASH ||
    (sep !== 0x54 && sep !== 0x74) || // T or t (RFC 3339 §5.6 NOTE allows lower case)
    s.charCodeAt(start + 13) !== COLON || s.charCodeAt(start + 16) !== COLON
  ) {
    return NaN;
  }
  let i = start + 19;
  let ms = 0;
  if (i < end && s.charCodeAt(i) === DOT) {
    i++;
    const fracStart = i;
    let scale = 100;
    for (; i < end; i++) {
      const d = s.charCodeAt(i) - 0x30;
      if (d < 0 || d > 9) break;
      if (scale >= 1) ms += d * scale;
      scale /= 10;
    }
    // RFC 5424 TIME-SECFRAC allows 1..6 digits; accept up to 9 (nanoseconds) and no more.
    if (i === fracStart || i - fracStart > 9) return NaN;
  }
  const wall = wallClockMs(year, month, day, hour, minute, second, ms);
  if (Number.isNaN(wall)) return NaN;
  if (i === end) return zone.toEpoch(wall);
  const c = s.charCodeAt(i);
  if ((c === 0x5a || c === 0x7a) && i + 1 === end) return wall; // Z or z
  if (c !== PLUS && c !== DASH) return NaN;
  const offHours = twoDigits(s, i + 1);
  let offMinutes: number;
  if (i + 6 === end && s.charCodeAt(i + 3) === COLON) offMinutes = twoDigits(s, i + 4);
  else if (i + 5 === end) offMinutes = twoDigits(s, i + 3);
  else if (i + 3 === end) offMinutes = 0;
  else return NaN;
  if (offHours < 0 || offHours > 23 || offMinutes < 0 || offMinutes > 59) return NaN;
  const offset = (offHours * 60 + offMinutes) * 60_000;
  return c === PLUS ? wall - offset : wall + offset;
}
