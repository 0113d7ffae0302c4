/**
 * Firewalls that log `key=value` pairs (FortiGate, SonicWall, and many others): values bare or
 * double-quoted. The pairs stay under their own names (`fortinet.srcip` style is avoided:
 * the device's names are what its Sigma/vendor rules use) and common keys get ECS names.
 */
import type { FieldValue, Fields } from '../../core/event.js';

const ECS: Record<string, { field: string; number?: boolean; lower?: boolean }> = {
  srcip: { field: 'source.ip' },
  dstip: { field: 'destination.ip' },
  srcport: { field: 'source.port', number: true },
  dstport: { field: 'destination.port', number: true },
  src: { field: 'source.address' },
  dst: { field: 'destination.address' },
  remip: { field: 'destination.ip' },
  user: { field: 'user.name' },
  usr: { field: 'user.name' },
  action: { field: 'event.action', lower: true },
  proto: { field: 'network.transport', lower: true },
  service: { field: 'network.protocol', lower: true },
  devname: { field: 'observer.name' },
  fw: { field: 'observer.ip' },
  msg: { field: 'event.reason' },
  logdesc: { field: 'event.reason' },
  level: { field: 'log.level', lower: true },
  policyid: { field: 'rule.id' },
  rule: { field: 'rule.name' },
};

/** The pairs of a `k=v k="v w"` line; undefined when it has fewer than `minPairs`. */
export function keyValuePairs(text: string, minPairs = 4): Map<string, string> | undefined {
  const pairs = new Map<string, string>();
  let i = 0;
  const n = text.length;
  while (i < n) {
    while (i < n && text.charCodeAt(i) === 0x20) i++;
    let k = i;
    while (k < n && /[A-Za-z0-9_.-]/.test(text[k]!)) k++;
    if (k === i || text[k] !== '=') {
      const sp = text.indexOf(' ', i);
      if (sp < 0) break;
      i = sp + 1;
      continue;
    }
    const key = text.slice(i, k);
    let value: string;
    if (text[k + 1] === '"') {
      const close = text.indexOf('"', k + 2);
      const end = close < 0 ? n : close;
      value = text.slice(k + 2, end);
      i = end + 1;
    } else {
      const sp = text.indexOf(' ', k + 1);
      const end = sp < 0 ? n : sp;
      value = text.slice(k + 1, end);
      i = end;
    }
    if (key !== '__proto__' && key !== 'constructor' && key !== 'prototype' && !pairs.has(key)) pairs.set(key, value);
  }
  return pairs.size >= minPairs ? pairs : undefined;
}

/** Vendor keys that mark a key=value firewall log (not just any message with a few `=`). */
const MARKERS = ['devname', 'logid', 'devid', 'fw', 'sn', 'srcip', 'dstip', 'policyid'];

export function addKeyValueFirewallFields(message: string, into: Fields): boolean {
  // Every syslog message of a program without rules comes here: test for a vendor key with a
  // plain substring search before scanning the whole message.
  if (!MARKERS.some((m) => message.includes(`${m}=`))) return false;
  const pairs = keyValuePairs(message);
  if (!pairs || !MARKERS.some((m) => pairs.has(m))) return false;
  for (const [k, v] of pairs) {
    if (!(k in into)) into[k] = v;
    const ecs = ECS[k];
    if (!ecs || ecs.field in into || v === '' || v === 'N/A') continue;
    const num = Number(v);
    const value: FieldValue = ecs.number && Number.isSafeInteger(num) ? num : ecs.lower ? v.toLowerCase() : v;
    into[ecs.field] = value;
  }
  // SonicWall writes `src=10.12.14.9:1234:X0`; keep the address part as an IP when it is one.
  for (const side of ['source', 'destination'] as const) {
    const address = into[`${side}.address`];
    if (typeof address === 'string' && !(`${side}.ip` in into)) {
      const ip = address.split(':')[0]!;
      if (/^\d{1,3}(?:\.\d{1,3}){3}$/.test(ip)) into[`${side}.ip`] = ip;
    }
  }
  const action = String(into['event.action'] ?? '');
  if (/deny|block|drop|reject/.test(action)) into['event.type'] = ['connection', 'denied'];
  else if (/accept|allow|pass|close|start/.test(action)) into['event.type'] = ['connection', 'allowed'];
  const status = String(pairs.get('status') ?? pairs.get('result') ?? '').toLowerCase();
  if (/fail|denied|invalid/.test(status)) into['event.outcome'] ??= 'failure';
  else if (/success|ok|accept/.test(status)) into['event.outcome'] ??= 'success';
  if (action === 'login' || pairs.has('ui')) into['event.category'] ??= ['authentication'];
  into['event.category'] ??= ['network'];
  return true;
}
