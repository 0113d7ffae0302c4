/**
 * systemd journal entries as `journalctl -o json` writes them (`MESSAGE`, `_HOSTNAME`,
 * `SYSLOG_IDENTIFIER`, `__REALTIME_TIMESTAMP` in microseconds…). The program's message then
 * goes through the same rules as syslog (sshd, sudo, PAM…), so a failed SSH login reads the
 * same from the journal as from /var/log/auth.log.
 */
import type { Fields } from '../../core/event.js';
import { addAppMessageFields } from '../syslog/app-messages/index.js';

const SEVERITY = ['emergency', 'alert', 'critical', 'error', 'warning', 'notice', 'informational', 'debug'];

export function looksLikeJournald(fields: Fields): boolean {
  return typeof fields['__REALTIME_TIMESTAMP'] === 'string' && ('MESSAGE' in fields || '_HOSTNAME' in fields);
}

/** Adds ECS fields in place; returns the entry's time (epoch ms). */
export function addJournaldEcs(fields: Fields): number | undefined {
  const set = (k: string, v: unknown) => {
    if (v !== undefined && v !== null && v !== '' && !(k in fields) && (typeof v === 'string' || typeof v === 'number')) fields[k] = v;
  };
  set('message', fields['MESSAGE']);
  set('host.name', fields['_HOSTNAME']);
  set('process.name', fields['SYSLOG_IDENTIFIER'] ?? fields['_COMM']);
  const pid = Number(fields['_PID'] ?? fields['SYSLOG_PID']);
  if (Number.isSafeInteger(pid)) set('process.pid', pid);
  set('process.executable', fields['_EXE']);
  set('process.command_line', fields['_CMDLINE']);
  const uid = fields['_UID'];
  if (typeof uid === 'string') set('user.id', uid);
  set('systemd.unit', fields['_SYSTEMD_UNIT']);
  const priority = Number(fields['PRIORITY']);
  if (Number.isInteger(priority) && priority >= 0 && priority < 8) {
    set('log.syslog.severity.code', priority);
    set('log.syslog.severity.name', SEVERITY[priority]);
  }
  set('event.module', 'journald');
  addAppMessageFields(fields);
  const micros = Number(fields['__REALTIME_TIMESTAMP']);
  return Number.isFinite(micros) ? Math.floor(micros / 1000) : undefined;
}
