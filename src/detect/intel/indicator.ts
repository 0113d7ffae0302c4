/**
 * Threat-intelligence indicators: what a feed says is bad (an address, a network, a domain, a
 * URL, a file hash), normalised so that the same indicator written two ways is one value.
 *
 * Normal forms:
 * - `ipv4`: dotted decimal without leading zeros (`192.0.2.7`).
 * - `ipv6`: RFC 5952 text (lower case, longest zero run as `::`); an IPv4-mapped address
 *   (`::ffff:192.0.2.7`) is read as the IPv4 address it carries.
 * - `cidr`: the network address and prefix length (`198.51.100.0/24`); host bits are cleared.
 * - `domain`: lower case, IDNs in their `xn--` form, no trailing dot, at least two labels.
 * - `url`: minimally normalised: scheme and host in lower case, default port (80, 443) and
 *   fragment dropped, an empty path written `/`; path and query keep their case. A URL
 *   without a scheme (`evil.example/x.exe`) is read as `http://`.
 * - hashes: lower-case hex (32, 40 or 64 digits for MD5, SHA-1, SHA-256).
 *
 * Text from feeds is often "defanged" (`evil[.]example`, `hxxp://`); `refang` undoes the
 * common forms before detection.
 */
import { domainToASCII } from 'node:url';

export const INDICATOR_TYPES = ['ipv4', 'ipv6', 'cidr', 'domain', 'url', 'md5', 'sha1', 'sha256'] as const;
export type IndicatorType = (typeof INDICATOR_TYPES)[number];
export type HashType = 'md5' | 'sha1' | 'sha256';

export interface Indicator {
  readonly type: IndicatorType;
  /** Normalised (see the module comment). */
  readonly value: string;
  /** The file (base name) the indicator came from. */
  readonly source: string;
  readonly description?: string;
  /** 0–100, as STIX 2.1 `confidence`; absent when the feed gives none. */
  readonly confidence?: number;
  /** Epoch ms after which the indicator no longer matches; absent: never expires. */
  readonly expires?: number;
  /** Epoch ms: when the feed says it was created, else the file's modification time. */
  readonly added: number;
  /** The feed's own id for it (STIX indicator id, MISP attribute uuid), when it has one. */
  readonly reference?: string;
}

/** Maximum length of any indicator text considered; longer text is not an indicator. */
export const MAX_INDICATOR_CHARS = 4096;

// ---------------------------------------------------------------------------------------------
// IP addresses

/** IPv4 dotted decimal to an unsigned 32-bit number; undefined when it is not one. */
export function parseIPv4(text: string): number | undefined {
  const n = text.length;
  if (n < 7 || n > 15) return undefined;
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return undefined;
    } else if (c === 46) {
      if (digits === 0 || ++dots > 3) return undefined;
      value = value * 256 + part;
      part = 0;
      digits = 0;
    } else return undefined;
  }
  if (dots !== 3 || digits === 0) return undefined;
  return value * 256 + part;
}

export function formatIPv4(value: number): string {
  return `${(value >>> 24) & 255}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

/** IPv6 text (with `::`, an embedded IPv4 tail, a `%zone`, or `[…]`) to eight 16-bit groups. */
export function parseIPv6(input: string): number[] | undefined {
  let text = input;
  if (text.length > 2 && text.charCodeAt(0) === 91 && text.charCodeAt(text.length - 1) === 93) text = text.slice(1, -1);
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  if (text.length < 2 || text.length > 45 || text.indexOf(':') < 0) return undefined;
  const double = text.indexOf('::');
  if (double >= 0 && text.indexOf('::', double + 1) >= 0) return undefined;
  const head = double >= 0 ? text.slice(0, double) : text;
  const tail = double >= 0 ? text.slice(double + 2) : '';
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === '' ? [] : tail.split(':');
  const parse = (groups: string[], last: boolean): number[] | undefined => {
    const out: number[] = [];
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      if (last && i === groups.length - 1 && g.indexOf('.') >= 0) {
        const v4 = parseIPv4(g);
        if (v4 === undefined) return undefined;
        out.push(v4 >>> 16, v4 & 0xffff);
        continue;
      }
      if (g.length === 0 || g.length > 4) return undefined;
      let v = 0;
      for (let j = 0; j < g.length; j++) {
        const h = hexValue(g.charCodeAt(j));
        if (h < 0) return undefined;
        v = v * 16 + h;
      }
      out.push(v);
    }
    return out;
  };
  const a = parse(headGroups, double < 0);
  const b = parse(tailGroups, true);
  if (!a || !b) return undefined;
  if (double < 0) return a.length === 8 ? a : undefined;
  if (a.length + b.length > 7) return undefined;
  return [...a, ...new Array<number>(8 - a.length - b.length).fill(0), ...b];
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** RFC 5952 text of eight groups. */
export function formatIPv6(groups: readonly number[]): string {
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number) => groups.slice(from, to).map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLen, 8)}`;
}

/** The IPv4 address an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) carries. */
export function mappedIPv4(groups: readonly number[]): number | undefined {
  for (let i = 0; i < 5; i++) if (groups[i] !== 0) return undefined;
  if (groups[5] !== 0xffff) return undefined;
  return groups[6]! * 65536 + groups[7]!;
}

/** 32 hex digits of eight groups: the form the index masks by prefix. */
export function ipv6Hex(groups: readonly number[]): string {
  let s = '';
  for (const g of groups) s += g.toString(16).padStart(4, '0');
  return s;
}

export type ParsedIp = { readonly version: 4; readonly v4: number } | { readonly version: 6; readonly v6: number[] };

/**
 * An address as events write it: plain, bracketed, with a zone, IPv4-mapped, or followed by a
 * port (`192.0.2.7:443`, `[2001:db8::1]:443`).
 */
export function parseIp(text: string): ParsedIp | undefined {
  const v4 = parseIPv4(text);
  if (v4 !== undefined) return { version: 4, v4 };
  if (text.length > 60) return undefined;
  const colon = text.indexOf(':');
  if (colon < 0) return undefined;
  if (text.indexOf('.') > 0 && text.indexOf(':', colon + 1) < 0) {
    // a.b.c.d:port
    const v = parseIPv4(text.slice(0, colon));
    if (v !== undefined && /^\d{1,5}$/.test(text.slice(colon + 1))) return { version: 4, v4: v };
    return undefined;
  }
  let body = text;
  if (body.charCodeAt(0) === 91) {
    const close = body.indexOf(']');
    if (close < 0) return undefined;
    body = body.slice(1, close);
  }
  const groups = parseIPv6(body);
  if (!groups) return undefined;
  const mapped = mappedIPv4(groups);
  return mapped !== undefined ? { version: 4, v4: mapped } : { version: 6, v6: groups };
}

// ---------------------------------------------------------------------------------------------
// Domains, URLs, hashes

const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;
const TLD = /^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;

/** A host name in normal form, or undefined when it is not a plausible one (or is an IP). */
export function normaliseDomain(input: string): string | undefined {
  if (input.length === 0 || input.length > 255) return undefined;
  let text = input.trim().toLowerCase();
  if (text.endsWith('.')) text = text.slice(0, -1);
  if (text.startsWith('*.')) text = text.slice(2);
  if (/[^\x00-\x7f]/.test(text)) {
    text = domainToASCII(text);
    if (text === '') return undefined;
  }
  if (text.length > 253) return undefined;
  const labels = text.split('.');
  if (labels.length < 2) return undefined;
  for (const label of labels) if (!LABEL.test(label)) return undefined;
  if (!TLD.test(labels[labels.length - 1]!)) return undefined;
  return text;
}

const SCHEME = /^([a-z][a-z0-9+.-]{0,15}):\/\//i;
const DEFAULT_PORT: Record<string, string> = { http: '80', https: '443', ws: '80', wss: '443', ftp: '21' };

export interface ParsedUrl {
  readonly scheme: string;
  /** Lower case; an IPv6 host keeps its brackets. */
  readonly host: string;
  /** Empty when default or absent. */
  readonly port: string;
  /** Path and query, `/` at least; case kept. */
  readonly rest: string;
}

/**
 * Splits a URL (with or without a scheme) into the parts matching uses. `lenient` (for
 * observed values) skips checking that the host is a plausible domain: a name that is not
 * one cannot match an indicator anyway, and events are many.
 */
export function parseUrl(input: string, lenient = false): ParsedUrl | undefined {
  const text = input.trim();
  if (text.length === 0 || text.length > MAX_INDICATOR_CHARS || /\s/.test(text)) return undefined;
  const m = SCHEME.exec(text);
  const scheme = m ? m[1]!.toLowerCase() : 'http';
  let rest = m ? text.slice(m[0].length) : text;
  const hash = rest.indexOf('#');
  if (hash >= 0) rest = rest.slice(0, hash);
  let end = rest.length;
  const slash = rest.indexOf('/');
  if (slash >= 0) end = slash;
  const query = rest.indexOf('?');
  if (query >= 0 && query < end) end = query;
  let authority = rest.slice(0, end);
  let path = rest.slice(end);
  const at = authority.lastIndexOf('@');
  if (at >= 0) authority = authority.slice(at + 1);
  let host = authority;
  let port = '';
  if (authority.startsWith('[')) {
    const close = authority.indexOf(']');
    if (close < 0) return undefined;
    host = authority.slice(0, close + 1);
    const after = authority.slice(close + 1);
    if (after.startsWith(':')) port = after.slice(1);
    else if (after !== '') return undefined;
  } else {
    const colon = authority.lastIndexOf(':');
    if (colon >= 0) {
      host = authority.slice(0, colon);
      port = authority.slice(colon + 1);
    }
  }
  if (port !== '' && !/^\d{1,5}$/.test(port)) return undefined;
  if (port === DEFAULT_PORT[scheme]) port = '';
  host = host.toLowerCase();
  if (host.endsWith('.')) host = host.slice(0, -1);
  if (host === '') return undefined;
  if (host.startsWith('[')) {
    const groups = parseIPv6(host.slice(1, -1));
    if (!groups) return undefined;
    host = `[${formatIPv6(groups)}]`;
  } else if (lenient) {
    if (/[^\x00-\x7f]/.test(host)) host = domainToASCII(host);
    if (host === '') return undefined;
  } else if (parseIPv4(host) === undefined) {
    const d = normaliseDomain(host);
    if (d === undefined) {
      // Single-label hosts (intranet names) are URLs too, but only with an explicit scheme.
      if (!m || !/^[a-z0-9_-]{1,63}$/.test(host)) return undefined;
    } else host = d;
  }
  if (path === '') path = '/';
  else if (path.startsWith('?')) path = `/${path}`;
  return { scheme, host, port, rest: path };
}

export function formatUrl(u: ParsedUrl): string {
  return `${u.scheme}://${u.host}${u.port ? `:${u.port}` : ''}${u.rest}`;
}

/** The key URLs are matched by: host, port, path and query; the scheme is left out (see the index). */
export function urlKey(u: ParsedUrl): string {
  return `${u.host}${u.port ? `:${u.port}` : ''}${u.rest}`;
}

const HEX = /^[0-9a-f]+$/;

export function hashTypeOf(text: string): HashType | undefined {
  const n = text.length;
  if (n !== 32 && n !== 40 && n !== 64) return undefined;
  if (!HEX.test(text.toLowerCase())) return undefined;
  return n === 32 ? 'md5' : n === 40 ? 'sha1' : 'sha256';
}

// ---------------------------------------------------------------------------------------------
// Detection and normalisation

/** Undoes common defanging: `[.]`, `(.)`, `{.}`, `[dot]`, `hxxp(s)`, `[:]`, `[://]`, `[@]`. */
export function refang(text: string): string {
  if (text.indexOf('[') < 0 && text.indexOf('(') < 0 && text.indexOf('{') < 0 && !/^hxxp/i.test(text) && !/^fxp/i.test(text)) return text;
  return text
    .replace(/\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)/gi, '.')
    .replace(/\[:\/\/\]/g, '://')
    .replace(/\[:\]/g, ':')
    .replace(/\[@\]/g, '@')
    .replace(/^hxxp/i, 'http')
    .replace(/^fxp/i, 'ftp');
}

export interface TypedValue {
  readonly type: IndicatorType;
  readonly value: string;
}

/** The normal form of `text` read as `type`, or undefined when it is not one. */
export function normaliseAs(type: IndicatorType, input: string): TypedValue | undefined {
  if (input.length > MAX_INDICATOR_CHARS) return undefined;
  const text = refang(input.trim());
  switch (type) {
    case 'ipv4':
    case 'ipv6': {
      const ip = parseIp(text);
      if (!ip) return undefined;
      return ip.version === 4 ? { type: 'ipv4', value: formatIPv4(ip.v4) } : { type: 'ipv6', value: formatIPv6(ip.v6) };
    }
    case 'cidr':
      return normaliseCidr(text) ?? normaliseAs('ipv4', text);
    case 'domain': {
      const d = normaliseDomain(text);
      return d === undefined ? undefined : { type: 'domain', value: d };
    }
    case 'url': {
      const u = parseUrl(text);
      return u ? { type: 'url', value: formatUrl(u) } : undefined;
    }
    case 'md5':
    case 'sha1':
    case 'sha256': {
      const t = hashTypeOf(text);
      return t === type ? { type, value: text.toLowerCase() } : undefined;
    }
  }
}

/** `a.b.c.d/n` or `x::/n` with host bits cleared; a /32 (/128) stays a CIDR. */
export function normaliseCidr(text: string): TypedValue | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const prefixText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  const address = text.slice(0, slash);
  const v4 = parseIPv4(address);
  if (v4 !== undefined) {
    if (prefix > 32) return undefined;
    return { type: 'cidr', value: `${formatIPv4(maskIPv4(v4, prefix))}/${prefix}` };
  }
  const v6 = parseIPv6(address);
  if (!v6 || prefix > 128) return undefined;
  const masked = v6.map((g, i) => {
    const bits = Math.min(16, Math.max(0, prefix - i * 16));
    return bits === 16 ? g : bits === 0 ? 0 : g & ((0xffff << (16 - bits)) & 0xffff);
  });
  return { type: 'cidr', value: `${formatIPv6(masked)}/${prefix}` };
}

export function maskIPv4(value: number, prefix: number): number {
  if (prefix <= 0) return 0;
  if (prefix >= 32) return value >>> 0;
  return (value & ((0xffffffff << (32 - prefix)) >>> 0)) >>> 0;
}

/**
 * What a bare piece of text is: a URL (has `scheme://`, or a host followed by `/path`), a
 * hash (32/40/64 hex digits), a CIDR, an IPv4/IPv6 address (an IPv4 `:port` is dropped), or
 * a domain. Undefined for anything else.
 */
export function detectIndicator(input: string): TypedValue | undefined {
  if (input.length === 0 || input.length > MAX_INDICATOR_CHARS) return undefined;
  const text = refang(input.trim());
  if (text.length === 0) return undefined;
  if (SCHEME.test(text)) return normaliseAs('url', text);
  const hash = hashTypeOf(text);
  if (hash) return { type: hash, value: text.toLowerCase() };
  const slash = text.indexOf('/');
  if (slash >= 0) {
    // Address/number is a network or nothing, never a URL.
    if (/^[0-9a-f:.]+\/\d*$/i.test(text)) return normaliseCidr(text);
    return normaliseAs('url', text);
  }
  const ip = parseIp(text);
  if (ip) return ip.version === 4 ? { type: 'ipv4', value: formatIPv4(ip.v4) } : { type: 'ipv6', value: formatIPv6(ip.v6) };
  const d = normaliseDomain(text);
  return d === undefined ? undefined : { type: 'domain', value: d };
}

/** Sigma-style level for an alert from an indicator's confidence: none given means `high`. */
export function levelOf(confidence: number | undefined): 'high' | 'medium' | 'low' {
  if (confidence === undefined) return 'high';
  if (confidence >= 70) return 'high';
  if (confidence >= 40) return 'medium';
  return 'low';
}
