/** OpenSSH server messages (auth.log); action names follow Elastic's system/auth module. */
import type { MessageRule } from './message-rule.js';

const auth = (action: string, outcome: string) => ({ 'event.category': ['authentication'], 'event.action': action, 'event.outcome': outcome });

// sshd logs user names as the client sent them, spaces included ("Invalid user  0101 from …"), so
// a name is read lazily up to the fixed text after it, never as one \S+ token.
export const SSHD_RULES: readonly MessageRule[] = [
  {
    pattern: /^(?<result>Accepted|Failed) (?<method>[\w/-]+) for (?<invalid>invalid user )?(?<user>.*?) from (?<ip>\S+) port (?<port>\d+)/,
    fields: { 'event.category': ['authentication'], 'event.action': 'ssh_login' },
    derive: (g) => ({
      'event.outcome': g.result === 'Accepted' ? 'success' : 'failure',
      'event.type': g.result === 'Accepted' ? ['start'] : ['info'],
      'system.auth.ssh.event': g.result ?? '',
      ...(g.invalid ? { 'event.reason': 'invalid user' } : {}),
    }),
  },
  { pattern: /^Invalid user (?<user>.*?) from (?<ip>\S+)(?: port (?<port>\d+))?\s*$/, fields: { ...auth('ssh_invalid_user', 'failure'), 'event.reason': 'invalid user' } },
  { pattern: /^input_userauth_request: invalid user (?<user>.*?)(?: \[preauth\])?$/, fields: { ...auth('ssh_invalid_user', 'failure'), 'event.reason': 'invalid user' } },
  {
    pattern: /^reverse mapping checking getaddrinfo for \S+ \[(?<ip>[^\]\s]+)\] failed - POSSIBLE BREAK-IN ATTEMPT!/,
    fields: { 'event.category': ['authentication', 'intrusion_detection'], 'event.action': 'ssh_break_in_attempt', 'event.outcome': 'unknown' },
  },
  { pattern: /^(?:error: )?maximum authentication attempts exceeded for (?:invalid user )?(?<user>\S+) from (?<ip>\S+) port (?<port>\d+)/, fields: auth('ssh_too_many_attempts', 'failure') },
  { pattern: /^Disconnecting(?: authenticating user \S+ \S+ port \d+)?: Too many authentication failures(?: for (?<user>\S+))?/, fields: auth('ssh_too_many_attempts', 'failure') },
  { pattern: /^(?:error: )?Received disconnect from (?<ip>[0-9A-Fa-f.:]+?)(?: port (?<port>\d+))?: /, fields: { 'event.category': ['network'], 'event.action': 'ssh_disconnect', 'event.type': ['end'] } },
  {
    pattern: /^(?:Connection closed|Disconnected) (?:by|from) (?:(?:invalid |authenticating )?user (?<user>\S+) )?(?<ip>[0-9A-Fa-f.:]+)(?: port (?<port>\d+))?/,
    fields: { 'event.category': ['network'], 'event.action': 'ssh_disconnect', 'event.type': ['end'] },
  },
  { pattern: /^Did not receive identification string from (?<ip>\S+)/, fields: { 'event.category': ['network'], 'event.action': 'ssh_no_identification', 'event.outcome': 'failure' } },
];
