/**
 * The two clocks web servers write: Common Log Format `10/Oct/2000:13:55:36 -0700` (access
 * logs; some tools write a one-digit day) and Apache's error-log `Wed Oct 11 14:32:52.123456 2000` (no zone: read as UTC).
 */
const MONTHS: Record<string, number> = { Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11 };

const CLF = /^(\d{1,2})\/([A-Z][a-z]{2})\/(\d{4}):(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))? ([+-])(\d{2})(\d{2})$/;
const ERROR_LOG = /^[A-Z][a-z]{2} ([A-Z][a-z]{2}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))? (\d{4})$/;

function valid(ms: number, day: number, month: number, year: number): number | undefined {
  const d = new Date(ms);
  return Number.isFinite(ms) && d.getUTCDate() === day && d.getUTCMonth() === month && d.getUTCFullYear() === year ? ms : undefined;
}

/** Epoch ms, or undefined when the text is not a valid CLF time. */
export function parseClfTime(text: string): number | undefined {
  const m = CLF.exec(text);
  const month = m ? MONTHS[m[2]!] : undefined;
  if (!m || month === undefined) return undefined;
  const [day, year] = [Number(m[1]), Number(m[3])];
  const local = Date.UTC(year, month, day, Number(m[4]), Number(m[5]), Number(m[6]), Math.floor(Number((m[7] ?? '0').padEnd(3, '0').slice(0, 3))));
  const offset = (m[8] === '-' ? -1 : 1) * (Number(m[9]) * 60 + Number(m[10])) * 60_000;
  return valid(local, day, month, year) === undefined ? undefined : local - offset;
}

export function parseErrorLogTime(text: string): number | undefined {
  const m = ERROR_LOG.exec(text);
  const month = m ? MONTHS[m[1]!] : undefined;
  if (!m || month === undefined) return undefined;
  const [day, year] = [Number(m[2]), Number(m[7])];
  const ms = Date.UTC(year, month, day, Number(m[3]), Number(m[4]), Number(m[5]), Math.floor(Number((m[6] ?? '0').padEnd(3, '0').slice(0, 3))));
  return valid(ms, day, month, year);
}
