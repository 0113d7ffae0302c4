/**
 * Juniper NetScreen / SSG (ScreenOS) syslog:
 * `NetScreen device_id=<id>  [<vsys>]system-<level>-<code>[(traffic)]: <text>`. The level and
 * the five-digit message code come from the message id; traffic logs (`(traffic)`) carry
 * `key=value` pairs, the other messages are sentences, of which the common ones name their
 * endpoints in a few fixed shapes: `From 1.2.3.4:41437 to 5.6.7.8:9612, proto TCP (zone
 * Untrust int ethernet0/0)` (attack alarms), `from host 1.2.3.4 to 5.6.7.8:443` and
 * `from 1.2.3.4:22 for admin netscreen` (management sessions).
 */
import type { Fields } from '../../core/event.js';
import { keyValuePairs } from './key-value-log.js';
import { counter, decisionOf, portNumber, putDecision, putEcs, putNative, transportName, usableIp } from './device-fields.js';

const PREFIX = 'NetScreen device_id=';

export function isNetScreen(text: string): boolean {
  return text.startsWith(PREFIX);
}

function isAddressChar(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46) || c === 0x2e || c === 0x3a;
}

interface Endpoint {
  readonly ip: string;
  readonly port?: number | undefined;
  readonly end: number;
}

/** `1.2.3.4` or `1.2.3.4:443` at `i` (IPv4: ScreenOS writes ports after a colon). */
function endpointAt(text: string, i: number): Endpoint | undefined {
  let e = i;
  while (e < text.length && e - i < 64 && isAddressChar(text.charCodeAt(e))) e++;
  const token = text.slice(i, e);
  const colon = token.indexOf(':');
  const ip = colon < 0 ? token : token.slice(0, colon);
  if (!usableIp(ip)) return undefined;
  return { ip, port: colon < 0 ? undefined : portNumber(token.slice(colon + 1)), end: e };
}

/** The word at `i`, up to a space or one of `stops`. */
function wordAt(text: string, i: number, stops = ''): string {
  let e = i;
  while (e < text.length && e - i < 128 && text[e] !== ' ' && !stops.includes(text[e]!)) e++;
  return text.slice(i, e);
}

function addSentenceFields(text: string, into: Fields): void {
  let from = text.indexOf('From ');
  if (from < 0) from = text.indexOf('from ');
  if (from >= 0) {
    let i = from + 5;
    if (text.startsWith('host ', i)) i += 5;
    const src = endpointAt(text, i);
    if (src) {
      putEcs(into, 'source.ip', src.ip);
      putEcs(into, 'source.port', src.port);
      i = src.end;
      if (text.startsWith(' to ', i)) {
        const dst = endpointAt(text, i + 4);
        if (dst) {
          putEcs(into, 'destination.ip', dst.ip);
          putEcs(into, 'destination.port', dst.port);
          i = dst.end;
        }
      }
      if (text.startsWith(', proto ', i)) {
        putEcs(into, 'network.transport', transportName(wordAt(text, i + 8, ',(')));
        putDecision(into, undefined);
      }
    }
  }
  const zone = text.indexOf('(zone ');
  if (zone >= 0) {
    putEcs(into, 'observer.ingress.zone', wordAt(text, zone + 6, ',)'));
    const int = text.indexOf(' int ', zone);
    if (int >= 0) {
      let i = int + 5;
      while (text.charCodeAt(i) === 0x20) i++;
      putEcs(into, 'observer.ingress.interface.name', wordAt(text, i, ',)'));
    }
  }
  // The administrator: `for admin netscreen`, `by netscreen via web`, `Admin user "netscreen"`.
  const admin = text.indexOf('for admin ');
  const by = text.indexOf(' by ');
  const quoted = text.indexOf('user "');
  if (admin >= 0) putEcs(into, 'user.name', wordAt(text, admin + 10, ',.'));
  else if (quoted >= 0) {
    const close = text.indexOf('"', quoted + 6);
    if (close > quoted + 6) putEcs(into, 'user.name', text.slice(quoted + 6, close));
  } else if (by >= 0 && text.startsWith(' via ', by + 4 + wordAt(text, by + 4).length)) putEcs(into, 'user.name', wordAt(text, by + 4));
  const lower = text.toLowerCase();
  if (lower.includes(' modified') || lower.includes('configuration') || lower.includes(' changed') || lower.includes(' deleted') || lower.includes(' added')) {
    into['event.category'] = ['configuration'];
  } else if (lower.includes('logged in') || lower.includes('login') || lower.includes('management session') || lower.includes('logged out')) {
    into['event.category'] = ['authentication'];
    if (lower.includes('fail')) into['event.outcome'] = 'failure';
  }
}

/** ScreenOS writes `src zone=Trust` and `src-xlated ip=…`: keys with a space, joined here to read as pairs. */
function joinSpacedKeys(text: string): string {
  return text
    .replaceAll('src zone=', 'src_zone=')
    .replaceAll('dst zone=', 'dst_zone=')
    .replaceAll('src-xlated ip=', 'src_xlated_ip=')
    .replaceAll('dst-xlated ip=', 'dst_xlated_ip=')
    .replaceAll('icmp type=', 'icmp_type=')
    .replaceAll('icmp code=', 'icmp_code=');
}

function addTrafficFields(text: string, into: Fields): void {
  const pairs = keyValuePairs(joinSpacedKeys(text), 1);
  if (!pairs) return;
  for (const [k, v] of pairs) putNative(into, k, v);
  const get = (k: string) => {
    const v = pairs.get(k);
    return v === '' ? undefined : v;
  };
  putEcs(into, 'source.ip', usableIp(get('src')));
  putEcs(into, 'destination.ip', usableIp(get('dst')));
  putEcs(into, 'source.port', portNumber(get('src_port')));
  putEcs(into, 'destination.port', portNumber(get('dst_port')));
  putEcs(into, 'network.transport', transportName(get('proto')));
  putEcs(into, 'rule.id', get('policy_id'));
  putEcs(into, 'observer.ingress.zone', get('src_zone'));
  putEcs(into, 'observer.egress.zone', get('dst_zone'));
  putEcs(into, 'source.bytes', counter(get('sent')));
  putEcs(into, 'destination.bytes', counter(get('rcvd')));
  const action = get('action')?.toLowerCase();
  putEcs(into, 'event.action', action);
  putDecision(into, action ? decisionOf(action) : undefined);
}

/**
 * Reads a ScreenOS message (`text` starts with `NetScreen device_id=`) into `into`. False when
 * it is not one.
 */
export function addNetScreenFields(text: string, into: Fields): boolean {
  if (!isNetScreen(text)) return false;
  const idEnd = text.indexOf(' ', PREFIX.length);
  const deviceId = text.slice(PREFIX.length, idEnd < 0 ? text.length : idEnd);
  if (deviceId === '') return false;
  putNative(into, 'device_id', deviceId);
  into['observer.vendor'] = 'Juniper';
  putEcs(into, 'observer.product', 'NetScreen');
  putEcs(into, 'observer.serial_number', deviceId);
  if (idEnd < 0) return true;
  let i = idEnd;
  while (text.charCodeAt(i) === 0x20) i++;
  if (text.charCodeAt(i) === 0x5b) {
    const close = text.indexOf(']', i);
    if (close > i && close - i < 64) {
      putNative(into, 'vsys', text.slice(i + 1, close));
      i = close + 1;
    }
  }
  // `system-notification-00018` or `system-notification-00257(traffic)`, then `: `.
  const colon = text.indexOf(':', i);
  if (colon < 0 || colon - i > 80) return true;
  const id = text.slice(i, colon);
  const first = id.indexOf('-');
  const second = first < 0 ? -1 : id.indexOf('-', first + 1);
  if (second < 0) return true;
  const level = id.slice(first + 1, second);
  const paren = id.indexOf('(', second);
  const code = id.slice(second + 1, paren < 0 ? id.length : paren);
  putNative(into, 'level', level);
  putEcs(into, 'log.level', level);
  putEcs(into, 'event.code', code);
  const kind = paren < 0 ? '' : id.slice(paren + 1, id.indexOf(')', paren) < 0 ? id.length : id.indexOf(')', paren));
  let body = text.slice(colon + 1).trim();
  if (kind === 'traffic') {
    addTrafficFields(body, into);
    return true;
  }
  // Most messages end with the device's own clock: `(2014-05-23 10:58:17)`.
  if (body.length > 22 && body.endsWith(')') && body.charCodeAt(body.length - 21) === 0x28 && body[body.length - 16] === '-') body = body.slice(0, -21).trim();
  putEcs(into, 'event.reason', body);
  addSentenceFields(body, into);
  return true;
}
