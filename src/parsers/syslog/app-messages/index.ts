/**
 * ECS fields from the messages of well-known Linux programs (sshd, PAM, sudo, su, shadow-utils,
 * systemd-logind, cron, the kernel's packet filter) and of network devices (Cisco, FortiGate,
 * Palo Alto, Check Point, Sophos, Huawei, Juniper…), so `user.name:root`, `source.ip:…` or
 * `event.outcome:failure` work on syslog as they do on structured sources. Dispatch is by
 * program name, or by a prefix test of a few characters, so a line costs at most the few
 * rules of its own program.
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
import { addPaloAltoFields, isPanOsCsv } from '../../network-devices/palo-alto-csv.js';
import { addCheckPointFields } from '../../network-devices/check-point.js';
import { addHuaweiFields } from '../../network-devices/huawei-usg.js';
import { addEmbeddedJunosFields, addJunosFields } from '../../network-devices/junos.js';
import { addNetScreenFields, isNetScreen } from '../../network-devices/netscreen.js';
import { addFirewalldFields } from '../../network-devices/firewalld.js';

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

/** Devices known by their program name (lowercase), each with its message reader. */
const DEVICE_PROGRAMS = new Map<string, (message: string, fields: Fields) => boolean>([
  ['checkpoint', addCheckPointFields],
  ['firewalld', addFirewalldFields],
]);

/** A web server logging its access or error lines through syslog. */
function addWebFields(message: string, fields: Fields): boolean {
  const web = parseWebLine(message);
  if (!web) return false;
  for (const [k, v] of Object.entries(web.fields)) if (k !== 'message') fields[k] = v;
  return true;
}

/**
 * The tag was not a program but the start of the device's own text, which the RFC 3164 parser
 * split at its first space (and its first `:`): the fields become the whole text again, and
 * the tag (and, when it took one, the hostname) is dropped.
 */
function untag(fields: Fields, text: string, dropHost: boolean): void {
  delete fields['process.name'];
  delete fields['log.syslog.appname'];
  if (dropHost) {
    delete fields['host.name'];
    delete fields['host.hostname'];
  }
  fields['message'] = text;
}

/**
 * Devices recognised from the message alone: what arrives with no tag (RFC 5424 with a NIL
 * APP-NAME, RFC 3164 without TIMESTAMP) and what a device writes after a tag that is its own
 * host name (NetScreen). Prefix tests first; the one scan (`[key:"`) only for a `[` message.
 */
function addDeviceMessageFields(message: string, fields: Fields): boolean {
  if (isPanOsCsv(message)) return addPaloAltoFields(message, fields);
  if (isNetScreen(message)) return addNetScreenFields(message, fields);
  if (message.charCodeAt(0) === 0x5b) return addCheckPointFields(message, fields);
  if (message.startsWith('%%')) {
    const colon = message.indexOf(':');
    return colon > 0 && addHuaweiFields(message.slice(0, colon), message.slice(colon + 1).trimStart(), fields);
  }
  return addKeyValueFirewallFields(message, fields);
}

/** Adds what the message says to `fields` (mutated); returns whether a rule understood it. */
export function addAppMessageFields(fields: Fields): boolean {
  const program = fields['process.name'];
  const message = fields['message'];
  if (typeof message !== 'string') return false;
  if (typeof program !== 'string') return addDeviceMessageFields(message, fields);
  // A key=value device log has no tag: the 3164 parser took its first pair (`date=…`) for one.
  if (program.includes('=')) {
    if (!addKeyValueFirewallFields(`${program} ${message}`, fields)) return false;
    delete fields['process.name'];
    fields['message'] = `${program} ${message}`;
    return true;
  }
  const c = program.charCodeAt(0);
  // Palo Alto's CSV has no tag either: `host 1,2020/02/09 00:00:00,…` reads as tag `1,2020/02/09`
  // with message `00:00:00,…`; without a hostname, the CSV's first column became the hostname
  // and its minutes the tag.
  if (c >= 0x30 && c <= 0x39) {
    const pan = program.includes(',') ? `${program} ${message}` : '';
    if (isPanOsCsv(pan)) {
      untag(fields, pan, false);
      return addPaloAltoFields(pan, fields);
    }
    const host = fields['host.name'];
    if (typeof host === 'string' && host.includes(',') && isPanOsCsv(`${host} ${program}:${message}`)) {
      const text = `${host} ${program}:${message}`;
      untag(fields, text, true);
      return addPaloAltoFields(text, fields);
    }
  }
  // Huawei: the message id is the tag (`%%01POLICY/6/POLICYPERMIT(l)`), the device the host.
  if (c === 0x25 && program.startsWith('%%')) {
    if (!addHuaweiFields(program, message, fields)) return false;
    if (typeof fields['host.name'] === 'string') fields['observer.name'] ??= fields['host.name'];
    return true;
  }
  // `sshd(pam_unix)`: the old PAM form names the module in the tag.
  const paren = program.indexOf('(');
  const base = (paren > 0 ? program.slice(0, paren) : program).toLowerCase();
  if (base === 'kernel') return addFirewallFields(message, fields);
  const device = DEVICE_PROGRAMS.get(base);
  if (device) return device(message, fields);
  // Junos: structured RFC 5424 (`RT_FLOW`, `RT_IDS`…), or relayed inside RFC 3164 (`junos-flow`).
  if (c === 0x52 && program.startsWith('RT_') && addJunosFields(fields)) return true;
  if (c === 0x6a && base.startsWith('junos') && addEmbeddedJunosFields(message, fields)) return true;
  // NetScreen tags its lines with its own host name (`ssg5-serial:`), so the message says it.
  if (isNetScreen(message)) {
    if (!addNetScreenFields(message, fields)) return false;
    fields['observer.name'] ??= program;
    return true;
  }
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
 * A line with no syslog header that is still a known device format (Cisco `%ASA-…`, Huawei
 * `%%01…`, CEF/LEEF, Palo Alto CSV, NetScreen, key=value firewall logs, a Check Point body), as
 * found in files and in the raw payloads of some senders. Returns its fields, or undefined.
 */
export function deviceLineFields(line: string): Fields | undefined {
  const fields: Fields = Object.create(null) as Fields;
  fields['message'] = line;
  if (line.startsWith('%%')) {
    const colon = line.indexOf(':');
    if (colon > 0 && addHuaweiFields(line.slice(0, colon), line.slice(colon + 1).trimStart(), fields)) return fields;
  } else if (line.startsWith('%') && addCiscoAsaFields(line, fields)) return fields;
  const cef = line.startsWith('CEF:') || line.startsWith('LEEF:') ? parseCefOrLeef(line) : undefined;
  if (cef) return Object.assign(fields, cef, { message: line });
  if (isPanOsCsv(line)) return addPaloAltoFields(line, fields) ? fields : undefined;
  if (isNetScreen(line)) return addNetScreenFields(line, fields) ? fields : undefined;
  if (addKeyValueFirewallFields(line, fields)) return fields;
  // A Check Point record whose header no syslog parser took (a leading space, a cut header):
  // its body still says everything, so it is read when the line names Check Point.
  const open = line.indexOf('[');
  if (open >= 0 && (open === 0 || line.lastIndexOf('CheckPoint', open) >= 0) && addCheckPointFields(line.slice(open), fields)) return fields;
  return undefined;
}
