/**
 * ECS fields for Suricata EVE JSON records (alert, flow, dns, http, tls, fileinfo, anomaly),
 * added beside Suricata's own names (`src_ip`, `alert.signature`…), which stay for Sigma.
 * Mapping as in Elastic's Suricata integration.
 */
import type { FieldValue, Fields } from '../../core/event.js';

const COMMON: Record<string, string> = {
  src_ip: 'source.ip',
  src_port: 'source.port',
  dest_ip: 'destination.ip',
  dest_port: 'destination.port',
  proto: 'network.transport',
  app_proto: 'network.protocol',
  'alert.signature': 'rule.name',
  'alert.signature_id': 'rule.id',
  'alert.category': 'rule.category',
  'alert.severity': 'event.severity',
  'dns.rrname': 'dns.question.name',
  'dns.rrtype': 'dns.question.type',
  'dns.rcode': 'dns.response_code',
  'http.hostname': 'url.domain',
  'http.url': 'url.original',
  'http.http_method': 'http.request.method',
  'http.status': 'http.response.status_code',
  'http.http_user_agent': 'user_agent.original',
  'http.http_refer': 'http.request.referrer',
  'tls.sni': 'tls.client.server_name',
  'tls.version': 'tls.version',
  'tls.ja3.hash': 'tls.client.ja3',
  'fileinfo.filename': 'file.name',
  'fileinfo.sha256': 'file.hash.sha256',
  'fileinfo.size': 'file.size',
  'flow.bytes_toserver': 'source.bytes',
  'flow.bytes_toclient': 'destination.bytes',
  'flow.pkts_toserver': 'source.packets',
  'flow.pkts_toclient': 'destination.packets',
};

const CATEGORY: Record<string, string[]> = {
  alert: ['intrusion_detection', 'network'],
  anomaly: ['intrusion_detection', 'network'],
  fileinfo: ['file', 'network'],
  http: ['network', 'web'],
};

export function looksLikeEve(fields: Fields): boolean {
  return typeof fields['event_type'] === 'string' && ('src_ip' in fields || 'flow_id' in fields);
}

export function addEveEcs(fields: Fields): void {
  const put = (key: string, value: FieldValue | undefined) => {
    if (value === undefined || value === null || key in fields) return;
    fields[key] = key === 'network.transport' || key === 'network.protocol' ? String(value).toLowerCase() : value;
  };
  for (const [from, to] of Object.entries(COMMON)) put(to, fields[from]);
  const type = String(fields['event_type']);
  put('event.dataset', `suricata.${type}`);
  put('event.module', 'suricata');
  put('event.category', CATEGORY[type] ?? ['network']);
  put('event.kind', type === 'alert' ? 'alert' : 'event');
  if (type === 'alert' && typeof fields['alert.signature'] === 'string') put('message', fields['alert.signature']);
  const action = fields['alert.action'];
  if (action === 'allowed') put('event.type', ['allowed']);
  else if (action === 'blocked') put('event.type', ['denied']);
}
