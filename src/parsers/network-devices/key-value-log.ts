/**
 * Firewalls that log `key=value` pairs (FortiGate, SonicWall, Sophos XG/SFOS and UTM, and many
 * others): values bare or double-quoted. The pairs stay under their own names
 * (`fortinet.srcip` style is avoided: the device's names are what its Sigma/vendor rules use)
 * and common keys get ECS names.
 */
import type { FieldValue, Fields } from '../../core/event.js';
import { transportName } from './device-fields.js';

type Spec = { field: string; number?: boolean; lower?: boolean };

const ECS: Record<string, Spec> = {
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
  // Sophos UTM (`ulogd`, `httpproxy`…): `fwrule="60001" initf="eth0" srcmac="…"`.
  fwrule: { field: 'rule.id' },
  initf: { field: 'observer.ingress.interface.name' },
  outitf: { field: 'observer.egress.interface.name' },
  srcmac: { field: 'source.mac' },
  dstmac: { field: 'destination.mac' },
  severity: { field: 'log.level', lower: true },
};

/**
 * Sophos XG / SFOS (`device="SFW" … log_id=… log_type="Firewall" … src_ip=… status="Deny"`):
 * underscore names that mean something else, or nothing, to other vendors, so they apply only
 * to a Sophos line.
 */
const SOPHOS_XG: Record<string, Spec> = {
  src_ip: { field: 'source.ip' },
  dst_ip: { field: 'destination.ip' },
  src_port: { field: 'source.port', number: true },
  dst_port: { field: 'destination.port', number: true },
  tran_src_ip: { field: 'source.nat.ip' },
  tran_dst_ip: { field: 'destination.nat.ip' },
  protocol: { field: 'network.transport', lower: true },
  user_name: { field: 'user.name' },
  fw_rule_id: { field: 'rule.id' },
  fw_rule_name: { field: 'rule.name' },
  device_name: { field: 'observer.name' },
  device_id: { field: 'observer.serial_number' },
  device_serial_id: { field: 'observer.serial_number' },
  log_id: { field: 'event.code' },
  priority: { field: 'log.level', lower: true },
  in_interface: { field: 'observer.ingress.interface.name' },
  out_interface: { field: 'observer.egress.interface.name' },
  src_mac: { field: 'source.mac' },
  dst_mac: { field: 'destination.mac' },
  sent_bytes: { field: 'source.bytes', number: true },
  recv_bytes: { field: 'destination.bytes', number: true },
  sent_pkts: { field: 'source.packets', number: true },
  recv_pkts: { field: 'destination.packets', number: true },
  url: { field: 'url.original' },
  application: { field: 'network.application', lower: true },
  message: { field: 'event.reason' },
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
const MARKERS = ['devname', 'logid', 'devid', 'fw', 'sn', 'srcip', 'dstip', 'policyid', 'log_id'];

/** A Sophos XG / SFOS line: its appliance tag, or its log id with its log type. */
function isSophosXg(pairs: Map<string, string>): boolean {
  return pairs.get('device') === 'SFW' || (pairs.has('log_id') && pairs.has('log_type'));
}

/** A Sophos UTM line: `id="2001" severity="info" sys="SecureNet" sub="packetfilter" …`. */
function isSophosUtm(pairs: Map<string, string>): boolean {
  return pairs.has('sys') && pairs.has('sub') && pairs.has('id');
}

export function addKeyValueFirewallFields(message: string, into: Fields): boolean {
  // Every syslog message of a program without rules comes here: test for a vendor key with a
  // plain substring search before scanning the whole message.
  if (!MARKERS.some((m) => message.includes(`${m}=`))) return false;
  const pairs = keyValuePairs(message);
  if (!pairs || !MARKERS.some((m) => pairs.has(m))) return false;
  const sophosXg = isSophosXg(pairs);
  for (const [k, v] of pairs) {
    if (!(k in into)) into[k] = v;
    const ecs = (sophosXg && Object.hasOwn(SOPHOS_XG, k) ? SOPHOS_XG[k] : undefined) ?? (Object.hasOwn(ECS, k) ? ECS[k] : undefined);
    if (!ecs || ecs.field in into || v === '' || v === 'N/A') continue;
    const num = Number(v);
    // `proto=6` (FortiGate, Sophos UTM) is TCP: ECS wants the name.
    const value: FieldValue | undefined =
      ecs.field === 'network.transport' ? transportName(v) : ecs.number ? (Number.isSafeInteger(num) ? num : undefined) : ecs.lower ? v.toLowerCase() : v;
    if (value !== undefined) into[ecs.field] = value;
  }
  if (sophosXg) {
    into['observer.vendor'] = 'Sophos';
    into['observer.product'] ??= 'XG Firewall';
    // `status` is the firewall's verdict (`Deny`, `Allow`) on Firewall logs; other log types
    // name what happened in `log_subtype` (`Authentication`, `Virus`…).
    const verdict = pairs.get('log_type') === 'Firewall' ? pairs.get('status') : (pairs.get('log_subtype') ?? pairs.get('status'));
    if (verdict) into['event.action'] ??= verdict.toLowerCase();
    if (pairs.get('log_type')?.includes('Authentication')) into['event.category'] ??= ['authentication'];
  } else if (isSophosUtm(pairs)) {
    into['observer.vendor'] = 'Sophos';
    into['observer.product'] ??= 'UTM';
    const name = pairs.get('name');
    if (name) into['event.reason'] ??= name;
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
  const status = String(pairs.get('status') ?? pairs.get('result') ?? '').toLowerCase();
  if (/fail|denied|invalid/.test(status)) into['event.outcome'] ??= 'failure';
  else if (/success|ok|accept/.test(status)) into['event.outcome'] ??= 'success';
  // A connection's verdict: outcome as the other firewall parsers (device-fields.ts) set it.
  if (/deny|block|drop|reject/.test(action)) {
    into['event.type'] = ['connection', 'denied'];
    into['event.outcome'] ??= 'failure';
  } else if (/accept|allow|pass|close|start/.test(action)) {
    into['event.type'] = ['connection', 'allowed'];
    into['event.outcome'] ??= 'success';
  }
  if (action === 'login' || pairs.has('ui')) into['event.category'] ??= ['authentication'];
  into['event.category'] ??= ['network'];
  return true;
}
