/**
 * Juniper SRX (Junos) structured security logs: RFC 5424 records whose STRUCTURED-DATA element
 * `[junos@2636.… source-address="…" …]` holds the session, and whose APP-NAME and MSGID name
 * the log (`RT_FLOW` / `RT_FLOW_SESSION_DENY`, `RT_IDS` / `RT_SCREEN_IP`…). They arrive either
 * as RFC 5424 themselves, or embedded in an RFC 3164 message by a relay
 * (`… junos-flow: 2017-09-23T13:54:54.803Z host RT_FLOW - RT_FLOW_SESSION_DENY [junos@… …]`).
 * The params keep their Junos names (`source-address`, `policy-name`…) as fields of their own.
 */
import type { Fields } from '../../core/event.js';
import { STRUCTURED_DATA_PREFIX } from '../syslog/structured-data.js';
import { parseRfc5424FromTimestamp } from '../syslog/rfc5424.js';
import { UTC } from '../syslog/time-zone.js';
import { counter, decisionOf, portNumber, putDecision, putEcs, putNative, transportName, usableIp } from './device-fields.js';

const JUNOS_SD = `${STRUCTURED_DATA_PREFIX}junos@`;

/** Session logs by MSGID: what happened, and whether the policy let the session through. */
const FLOW: Record<string, { action: string; decision: 'allowed' | 'denied'; edge?: 'start' | 'end' }> = {
  RT_FLOW_SESSION_CREATE: { action: 'flow_started', decision: 'allowed', edge: 'start' },
  RT_FLOW_SESSION_CLOSE: { action: 'flow_close', decision: 'allowed', edge: 'end' },
  RT_FLOW_SESSION_DENY: { action: 'flow_deny', decision: 'denied' },
};

/**
 * For an RFC 3164 message of a `junos-*` program: reads the embedded RFC 5424 record, adds its
 * structured data and MSGID to `into`, then maps them. False when the message is not one.
 */
export function addEmbeddedJunosFields(message: string, into: Fields): boolean {
  const inner = parseRfc5424FromTimestamp(message, 0, message.length, UTC);
  if (!inner) return false;
  let found = false;
  for (const key of Object.keys(inner.fields)) {
    if (key.startsWith(JUNOS_SD)) {
      putEcs(into, key, inner.fields[key]);
      found = true;
    }
  }
  if (!found) return false;
  putEcs(into, 'log.syslog.msgid', inner.fields['log.syslog.msgid']);
  // The relay's header names the relay (often an address); the record names the device.
  const host = inner.fields['host.name'];
  if (typeof host === 'string') putEcs(into, 'observer.name', host);
  return addJunosFields(into);
}

/**
 * Maps the `junos@…` structured data already in `into` (from the RFC 5424 parser or from
 * `addEmbeddedJunosFields`). False when there is none.
 */
export function addJunosFields(into: Fields): boolean {
  const params = new Map<string, string>();
  for (const key of Object.keys(into)) {
    if (!key.startsWith(JUNOS_SD)) continue;
    // The SD-ID has dots (`junos@2636.1.1.1.2.39`), Junos param names have none.
    const name = key.slice(key.lastIndexOf('.') + 1);
    const value = into[key];
    if (name !== '' && typeof value === 'string' && !params.has(name)) params.set(name, value);
  }
  if (params.size === 0) return false;
  for (const [name, value] of params) putNative(into, name, value);
  const get = (name: string): string | undefined => {
    const v = params.get(name);
    return v === undefined || v === '' || v === 'N/A' || v === 'UNKNOWN' ? undefined : v;
  };
  into['observer.vendor'] = 'Juniper';
  putEcs(into, 'observer.product', 'SRX');
  putEcs(into, 'source.ip', usableIp(get('source-address')));
  putEcs(into, 'destination.ip', usableIp(get('destination-address')));
  putEcs(into, 'source.port', portNumber(get('source-port')));
  putEcs(into, 'destination.port', portNumber(get('destination-port')));
  putEcs(into, 'source.nat.ip', usableIp(get('nat-source-address')));
  putEcs(into, 'destination.nat.ip', usableIp(get('nat-destination-address')));
  putEcs(into, 'network.transport', transportName(get('protocol-id')) ?? transportName(get('protocol-name')) ?? transportName(get('protocol')));
  const iana = get('protocol-id');
  if (iana && portNumber(iana) !== undefined) putEcs(into, 'network.iana_number', iana);
  putEcs(into, 'network.application', get('application')?.toLowerCase());
  putEcs(into, 'rule.name', get('policy-name') ?? get('attack-name') ?? get('rule-name'));
  putEcs(into, 'user.name', get('username'));
  putEcs(into, 'observer.ingress.zone', get('source-zone-name'));
  putEcs(into, 'observer.egress.zone', get('destination-zone-name'));
  putEcs(into, 'observer.ingress.interface.name', get('packet-incoming-interface') ?? get('interface-name'));
  putEcs(into, 'source.bytes', counter(get('bytes-from-client')));
  putEcs(into, 'destination.bytes', counter(get('bytes-from-server')));
  putEcs(into, 'source.packets', counter(get('packets-from-client')));
  putEcs(into, 'destination.packets', counter(get('packets-from-server')));
  putEcs(into, 'url.original', get('url'));
  putEcs(into, 'event.reason', get('reason'));
  const msgId = typeof into['log.syslog.msgid'] === 'string' ? into['log.syslog.msgid'] : undefined;
  putEcs(into, 'event.code', msgId);
  const flow = msgId !== undefined && Object.hasOwn(FLOW, msgId) ? FLOW[msgId] : undefined;
  const action = get('action')?.toLowerCase();
  putEcs(into, 'event.action', action ?? flow?.action ?? msgId?.toLowerCase());
  if (flow) putDecision(into, flow.decision, flow.edge);
  else putDecision(into, action ? decisionOf(action) : undefined);
  if (msgId?.startsWith('RT_SCREEN') || msgId?.startsWith('RT_IDP') || msgId?.startsWith('IDP_')) {
    into['event.category'] = ['network', 'intrusion_detection'];
  }
  return true;
}
