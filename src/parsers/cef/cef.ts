/**
 * ArcSight CEF (`CEF:0|Vendor|Product|Version|SignatureID|Name|Severity|k=v k=v…`) and IBM
 * LEEF (`LEEF:1.0|Vendor|Product|Version|EventID|k=v<TAB>k=v…`; LEEF 2.0 names its own
 * delimiter), the common denominators of firewalls, proxies and security appliances. Parsed by
 * scanning: header fields split on unescaped `|`, CEF extension values run until the next
 * ` key=`, escapes (`\|`, `\\`, `\=`, `\n`) undone. Linear in the input.
 */
import type { FieldValue, Fields } from '../../core/event.js';

/** CEF extension keys (and the LEEF names many devices share) → ECS. */
const ECS: Record<string, { field: string; number?: boolean }> = {
  src: { field: 'source.ip' },
  dst: { field: 'destination.ip' },
  spt: { field: 'source.port', number: true },
  dpt: { field: 'destination.port', number: true },
  srcPort: { field: 'source.port', number: true },
  dstPort: { field: 'destination.port', number: true },
  suser: { field: 'source.user.name' },
  duser: { field: 'destination.user.name' },
  usrName: { field: 'user.name' },
  shost: { field: 'source.domain' },
  dhost: { field: 'destination.domain' },
  smac: { field: 'source.mac' },
  dmac: { field: 'destination.mac' },
  proto: { field: 'network.transport' },
  act: { field: 'event.action' },
  request: { field: 'url.original' },
  requestMethod: { field: 'http.request.method' },
  fname: { field: 'file.name' },
  filePath: { field: 'file.path' },
  fsize: { field: 'file.size', number: true },
  in: { field: 'source.bytes', number: true },
  out: { field: 'destination.bytes', number: true },
  dvchost: { field: 'observer.hostname' },
  dvc: { field: 'observer.ip' },
  cat: { field: 'event.category_name' },
  outcome: { field: 'event.outcome' },
  msg: { field: 'message' },
  sproc: { field: 'process.name' },
  dproc: { field: 'process.name' },
};

function splitHeader(text: string, count: number): { parts: string[]; rest: string } | undefined {
  const parts: string[] = [];
  let current = '';
  let i = 0;
  for (; i < text.length && parts.length < count; i++) {
    const c = text[i]!;
    if (c === '\\' && i + 1 < text.length) {
      current += text[++i];
    } else if (c === '|') {
      parts.push(current);
      current = '';
    } else current += c;
  }
  return parts.length === count ? { parts, rest: text.slice(i) } : undefined;
}

function unescapeValue(v: string): string {
  return v.includes('\\') ? v.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : c)) : v;
}

/** CEF extension: values may hold spaces, so a value ends where ` key=` begins. */
function cefExtension(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const keyAt = /(?:^|\s)([A-Za-z0-9_.[\]-]{1,64})=/g;
  const marks: { key: string; start: number; valueStart: number }[] = [];
  for (let m = keyAt.exec(text); m; m = keyAt.exec(text)) {
    // `\=` inside a value is no key boundary.
    if (m.index > 0 && text[m.index + m[0].length - 2] === '\\') continue;
    marks.push({ key: m[1]!, start: m.index, valueStart: m.index + m[0].length });
  }
  for (const [i, mark] of marks.entries()) {
    const end = i + 1 < marks.length ? marks[i + 1]!.start : text.length;
    out.set(mark.key, unescapeValue(text.slice(mark.valueStart, end).trim()));
  }
  return out;
}

function put(fields: Fields, key: string, value: FieldValue): void {
  if (key === '__proto__' || key === 'constructor' || key === 'prototype' || key in fields) return;
  fields[key] = value;
}

function mapExtension(fields: Fields, prefix: string, ext: Map<string, string>): void {
  for (const [k, v] of ext) {
    if (k === '__proto__' || k === 'constructor' || k === 'prototype') continue;
    fields[`${prefix}.${k}`] = v;
    const ecs = ECS[k];
    if (!ecs) continue;
    const n = Number(v);
    put(fields, ecs.field, ecs.number && Number.isSafeInteger(n) ? n : ecs.field === 'network.transport' ? v.toLowerCase() : v);
  }
}

/** Fields of a CEF or LEEF record found anywhere in `text`; undefined when there is none. */
export function parseCefOrLeef(text: string): Fields | undefined {
  const cef = text.indexOf('CEF:');
  if (cef >= 0) {
    const header = splitHeader(text.slice(cef + 4), 7);
    if (!header) return undefined;
    const [version, vendor, product, deviceVersion, signature, name, severity] = header.parts as [string, string, string, string, string, string, string];
    const f: Fields = Object.create(null) as Fields;
    Object.assign(f, { 'cef.version': version, 'observer.vendor': vendor, 'observer.product': product, 'observer.version': deviceVersion, 'event.code': signature, 'cef.name': name, 'cef.severity': severity });
    mapExtension(f, 'cef.extensions', cefExtension(header.rest));
    put(f, 'message', name);
    const sev = Number(severity);
    if (Number.isFinite(sev)) put(f, 'event.severity', sev);
    return f;
  }
  const leef = text.indexOf('LEEF:');
  if (leef < 0) return undefined;
  const header = splitHeader(text.slice(leef + 5), 5);
  if (!header) return undefined;
  const [version, vendor, product, deviceVersion, eventId] = header.parts as [string, string, string, string, string];
  let rest = header.rest;
  let delimiter = '\t';
  if (version.startsWith('2')) {
    // LEEF 2.0: the delimiter follows the event id (a character, or x09 / 0x09 in hex).
    const bar = rest.indexOf('|');
    const spec = bar >= 0 ? rest.slice(0, bar) : '';
    if (bar >= 0 && spec.length <= 6) {
      delimiter = /^(?:0?x)([0-9a-f]{2,4})$/i.test(spec) ? String.fromCharCode(parseInt(spec.replace(/^0?x/i, ''), 16)) : spec || '\t';
      rest = rest.slice(bar + 1);
    }
  }
  const ext = new Map<string, string>();
  for (const pair of rest.split(delimiter)) {
    const eq = pair.indexOf('=');
    if (eq > 0) ext.set(pair.slice(0, eq).trim(), pair.slice(eq + 1));
  }
  const f: Fields = Object.create(null) as Fields;
  Object.assign(f, { 'leef.version': version, 'observer.vendor': vendor, 'observer.product': product, 'observer.version': deviceVersion, 'event.code': eventId });
  mapExtension(f, 'leef.attributes', ext);
  return f;
}
