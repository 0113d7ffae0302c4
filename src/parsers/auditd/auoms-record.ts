/**
 * AUOMS, Microsoft's audit collector for Linux (Azure Monitor / Defender for Endpoint), writes one
 * record per audit event with the kernel's SYSCALL, EXECVE, CWD and PATH data folded together:
 *   type=AUOMS_EXECVE audit(1652292621.986:84138): … pid=17790 user=tomcat exe="/usr/bin/java" cwd="/" …
 * It differs from the raw audit log in its header (no `msg=`) and in naming users and groups
 * itself. The kernel's names are kept as `auditd.data.*`, as for raw audit records.
 */
import type { Fields } from '../../core/event.js';
import { parseAuditRecord } from './audit-record.js';

const HEADER = /^type=(AUOMS_[A-Z_]{1,40}) audit\((\d{1,12}\.\d{3}:\d{1,20})\): ?/;

const ECS: Record<string, string> = {
  pid: 'process.pid',
  ppid: 'process.parent.pid',
  exe: 'process.executable',
  comm: 'process.name',
  cwd: 'process.working_directory',
  proctitle: 'process.title',
  cmdline: 'process.command_line',
  user: 'user.name',
  uid: 'user.id',
  group: 'group.name',
  gid: 'group.id',
  effective_user: 'user.effective.name',
  auid: 'user.audit.id',
};

export interface AuomsRecord {
  readonly time: number;
  readonly fields: Fields;
}

export function parseAuomsRecord(text: string): AuomsRecord | undefined {
  const m = HEADER.exec(text);
  if (!m) return undefined;
  // Same key=value grammar as the raw log: reuse its scanner through the raw header form.
  const record = parseAuditRecord(`type=${m[1]} msg=audit(${m[2]}): ${text.slice(m[0].length)}`);
  if (!record) return undefined;
  const f: Fields = Object.create(null) as Fields;
  f['auditd.message_type'] = record.type;
  f['auditd.sequence'] = record.serial;
  for (const [k, v] of record.fields) {
    f[`auditd.data.${k}`] = v;
    const ecs = ECS[k];
    if (ecs && v !== '' && v !== '(none)' && v !== 'unset') f[ecs] = /^(?:pid|ppid|uid|gid)$/.test(k) && /^\d{1,15}$/.test(v) ? Number(v) : v;
  }
  const success = record.fields.get('success');
  if (success === 'yes') f['event.outcome'] = 'success';
  else if (success === 'no') f['event.outcome'] = 'failure';
  if (record.type === 'AUOMS_EXECVE') {
    f['event.category'] = ['process'];
    f['event.type'] = ['start'];
    f['event.action'] = 'executed';
  }
  f['event.module'] = 'auoms';
  return { time: record.time, fields: f };
}
