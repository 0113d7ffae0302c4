/**
 * pfSense / OPNsense `filterlog`: one CSV line per packet decision
 * (rule,sub,anchor,tracker,interface,reason,action,direction,ipversion, then IPv4 or IPv6
 * header fields, then protocol fields). Layout as documented for pfSense 2.2 and later.
 */
import type { Fields } from '../../core/event.js';

export function addFilterlogFields(message: string, into: Fields): boolean {
  const f = message.split(',');
  if (f.length < 10) return false;
  const [rule, , , tracker, iface, reason, action, direction, version] = f;
  if (action !== 'pass' && action !== 'block' && action !== 'reject') return false;
  into['rule.id'] = rule!;
  if (tracker) into['rule.uuid'] = tracker;
  into['observer.ingress.interface.name'] = iface!;
  into['event.reason'] = reason!;
  into['event.action'] = action;
  into['network.direction'] = direction === 'in' ? 'inbound' : direction === 'out' ? 'outbound' : direction!;
  into['event.category'] = ['network'];
  into['event.type'] = ['connection', action === 'pass' ? 'allowed' : 'denied'];
  // IPv4: tos,ecn,ttl,id,offset,flags,protoid,proto,length,src,dst (9..19); IPv6: class,flow,hoplimit,proto,protoid,length,src,dst (9..16).
  const v4 = version === '4';
  const proto = (v4 ? f[16] : f[12])?.toLowerCase();
  const src = v4 ? f[18] : f[15];
  const dst = v4 ? f[19] : f[16];
  const rest = v4 ? 20 : 17;
  if (proto) into['network.transport'] = proto;
  if (src) into['source.ip'] = src;
  if (dst) into['destination.ip'] = dst;
  if ((proto === 'tcp' || proto === 'udp') && f[rest] && f[rest + 1]) {
    const sp = Number(f[rest]);
    const dp = Number(f[rest + 1]);
    if (Number.isInteger(sp)) into['source.port'] = sp;
    if (Number.isInteger(dp)) into['destination.port'] = dp;
  }
  into['network.type'] = v4 ? 'ipv4' : 'ipv6';
  return true;
}
