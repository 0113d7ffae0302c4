/**
 * Syslog parsing entry point: detects RFC 5424, RFC 3164 (and its common variants) or neither,
 * and maps the record to ECS fields.
 *
 * Hand-written because no good syslog parser exists on npm: the packages there (glossy,
 * nsyslog-parser, syslog-parse and smaller ones) are regex-driven, little maintained, and none
 * covers both RFCs plus the /var/log variants with linear-time scanning of hostile input. This
 * runs once per received line, so speed matters too: every format is read by a single
 * left-to-right index scan over the string, with no regex.
 */
import type { EventFlag } from '../../core/event.js';
import { parseRfc3164 } from './rfc3164.js';
import { parseRfc5424 } from './rfc5424.js';
import { priEnd, priValue, scanPriority } from './priority.js';
import type { ParsedSyslog, SyslogParseOptions } from './syslog-message.js';
import { UTC } from './time-zone.js';

export type { ParsedSyslog, SyslogFormat, SyslogParseOptions } from './syslog-message.js';
export { timeZone, UTC, type TimeZone } from './time-zone.js';

import { addAppMessageFields, deviceLineFields } from './app-messages/index.js';

const CR = 0x0d;
const LF = 0x0a;

/** Index after the text once trailing CR and LF are dropped (framing, not content). */
function contentEnd(line: string): number {
  let end = line.length;
  while (end > 0) {
    const c = line.charCodeAt(end - 1);
    if (c !== CR && c !== LF) break;
    end--;
  }
  return end;
}

function raw(line: string, end: number): ParsedSyslog {
  const flags: EventFlag[] = ['unparsed'];
  return { format: 'raw', fields: { message: end === line.length ? line : line.slice(0, end) }, flags };
}

/**
 * Parses one syslog message. Never throws: a line no parser understands comes back as format
 * `raw`, flagged `unparsed`, with the line as `message`; an unreadable timestamp is flagged
 * `time-unparsed` and `time` is left out (the event then takes the receive time).
 *
 * `received` (epoch ms) places a BSD timestamp, which has no year, in the year closest to it.
 */
export function parseSyslog(line: string, received: number, options: SyslogParseOptions = {}): ParsedSyslog {
  try {
    return parseSyslogUnguarded(line, received, options);
  } catch {
    // The scanners are written not to throw (the fuzz test holds them to it); this keeps the
    // promise if one ever does, because a parser bug must cost one event its fields, never
    // the connection it arrived on.
    return raw(line, contentEnd(line));
  }
}

/** `parseSyslog` without its safety net, so tests and benchmarks see any exception. */
export function parseSyslogUnguarded(line: string, received: number, options: SyslogParseOptions = {}): ParsedSyslog {
  const zone = options.zone ?? UTC;
  const end = contentEnd(line);
  const pri = scanPriority(line, end);
  if (pri >= 0) {
    const prival = priValue(pri);
    const start = priEnd(pri);
    return withAppFields(parseRfc5424(line, prival, start, end, zone) ?? parseRfc3164(line, prival, start, end, received, zone)) ?? raw(line, end);
  }
  return withAppFields(parseRfc3164(line, -1, 0, end, received, zone)) ?? device(line, end) ?? raw(line, end);
}

/** No syslog header, but a device format Vigil knows (ASA, CEF/LEEF, key=value). */
function device(line: string, end: number): ParsedSyslog | undefined {
  const fields = deviceLineFields(end === line.length ? line : line.slice(0, end));
  return fields ? { format: 'device', fields, flags: [] } : undefined;
}

/** Adds ECS fields from the program's own message (sshd, sudo, PAM, firewall…). */
function withAppFields(parsed: ParsedSyslog | undefined): ParsedSyslog | undefined {
  if (parsed) addAppMessageFields(parsed.fields);
  return parsed;
}
