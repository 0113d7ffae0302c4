/**
 * Apache and Nginx logs: access logs in Common and Combined Log Format (the default of both),
 * and Apache's error log. Fields follow ECS (`http.*`, `url.*`, `user_agent.original`,
 * `source.ip`). The patterns are linear: quoted strings are `(?:[^"\\]|\\.)*`, whose two
 * branches cannot match the same character.
 */
import type { EventFlag, Fields } from '../../core/event.js';
import { parseClfTime, parseErrorLogTime } from './web-log-time.js';

export interface ParsedWebLine {
  readonly format: 'web-access' | 'web-error';
  readonly time: number | undefined;
  readonly fields: Fields;
  readonly flags: EventFlag[];
}

const QUOTED = '((?:[^"\\\\]|\\\\.)*)';
// Apache's `vhost_combined` puts `host:port ` in front; the optional group costs one retry.
const ACCESS = new RegExp(`^(?:([^\\s:]+:\\d{1,5}) )?(\\S+) (\\S+) (\\S+) \\[([^\\]]{1,40})\\] "${QUOTED}" (\\d{3}|-) (\\d+|-)(?: "${QUOTED}" "${QUOTED}")?`);
/** Apache logging to syslog (`ErrorLog syslog`) leaves out the date: the syslog header has it. */
const ERROR_UNDATED = /^\[(emerg|alert|crit|error|warn|notice|info|debug|trace[1-8])\](?: \[client ([^\]\s]+)\])? ?(.*)$/;
const ERROR = /^\[([^\]]{1,40})\] \[(?:([\w-]*):)?([a-z]+\d?)\](?: \[pid (\d+)(?::tid \d+)?\])?(?: \[client ([^\]\s]+)\])? ?(.*)$/;
const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;

/** Apache escapes `"` and `\` with a backslash; other escapes (`\xhh`) stay as written. */
function unescape(text: string): string {
  return text.includes('\\') ? text.replace(/\\(["\\])/g, '$1') : text;
}

function isIp(text: string): boolean {
  return IPV4.test(text) || (text.includes(':') && /^[0-9A-Fa-f:.]+$/.test(text));
}

/** An access-log line, or undefined when the line is not one. */
export function parseAccessLine(line: string): ParsedWebLine | undefined {
  const m = ACCESS.exec(line);
  if (!m) return undefined;
  const [, vhost, client = '', , user = '-', timeText = '', request = '', status = '-', bytes = '-', referrer, agent] = m;
  const fields: Fields = Object.create(null) as Fields;
  fields['message'] = line;
  if (vhost) {
    const colon = vhost.lastIndexOf(':');
    fields['url.domain'] = vhost.slice(0, colon);
    fields['destination.port'] = Number(vhost.slice(colon + 1));
  }
  fields[isIp(client) ? 'source.ip' : 'source.address'] = client;
  if (user !== '-') fields['user.name'] = user;
  const req = unescape(request);
  const parts = req.split(' ');
  if (parts.length === 3 && /^[A-Z]{1,20}$/.test(parts[0]!)) {
    fields['http.request.method'] = parts[0]!;
    const url = parts[1]!;
    fields['url.original'] = url;
    const q = url.indexOf('?');
    fields['url.path'] = q < 0 ? url : url.slice(0, q);
    if (q >= 0) fields['url.query'] = url.slice(q + 1);
    const version = /^HTTP\/(\d(?:\.\d)?)$/.exec(parts[2]!);
    if (version) fields['http.version'] = version[1]!;
  } else if (req !== '-' && req !== '') {
    // Not a request line (scanners send garbage): keep it whole for search.
    fields['url.original'] = req;
  }
  const code = Number(status);
  if (Number.isInteger(code)) fields['http.response.status_code'] = code;
  if (bytes !== '-') fields['http.response.body.bytes'] = Number(bytes);
  if (referrer !== undefined && referrer !== '-') fields['http.request.referrer'] = unescape(referrer);
  if (agent !== undefined && agent !== '-') fields['user_agent.original'] = unescape(agent);
  fields['event.category'] = ['web'];
  fields['event.type'] = ['access'];
  fields['event.action'] = 'http_request';
  if (Number.isInteger(code)) fields['event.outcome'] = code < 400 ? 'success' : 'failure';
  const time = parseClfTime(timeText);
  return { format: 'web-access', time, fields, flags: time === undefined ? ['time-unparsed'] : [] };
}

/** An Apache error-log line, or undefined when the line is not one. */
export function parseErrorLine(line: string): ParsedWebLine | undefined {
  const undated = ERROR_UNDATED.exec(line);
  const m = undated ? undefined : ERROR.exec(line);
  if (!m && !undated) return undefined;
  const [, timeText = '', module, level = '', pid, client, message = ''] = m ?? [undefined, undefined, undefined, undated![1], undefined, undated![2], undated![3]];
  const time = timeText === '' ? undefined : parseErrorLogTime(timeText);
  if (time === undefined && m) return undefined;
  const fields: Fields = Object.create(null) as Fields;
  fields['message'] = message;
  fields['log.level'] = level;
  if (module) fields['apache.error.module'] = module;
  if (pid) fields['process.pid'] = Number(pid);
  if (client) {
    const colon = client.lastIndexOf(':');
    const host = colon > 0 && IPV4.test(client.slice(0, colon)) ? client.slice(0, colon) : client;
    fields['source.ip'] = host;
    if (host !== client) fields['source.port'] = Number(client.slice(colon + 1));
  }
  fields['event.category'] = ['web'];
  fields['event.type'] = ['error'];
  return { format: 'web-error', time, fields, flags: [] };
}

/** Access or error line; undefined when neither. */
export function parseWebLine(line: string): ParsedWebLine | undefined {
  return line.startsWith('[') ? parseErrorLine(line) : parseAccessLine(line);
}
