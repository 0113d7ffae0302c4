/**
 * Azure Monitor (Log Analytics) `Syslog` table rows, as exported or queried: the syslog message
 * is in `SyslogMessage`, the program in `ProcessName`, the host in `Computer`/`HostName`. The
 * message is read as a syslog message from that program would be (sshd, sudo, Sysmon for Linux
 * XML, AUOMS audit records…), so the row has the same fields as the line sent by syslog.
 */
import type { Fields } from '../../core/event.js';
import { addAppMessageFields } from '../syslog/app-messages/index.js';
import { parseAuomsRecord } from '../auditd/auoms-record.js';

export function looksLikeLogAnalyticsSyslog(fields: Fields): boolean {
  return fields['Type'] === 'Syslog' && typeof fields['SyslogMessage'] === 'string';
}

/** Returns the event time (`EventTime`, else `TimeGenerated`) when readable. */
export function addLogAnalyticsSyslogEcs(fields: Fields): number | undefined {
  const message = fields['SyslogMessage'] as string;
  const program = typeof fields['ProcessName'] === 'string' ? fields['ProcessName'] : undefined;
  const host = fields['Computer'] ?? fields['HostName'];
  if (typeof host === 'string') fields['host.name'] ??= host;
  if (typeof fields['HostIP'] === 'string') fields['host.ip'] ??= fields['HostIP'];
  if (typeof fields['Facility'] === 'string') fields['log.syslog.facility.name'] ??= fields['Facility'];
  if (typeof fields['SeverityLevel'] === 'string') fields['log.syslog.severity.name'] ??= fields['SeverityLevel'];
  const auoms = parseAuomsRecord(message);
  const inner: Fields = Object.create(null) as Fields;
  if (auoms) Object.assign(inner, auoms.fields);
  else {
    inner['message'] = message;
    if (program) inner['process.name'] = program;
    addAppMessageFields(inner);
  }
  for (const [k, v] of Object.entries(inner)) if (!(k in fields)) fields[k] = v;
  fields['message'] ??= message;
  for (const key of ['EventTime', 'TimeGenerated']) {
    const text = fields[key];
    const t = typeof text === 'string' ? Date.parse(text) : NaN;
    if (!Number.isNaN(t)) return t;
  }
  return undefined;
}
