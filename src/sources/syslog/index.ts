/**
 * The syslog source: UDP, TCP and TLS listeners (`SyslogSource`), and the line mapping that
 * file import shares with them (`syslogLineToEvent`).
 */
export { SyslogSource, type SyslogSourceOptions, type SyslogTlsOptions, type SyslogAddresses } from './syslog-source.js';
export { syslogLineToEvent, syslogMessageToEvent, countSyslogEvent, type SyslogLineOptions, type SyslogEventContext } from './syslog-event.js';
export { SyslogStreamFramer, type SyslogFrame } from './syslog-stream-framer.js';
export type { SourceLog } from './source-log.js';
