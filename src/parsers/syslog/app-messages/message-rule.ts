/**
 * A rule that turns one kind of program message into ECS fields: a pattern with named groups
 * and the fields it sets. Rules are data (see the per-program files); this file applies them.
 *
 * Patterns run on attacker-influenced text, so every one must be linear: anchored, no nested
 * quantifiers, character classes that cannot overlap their delimiters. The tests run each
 * rule on long hostile lines to hold them to that.
 */
import type { FieldValue, Fields } from '../../../core/event.js';

/** Named capture groups and the ECS field each fills. Numbers are stored as numbers. */
const GROUP_FIELDS: Record<string, { field: string; number?: boolean }> = {
  user: { field: 'user.name' },
  target: { field: 'user.effective.name' },
  by: { field: 'user.changes.name' },
  ip: { field: 'source.ip' },
  port: { field: 'source.port', number: true },
  dstip: { field: 'destination.ip' },
  dstport: { field: 'destination.port', number: true },
  method: { field: 'system.auth.ssh.method' },
  tty: { field: 'process.tty.name' },
  pwd: { field: 'process.working_directory' },
  cmd: { field: 'process.command_line' },
  group: { field: 'group.name' },
  gid: { field: 'group.id' },
  uid: { field: 'user.id' },
  home: { field: 'user.home' },
  shell: { field: 'user.shell' },
  session: { field: 'session.id' },
  reason: { field: 'event.reason' },
  service: { field: 'system.auth.pam.service' },
};

export interface MessageRule {
  readonly pattern: RegExp;
  /** Fixed ECS fields, e.g. `event.category`, `event.action`, `event.outcome`. */
  readonly fields: Readonly<Record<string, FieldValue>>;
  /** Derives fields from the match when fixed ones are not enough (e.g. outcome from a word). */
  readonly derive?: (groups: Readonly<Record<string, string | undefined>>) => Readonly<Record<string, FieldValue>>;
}

/** Applies the first rule that matches `message`; true when one did. */
export function applyRules(rules: readonly MessageRule[], message: string, into: Fields): boolean {
  for (const rule of rules) {
    const m = rule.pattern.exec(message);
    if (!m) continue;
    for (const [k, v] of Object.entries(rule.fields)) into[k] = v;
    const groups = m.groups ?? {};
    for (const [name, value] of Object.entries(groups)) {
      if (value === undefined || value === '') continue;
      const target = GROUP_FIELDS[name];
      if (!target) continue;
      const n = Number(value);
      into[target.field] = target.number && Number.isSafeInteger(n) ? n : value;
    }
    if (rule.derive) for (const [k, v] of Object.entries(rule.derive(groups))) into[k] = v;
    return true;
  }
  return false;
}
