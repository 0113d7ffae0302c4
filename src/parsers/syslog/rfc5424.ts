/**
 * RFC 5424 §6: `<PRI>VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP
 * STRUCTURED-DATA [SP MSG]`. Header fields are space-delimited tokens, so the parser is a
 * single left-to-right index scan with no regex and no backtracking.
 */
import type { EventFlag, Fields } from '../../core/event.js';
import { addPriorityFields } from './priority.js';
import { looksLikeRfc3339, parseRfc3339Timestamp } from './rfc3339-timestamp.js';
import { scanStructuredData } from './structured-data.js';
import type { ParsedSyslog } from './syslog-message.js';
import type { TimeZone } from './time-zone.js';

const SPACE = 0x20;
const DASH = 0x2d;
const OPEN = 0x5b;
/** §6.4: MSG in UTF-8 starts with a BOM, which a decoded string holds as U+FEFF. */
const BOM = 0xfeff;

function tokenEnd(s: string, i: number, end: number): number {
  const space = s.indexOf(' ', i);
  return space < 0 || space > end ? end : space;
}

function isNil(s: string, i: number, e: number): boolean {
  return e === i + 1 && s.charCodeAt(i) === DASH;
}

/** A PROCID (or RFC 3164 PID) as a number when it is one, for ECS `process.pid`. */
export function numericPid(s: string): number | undefined {
  if (s.length === 0 || s.length > 15) return undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return undefined;
  }
  return Number(s);
}

/**
 * Parses the rest of an RFC 5424 message after its PRI (`start` is the index after `>`).
 * Returns undefined when the header is not RFC 5424 (no version, no timestamp-shaped token,
 * header cut short), so the caller can try RFC 3164.
 */
export function parseRfc5424(s: string, prival: number, start: number, end: number, zone: TimeZone): ParsedSyslog | undefined {
  // VERSION = NONZERO-DIGIT 0*2DIGIT
  let i = start;
  let version = s.charCodeAt(i) - 0x30;
  if (!(version >= 1 && version <= 9)) return undefined;
  i++;
  for (let n = 0; n < 2; n++) {
    const d = s.charCodeAt(i) - 0x30;
    if (!(d >= 0 && d <= 9)) break;
    version = version * 10 + d;
    i++;
  }
  if (s.charCodeAt(i) !== SPACE) return undefined;
  return parseAfterVersion(s, prival, version, i + 1, end, zone);
}

/**
 * An RFC 5424 record from its TIMESTAMP on, without PRI and VERSION: what Juniper's
 * `junos-*` relays and other senders embed in an RFC 3164 message
 * (`junos-flow: 2017-09-23T13:54:54.803Z host RT_FLOW - RT_FLOW_SESSION_DENY [junos@2636… …]`).
 * The result has no `log.syslog.version` and no priority fields.
 */
export function parseRfc5424FromTimestamp(s: string, start: number, end: number, zone: TimeZone): ParsedSyslog | undefined {
  return parseAfterVersion(s, -1, 0, start, end, zone);
}

function parseAfterVersion(s: string, prival: number, version: number, start: number, end: number, zone: TimeZone): ParsedSyslog | undefined {
  let i = start;
  const flags: EventFlag[] = [];
  let time: number | undefined;
  let e = tokenEnd(s, i, end);
  if (e === end) return undefined;
  if (!isNil(s, i, e)) {
    if (!looksLikeRfc3339(s, i, e)) return undefined;
    const t = parseRfc3339Timestamp(s, i, e, zone);
    if (Number.isNaN(t)) flags.push('time-unparsed');
    else time = t;
  }
  i = e + 1;

  // HOSTNAME, APP-NAME, PROCID, MSGID: each a non-empty token, `-` when unknown. A header that
  // ends right after MSGID (no STRUCTURED-DATA) is accepted: a sender that drops the trailing
  // `-` has still said everything.
  const header: string[] = [];
  for (let n = 0; n < 4; n++) {
    e = tokenEnd(s, i, end);
    if (e === i || (e === end && n < 3)) return undefined;
    // A sender that leaves MSGID out entirely (`CheckPoint 19710 [action:"Drop"; …]`) puts its
    // structured data, or its own bracketed pairs, where MSGID belongs; a `[` token holding a
    // quote is that, not a message id, so it is read as STRUCTURED-DATA / MSG below.
    if (n === 3 && s.charCodeAt(i) === OPEN) {
      const quote = s.indexOf('"', i);
      if (quote >= 0 && quote < e) {
        header.push('');
        break;
      }
    }
    header.push(isNil(s, i, e) ? '' : s.slice(i, e));
    i = e + 1;
  }
  const [hostname = '', appName = '', procId = '', msgId = ''] = header;

  const fields: Fields = { message: '' };
  if (prival >= 0) addPriorityFields(fields, prival);
  if (version > 0) fields['log.syslog.version'] = version;
  if (hostname) {
    fields['host.hostname'] = hostname;
    fields['host.name'] = hostname;
  }
  if (appName) {
    fields['process.name'] = appName;
    fields['log.syslog.appname'] = appName;
  }
  if (procId) {
    fields['log.syslog.procid'] = procId;
    const pid = numericPid(procId);
    if (pid !== undefined) fields['process.pid'] = pid;
  }
  if (msgId) fields['log.syslog.msgid'] = msgId;

  if (i < end) {
    // STRUCTURED-DATA: `-`, or elements. Malformed elements (-1) stay in the message text rather
    // than costing the record its valid header: Check Point's `[key:"value"; …]` is the common
    // case, read later from the message by its own parser. Anything else means the sender left
    // STRUCTURED-DATA out and MSG starts here.
    const c = s.charCodeAt(i);
    let sdEnd = -1;
    if (c === DASH && (i + 1 === end || s.charCodeAt(i + 1) === SPACE)) sdEnd = i + 1;
    else if (c === OPEN) sdEnd = scanStructuredData(s, i, end, fields);
    if (sdEnd >= 0) i = sdEnd < end ? sdEnd + 1 : end; // + 1: the SP before MSG
    if (i < end && s.charCodeAt(i) === BOM) i++;
  }
  fields.message = i < end ? s.slice(i, end) : '';
  return time === undefined ? { format: 'rfc5424', fields, flags } : { format: 'rfc5424', time, fields, flags };
}
