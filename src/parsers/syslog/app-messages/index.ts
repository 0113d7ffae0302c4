/**
 * ECS fields from the messages of well-known Linux programs (sshd, PAM, sudo, su, shadow-utils,
 * systemd-logind, cron, the kernel's packet filter), so `user.name:root`, `source.ip:…` or
 * `event.outcome:failure` work on syslog as they do on structured sources. Dispatch is by
 * program name, so a line costs at most the few rules of its own program.
 */
import type { Fields } from '../../../core/event.js';
import { ACCOUNT_RULES, CRON_RULES, LOGIND_RULES, SUDO_RULES, SU_RULES } from './account-rules.js';
import { addFirewallFields } from './kernel-firewall.js';
import { applyRules, type MessageRule } from './message-rule.js';
import { PAM_RULES } from './pam-rules.js';
import { SSHD_RULES } from './sshd-rules.js';
import { FTPD_RULES } from './ftpd-rules.js';
import { parseWebLine } from '../../web/web-log.js';
import { parseCefOrLeef } from '../../cef/cef.js';
import { eventXmlFields, isEventXml } from '../../windows/event-xml.js';
import { addKeyValueFirewallFields } from '../../network-devices/key-value-log.js';
import { addFilterlogFields } from '../../network-devices/pfsense-filterlog.js';
import { addCiscoAsaFields } from '../../network-devices/cisco-asa.js';

const BY_PROGRAM = new Map<string, readonly MessageRule[]>([
  ['sshd', [...SSHD_RULES, ...PAM_RULES]],
  ['sudo', [...SUDO_RULES, ...PAM_RULES]],
  ['su', [...SU_RULES, ...PAM_RULES]],
  ['useradd', ACCOUNT_RULES],
  ['userdel', ACCOUNT_RULES],
  ['usermod', ACCOUNT_RULES],
  ['groupadd', ACCOUNT_RULES],
  ['groupdel', ACCOUNT_RULES],
  ['gpasswd', ACCOUNT_RULES],
  ['passwd', [...ACCOUNT_RULES, ...PAM_RULES]],
  ['chpasswd', [...ACCOUNT_RULES, ...PAM_RULES]],
  ['systemd-logind', LOGIND_RULES],
  ['cron', CRON_RULES],
  ['ftpd', FTPD_RULES],
  ['vsftpd', FTPD_RULES],
  ['crond', CRON_RULES],
]);

const WEB_SERVERS = new Set(['nginx', 'apache', 'apache2', 'httpd']);

/** A web server logging its access or error lines through syslog. */
function addWebFields(message: string, fields: Fields): boolean {
  const web = parseWebLine(message);
  if (!web) return false;
  for (const [k, v] of Object.entries(web.fields)) if (k !== 'message') fields[k] = v;
  return true;
}

/** Adds what the message says to `fields` (mutated); returns whether a rule understood it. */
export function addAppMessageFields(fields: Fields): boolean {
  const program = fields['process.name'];
  const message = fields['message'];
  if (typeof program !== 'string' || typeof message !== 'string') return false;
  // A key=value device log has no tag: the 3164 parser took its first pair (`date=…`) for one.
  if (program.includes('=')) {
    if (!addKeyValueFirewallFields(`${program} ${message}`, fields)) return false;
    delete fields['process.name'];
    fields['message'] = `${program} ${message}`;
    return true;
  }
  // `sshd(pam_unix)`: the old PAM form names the module in the tag.
  const paren = program.indexOf('(');
  const base = (paren > 0 ? program.slice(0, paren) : program).toLowerCase();
  if (base === 'kernel') return addFirewallFields(message, fields);
  // Sysmon for Linux logs Windows-style event XML through syslog.
  if (isEventXml(message)) {
    const sysmon = eventXmlFields(message);
    if (!sysmon) return false;
    for (const [k, v] of Object.entries(sysmon.fields)) if (!(k in fields) || k.startsWith('process.')) fields[k] = v;
    return true;
  }
  if (base === 'filterlog') return addFilterlogFields(message, fields);
  if (message.startsWith('%ASA-') || message.startsWith('%FTD-') || message.startsWith('%PIX-') || /^%(?:ASA|FTD|PIX)-\d-\d{6}$/.test(program)) {
    return addCiscoAsaFields(message.startsWith('%') ? message : `${program}: ${message}`, fields);
  }
  // CEF/LEEF senders put the format where RFC 3164 expects a tag: `host CEF:0|Vendor|…`.
  if (base === 'cef' || base === 'leef' || message.startsWith('CEF:') || message.startsWith('LEEF:')) {
    const cef = parseCefOrLeef(base === 'cef' || base === 'leef' ? `${program}:${message}` : message);
    if (!cef) return false;
    for (const [k, v] of Object.entries(cef)) if (!(k in fields) || k === 'process.name') fields[k] = v;
    if (fields['process.name'] === program) delete fields['process.name'];
    return true;
  }
  if (WEB_SERVERS.has(base)) return addWebFields(message, fields);
  const rules = paren > 0 && program.includes('pam_') ? PAM_RULES : BY_PROGRAM.get(base);
  if (!rules) return addKeyValueFirewallFields(message, fields);
  // syslogd folds repeats into `message repeated N times: [ <message>]`; the inner one counts.
  const repeated = /^message repeated \d+ times: \[ ?(.*)\]$/.exec(message);
  const understood = applyRules(rules, repeated?.[1] ?? message, fields);
  if (understood && paren > 0 && fields['system.auth.pam.service'] === undefined) fields['system.auth.pam.service'] = base;
  return understood;
}

/**
 * A line with no syslog header that is still a known device format (Cisco `%ASA-…`, CEF/LEEF,
 * key=value firewall logs), as found in files and in the raw payloads of some senders.
 * Returns its fields, or undefined.
 */
export function deviceLineFields(line: string): Fields | undefined {
  const fields: Fields = Object.create(null) as Fields;
  fields['message'] = line;
  if (line.startsWith('%') && addCiscoAsaFields(line, fields)) return fields;
  const cef = line.startsWith('CEF:') || line.startsWith('LEEF:') ? parseCefOrLeef(line) : undefined;
  if (cef) return Object.assign(fields, cef, { message: line });
  return addKeyValueFirewallFields(line, fields) ? fields : undefined;
}
