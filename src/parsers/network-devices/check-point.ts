/**
 * Check Point Log Exporter (and Smart-1 / SmartEvent) syslog: an RFC 5424 header with app name
 * `CheckPoint`, then `[key:"value"; key:"value"; …]`. The brackets look like RFC 5424
 * STRUCTURED-DATA but are not (no SD-ID, `:` for `=`, `;` between pairs), so the RFC 5424
 * parser leaves them in the message and this scanner reads them. Values are quoted with `\"`,
 * `\\` and `\]` escaped; some keys carry a stray colon (`ike::"…"`, `scheme::"IKE"`), and cut
 * lines end mid-pair (`[action:"Flag";...`), so the scanner resynchronises on `;` and keeps
 * whatever it has read.
 */
import type { FieldValue, Fields } from '../../core/event.js';
import { decisionOf, isSafeKey, portNumber, putDecision, putEcs, putNative, transportName, usableIp } from './device-fields.js';

const MAX_PAIRS = 512;
const MAX_KEY = 64;

function isKeyChar(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x5f || c === 0x2d;
}

/** `[key:` at `at`: the start of a Check Point body (cheap: a bounded look at one key). */
export function isCheckPointBody(text: string, at: number): boolean {
  if (text.charCodeAt(at) !== 0x5b) return false;
  let i = at + 1;
  const limit = Math.min(text.length, i + MAX_KEY);
  while (i < limit && isKeyChar(text.charCodeAt(i))) i++;
  return i > at + 1 && text.charCodeAt(i) === 0x3a && (text.charCodeAt(i + 1) === 0x22 || text.charCodeAt(i + 1) === 0x3a);
}

/** The pairs of a body starting at `text[at] === '['`, every value of a repeated key kept in order. */
export function checkPointPairs(text: string, at: number): Map<string, string[]> {
  const pairs = new Map<string, string[]>();
  const n = text.length;
  let i = at + 1;
  let count = 0;
  while (i < n && count < MAX_PAIRS) {
    let c = text.charCodeAt(i);
    while (c === 0x20 || c === 0x3b) c = text.charCodeAt(++i);
    if (i >= n || c === 0x5d) break;
    const keyStart = i;
    while (i < n && i - keyStart <= MAX_KEY && isKeyChar(text.charCodeAt(i))) i++;
    if (i === keyStart || text.charCodeAt(i) !== 0x3a) {
      // Not a pair (a cut line's `...`, free text after `action:""`): skip to the next `;`.
      const semi = text.indexOf(';', i + 1);
      if (semi < 0) break;
      i = semi + 1;
      continue;
    }
    const key = text.slice(keyStart, i);
    while (text.charCodeAt(i) === 0x3a) i++;
    let value: string;
    if (text.charCodeAt(i) === 0x22) {
      value = '';
      let from = i + 1;
      let j = from;
      for (;;) {
        if (j >= n) {
          value += text.slice(from, n);
          i = n;
          break;
        }
        const d = text.charCodeAt(j);
        if (d === 0x22) {
          value += text.slice(from, j);
          i = j + 1;
          break;
        }
        if (d === 0x5c && j + 1 < n) {
          const next = text.charCodeAt(j + 1);
          if (next === 0x22 || next === 0x5c || next === 0x5d) {
            value += text.slice(from, j);
            from = j + 1;
            j += 2;
            continue;
          }
        }
        j++;
      }
    } else {
      let j = i;
      while (j < n && text.charCodeAt(j) !== 0x3b && text.charCodeAt(j) !== 0x5d) j++;
      value = text.slice(i, j).trim();
      i = j;
    }
    count++;
    if (!isSafeKey(key)) continue;
    const values = pairs.get(key);
    if (values) values.push(value);
    else pairs.set(key, [value]);
  }
  return pairs;
}

/** `CN=fw-gateway-1,O=mgmt..abc` → `fw-gateway-1`: the gateway's name in its SIC certificate. */
function sicName(dn: string | undefined): string | undefined {
  if (!dn?.startsWith('CN=')) return undefined;
  const comma = dn.indexOf(',');
  const name = dn.slice(3, comma < 0 ? dn.length : comma);
  return name === '' ? undefined : name;
}

/**
 * Reads the Check Point body found in `text` (the message after an RFC 5424 header, or a whole
 * line) into `into`: each pair under its Check Point name, ECS fields for the common ones.
 * False when there is no body or it holds no pair.
 */
export function addCheckPointFields(text: string, into: Fields): boolean {
  const at = text.charCodeAt(0) === 0x5b ? 0 : text.indexOf('[');
  if (at < 0 || !isCheckPointBody(text, at)) return false;
  const pairs = checkPointPairs(text, at);
  if (pairs.size === 0) return false;
  for (const [key, values] of pairs) putNative(into, key, values.length === 1 ? values[0]! : values);
  const first = (key: string): string | undefined => {
    const v = pairs.get(key)?.[0];
    return v === undefined || v === '' ? undefined : v;
  };
  into['observer.vendor'] = 'Check Point';
  putEcs(into, 'observer.product', first('product'));
  putEcs(into, 'observer.name', sicName(first('originsicname')));
  putEcs(into, 'observer.ip', usableIp(first('origin')));
  putEcs(into, 'source.ip', usableIp(first('src')));
  putEcs(into, 'destination.ip', usableIp(first('dst')));
  putEcs(into, 'source.port', portNumber(first('s_port')));
  // `service` is the destination port number; `service_id` its name.
  putEcs(into, 'destination.port', portNumber(first('service')));
  const proto = first('proto');
  putEcs(into, 'network.transport', transportName(proto));
  if (proto && portNumber(proto) !== undefined) putEcs(into, 'network.iana_number', proto);
  putEcs(into, 'source.nat.ip', usableIp(first('xlatesrc')));
  putEcs(into, 'destination.nat.ip', usableIp(first('xlatedst')));
  const natsport = portNumber(first('xlatesport'));
  const natdport = portNumber(first('xlatedport'));
  if (natsport) putEcs(into, 'source.nat.port', natsport);
  if (natdport) putEcs(into, 'destination.nat.port', natdport);
  // Each policy layer that matched adds its rule: keep them all.
  const rules = pairs.get('rule_name')?.filter((r) => r !== '');
  if (rules?.length) putEcs(into, 'rule.name', rules.length === 1 ? rules[0]! : (rules as FieldValue));
  putEcs(into, 'rule.uuid', first('rule_uid'));
  putEcs(into, 'user.name', first('src_user_name') ?? first('user') ?? first('administrator'));
  putEcs(into, 'log.level', first('severity')?.toLowerCase());
  putEcs(into, 'url.original', first('resource'));
  putEcs(into, 'event.reason', first('reason') ?? first('reject_category'));
  const dir = first('ifdir')?.toLowerCase();
  if (dir === 'inbound' || dir === 'outbound') putEcs(into, 'network.direction', dir);
  putEcs(into, dir === 'outbound' ? 'observer.egress.interface.name' : 'observer.ingress.interface.name', first('ifname'));
  putEcs(into, 'observer.ingress.zone', first('inzone'));
  putEcs(into, 'observer.egress.zone', first('outzone'));
  const action = first('action')?.toLowerCase();
  putEcs(into, 'event.action', action);
  if (action && (action.includes('log in') || action.includes('login') || action.includes('authoriz') || action.includes('log out') || action.includes('logout'))) {
    into['event.category'] = ['authentication'];
    if (action.includes('fail')) into['event.outcome'] = 'failure';
    else if (!action.includes('out') && !action.startsWith('de')) into['event.outcome'] = 'success';
  } else {
    putDecision(into, action ? decisionOf(action) : undefined);
  }
  return true;
}
