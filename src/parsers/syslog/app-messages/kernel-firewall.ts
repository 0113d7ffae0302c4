/**
 * Kernel packet-filter log lines (iptables/nftables `LOG` target, UFW): a free-text prefix,
 * then `KEY=value` pairs (`IN= OUT= SRC= DST= PROTO= SPT= DPT=`). Read by scanning, not by a
 * regex, since the pairs vary by protocol and kernel version.
 */
import type { Fields } from '../../../core/event.js';

const KEYS: Record<string, { field: string; number?: boolean; lower?: boolean }> = {
  IN: { field: 'observer.ingress.interface.name' },
  OUT: { field: 'observer.egress.interface.name' },
  SRC: { field: 'source.ip' },
  DST: { field: 'destination.ip' },
  SPT: { field: 'source.port', number: true },
  DPT: { field: 'destination.port', number: true },
  PROTO: { field: 'network.transport', lower: true },
  LEN: { field: 'network.bytes', number: true },
  MAC: { field: 'iptables.mac' },
};

/** True and fields set when `message` is a packet-filter line. */
export function addFirewallFields(message: string, into: Fields): boolean {
  const start = message.indexOf('IN=');
  if (start < 0 || !message.includes(' SRC=') || !message.includes(' DST=')) return false;
  if (start > 0 && message.charCodeAt(start - 1) !== 0x20 && message.charCodeAt(start - 1) !== 0x5d) return false;
  let prefix = message.slice(0, start).trim();
  // Kernel lines may start with the uptime stamp: `[12345.678901] `.
  prefix = prefix.replace(/^\[\s*\d+\.\d+\]\s*/, '');
  for (const pair of message.slice(start).split(' ')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const spec = KEYS[pair.slice(0, eq)];
    const value = pair.slice(eq + 1);
    if (!spec || value === '') continue;
    const n = Number(value);
    into[spec.field] = spec.number && Number.isSafeInteger(n) ? n : spec.lower ? value.toLowerCase() : value;
  }
  const upper = prefix.toUpperCase();
  const denied = /BLOCK|DROP|DENY|REJECT/.test(upper);
  const allowed = /ALLOW|ACCEPT|AUDIT/.test(upper) && !denied;
  into['event.category'] = ['network'];
  into['event.type'] = ['connection', denied ? 'denied' : allowed ? 'allowed' : 'info'];
  into['event.action'] = denied ? 'firewall_blocked' : allowed ? 'firewall_allowed' : 'firewall_logged';
  if (prefix) into['rule.name'] = prefix.replace(/^\[|\]$/g, '').trim();
  return true;
}
