/**
 * One line of a raw Linux audit log (`/var/log/audit/audit.log`):
 *   type=SYSCALL msg=audit(1604994496.155:92733): arch=c000003e syscall=59 … comm="arp" …
 * Values are bare, double-quoted, or hex-encoded (when they hold spaces or quotes; the kernel
 * then writes them unquoted in hex). User-space records nest their own fields in msg='…'.
 * Hand-written scanner: no regex over the key=value part, so a hostile line costs linear time.
 */
export interface AuditRecord {
  readonly type: string;
  /** Epoch ms. */
  readonly time: number;
  readonly serial: number;
  /** Fields in order; a key seen twice keeps its first value (the nested msg repeats some). */
  readonly fields: ReadonlyMap<string, string>;
}

const HEADER = /^(?:node=(\S+) )?type=([A-Z0-9_]+) msg=audit\((\d{1,12})\.(\d{3}):(\d{1,20})\): ?/;

export function parseAuditRecord(line: string): AuditRecord | undefined {
  const m = HEADER.exec(line);
  if (!m) return undefined;
  const fields = new Map<string, string>();
  if (m[1]) fields.set('node', m[1]);
  const type = m[2]!;
  scanPairs(line, m[0].length, fields, type === 'EXECVE');
  return { type, time: Number(m[3]) * 1000 + Number(m[4]), serial: Number(m[5]), fields };
}

/**
 * Fields the kernel logs as untrusted strings: quoted when plain, unquoted hex otherwise
 * (`audit_log_untrustedstring`). Other unquoted values (e.g. SYSCALL's a0=558e2516…) are
 * numbers in hex and stay as written.
 */
const UNTRUSTED_STRINGS = new Set(['comm', 'exe', 'cwd', 'name', 'proctitle', 'acct', 'key', 'path', 'cmd', 'data', 'old', 'new', 'ocomm', 'old-chardev', 'new-chardev']);

function scanPairs(text: string, start: number, into: Map<string, string>, execveArgs: boolean): void {
  let i = start;
  const n = text.length;
  while (i < n) {
    while (i < n && text.charCodeAt(i) === 0x20) i++;
    const eq = text.indexOf('=', i);
    if (eq < 0) return;
    const key = text.slice(i, eq);
    if (key.includes(' ')) {
      // A word without a value (`pam_tally2 uid=…`): skip it.
      i = text.indexOf(' ', i) + 1 || n;
      continue;
    }
    let value: string;
    const q = text.charCodeAt(eq + 1);
    if (q === 0x22 || q === 0x27) {
      const close = text.indexOf(q === 0x22 ? '"' : "'", eq + 2);
      const end = close < 0 ? n : close;
      value = text.slice(eq + 2, end);
      i = end + 1;
      if (key === 'msg' && q === 0x27) {
        scanPairs(value, 0, into, false);
        continue;
      }
    } else {
      const sp = text.indexOf(' ', eq + 1);
      const end = sp < 0 ? n : sp;
      value = text.slice(eq + 1, end);
      i = end;
      if (UNTRUSTED_STRINGS.has(key) || (execveArgs && /^a\d+$/.test(key))) value = decodeAuditHex(value) ?? value;
    }
    if (!into.has(key) && key !== '__proto__' && key !== 'constructor' && key !== 'prototype') into.set(key, value);
  }
}

/** Hex-encoded values (the kernel's encoding for untrusted strings); NULs become spaces (proctitle). */
export function decodeAuditHex(value: string): string | undefined {
  if (value.length === 0 || value.length % 2 !== 0 || !/^[0-9A-F]+$/i.test(value)) return undefined;
  return Buffer.from(value, 'hex').toString('utf8').replace(/\0+$/, '').replace(/\0/g, ' ');
}
