/**
 * BSD syslog, RFC 3164 §4.1: `<PRI>TIMESTAMP SP HOSTNAME SP TAG[PID]: CONTENT`, and the
 * variants found in the wild: no PRI (lines of /var/log files), an RFC 3339 timestamp in place
 * of the BSD one (rsyslog's high-precision format), a device's `YYYY-MM-DD hh:mm:ss` or
 * `YYYY/MM/DD hh:mm:ss` or (in files) `YYYY Mon DD hh:mm:ss`, no HOSTNAME (`<13>Oct 11 22:14:15 su: ...`,
 * as local senders write to /dev/log), double spaces between fields.
 */
import type { EventFlag, Fields } from '../../core/event.js';
import { scanBsdTimestamp } from './bsd-timestamp.js';
import { addPriorityFields } from './priority.js';
import { numericPid } from './rfc5424.js';
import { looksLikeRfc3339, parseRfc3339Timestamp } from './rfc3339-timestamp.js';
import { scanNumericTimestamp, scanYearFirstBsdTimestamp } from './numeric-timestamp.js';
import type { ParsedSyslog } from './syslog-message.js';
import type { TimeZone } from './time-zone.js';

const SPACE = 0x20;
const COLON = 0x3a;
const OPEN = 0x5b;
const CLOSE = 0x5d;

/** RFC 3164 allows 32 characters of TAG; real ones (`postfix/smtpd`, `sshd(pam_unix)`) run longer, rarely past this. */
const MAX_TAG_LENGTH = 128;
const MAX_PID_LENGTH = 64;

function skipSpaces(s: string, i: number, end: number): number {
  while (i < end && s.charCodeAt(i) === SPACE) i++;
  return i;
}

/**
 * The token after the timestamp is the TAG, not a HOSTNAME, when it ends in `:` or `]` (or
 * `]:`): a hostname never does. Without a hostname, §4.3.3 says the receiver uses its own
 * knowledge of the sender, which the source records as `source.address`.
 */
function isTagToken(s: string, i: number, e: number): boolean {
  const last = s.charCodeAt(e - 1);
  if (last === COLON) return true;
  return last === CLOSE && s.lastIndexOf('[', e - 1) >= i;
}

/**
 * Parses what follows the PRI (or the line start when there is none). Returns undefined when
 * the line has neither a PRI nor a timestamp: then it is not syslog at all.
 */
export function parseRfc3164(s: string, prival: number, start: number, end: number, received: number, zone: TimeZone): ParsedSyslog | undefined {
  const flags: EventFlag[] = [];
  let i = prival >= 0 ? skipSpaces(s, start, end) : start;
  let time: number | undefined;
  let stamped = false;
  const bsd = scanBsdTimestamp(s, i, end, received, zone);
  if (bsd) {
    stamped = true;
    if (Number.isNaN(bsd.time)) flags.push('time-unparsed');
    else time = bsd.time;
    i = bsd.end;
  } else if (looksLikeRfc3339(s, i, end)) {
    let e = s.indexOf(' ', i);
    if (e < 0 || e > end) e = end;
    const t = parseRfc3339Timestamp(s, i, e, zone);
    if (!Number.isNaN(t)) {
      stamped = true;
      time = t;
      i = e;
    }
  }
  if (!stamped) {
    // Year-first only in files (no PRI): on the wire, RFC 3164 §5.4 example 4 (`<0>1990 Oct 22
    // 10:52:01 TZ-6 …`) is the RFC's own case of a timestamp a receiver must not read.
    const numeric = scanNumericTimestamp(s, i, end, zone) ?? (prival < 0 ? scanYearFirstBsdTimestamp(s, i, end, zone) : undefined);
    if (numeric) {
      stamped = true;
      if (Number.isNaN(numeric.time)) flags.push('time-unparsed');
      else time = numeric.time;
      i = numeric.end;
    }
  }

  const fields: Fields = { message: '' };
  if (prival >= 0) addPriorityFields(fields, prival);
  if (!stamped) {
    if (prival < 0) return undefined;
    // §4.3.3: a PRI without a valid TIMESTAMP means the whole rest is the message.
    flags.push('time-unparsed');
    fields.message = s.slice(start, end);
    return { format: 'rfc3164', fields, flags };
  }
  // Cisco IOS puts a colon right after the timestamp.
  if (s.charCodeAt(i) === COLON) i++;
  i = skipSpaces(s, i, end);

  let e = s.indexOf(' ', i);
  if (e < 0 || e > end) e = end;
  if (e > i && !isTagToken(s, i, e)) {
    const host = s.slice(i, e);
    fields['host.hostname'] = host;
    fields['host.name'] = host;
    i = skipSpaces(s, e, end);
  }
  i = scanTag(s, i, end, fields);
  fields.message = i < end ? s.slice(i, end) : '';
  return time === undefined ? { format: 'rfc3164', fields, flags } : { format: 'rfc3164', time, fields, flags };
}

/**
 * TAG (§4.1.3) with an optional `[PID]`, then `:` and one SP. The TAG ends at the first SP,
 * `:` or `[`; the RFC ends it at any non-alphanumeric character, but that would cut
 * `sshd(pam_unix)` and `postfix/smtpd` apart. Returns the index where CONTENT starts; when
 * there is no recognisable TAG that is `i` itself.
 */
function scanTag(s: string, i: number, end: number, fields: Fields): number {
  let k = i;
  const limit = Math.min(end, i + MAX_TAG_LENGTH);
  while (k < limit) {
    const c = s.charCodeAt(k);
    if (c === SPACE || c === COLON || c === OPEN) break;
    k++;
  }
  if (k === i || (k === limit && limit < end)) return i;
  const name = s.slice(i, k);
  let pid: string | undefined;
  if (s.charCodeAt(k) === OPEN) {
    const close = s.indexOf(']', k + 1);
    if (close < 0 || close >= end || close - k - 1 > MAX_PID_LENGTH) return i;
    pid = s.slice(k + 1, close);
    if (pid.indexOf(' ') >= 0) return i;
    k = close + 1;
  }
  if (s.charCodeAt(k) === COLON) k++;
  if (s.charCodeAt(k) === SPACE) k++;
  fields['process.name'] = name;
  fields['log.syslog.appname'] = name;
  if (pid) {
    fields['log.syslog.procid'] = pid;
    const n = numericPid(pid);
    if (n !== undefined) fields['process.pid'] = n;
  }
  return k;
}
