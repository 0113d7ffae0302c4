/**
 * Palo Alto Networks PAN-OS syslog in its default CSV layout:
 * `FUTURE_USE,receive time,serial,TYPE,subtype,config version,generated time,…`, where the
 * columns after the seventh depend on TYPE. Column orders follow the PAN-OS 10.x "Syslog Field
 * Descriptions"; columns are named with the variable names of PAN-OS custom log formats
 * (`src`, `dport`, `threatid`, `opaque`…), which are the names PAN-OS users and their queries
 * know. Columns PAN-OS documents as FUTURE_USE are left out. Later releases only append
 * columns, so older, shorter lines (and the cut ones test suites carry) read as far as they go.
 */
import type { Fields } from '../../core/event.js';
import { counter, decisionOf, portNumber, putDecision, putEcs, putNative, transportName, usableIp } from './device-fields.js';

/** Columns 0..6, the same for every log type ('' = FUTURE_USE, not stored). */
const COMMON = ['', 'receive_time', 'serial', 'type', 'subtype', 'config_ver', 'time_generated'];

const DG_TAIL = ['dg_hier_level_1', 'dg_hier_level_2', 'dg_hier_level_3', 'dg_hier_level_4', 'vsys_name', 'device_name'];

/** Columns 7..29, shared by TRAFFIC and THREAT (the session's identity). */
const SESSION = [
  'src', 'dst', 'natsrc', 'natdst', 'rule', 'srcuser', 'dstuser', 'app', 'vsys', 'from', 'to', 'inbound_if', 'outbound_if', 'logset',
  'time_logged', 'sessionid', 'repeatcnt', 'sport', 'dport', 'natsport', 'natdport', 'flags', 'proto',
];

const DEVICE_ID = [
  'src_category', 'src_profile', 'src_model', 'src_vendor', 'src_osfamily', 'src_osversion', 'src_host', 'src_mac',
  'dst_category', 'dst_profile', 'dst_model', 'dst_vendor', 'dst_osfamily', 'dst_osversion', 'dst_host', 'dst_mac',
  'container_id', 'pod_namespace', 'pod_name', 'src_edl', 'dst_edl', 'hostid', 'serialnumber',
];

const APP_ATTRIBUTES = [
  'subcategory_of_app', 'category_of_app', 'technology_of_app', 'risk_of_app', 'characteristic_of_app', 'container_of_app', 'tunneled_app',
  'is_saas_of_app', 'sanctioned_state_of_app',
];

const TRAFFIC = [
  ...COMMON, ...SESSION,
  'action', 'bytes', 'bytes_sent', 'bytes_received', 'packets', 'start', 'elapsed', 'category', '', 'seqno', 'actionflags', 'srcloc', 'dstloc', '',
  'pkts_sent', 'pkts_received', 'session_end_reason', ...DG_TAIL, 'action_source', 'src_uuid', 'dst_uuid', 'tunnelid', 'monitortag',
  'parent_session_id', 'parent_start_time', 'tunnel', 'assoc_id', 'chunks', 'chunks_sent', 'chunks_received', 'rule_uuid', 'http2_connection',
  'link_change_count', 'policy_id', 'link_switches', 'sdwan_cluster', 'sdwan_device_type', 'sdwan_cluster_type', 'sdwan_site', 'dynusergroup_name',
  'xff_ip', ...DEVICE_ID, 'src_dag', 'dst_dag', 'session_owner', 'high_res_timestamp', 'nssai_sst', 'nssai_sd', ...APP_ATTRIBUTES, 'offloaded',
];

const THREAT = [
  ...COMMON, ...SESSION,
  'action', 'misc', 'threatid', 'category', 'severity', 'direction', 'seqno', 'actionflags', 'srcloc', 'dstloc', '', 'contenttype', 'pcap_id',
  'filedigest', 'cloud', 'url_idx', 'user_agent', 'filetype', 'xff', 'referer', 'sender', 'subject', 'recipient', 'reportid', ...DG_TAIL, '',
  'src_uuid', 'dst_uuid', 'http_method', 'tunnelid', 'monitortag', 'parent_session_id', 'parent_start_time', 'tunnel', 'thr_category', 'contentver',
  '', 'assoc_id', 'ppid', 'http_headers', 'url_category_list', 'rule_uuid', 'http2_connection', 'dynusergroup_name', 'xff_ip', ...DEVICE_ID,
  'domain_edl', 'src_dag', 'dst_dag', 'partial_hash', 'high_res_timestamp', 'reason', 'justification', 'nssai_sst', ...APP_ATTRIBUTES, 'cloud_reportid',
];

const SYSTEM = [
  ...COMMON, 'vsys', 'eventid', 'object', 'fmt', 'id', 'module', 'severity', 'opaque', 'seqno', 'actionflags', ...DG_TAIL, '', '', 'high_res_timestamp',
];

/** CONFIG after `path`: the default format; the custom format adds before/after change detail first. */
const CONFIG_HEAD = [...COMMON, 'host', 'vsys', 'cmd', 'admin', 'client', 'result', 'path'];
const CONFIG_TAIL = ['seqno', 'actionflags', ...DG_TAIL, 'dg_id', 'comment', '', 'high_res_timestamp'];
const CONFIG = [...CONFIG_HEAD, ...CONFIG_TAIL];
const CONFIG_WITH_DETAIL = [...CONFIG_HEAD, 'before_change_detail', 'after_change_detail', ...CONFIG_TAIL];

const GLOBALPROTECT = [
  ...COMMON, 'vsys', 'eventid', 'stage', 'auth_method', 'tunnel_type', 'srcuser', 'srcregion', 'machinename', 'public_ip', 'public_ipv6',
  'private_ip', 'private_ipv6', 'hostid', 'serialnumber', 'client_ver', 'client_os', 'client_os_ver', 'repeatcnt', 'reason', 'error', 'opaque',
  'status', 'location', 'login_duration', 'connect_method', 'error_code', 'portal', 'seqno', 'actionflags', 'high_res_timestamp', 'selection_type',
  'response_time', 'priority', 'attempted_gateways', 'gateway', ...DG_TAIL, 'vsys_id',
];

const HIPMATCH = [
  ...COMMON, 'srcuser', 'vsys', 'machinename', 'os', 'src', 'matchname', 'repeatcnt', 'matchtype', '', '', 'seqno', 'actionflags', ...DG_TAIL,
  'vsys_id', 'srcipv6', 'hostid', 'serialnumber', 'mac', 'high_res_timestamp',
];

const USERID = [
  ...COMMON, 'vsys', 'ip', 'user', 'datasourcename', 'eventid', 'repeatcnt', 'timeout', 'beginport', 'endport', 'datasource', 'datasourcetype',
  'seqno', 'actionflags', ...DG_TAIL, 'vsys_id', 'factortype', 'factorcompletiontime', 'factorno', 'ugflags', 'userbysource', 'tag_name',
  'high_res_timestamp',
];

const AUTH = [
  ...COMMON, 'vsys', 'ip', 'user', 'normalize_user', 'object', 'authpolicy', 'repeatcnt', 'authid', 'vendor', 'logset', 'serverprofile', 'desc',
  'clienttype', 'event', 'factorno', 'seqno', 'actionflags', ...DG_TAIL, 'vsys_id', 'authproto', 'rule_uuid', 'high_res_timestamp',
];

const COLUMNS: Record<string, readonly string[]> = {
  TRAFFIC, THREAT, SYSTEM, CONFIG, GLOBALPROTECT, HIPMATCH, 'HIP-MATCH': HIPMATCH, USERID, AUTH, AUTHENTICATION: AUTH,
};

/** More columns than any PAN-OS release writes: the rest of a hostile line is not split. */
const MAX_COLUMNS = 160;

function isDigit(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return c >= 0x30 && c <= 0x39;
}

/** Offsets of the digits in `YYYY/MM/DD hh:mm:ss`. */
const DATE_DIGITS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];

/**
 * Whether `text` starts like a PAN-OS CSV log: `N,YYYY/MM/DD hh:mm:ss,` (FUTURE_USE, then the
 * receive time). Character tests only: this runs on syslog messages of every program.
 */
export function isPanOsCsv(text: string): boolean {
  let i = 0;
  while (i < 3 && isDigit(text, i)) i++;
  if (i === 0 || text.charCodeAt(i) !== 0x2c) return false;
  const d = i + 1;
  for (const k of DATE_DIGITS) if (!isDigit(text, d + k)) return false;
  return text[d + 4] === '/' && text[d + 7] === '/' && text[d + 10] === ' ' && text[d + 13] === ':' && text[d + 16] === ':' && text[d + 19] === ',';
}

/**
 * Splits a CSV line. PAN-OS quotes a field that holds a comma (`"a, b"`) and doubles a quote
 * inside one; text after a closing quote, which a well-formed line never has, is kept rather
 * than refused. One pass, no backtracking.
 */
export function splitCsv(text: string, max = MAX_COLUMNS): string[] {
  const out: string[] = [];
  const n = text.length;
  let i = 0;
  while (out.length < max) {
    if (text.charCodeAt(i) === 0x22) {
      let value = '';
      let from = i + 1;
      let j = from;
      for (;;) {
        const q = text.indexOf('"', j);
        if (q < 0) {
          value += text.slice(from);
          j = n;
          break;
        }
        if (text.charCodeAt(q + 1) === 0x22) {
          value += text.slice(from, q + 1);
          from = q + 2;
          j = from;
          continue;
        }
        value += text.slice(from, q);
        j = q + 1;
        break;
      }
      const comma = text.indexOf(',', j);
      const stop = comma < 0 ? n : comma;
      out.push(stop > j ? value + text.slice(j, stop) : value);
      if (comma < 0) break;
      i = comma + 1;
    } else {
      const comma = text.indexOf(',', i);
      out.push(text.slice(i, comma < 0 ? n : comma));
      if (comma < 0) break;
      i = comma + 1;
    }
  }
  return out;
}

function layout(type: string, f: readonly string[]): readonly string[] | undefined {
  // The default CONFIG format has no change detail: `seqno` then `actionflags` (`0x…`) right
  // after `path`; a custom format that includes the detail puts them two columns later.
  if (type === 'CONFIG') return f[15]?.startsWith('0x') || !f[17]?.startsWith('0x') ? CONFIG : CONFIG_WITH_DETAIL;
  return Object.hasOwn(COLUMNS, type) ? COLUMNS[type] : undefined;
}

/** Column positions by name, per layout, built once. */
const POSITIONS = new Map<readonly string[], Map<string, number>>();

function positions(names: readonly string[]): Map<string, number> {
  let byName = POSITIONS.get(names);
  if (byName === undefined) {
    byName = new Map();
    names.forEach((name, i) => {
      if (name !== '' && !byName!.has(name)) byName!.set(name, i);
    });
    POSITIONS.set(names, byName);
  }
  return byName;
}

/** A column's value, or undefined when it is absent, empty or whitespace only. */
function col(f: readonly string[], names: readonly string[], name: string): string | undefined {
  const i = positions(names).get(name);
  const v = i === undefined ? undefined : f[i];
  return v === undefined || v.trim() === '' ? undefined : v;
}

/**
 * Reads a PAN-OS CSV log into `into` (mutated): every column under its PAN-OS name, ECS fields
 * for the ones searches and rules use. False when `text` is not one.
 */
export function addPaloAltoFields(text: string, into: Fields): boolean {
  if (!isPanOsCsv(text)) return false;
  const f = splitCsv(text);
  const type = f[3] ?? '';
  if (type === '') return false;
  const names = layout(type, f) ?? COMMON;
  const count = Math.min(f.length, names.length);
  for (let i = 1; i < count; i++) {
    const name = names[i]!;
    const value = f[i]!;
    if (name !== '' && value !== '') putNative(into, name, value);
  }
  into['observer.vendor'] = 'Palo Alto Networks';
  into['observer.product'] = 'PAN-OS';
  into['observer.type'] = 'firewall';
  putEcs(into, 'observer.serial_number', col(f, names, 'serial'));
  putEcs(into, 'observer.name', col(f, names, 'device_name'));
  const get = (name: string) => col(f, names, name);
  switch (type) {
    case 'TRAFFIC':
    case 'THREAT':
      addSessionFields(type, get, into);
      break;
    case 'SYSTEM': {
      putEcs(into, 'event.code', get('eventid'));
      putEcs(into, 'event.action', get('eventid')?.toLowerCase());
      putEcs(into, 'log.level', get('severity')?.toLowerCase());
      putEcs(into, 'event.reason', get('opaque'));
      const id = get('eventid')?.toLowerCase() ?? '';
      // `auth-fail`, `auth-success`, `globalprotectportal-auth-fail`…: the admin and VPN logins.
      if (id.includes('auth') || id.includes('login')) {
        into['event.category'] = ['authentication'];
        if (id.includes('fail')) into['event.outcome'] = 'failure';
        else if (id.includes('succ')) into['event.outcome'] = 'success';
      }
      break;
    }
    case 'CONFIG': {
      putEcs(into, 'event.action', get('cmd')?.toLowerCase());
      putEcs(into, 'user.name', get('admin'));
      putEcs(into, 'source.ip', usableIp(get('host')));
      const result = get('result')?.toLowerCase();
      if (result === 'succeeded') into['event.outcome'] = 'success';
      else if (result === 'failed') into['event.outcome'] = 'failure';
      into['event.category'] = ['configuration'];
      into['event.type'] = ['change'];
      break;
    }
    case 'GLOBALPROTECT': {
      putEcs(into, 'event.code', get('eventid'));
      putEcs(into, 'event.action', get('eventid')?.toLowerCase());
      putEcs(into, 'user.name', get('srcuser'));
      // The public address is where a login came from (what brute-force searches want); the
      // private one is the address the tunnel hands out.
      putEcs(into, 'source.ip', usableIp(get('public_ip')) ?? usableIp(get('public_ipv6')));
      putEcs(into, 'host.name', get('machinename'));
      putEcs(into, 'event.reason', get('error') ?? get('reason'));
      const status = get('status')?.toLowerCase();
      if (status === 'success' || status === 'failure') into['event.outcome'] = status;
      const id = get('eventid') ?? '';
      into['event.category'] = id.includes('auth') || get('stage') === 'login' ? ['authentication', 'network'] : ['network'];
      break;
    }
    case 'HIPMATCH':
    case 'HIP-MATCH':
      putEcs(into, 'user.name', get('srcuser'));
      putEcs(into, 'source.ip', usableIp(get('src')) ?? usableIp(get('srcipv6')));
      putEcs(into, 'host.name', get('machinename'));
      putEcs(into, 'rule.name', get('matchname'));
      into['event.category'] = ['network'];
      break;
    case 'USERID':
      // The subtype says what happened (`login`, `logout`); `eventid` is mostly 0.
      putEcs(into, 'event.action', get('subtype')?.toLowerCase());
      putEcs(into, 'user.name', get('user'));
      putEcs(into, 'source.ip', usableIp(get('ip')));
      into['event.category'] = ['iam'];
      break;
    case 'AUTH':
    case 'AUTHENTICATION': {
      const event = get('event')?.toLowerCase();
      putEcs(into, 'event.action', event);
      putEcs(into, 'user.name', get('user'));
      putEcs(into, 'source.ip', usableIp(get('ip')));
      putEcs(into, 'rule.name', get('authpolicy'));
      if (event?.includes('fail')) into['event.outcome'] = 'failure';
      else if (event?.includes('succ')) into['event.outcome'] = 'success';
      into['event.category'] = ['authentication'];
      break;
    }
  }
  return true;
}

function addSessionFields(type: string, get: (name: string) => string | undefined, into: Fields): void {
  putEcs(into, 'source.ip', usableIp(get('src')));
  putEcs(into, 'destination.ip', usableIp(get('dst')));
  putEcs(into, 'source.port', portNumber(get('sport')));
  putEcs(into, 'destination.port', portNumber(get('dport')));
  putEcs(into, 'source.nat.ip', usableIp(get('natsrc')));
  putEcs(into, 'destination.nat.ip', usableIp(get('natdst')));
  // Port 0 is what PAN-OS writes when no NAT was done.
  const natsport = portNumber(get('natsport'));
  const natdport = portNumber(get('natdport'));
  if (natsport) putEcs(into, 'source.nat.port', natsport);
  if (natdport) putEcs(into, 'destination.nat.port', natdport);
  putEcs(into, 'network.transport', transportName(get('proto')));
  putEcs(into, 'network.application', get('app')?.toLowerCase());
  putEcs(into, 'rule.name', get('rule'));
  putEcs(into, 'rule.uuid', get('rule_uuid'));
  putEcs(into, 'user.name', get('srcuser'));
  putEcs(into, 'source.user.name', get('srcuser'));
  putEcs(into, 'destination.user.name', get('dstuser'));
  putEcs(into, 'observer.ingress.zone', get('from'));
  putEcs(into, 'observer.egress.zone', get('to'));
  putEcs(into, 'observer.ingress.interface.name', get('inbound_if'));
  putEcs(into, 'observer.egress.interface.name', get('outbound_if'));
  const action = get('action')?.toLowerCase();
  putEcs(into, 'event.action', action);
  const subtype = get('subtype')?.toLowerCase();
  if (type === 'TRAFFIC') {
    putEcs(into, 'network.bytes', counter(get('bytes')));
    putEcs(into, 'source.bytes', counter(get('bytes_sent')));
    putEcs(into, 'destination.bytes', counter(get('bytes_received')));
    putEcs(into, 'network.packets', counter(get('packets')));
    putEcs(into, 'source.packets', counter(get('pkts_sent')));
    putEcs(into, 'destination.packets', counter(get('pkts_received')));
    putEcs(into, 'event.reason', get('session_end_reason'));
    putDecision(into, action ? decisionOf(action) : undefined, subtype === 'start' ? 'start' : subtype === 'end' ? 'end' : undefined);
    return;
  }
  putEcs(into, 'log.level', get('severity')?.toLowerCase());
  putEcs(into, 'event.reason', get('threatid'));
  // `misc` is the URL for URL filtering logs and for web threats, a file name for file ones.
  const misc = get('misc');
  if (misc && (subtype === 'url' || ((subtype === 'vulnerability' || subtype === 'virus' || subtype === 'spyware') && misc.includes('/')))) putEcs(into, 'url.original', misc);
  else if (misc && (subtype === 'file' || subtype === 'virus' || subtype === 'wildfire')) putEcs(into, 'file.name', misc);
  into['event.category'] = ['network', 'intrusion_detection'];
  putDecision(into, action ? decisionOf(action) : undefined);
}
