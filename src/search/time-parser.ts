/**
 * `parseTime`: the time bounds of a search (`--from`/`--to`, API `from`/`to`) as epoch ms.
 *
 * Accepted:
 * - ISO 8601 `2024-05-01`, `2024-05-01T12:00`, `2024-05-01T12:00:00.123Z`, `…+02:00`, `…+0200`
 *   (a space may replace the `T`); without a zone the time is UTC, so a query means the same
 *   thing on every server whatever its local zone.
 * - Epoch digits: below 100,000,000,000 they are seconds (that many ms is only 1973), otherwise ms.
 * - Relative: `now`, `now-15m`, `now+1h`, `-2h` (= now-2h), units s, m, h, d, w.
 */
import { VigilError } from '../core/errors.js';

const UNIT_MS: Readonly<Record<string, number>> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

const RELATIVE = /^(?:now(?:([+-])(\d{1,9})([smhdw]))?|-(\d{1,9})([smhdw]))$/;
const EPOCH = /^\d{1,16}$/;
const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/** Epoch digits below this are seconds. */
const SECONDS_BELOW = 100_000_000_000;

function timeError(text: string): VigilError {
  const shown = text.length > 64 ? `${text.slice(0, 64)}…` : text;
  return new VigilError(
    'query-invalid',
    `cannot read the time ${JSON.stringify(shown)}: write an ISO 8601 time (2024-05-01T12:00:00Z; no zone means UTC), epoch seconds or milliseconds (1714564800), or a relative time such as now, now-15m, now-2h, now-7d or -1h (units s, m, h, d, w)`,
    { where: 'time' },
  );
}

export function parseTime(text: string, now: number = Date.now()): number {
  const t = text.trim();
  const relative = RELATIVE.exec(t);
  if (relative) {
    const [, sign, amount, unit, bareAmount, bareUnit] = relative;
    if (bareAmount !== undefined) return now - Number(bareAmount) * (UNIT_MS[bareUnit ?? ''] ?? 0);
    if (amount === undefined) return now;
    const delta = Number(amount) * (UNIT_MS[unit ?? ''] ?? 0);
    return sign === '-' ? now - delta : now + delta;
  }
  if (EPOCH.test(t)) {
    const n = Number(t);
    return n < SECONDS_BELOW ? n * 1000 : n;
  }
  const ms = parseIso(t);
  if (ms === undefined) throw timeError(text);
  return ms;
}

function parseIso(t: string): number | undefined {
  const m = ISO.exec(t);
  if (!m) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  const millis = Number(frac.padEnd(3, '0').slice(0, 3));
  // setUTCFullYear, unlike Date.UTC, does not map years 0-99 to 1900-1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, millis);
  // Dates roll 2024-02-30 over into March; reject instead of guessing.
  if (date.getUTCDate() !== day) return undefined;
  const offset = zoneOffsetMs(zone);
  return offset === undefined ? undefined : date.getTime() - offset;
}

function zoneOffsetMs(zone: string | undefined): number | undefined {
  if (zone === undefined || zone.toUpperCase() === 'Z') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = Number(digits.slice(2) || '0');
  if (hours > 23 || minutes > 59) return undefined;
  return sign * (hours * 60 + minutes) * 60_000;
}
