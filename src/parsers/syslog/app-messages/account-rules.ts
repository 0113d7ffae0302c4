/** sudo, su, shadow-utils (useradd, userdel, usermod, groupadd, gpasswd), systemd-logind, cron. */
import type { MessageRule } from './message-rule.js';

const iam = (type: string[], action: string) => ({ 'event.category': ['iam'], 'event.type': type, 'event.action': action, 'event.outcome': 'success' });

export const SUDO_RULES: readonly MessageRule[] = [
  {
    // `alice : 3 incorrect password attempts ; TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/sh`
    pattern: /^\s*(?<user>\S+) : (?:(?<reason>[^;]*?) ; )?TTY=(?<tty>[^;\s]*) ; PWD=(?<pwd>[^;]*) ; USER=(?<target>[^;\s]+) ;(?: [A-Z]+=[^;]* ;)* COMMAND=(?<cmd>.*)$/,
    fields: { 'event.category': ['process'], 'event.action': 'sudo' },
    // A refused sudo started nothing: its type is info, not start.
    derive: (g) => (g.reason ? { 'event.outcome': 'failure', 'event.type': ['info'] } : { 'event.outcome': 'success', 'event.type': ['start'] }),
  },
];

export const SU_RULES: readonly MessageRule[] = [
  {
    // shadow-utils writes "FAILED su for root by alice", older versions "FAILED SU for …".
    pattern: /^(?<result>FAILED [Ss][Uu]|Successful su) for (?<target>\S+) by (?<user>\S+)/,
    fields: { 'event.category': ['authentication'], 'event.action': 'su' },
    derive: (g) => ({ 'event.outcome': g.result === 'Successful su' ? 'success' : 'failure' }),
  },
  // util-linux: "(to root) alice on pts/0", and "FAILED SU (to root) alice on pts/0" when refused.
  { pattern: /^(?<result>FAILED (?:SU )?)?\(to (?<target>\S+)\) (?<user>\S+) on (?<tty>\S+)/, fields: { 'event.category': ['authentication'], 'event.action': 'su' }, derive: (g) => ({ 'event.outcome': g.result ? 'failure' : 'success' }) },
];

export const ACCOUNT_RULES: readonly MessageRule[] = [
  { pattern: /^new user: name=(?<user>[^,\s]+), UID=(?<uid>\d+), GID=(?<gid>\d+), home=(?<home>[^,]+), shell=(?<shell>[^,\s]+)/, fields: iam(['user', 'creation'], 'user_created') },
  { pattern: /^new group: name=(?<group>[^,\s]+), GID=(?<gid>\d+)/, fields: iam(['group', 'creation'], 'group_created') },
  { pattern: /^group added to \/etc\/(?:group|gshadow): name=(?<group>[^,\s]+)(?:, GID=(?<gid>\d+))?/, fields: iam(['group', 'creation'], 'group_created') },
  { pattern: /^delete user '(?<user>[^']+)'/, fields: iam(['user', 'deletion'], 'user_deleted') },
  { pattern: /^(?:removed group|group) '(?<group>[^']+)' removed/, fields: iam(['group', 'deletion'], 'group_deleted') },
  { pattern: /^add '(?<user>[^']+)' to (?:shadow )?group '(?<group>[^']+)'/, fields: iam(['group', 'change'], 'user_added_to_group') },
  { pattern: /^user (?<user>\S+) added by (?<by>\S+) to group (?<group>\S+)/, fields: iam(['group', 'change'], 'user_added_to_group') },
  { pattern: /^change user '(?<user>[^']+)' (?<what>password|shell|home|UID|GID)/, fields: iam(['user', 'change'], 'user_changed') },
  { pattern: /^password for '(?<user>[^']+)' changed by '(?<by>[^']+)'/, fields: iam(['user', 'change'], 'password_changed') },
];

export const LOGIND_RULES: readonly MessageRule[] = [
  { pattern: /^New session (?<session>\S+) of user (?<user>[^\s.]+)\./, fields: { 'event.category': ['session'], 'event.type': ['start'], 'event.action': 'session_opened', 'event.outcome': 'success' } },
  { pattern: /^Removed session (?<session>[^\s.]+)\./, fields: { 'event.category': ['session'], 'event.type': ['end'], 'event.action': 'session_closed', 'event.outcome': 'success' } },
];

export const CRON_RULES: readonly MessageRule[] = [
  { pattern: /^\((?<user>[^)\s]+)\) CMD \((?<cmd>.*)\)$/, fields: { 'event.category': ['process'], 'event.type': ['start'], 'event.action': 'cron_command' } },
];
