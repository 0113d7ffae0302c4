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
import type { TimeZone } from './time-zone.js';

import { addAppMessageFields, deviceLineFields } from './app-messages/index.js';
import { parseCiscoIos } from '../network-devices/cisco-ios.js';

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
    const parsed = withAppFields(parseRfc5424(line, prival, start, end, zone) ?? parseRfc3164(line, prival, start, end, received, zone)) ?? raw(line, end);
    // Cisco IOS writes `<189>6705: *Feb 17 …: %SYS-5-CONFIG_I: …`: its own clock after a sequence
    // number, where RFC 3164 wants the timestamp, so the RFC parser found none.
    return parsed.time === undefined && parsed.fields['process.name'] === undefined ? (ciscoIos(parsed, received, zone) ?? parsed) : parsed;
  }
  // RFC 5424 without its PRI (`1 2019-05-15T16:25:50Z host app …`): what Check Point and other
  // senders write to files, and relays that strip the PRI pass on.
  const headless = isVersionThenDate(line, end) ? parseRfc5424(line, -1, 0, end, zone) : undefined;
  return withAppFields(headless ?? parseRfc3164(line, -1, 0, end, received, zone)) ?? device(line, end, received, zone) ?? raw(line, end);
}

/** `1 2…`: an RFC 5424 VERSION and the first digit of a year. */
function isVersionThenDate(line: string, end: number): boolean {
  const v = line.charCodeAt(0);
  const d = line.charCodeAt(2);
  return end > 12 && v >= 0x31 && v <= 0x39 && line.charCodeAt(1) === 0x20 && d >= 0x30 && d <= 0x39;
}

/** No syslog header, but a device format Vigil knows (ASA, IOS, CEF/LEEF, key=value). */
function device(line: string, end: number, received: number, zone: TimeZone): ParsedSyslog | undefined {
  const text = end === line.length ? line : line.slice(0, end);
  const fields = deviceLineFields(text);
  if (fields) return { format: 'device', fields, flags: [] };
  const ios = parseCiscoIos(text, received, zone);
  return ios ? { format: 'device', fields: ios.fields, flags: [], ...(ios.time === undefined ? {} : { time: ios.time }) } : undefined;
}

function ciscoIos(parsed: ParsedSyslog, received: number, zone: TimeZone): ParsedSyslog | undefined {
  const message = parsed.fields['message'];
  if (typeof message !== 'string' || !message.includes('%')) return undefined;
  const ios = parseCiscoIos(message, received, zone);
  if (!ios) return undefined;
  const fields = { ...parsed.fields, ...ios.fields };
  if (ios.time === undefined) return { ...parsed, fields };
  return { format: parsed.format, fields, time: ios.time, flags: parsed.flags.filter((f) => f !== 'time-unparsed') };
}

/** Adds ECS fields from the program's own message (sshd, sudo, PAM, firewall, Cisco IOS…). */
function withAppFields(parsed: ParsedSyslog | undefined): ParsedSyslog | undefined {
  if (parsed && !addAppMessageFields(parsed.fields)) {
    const message = parsed.fields['message'];
    // IOS tags nothing: `router1 6705: Feb 17 …: %SEC_LOGIN-4-LOGIN_FAILED: …` reads as tag `6705`.
    const tag = parsed.fields['process.name'];
    if (typeof message === 'string' && typeof tag === 'string' && message.includes('%') && /^\d{1,12}$/.test(tag)) {
      const ios = parseCiscoIos(message, 0, UTC);
      if (ios) {
        delete parsed.fields['process.name'];
        delete parsed.fields['log.syslog.appname'];
        Object.assign(parsed.fields, ios.fields, { 'event.sequence': Number(tag) });
      }
    }
  }
  return parsed;
}
