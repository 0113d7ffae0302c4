/**
 * The BSD timestamp of RFC 3164 §4.1.2: `Mmm dd hh:mm:ss`, day padded with a space (`Feb  5`),
 * local time, no year, no zone. Also accepted, because real senders write them: a zero-padded
 * or unpadded day, a fraction after the seconds, a year before the time (`Mar  1 2024 00:00:01`,
 * some network gear) and a zone plus year after it (`Aug 24 05:34:00 CST 1987`, RFC 3164 §5.4
 * example 3).
 */
import type { TimeZone } from './time-zone.js';
import { fourDigits, isLeapYear, twoDigits, wallClockMs } from './wall-clock.js';

const SPACE = 0x20;
const COLON = 0x3a;
const DAY_MS = 86_400_000;

/** Three lower-cased ASCII letters packed into one number, so a month name is one switch. */
function monthOf(s: string, i: number): number {
  const key = ((s.charCodeAt(i) | 0x20) << 16) | ((s.charCodeAt(i + 1) | 0x20) << 8) | (s.charCodeAt(i + 2) | 0x20);
  switch (key) {
    case 0x6a616e: return 1; // jan
    case 0x666562: return 2; // feb
    case 0x6d6172: return 3; // mar
    case 0x617072: return 4; // apr
    case 0x6d6179: return 5; // may
    case 0x6a756e: return 6; // jun
    case 0x6a756c: return 7; // jul
    case 0x617567: return 8; // aug
    case 0x736570: return 9; // sep
    case 0x6f6374: return 10; // oct
    case 0x6e6f76: return 11; // nov
    case 0x646563: return 12; // dec
    default: return 0;
  }
}

/**
 * The zones RFC 5322 §4.3 (obs-zone) names, in minutes east of UTC. Other abbreviations are
 * ambiguous (CST is also China Standard Time), so they fall back to the configured zone.
 */
const NAMED_ZONES: Readonly<Record<string, number>> = {
  UT: 0, UTC: 0, GMT: 0, Z: 0,
  EST: -300, EDT: -240, CST: -360, CDT: -300, MST: -420, MDT: -360, PST: -480, PDT: -420,
};

export interface BsdTimestamp {
  /** Index just after the timestamp. */
  readonly end: number;
  /** Epoch ms, or NaN when the shape is right but a value is out of range (`Feb 30`, `25:00:00`). */
  readonly time: number;
}

/**
 * The year that puts `month day time` closest to `received`, but never more than a day after
 * it (a sender's clock may run a little fast; a date months ahead is last year's). Feb 29 looks
 * back to the most recent leap year.
 */
function placeInYear(month: number, day: number, hour: number, minute: number, second: number, ms: number, received: number, zone: TimeZone): number {
  const thisYear = new Date(received).getUTCFullYear();
  let best = NaN;
  let bestDistance = Infinity;
  for (let year = thisYear + 1; year >= thisYear - 1; year--) {
    const wall = wallClockMs(year, month, day, hour, minute, second, ms);
    if (Number.isNaN(wall)) continue;
    const t = zone.toEpoch(wall);
    if (t > received + DAY_MS) continue;
    const distance = received - t;
    if (distance < bestDistance) {
      best = t;
      bestDistance = distance;
    }
  }
  if (Number.isNaN(best) && month === 2 && day === 29) {
    let year = thisYear - 2;
    while (!isLeapYear(year)) year--;
    best = zone.toEpoch(wallClockMs(year, month, day, hour, minute, second, ms));
  }
  return best;
}

/** A BSD timestamp starting at `start`, or undefined when the text there does not have its shape. */
export function scanBsdTimestamp(s: string, start: number, end: number, received: number, zone: TimeZone): BsdTimestamp | undefined {
  if (end - start < 14) return undefined;
  const month = monthOf(s, start);
  if (month === 0 || s.charCodeAt(start + 3) !== SPACE) return undefined;
  let i = start + 4;
  // Day: `dd`, ` d` (the RFC's space padding) or `d`.
  if (s.charCodeAt(i) === SPACE) i++;
  let day = s.charCodeAt(i) - 0x30;
  if (!(day >= 0 && day <= 9)) return undefined;
  i++;
  const d2 = s.charCodeAt(i) - 0x30;
  if (d2 >= 0 && d2 <= 9) {
    day = day * 10 + d2;
    i++;
  }
  if (s.charCodeAt(i) !== SPACE) return undefined;
  i++;
  let year = -1;
  if (i + 5 <= end && s.charCodeAt(i + 4) === SPACE) {
    year = fourDigits(s, i);
    if (year < 0) return undefined;
    i += 5;
  }
  if (i + 8 > end) return undefined;
  const hour = twoDigits(s, i);
  const minute = twoDigits(s, i + 3);
  const second = twoDigits(s, i + 6);
  if (hour < 0 || minute < 0 || second < 0 || s.charCodeAt(i + 2) !== COLON || s.charCodeAt(i + 5) !== COLON) return undefined;
  i += 8;
  let ms = 0;
  if (i < end && s.charCodeAt(i) === 0x2e) {
    let scale = 100;
    let j = i + 1;
    for (; j < end && j - i <= 9; j++) {
      const d = s.charCodeAt(j) - 0x30;
      if (d < 0 || d > 9) break;
      if (scale >= 1) ms += d * scale;
      scale /= 10;
    }
    if (j > i + 1) i = j;
  }
  let offsetMinutes: number | undefined;
  if (year < 0) {
    const suffix = scanZoneAndYear(s, i, end);
    if (suffix) {
      offsetMinutes = NAMED_ZONES[suffix.zone];
      year = suffix.year;
      i = suffix.end;
    }
  }
  let time: number;
  if (year < 0) {
    time = placeInYear(month, day, hour, minute, second, ms, received, zone);
  } else {
    const wall = wallClockMs(year, month, day, hour, minute, second, ms);
    time = offsetMinutes === undefined ? zone.toEpoch(wall) : wall - offsetMinutes * 60_000;
  }
  return { end: i, time };
}

/** ` ZONE YYYY` right after the time: one to five capital letters, then a four-digit year. */
function scanZoneAndYear(s: string, i: number, end: number): { zone: string; year: number; end: number } | undefined {
  if (s.charCodeAt(i) !== SPACE) return undefined;
  let j = i + 1;
  while (j < end && j - i <= 6) {
    const c = s.charCodeAt(j);
    if (c < 0x41 || c > 0x5a) break;
    j++;
  }
  const letters = j - i - 1;
  if (letters < 1 || letters > 5 || s.charCodeAt(j) !== SPACE) return undefined;
  const year = fourDigits(s, j + 1);
  if (year < 0 || (j + 5 < end && s.charCodeAt(j + 5) !== SPACE)) return undefined;
  return { zone: s.slice(i + 1, j), year, end: j + 5 };
}
