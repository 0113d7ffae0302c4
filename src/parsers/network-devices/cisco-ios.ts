/**
 * Cisco IOS / IOS-XE / NX-OS system messages: `[seq: ][*|.]Feb 17 13:40:03.673[ UTC]: %FACILITY-SEVERITY-MNEMONIC: text`,
 * as routers and switches send them (with or without a syslog header, with the sequence number
 * and the `*` that marks an unsynchronised clock). The message id becomes `event.code`, the
 * severity `log.level`; logins and configuration commands (what Sigma's Cisco rules and a
 * change audit look for) get `user.name`, `source.ip` and the command.
 */
import type { Fields } from '../../core/event.js';
import { scanBsdTimestamp } from '../syslog/bsd-timestamp.js';
import type { TimeZone } from '../syslog/time-zone.js';

const LEVELS = ['emergency', 'alert', 'critical', 'error', 'warning', 'notice', 'informational', 'debugging'];
/** `%SEC_LOGIN-4-LOGIN_FAILED: ` at the start of the text it is given. */
const MESSAGE_ID = /^%([A-Z0-9_]{1,40})-([0-7])-([A-Z0-9_]{1,60}):? ?/;

export interface CiscoIosMessage {
  /** Epoch ms from the device's own timestamp, when it wrote one. */
  readonly time?: number | undefined;
  readonly fields: Fields;
}

/**
 * Reads `text` (a whole line without a syslog header, or the message after one). Returns
 * undefined when it holds no IOS message id.
 */
export function parseCiscoIos(text: string, received: number, zone: TimeZone): CiscoIosMessage | undefined {
  const at = text.startsWith('%') ? 0 : text.indexOf(': %') + 2;
  if (at < 0 || at === 1) return undefined;
  const id = MESSAGE_ID.exec(at === 0 ? text : text.slice(at));
  if (!id) return undefined;
  const [whole, facility = '', severity = '', mnemonic = ''] = id;
  const fields: Fields = Object.create(null) as Fields;
  const message = text.slice(at + whole.length);
  fields['message'] = message;
  fields['cisco.ios.facility'] = facility;
  fields['cisco.ios.mnemonic'] = mnemonic;
  fields['event.code'] = `${facility}-${severity}-${mnemonic}`;
  fields['event.action'] = mnemonic.toLowerCase();
  fields['log.level'] = LEVELS[Number(severity)]!;
  fields['observer.vendor'] = 'Cisco';
  let time: number | undefined;
  if (at > 0) time = readPrefix(text.slice(0, at - 2), received, zone, fields);
  addMessageFields(facility, mnemonic, message, fields);
  return { time, fields };
}

/** `172.16.5.10 6705: Feb 17 13:40:03.673` or `6705: *Feb 17 13:40:03.673 UTC`: host, sequence, clock. */
function readPrefix(prefix: string, received: number, zone: TimeZone, fields: Fields): number | undefined {
  let rest = prefix;
  const colon = rest.indexOf(': ');
  if (colon > 0) {
    const head = rest.slice(0, colon).split(' ');
    const sequence = head[head.length - 1]!;
    if (/^\d{1,12}$/.test(sequence)) {
      fields['event.sequence'] = Number(sequence);
      if (head.length === 2 && head[0]) fields['host.name'] = head[0];
      rest = rest.slice(colon + 2);
    }
  }
  // `*` says the clock was never set, `.` that it lost sync: the time is then suspect.
  if (rest.startsWith('*') || rest.startsWith('.')) rest = rest.slice(1);
  const stamp = scanBsdTimestamp(rest, 0, rest.length, received, zone);
  return stamp && !Number.isNaN(stamp.time) ? stamp.time : undefined;
}

const LOGIN_PART = /\[(user|Source|localport|Reason): ([^\]]{0,200})\]/g;

function addMessageFields(facility: string, mnemonic: string, message: string, fields: Fields): void {
  if (facility === 'SEC_LOGIN') {
    for (const m of message.matchAll(LOGIN_PART)) {
      const [, key, value = ''] = m;
      if (key === 'user') fields['user.name'] = value;
      else if (key === 'Source') fields['source.ip'] = value;
      else if (key === 'localport') fields['destination.port'] = Number(value);
      else fields['event.reason'] = value;
    }
    fields['event.category'] = ['authentication'];
    if (mnemonic === 'LOGIN_SUCCESS') fields['event.outcome'] = 'success';
    else if (mnemonic === 'LOGIN_FAILED') fields['event.outcome'] = 'failure';
    return;
  }
  if (facility === 'PARSER' && mnemonic === 'CFGLOG_LOGGEDCMD') {
    // `User:admin  logged command:no access-session port-control`
    const m = /^User:(\S{1,128}) +logged command:(.*)$/.exec(message);
    if (m) {
      fields['user.name'] = m[1]!;
      fields['cisco.ios.command'] = m[2]!;
    }
    fields['event.category'] = ['configuration'];
    fields['event.type'] = ['change'];
    return;
  }
  if (facility === 'SYS' && mnemonic === 'CONFIG_I') {
    // `Configured from console by admin on vty0 (10.1.1.1)`
    const m = /^Configured from (\S{1,64}) by (\S{1,128})(?: on (\S{1,32}))?(?: \(([0-9A-Fa-f:.]{2,45})\))?/.exec(message);
    if (m) {
      fields['user.name'] = m[2]!;
      if (m[4]) fields['source.ip'] = m[4];
    }
    fields['event.category'] = ['configuration'];
    fields['event.type'] = ['change'];
  }
}
