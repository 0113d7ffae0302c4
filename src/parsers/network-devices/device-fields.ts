/**
 * Small helpers the firewall parsers share: setting a device's own key without letting it
 * shadow a field already set or name an Object.prototype member, reading ports and addresses
 * without trusting the text, and the ECS shape of an allow/deny decision.
 */
import type { FieldValue, Fields } from '../../core/event.js';

/**
 * Keys a device must never set: `__proto__`, `constructor` and `prototype` would touch a
 * prototype instead of a field in a consumer that unflattens dotted keys into objects (or, for
 * `__proto__`, in any plain object), and the other Object.prototype names (`toString`…) would
 * shadow a method of the plain objects some parsers build fields in.
 */
export function isSafeKey(key: string): boolean {
  return key !== '' && key !== 'prototype' && !(key in Object.prototype);
}

/**
 * Sets a vendor field under the vendor's own name unless something (the syslog header, an
 * earlier pair) already holds that name: the header's `message` or `host.name` must survive
 * a device that happens to log a pair called `message`.
 */
export function putNative(into: Fields, key: string, value: FieldValue): void {
  if (isSafeKey(key) && !Object.hasOwn(into, key)) into[key] = value;
}

/** Sets an ECS field unless already set; empty and placeholder values are not data. */
export function putEcs(into: Fields, field: string, value: FieldValue | undefined): void {
  if (value === undefined || value === '' || Object.hasOwn(into, field)) return;
  into[field] = value;
}

/** A TCP/UDP port as a number, or undefined for anything else (`0x…`, `-1`, `443a`, `99999`). */
export function portNumber(text: string | undefined): number | undefined {
  if (text === undefined || text.length === 0 || text.length > 5) return undefined;
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const d = text.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return undefined;
    n = n * 10 + d;
  }
  return n <= 65535 ? n : undefined;
}

/** A non-negative integer counter (bytes, packets), or undefined. */
export function counter(text: string | undefined): number | undefined {
  if (text === undefined || text.length === 0 || text.length > 15) return undefined;
  for (let i = 0; i < text.length; i++) {
    const d = text.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return undefined;
  }
  return Number(text);
}

/**
 * Whether `text` has the shape of an IPv4 or IPv6 address. ECS `*.ip` fields are typed as IP
 * addresses downstream, so a device's placeholder (`N/A`, `any`, a host name) stays in its
 * native field only.
 */
export function isIp(text: string | undefined): text is string {
  if (text === undefined || text.length < 2 || text.length > 45) return false;
  if (text.indexOf(':') >= 0) {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      const hex = (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
      if (!hex && c !== 0x3a && c !== 0x2e && c !== 0x25) return false;
    }
    return true;
  }
  let dots = 0;
  let digits = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2e) {
      if (digits === 0) return false;
      dots++;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39 && digits < 3) digits++;
    else return false;
  }
  return dots === 3 && digits > 0;
}

/** An address worth an ECS field: an IP that is not the "none" address devices write for unset NAT. */
export function usableIp(text: string | undefined): string | undefined {
  return isIp(text) && text !== '0.0.0.0' && text !== '::' ? text : undefined;
}

/** IANA protocol numbers devices write in place of a transport name. */
const IANA: Record<string, string> = { '1': 'icmp', '2': 'igmp', '6': 'tcp', '17': 'udp', '47': 'gre', '50': 'esp', '51': 'ah', '58': 'ipv6-icmp', '89': 'ospf', '132': 'sctp' };

/** ECS `network.transport` (lowercase name) from a name or an IANA number. */
export function transportName(text: string | undefined): string | undefined {
  if (!text) return undefined;
  if (Object.hasOwn(IANA, text)) return IANA[text];
  const lower = text.toLowerCase();
  return lower === 'n/a' || lower === 'unknown' || lower === 'any' ? undefined : lower;
}

/** Syslog severity numbers, as Huawei and Cisco write them in their message ids. */
export const SEVERITY_NAMES = ['emergency', 'alert', 'critical', 'error', 'warning', 'notice', 'informational', 'debug'];

export type Decision = 'allowed' | 'denied';

/**
 * What a firewall's action word means for the connection. Words are matched as parts
 * (`reset-both`, `block-url`, `Key Install`) since every vendor composes its own.
 */
export function decisionOf(action: string): Decision | undefined {
  const a = action.toLowerCase();
  if (a.includes('deny') || a.includes('drop') || a.includes('reject') || a.includes('block') || a.includes('reset') || a.includes('prevent') || a.includes('discard') || a.includes('sinkhole') || a.includes('quarantine')) return 'denied';
  if (a.includes('allow') || a.includes('accept') || a.includes('permit') || a.includes('pass') || a === 'alert' || a === 'continue' || a.includes('crypt') || a === 'detect' || a === 'monitored' || a === 'inspect' || a === 'flag' || a === 'bypass') return 'allowed';
  return undefined;
}

/**
 * The ECS shape of a connection decision: category network, type connection plus the
 * decision (and `start`/`end` when the device logs the session's edges), outcome success for
 * an allowed connection and failure for a denied one, as Elastic's firewall modules do.
 */
export function putDecision(into: Fields, decision: Decision | undefined, edge?: 'start' | 'end'): void {
  into['event.category'] ??= ['network'];
  if (decision === undefined) {
    into['event.type'] ??= edge ? ['connection', edge] : ['connection'];
    return;
  }
  into['event.type'] ??= edge ? ['connection', decision, edge] : ['connection', decision];
  into['event.outcome'] ??= decision === 'allowed' ? 'success' : 'failure';
}
