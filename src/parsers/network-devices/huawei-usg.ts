/**
 * Huawei USG / Eudemon / HiSecEngine firewalls (and VRP devices generally) log
 * `%%01MODULE/SEVERITY/BRIEF(l): text`: `01` the format version, then the module, the syslog
 * severity (0–7) and the log's name, `(l)` (or `s`, `d`, `t`) its kind. Security logs carry
 * `Key=value` pairs, comma-separated, either after a sentence in parentheses
 * (`The URL filtering policy was matched. (SrcIp=…, DstIp=…)`) or as the whole text
 * (`vsys=public, protocol=17, source-ip=…` or `IPVer=4,Protocol=tcp,SourceIP=…`). The pairs
 * keep Huawei's names; the key spellings differ by module, so ECS names are found through a
 * lowercase form without `-` and `_`.
 */
import type { Fields } from '../../core/event.js';
import { counter, decisionOf, portNumber, putDecision, putEcs, putNative, SEVERITY_NAMES, transportName, usableIp } from './device-fields.js';

export interface HuaweiHead {
  readonly module: string;
  readonly severity: number;
  readonly brief: string;
}

/** Reads `%%01URL/4/FILTER(l)` (as a syslog tag, or the start of a line up to the colon). */
export function huaweiHead(tag: string): HuaweiHead | undefined {
  if (!tag.startsWith('%%') || tag.length > 128) return undefined;
  let i = 2;
  while (i < 4 && tag.charCodeAt(i) >= 0x30 && tag.charCodeAt(i) <= 0x39) i++;
  const slash = tag.indexOf('/', i);
  if (slash <= i) return undefined;
  const module = tag.slice(i, slash);
  const severity = tag.charCodeAt(slash + 1) - 0x30;
  if (!(severity >= 0 && severity <= 7) || tag.charCodeAt(slash + 2) !== 0x2f) return undefined;
  const paren = tag.indexOf('(', slash + 3);
  const brief = tag.slice(slash + 3, paren < 0 ? tag.length : paren);
  if (brief === '' || brief.includes(' ')) return undefined;
  return { module, severity, brief };
}

function isKeyChar(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x5f || c === 0x2d;
}

/** Index after `Key=` when one starts at `i`, else -1. */
function keyAt(text: string, i: number): number {
  let k = i;
  while (k < text.length && k - i < 64 && isKeyChar(text.charCodeAt(k))) k++;
  return k > i && text.charCodeAt(k) === 0x3d ? k : -1;
}

/** `Key=v, Key="v, w", Key=v` between `start` and `end`; a value ends at the next comma outside quotes. */
export function huaweiPairs(text: string, start: number, end: number): Map<string, string> {
  const pairs = new Map<string, string>();
  let i = start;
  while (i < end && pairs.size < 256) {
    while (i < end && (text.charCodeAt(i) === 0x20 || text.charCodeAt(i) === 0x2c)) i++;
    const eq = keyAt(text, i);
    if (eq < 0 || eq >= end) break;
    const key = text.slice(i, eq);
    let value: string;
    if (text.charCodeAt(eq + 1) === 0x22) {
      const close = text.indexOf('"', eq + 2);
      const stop = close < 0 || close > end ? end : close;
      value = text.slice(eq + 2, stop);
      i = stop + 1;
    } else {
      const comma = text.indexOf(',', eq + 1);
      const stop = comma < 0 || comma > end ? end : comma;
      value = text.slice(eq + 1, stop).trim();
      i = stop;
    }
    if (!pairs.has(key)) pairs.set(key, value);
  }
  return pairs;
}

/** ECS names by the key's lowercase form without `-` and `_` (`SrcIp`, `source-ip` and `SourceIP` are one key). */
const ECS: Record<string, string> = {
  srcip: 'source.ip', sourceip: 'source.ip', dstip: 'destination.ip', destinationip: 'destination.ip',
  srcport: 'source.port', sourceport: 'source.port', dstport: 'destination.port', destinationport: 'destination.port',
  srcnatip: 'source.nat.ip', sourcenatip: 'source.nat.ip', dstnatip: 'destination.nat.ip', destinationnatip: 'destination.nat.ip',
  srczone: 'observer.ingress.zone', sourcezone: 'observer.ingress.zone', dstzone: 'observer.egress.zone', destinationzone: 'observer.egress.zone',
  policy: 'rule.name', policyname: 'rule.name', rulename: 'rule.name', rule: 'rule.name',
  user: 'user.name', username: 'user.name', application: 'network.application', url: 'url.original',
  sendbytes: 'source.bytes', rcvbytes: 'destination.bytes', sendpkts: 'source.packets', rcvpkts: 'destination.packets',
};

/**
 * Reads a Huawei log into `into`: `head` from the tag, `text` the message after it. False when
 * `tag` is not a Huawei message id.
 */
export function addHuaweiFields(tag: string, text: string, into: Fields): boolean {
  const head = huaweiHead(tag);
  if (!head) return false;
  putNative(into, 'module', head.module);
  putNative(into, 'severity', head.severity);
  putNative(into, 'mnemonic', head.brief);
  into['observer.vendor'] = 'Huawei';
  putEcs(into, 'observer.product', 'USG');
  putEcs(into, 'event.code', `${head.module}/${head.severity}/${head.brief}`);
  putEcs(into, 'log.level', SEVERITY_NAMES[head.severity]);
  // Where the pairs start: the whole text, or the last sentence's parenthesised list.
  let start = keyAt(text, 0) > 0 ? 0 : -1;
  let end = text.length;
  if (start < 0) {
    for (let p = text.indexOf('('); p >= 0; p = text.indexOf('(', p + 1)) {
      if (keyAt(text, p + 1) > 0) {
        start = p + 1;
        const close = text.lastIndexOf(')');
        if (close > p) end = close;
        putEcs(into, 'event.reason', text.slice(0, p).trim());
        break;
      }
    }
  } else if (text.endsWith('.')) end--; // `…, rule-name=Internet Access.`: the sentence's full stop
  const pairs = start >= 0 ? huaweiPairs(text, start, end) : new Map<string, string>();
  if (start < 0) putEcs(into, 'event.reason', text.trim());
  let action: string | undefined;
  for (const [key, value] of pairs) {
    putNative(into, key, value);
    const norm = key.replaceAll('-', '').replaceAll('_', '').toLowerCase();
    if (value === '' || value === 'unknown' || value === 'N/A') continue;
    if (norm === 'action') action = value.toLowerCase();
    else if (norm === 'protocol') putEcs(into, 'network.transport', transportName(value));
    else if (norm === 'host' && head.module === 'URL') putEcs(into, 'url.domain', value);
    else if (Object.hasOwn(ECS, norm)) {
      const field = ECS[norm]!;
      if (field.endsWith('.ip')) putEcs(into, field, usableIp(value));
      else if (field.endsWith('.port')) putEcs(into, field, portNumber(value));
      else if (field.endsWith('.bytes') || field.endsWith('.packets')) putEcs(into, field, counter(value));
      else putEcs(into, field, value);
    }
  }
  const brief = head.brief.toLowerCase();
  putEcs(into, 'event.action', action ?? brief);
  if (pairs.size > 0 || brief.includes('permit') || brief.includes('deny')) {
    const decision = decisionOf(action ?? '') ?? (brief.includes('deny') ? 'denied' : brief.includes('permit') ? 'allowed' : undefined);
    // Session logs (`SESSION_TEARDOWN`) are written for sessions the policy let through.
    const teardown = brief.includes('teardown');
    putDecision(into, decision ?? (teardown ? 'allowed' : undefined), teardown ? 'end' : undefined);
  }
  return true;
}
