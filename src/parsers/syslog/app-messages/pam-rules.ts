/**
 * Linux-PAM messages, from any program: `pam_unix(sshd:auth): …` in the message, or the older
 * `sshd(pam_unix)[pid]: …` form where the module is in the tag.
 */
import type { MessageRule } from './message-rule.js';

export const PAM_RULES: readonly MessageRule[] = [
  {
    pattern: /^(?:pam_unix\((?<service>[^:)\s]+):auth\): )?authentication failure; (?:[a-z]+=\S* )*?rhost=(?<ip>\S*)(?:\s+user=(?<user>\S+))?/,
    fields: { 'event.category': ['authentication'], 'event.action': 'pam_authentication_failure', 'event.outcome': 'failure' },
  },
  {
    pattern: /^(?:pam_unix\((?<service>[^:)\s]+):session\): )?session (?<state>opened|closed) for user (?<user>[^\s(]+)(?:\(uid=\d+\))?(?: by (?<by>[^\s(]*))?/,
    fields: { 'event.category': ['session'] },
    derive: (g) => ({ 'event.action': g.state === 'opened' ? 'session_opened' : 'session_closed', 'event.type': [g.state === 'opened' ? 'start' : 'end'], 'event.outcome': 'success' }),
  },
  {
    pattern: /^PAM \d+ more authentication failures?; (?:[a-z]+=\S* )*?rhost=(?<ip>\S*)(?:\s+user=(?<user>\S+))?/,
    fields: { 'event.category': ['authentication'], 'event.action': 'pam_authentication_failure', 'event.outcome': 'failure' },
  },
  { pattern: /^PAM service\((?<service>[^)\s]+)\) ignoring max retries/, fields: { 'event.category': ['authentication'], 'event.action': 'pam_max_retries', 'event.outcome': 'failure' } },
  { pattern: /^(?:pam_unix\((?<service>[^:)\s]+):auth\): )?check pass; user unknown/, fields: { 'event.category': ['authentication'], 'event.action': 'pam_unknown_user', 'event.outcome': 'failure', 'event.reason': 'user unknown' } },
  { pattern: /^pam_unix\((?<service>[^:)\s]+):chauthtok\): password changed for (?<user>\S+)/, fields: { 'event.category': ['iam'], 'event.type': ['user', 'change'], 'event.action': 'password_changed', 'event.outcome': 'success' } },
];
