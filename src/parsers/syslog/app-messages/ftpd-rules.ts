/** FTP daemons (wu-ftpd, vsftpd): connections and logins. */
import type { MessageRule } from './message-rule.js';

export const FTPD_RULES: readonly MessageRule[] = [
  { pattern: /^connection from (?<ip>[0-9A-Fa-f.:]+)/, fields: { 'event.category': ['network'], 'event.type': ['connection', 'start'], 'event.action': 'ftp_connection' } },
  {
    pattern: /^(?:\[pid \d+\] )?\[(?<user>[^\]\s]+)\] (?<result>OK|FAIL) LOGIN: Client "(?:::ffff:)?(?<ip>[0-9A-Fa-f.:]+)"/,
    fields: { 'event.category': ['authentication'], 'event.action': 'ftp_login' },
    derive: (g) => ({ 'event.outcome': g.result === 'OK' ? 'success' : 'failure' }),
  },
];
