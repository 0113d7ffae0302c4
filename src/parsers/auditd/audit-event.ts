/**
 * Groups the records of one audit event (same serial: SYSCALL, EXECVE, CWD, PATH…,
 * PROCTITLE, ended by EOE or the next serial) into one set of fields, as Elastic's auditd
 * module and auditbeat do: ECS names for search and correlation, and `auditd.data.*` with
 * the kernel's own names (`syscall`, `a0`, `key`…) beside them.
 */
import type { Fields } from '../../core/event.js';
import type { AuditRecord } from './audit-record.js';

/** x86_64 syscall numbers worth naming (the ones audit rules usually watch). */
const SYSCALLS_X86_64: Record<string, string> = {
  '2': 'open', '42': 'connect', '43': 'accept', '49': 'bind', '50': 'listen', '56': 'clone', '57': 'fork', '58': 'vfork',
  '59': 'execve', '62': 'kill', '82': 'rename', '84': 'rmdir', '87': 'unlink', '90': 'chmod', '92': 'chown', '101': 'ptrace',
  '105': 'setuid', '106': 'setgid', '165': 'mount', '175': 'init_module', '176': 'delete_module', '257': 'openat',
  '263': 'unlinkat', '268': 'fchmodat', '288': 'accept4', '313': 'finit_module', '322': 'execveat',
};

const ID_FIELDS: Record<string, string> = {
  uid: 'user.id', auid: 'user.audit.id', euid: 'user.effective.id', gid: 'user.group.id', egid: 'user.effective.group.id',
  pid: 'process.pid', ppid: 'process.parent.pid', ses: 'auditd.session',
};

function asValue(text: string): string | number {
  return /^\d{1,15}$/.test(text) ? Number(text) : text;
}

export function auditEventFields(records: readonly AuditRecord[]): Fields {
  const f: Fields = Object.create(null) as Fields;
  const types = records.map((r) => r.type);
  f['auditd.message_type'] = types.length === 1 ? types[0]! : types;
  f['auditd.sequence'] = records[0]!.serial;
  const args: string[] = [];
  const paths: string[] = [];
  for (const r of records) {
    switch (r.type) {
      case 'EXECVE':
        for (let i = 0; r.fields.has(`a${i}`); i++) args.push(r.fields.get(`a${i}`) ?? '');
        break;
      case 'PATH': {
        const name = r.fields.get('name');
        if (name && name !== '(null)') paths.push(name);
        break;
      }
      case 'CWD': {
        const cwd = r.fields.get('cwd');
        if (cwd) f['process.working_directory'] = cwd;
        break;
      }
      case 'PROCTITLE': {
        const title = r.fields.get('proctitle');
        if (title) f['process.title'] = title;
        break;
      }
      case 'SOCKADDR':
        break;
      default:
        for (const [k, v] of r.fields) {
          if (f[`auditd.data.${k}`] === undefined) f[`auditd.data.${k}`] = asValue(v);
        }
    }
  }
  const data = (k: string) => f[`auditd.data.${k}`];
  for (const [k, field] of Object.entries(ID_FIELDS)) {
    const v = data(k);
    if (v !== undefined && v !== 4294967295 && v !== 'unset') f[field] = v;
  }
  const exe = data('exe');
  if (typeof exe === 'string') f['process.executable'] = exe;
  const comm = data('comm');
  if (typeof comm === 'string') f['process.name'] = comm;
  const hostname = data('hostname');
  if (typeof hostname === 'string' && hostname !== '?') f['source.address'] = hostname;
  const addr = data('addr');
  if (typeof addr === 'string' && addr !== '?' && /^[0-9a-fA-F.:]+$/.test(addr)) f['source.ip'] = addr;
  const acct = data('acct');
  if (typeof acct === 'string') f['user.name'] = acct;
  if (args.length > 0) {
    f['process.args'] = args;
    f['process.command_line'] = args.join(' ');
  }
  if (paths.length > 0) f['file.path'] = paths.length === 1 ? paths[0]! : paths;

  const syscall = data('syscall');
  const syscallName = syscall === undefined ? undefined : (SYSCALLS_X86_64[String(syscall)] ?? String(syscall));
  if (syscallName) f['auditd.data.syscall_name'] = syscallName;
  const success = data('success');
  const res = data('res');
  if (success === 'yes' || res === 'success' || res === 1) f['event.outcome'] = 'success';
  else if (success === 'no' || res === 'failed' || res === 0) f['event.outcome'] = 'failure';
  const primary = types.find((t) => t !== 'EOE') ?? 'UNKNOWN';
  f['event.action'] = primary === 'SYSCALL' && syscallName ? syscallName : primary.toLowerCase();
  f['event.category'] = primary === 'SYSCALL' && syscallName?.startsWith('exec') ? ['process'] : categoryOf(primary);
  const key = data('key');
  if (typeof key === 'string' && key !== '(null)') f['tags'] = [key];
  f['message'] = `audit(${records[0]!.serial}) ${types.filter((t) => t !== 'EOE').join(' ')}${f['process.command_line'] ? `: ${String(f['process.command_line'])}` : ''}`;
  return f;
}

function categoryOf(type: string): string[] {
  if (type.startsWith('USER_AUTH') || type === 'USER_LOGIN' || type === 'USER_ERR' || type === 'CRED_ACQ') return ['authentication'];
  if (type.startsWith('ADD_') || type.startsWith('DEL_') || type === 'USER_CHAUTHTOK' || type.startsWith('GRP_') || type === 'USER_MGMT') return ['iam'];
  if (type === 'USER_START' || type === 'USER_END' || type === 'LOGIN') return ['session'];
  if (type.startsWith('ANOM_') || type.startsWith('AVC')) return ['intrusion_detection'];
  if (type === 'CONFIG_CHANGE' || type === 'DAEMON_CONFIG') return ['configuration'];
  return ['host'];
}
