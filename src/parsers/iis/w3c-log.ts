/**
 * W3C Extended Log File Format (IIS, also some proxies): `#Fields:` names the space-separated
 * columns of the lines after it (it may change mid-file), `-` is an empty value, and `+`
 * stands for spaces inside values such as the user agent.
 */
import type { Fields } from '../../core/event.js';

const ECS: Record<string, { field: string; number?: boolean }> = {
  'c-ip': { field: 'source.ip' },
  's-ip': { field: 'destination.ip' },
  's-port': { field: 'destination.port', number: true },
  'cs-method': { field: 'http.request.method' },
  'cs-uri-stem': { field: 'url.path' },
  'cs-uri-query': { field: 'url.query' },
  'cs-username': { field: 'user.name' },
  'cs(User-Agent)': { field: 'user_agent.original' },
  'cs(Referer)': { field: 'http.request.referrer' },
  'cs-host': { field: 'url.domain' },
  'sc-status': { field: 'http.response.status_code', number: true },
  'sc-bytes': { field: 'http.response.bytes', number: true },
  'cs-bytes': { field: 'http.request.bytes', number: true },
  'time-taken': { field: 'event.duration_ms', number: true },
  's-sitename': { field: 'iis.site_name' },
  's-computername': { field: 'host.name' },
};

export class W3cLogReader {
  private names: string[] = [];

  /** True for a `#` directive line (consumed; `#Fields:` sets the columns). */
  directive(line: string): boolean {
    if (!line.startsWith('#')) return false;
    if (line.startsWith('#Fields:')) this.names = line.slice(8).trim().split(/\s+/);
    return true;
  }

  /** A data line as fields (native W3C names plus ECS), with its time; undefined when it does not fit. */
  record(line: string): { fields: Fields; time: number | undefined } | undefined {
    if (this.names.length === 0) return undefined;
    const values = line.trim().split(' ');
    if (values.length !== this.names.length) return undefined;
    const fields: Fields = Object.create(null) as Fields;
    fields['message'] = line;
    for (let i = 0; i < values.length; i++) {
      const name = this.names[i]!;
      const raw = values[i]!;
      if (raw === '-' || name === '__proto__' || name === 'constructor' || name === 'prototype') continue;
      const value = name.startsWith('cs(') ? raw.replace(/\+/g, ' ') : raw;
      fields[name] = value;
      const ecs = ECS[name];
      if (ecs) {
        const n = Number(value);
        fields[ecs.field] = ecs.number && Number.isFinite(n) ? n : value;
      }
    }
    const status = fields['http.response.status_code'];
    fields['event.category'] = ['web'];
    fields['event.type'] = ['access'];
    if (typeof status === 'number') fields['event.outcome'] = status < 400 ? 'success' : 'failure';
    const date = fields['date'];
    const time = fields['time'];
    const ms = typeof date === 'string' && typeof time === 'string' ? Date.parse(`${date}T${time}Z`) : NaN;
    return { fields, time: Number.isFinite(ms) ? ms : undefined };
  }
}
