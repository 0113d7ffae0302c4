/**
 * The syslog parser: RFC 5424, RFC 3164 and its /var/log variants, to ECS fields.
 */
export { parseSyslog, type ParsedSyslog, type SyslogFormat, type SyslogParseOptions } from './syslog-parser.js';
export { timeZone, UTC, type TimeZone } from './time-zone.js';
