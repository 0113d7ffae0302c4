/**
 * What the syslog parsers produce: the detected format, the event time when the record carries
 * one, ECS fields and the flags that say where the record fell short.
 */
import type { EventFlag, Fields } from '../../core/event.js';
import type { TimeZone } from './time-zone.js';

/** `device`: no syslog header, but a known device format (Cisco ASA, CEF/LEEF, key=value). */
export type SyslogFormat = 'rfc5424' | 'rfc3164' | 'device' | 'raw';

export interface ParsedSyslog {
  readonly format: SyslogFormat;
  /**
   * Event time from the record, epoch ms. Absent when the record has none (RFC 5424 NILVALUE,
   * a raw line) or when it could not be read (then `flags` holds `time-unparsed`): the caller
   * falls back to the receive time, as `createEvent` does.
   */
  readonly time?: number;
  readonly fields: Fields;
  readonly flags: EventFlag[];
}

export interface SyslogParseOptions {
  /**
   * Zone for timestamps that carry no offset (every BSD timestamp, some ISO ones).
   * Default UTC. Make one with `timeZone('Europe/Berlin')`.
   */
  readonly zone?: TimeZone;
}
