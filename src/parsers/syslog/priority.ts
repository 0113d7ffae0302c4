/**
 * The PRI part shared by RFC 3164 §4.1.1 and RFC 5424 §6.2.1: `<` PRIVAL `>`, where
 * PRIVAL = facility * 8 + severity, 0..191.
 */
import type { Fields } from '../../core/event.js';

/** RFC 5424 §6.2.1 Table 1, keyword names as used by syslog.conf (RFC 5424 gives only descriptions). */
const FACILITY_NAMES: readonly string[] = [
  'kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news',
  'uucp', 'cron', 'authpriv', 'ftp', 'ntp', 'audit', 'alert', 'clock',
  'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7',
];

/** RFC 5424 §6.2.1 Table 2. */
const SEVERITY_NAMES: readonly string[] = [
  'emergency', 'alert', 'critical', 'error', 'warning', 'notice', 'informational', 'debug',
];

const LT = 0x3c; // <
const GT = 0x3e; // >
const ZERO = 0x30;
const NINE = 0x39;

/**
 * Reads `<PRIVAL>` at the start of `line`. Returns the PRIVAL and the index after `>` packed
 * as `(index << 8) | prival`, or -1 when there is no valid PRI: packing avoids an allocation
 * per line on the hot path. Unpack with `priValue` and `priEnd`.
 */
export function scanPriority(line: string, end: number): number {
  if (end < 3 || line.charCodeAt(0) !== LT) return -1;
  let value = 0;
  let i = 1;
  // At most three digits (RFC 5424 PRIVAL = 1*3DIGIT), so a hostile `<99999…` stops early.
  for (; i < end && i <= 4; i++) {
    const c = line.charCodeAt(i);
    if (c === GT) break;
    if (c < ZERO || c > NINE || i === 4) return -1;
    value = value * 10 + (c - ZERO);
  }
  if (i === 1 || i >= end || line.charCodeAt(i) !== GT || value > 191) return -1;
  return ((i + 1) << 8) | value;
}

export function priValue(packed: number): number {
  return packed & 0xff;
}

export function priEnd(packed: number): number {
  return packed >> 8;
}

/** Adds `log.syslog.priority`, facility and severity (code and name) to `fields`. */
export function addPriorityFields(fields: Fields, prival: number): void {
  const facility = prival >> 3;
  const severity = prival & 7;
  fields['log.syslog.priority'] = prival;
  fields['log.syslog.facility.code'] = facility;
  fields['log.syslog.facility.name'] = FACILITY_NAMES[facility] ?? String(facility);
  fields['log.syslog.severity.code'] = severity;
  fields['log.syslog.severity.name'] = SEVERITY_NAMES[severity] ?? String(severity);
}
