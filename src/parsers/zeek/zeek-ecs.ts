/**
 * ECS fields for Zeek records, added beside Zeek's own names (`id.orig_h`, `query`, `uri`…),
 * which stay as they are for Sigma rules written against Zeek. Shared by Zeek TSV files and
 * Zeek JSON (files or HTTP). Mapping as in Elastic's Zeek integration.
 */
import type { FieldValue, Fields } from '../../core/event.js';

const COMMON: Record<string, string> = {
  'id.orig_h': 'source.ip',
  'id.orig_p': 'source.port',
  'id.resp_h': 'destination.ip',
  'id.resp_p': 'destination.port',
  uid: 'zeek.session_id',
  proto: 'network.transport',
  service: 'network.protocol',
};

const BY_PATH: Record<string, { readonly map: Record<string, string>; readonly category: string[] }> = {
  conn: { map: { orig_bytes: 'source.bytes', resp_bytes: 'destination.bytes', orig_pkts: 'source.packets', resp_pkts: 'destination.packets', duration: 'event.duration_seconds', conn_state: 'zeek.connection.state' }, category: ['network'] },
  dns: { map: { query: 'dns.question.name', qtype_name: 'dns.question.type', qclass_name: 'dns.question.class', rcode_name: 'dns.response_code', answers: 'dns.answers.data', trans_id: 'dns.id' }, category: ['network'] },
  http: { map: { method: 'http.request.method', host: 'url.domain', uri: 'url.original', status_code: 'http.response.status_code', user_agent: 'user_agent.original', referrer: 'http.request.referrer', request_body_len: 'http.request.body.bytes', response_body_len: 'http.response.body.bytes', username: 'user.name', version: 'http.version' }, category: ['network', 'web'] },
  ssl: { map: { server_name: 'tls.client.server_name', version: 'tls.version', cipher: 'tls.cipher', ja3: 'tls.client.ja3', ja3s: 'tls.server.ja3s', subject: 'tls.server.subject', issuer: 'tls.server.issuer' }, category: ['network'] },
  x509: { map: { 'certificate.subject': 'x509.subject.distinguished_name', 'certificate.issuer': 'x509.issuer.distinguished_name', 'certificate.serial': 'x509.serial_number' }, category: ['network'] },
  files: { map: { filename: 'file.name', mime_type: 'file.mime_type', md5: 'file.hash.md5', sha1: 'file.hash.sha1', sha256: 'file.hash.sha256', total_bytes: 'file.size' }, category: ['file'] },
  ssh: { map: { client: 'zeek.ssh.client', server: 'zeek.ssh.server' }, category: ['network'] },
  kerberos: { map: { client: 'user.name', service: 'zeek.kerberos.service', request_type: 'zeek.kerberos.request_type' }, category: ['authentication', 'network'] },
  ntlm: { map: { username: 'user.name', domainname: 'user.domain', hostname: 'source.domain' }, category: ['authentication', 'network'] },
  rdp: { map: { cookie: 'user.name', result: 'zeek.rdp.result' }, category: ['network'] },
  smb_files: { map: { name: 'file.name', path: 'file.directory', action: 'zeek.smb.action' }, category: ['file', 'network'] },
  smb_mapping: { map: { path: 'zeek.smb.path', share_type: 'zeek.smb.share_type' }, category: ['network'] },
  ftp: { map: { user: 'user.name', command: 'zeek.ftp.command', arg: 'url.original' }, category: ['network'] },
  notice: { map: { note: 'rule.name', msg: 'message', src: 'source.ip', dst: 'destination.ip' }, category: ['intrusion_detection'] },
  weird: { map: { name: 'rule.name' }, category: ['network'] },
};

/** Zeek's path (`conn`, `dns`…) of a record, from `_path` or the file name. */
export function zeekPathOf(fields: Fields, fileName?: string): string | undefined {
  const p = fields['_path'];
  if (typeof p === 'string') return p;
  const base = fileName?.split('/').pop()?.replace(/\.(log|json|ndjson)(\.\d+)?$/, '');
  return base && /^[a-z_0-9]+$/.test(base) ? base : undefined;
}

export function looksLikeZeek(fields: Fields): boolean {
  return typeof fields['uid'] === 'string' && ('id.orig_h' in fields || '_path' in fields) && 'ts' in fields;
}

function set(fields: Fields, key: string, value: FieldValue | undefined): void {
  if (value === undefined || value === null || key in fields) return;
  fields[key] = key === 'network.transport' || key === 'network.protocol' ? String(value).toLowerCase() : value;
}

/** Adds ECS fields in place; `time` from Zeek's `ts` (epoch seconds or ISO). */
export function addZeekEcs(fields: Fields, path: string | undefined): number | undefined {
  for (const [from, to] of Object.entries(COMMON)) set(fields, to, fields[from]);
  const spec = path ? BY_PATH[path] : undefined;
  if (spec) for (const [from, to] of Object.entries(spec.map)) set(fields, to, fields[from]);
  set(fields, 'event.dataset', path ? `zeek.${path}` : 'zeek');
  set(fields, 'event.category', spec?.category ?? ['network']);
  set(fields, 'event.module', 'zeek');
  const ts = fields['ts'];
  if (typeof ts === 'number') return Math.round(ts * 1000);
  if (typeof ts === 'string') {
    const n = Number(ts);
    if (Number.isFinite(n)) return Math.round(n * 1000);
    const ms = Date.parse(ts);
    return Number.isFinite(ms) ? ms : undefined;
  }
  return undefined;
}
