/**
 * Fast lookup of observed values (an address, a host name, a URL, a hash) against loaded
 * indicators. Built once per load and then only read, so one index can serve live detection
 * and, later, retro-matching of stored events when new indicators arrive.
 *
 * - Addresses: a Map per family for exact addresses; networks (CIDR) in a Map per prefix
 *   length, keyed by the masked network address. A lookup masks the address once for each
 *   prefix length present (at most 33 for IPv4, 129 for IPv6; real feeds use a handful) and
 *   finds every network that contains it, nested ones included. IPv4-mapped IPv6 addresses
 *   are looked up as IPv4.
 * - Domains: exact names, and parent domains: an indicator `evil.example` matches
 *   `a.b.evil.example` (label boundaries only: not `notevil.example`).
 * - URLs: exact after the same minimal normalisation as indicators, leaving out the scheme:
 *   events often do not carry it (Zeek's http.log has host and path apart) and a resource on
 *   a bad host is as bad over https as over http.
 * - Hashes: exact, per algorithm.
 *
 * **Expiry is checked at match time against the time of the observation**, which callers pass
 * as `at` (the detector passes the event time, capped at now). An indicator says "bad until
 * X": an event that happened before X matches even if it is processed later (replays, file
 * imports, retro-matching), and one after X does not. `valid_from` is deliberately ignored:
 * finding activity from before an indicator was published is the point of retro-matching.
 *
 * The same value from several feeds is one match: the live entry with the highest
 * confidence (none given counts as 70, the `high` default) wins; `sourcesOf` lists them all.
 */
import { domainToASCII } from 'node:url';
import {
  ipv6Hex,
  maskIPv4,
  parseIp,
  parseIPv4,
  parseIPv6,
  parseUrl,
  urlKey,
  type HashType,
  type Indicator,
  type IndicatorType,
} from './indicator.js';

/** The kinds of observed value `match` takes; an indicator type names its kind. */
export type ObservableKind = 'ip' | 'domain' | 'url' | 'hash';

const KIND_OF: Record<ObservableKind | IndicatorType, ObservableKind> = {
  ip: 'ip', ipv4: 'ip', ipv6: 'ip', cidr: 'ip', domain: 'domain', url: 'url', hash: 'hash', md5: 'hash', sha1: 'hash', sha256: 'hash',
};

const DEFAULT_CONFIDENCE = 70;

type Entries = Indicator[];

function put<K>(map: Map<K, Entries>, key: K, indicator: Indicator): void {
  const list = map.get(key);
  if (list) list.push(indicator);
  else map.set(key, [indicator]);
}

function live(indicator: Indicator, at: number): boolean {
  return indicator.expires === undefined || at < indicator.expires;
}

/** The entry to report for one value at time `at`, or undefined when all have expired. */
function best(entries: Entries | undefined, at: number): Indicator | undefined {
  if (!entries) return undefined;
  let chosen: Indicator | undefined;
  for (const e of entries) {
    if (!live(e, at)) continue;
    if (!chosen || (e.confidence ?? DEFAULT_CONFIDENCE) > (chosen.confidence ?? DEFAULT_CONFIDENCE)) chosen = e;
  }
  return chosen;
}

export class IndicatorIndex {
  readonly #v4 = new Map<number, Entries>();
  readonly #v6 = new Map<string, Entries>();
  /** prefix length → masked network → entries; `#v4Prefixes` lists the lengths, longest first. */
  readonly #v4Nets = new Map<number, Map<number, Entries>>();
  readonly #v6Nets = new Map<number, Map<string, Entries>>();
  #v4Prefixes: number[] = [];
  #v6Prefixes: number[] = [];
  readonly #domains = new Map<string, Entries>();
  readonly #urls = new Map<string, Entries>();
  readonly #hashes: Record<HashType, Map<string, Entries>> = { md5: new Map(), sha1: new Map(), sha256: new Map() };
  readonly #counts: Record<IndicatorType, number> = { ipv4: 0, ipv6: 0, cidr: 0, domain: 0, url: 0, md5: 0, sha1: 0, sha256: 0 };
  #size = 0;

  static from(indicators: Iterable<Indicator>): IndicatorIndex {
    const index = new IndicatorIndex();
    for (const i of indicators) index.add(i);
    return index;
  }

  /** Adds one indicator (normalised, as the loaders produce). Returns false when its value is not of its type. */
  add(indicator: Indicator): boolean {
    const { type, value } = indicator;
    switch (type) {
      case 'ipv4': {
        const v = parseIPv4(value);
        if (v === undefined) return false;
        put(this.#v4, v, indicator);
        break;
      }
      case 'ipv6': {
        const ip = parseIp(value);
        if (!ip) return false;
        if (ip.version === 4) put(this.#v4, ip.v4, indicator);
        else put(this.#v6, ipv6Hex(ip.v6), indicator);
        break;
      }
      case 'cidr': {
        const slash = value.indexOf('/');
        const prefix = Number(value.slice(slash + 1));
        const address = value.slice(0, slash);
        if (slash < 0 || !Number.isInteger(prefix)) return false;
        const v4 = parseIPv4(address);
        if (v4 !== undefined) {
          if (prefix < 0 || prefix > 32) return false;
          let nets = this.#v4Nets.get(prefix);
          if (!nets) {
            this.#v4Nets.set(prefix, (nets = new Map()));
            this.#v4Prefixes = [...this.#v4Nets.keys()].sort((a, b) => b - a);
          }
          put(nets, maskIPv4(v4, prefix), indicator);
          break;
        }
        const v6 = parseIPv6(address);
        if (!v6 || prefix < 0 || prefix > 128) return false;
        let nets = this.#v6Nets.get(prefix);
        if (!nets) {
          this.#v6Nets.set(prefix, (nets = new Map()));
          this.#v6Prefixes = [...this.#v6Nets.keys()].sort((a, b) => b - a);
        }
        put(nets, maskHex(ipv6Hex(v6), prefix), indicator);
        break;
      }
      case 'domain':
        put(this.#domains, value, indicator);
        break;
      case 'url': {
        const u = parseUrl(value);
        if (!u) return false;
        put(this.#urls, urlKey(u), indicator);
        break;
      }
      case 'md5':
      case 'sha1':
      case 'sha256':
        put(this.#hashes[type], value, indicator);
        break;
      default:
        return false;
    }
    this.#counts[type]++;
    this.#size++;
    return true;
  }

  /** Indicators added (entries, not distinct values). */
  get size(): number {
    return this.#size;
  }

  /** Indicators added, by type. */
  get counts(): Readonly<Record<IndicatorType, number>> {
    return this.#counts;
  }

  /** Whether any indicator could match a value of this kind: callers skip work when not. */
  has(kind: ObservableKind): boolean {
    const c = this.#counts;
    switch (kind) {
      case 'ip':
        return c.ipv4 + c.ipv6 + c.cidr > 0;
      case 'domain':
        return c.domain > 0;
      case 'url':
        return c.url > 0;
      case 'hash':
        return c.md5 + c.sha1 + c.sha256 > 0;
    }
  }

  /**
   * The live indicators an observed value matches, one per indicator value (see the module
   * comment for what matches and when). `kind` may be an indicator type: `ipv4`, `ipv6` and
   * `cidr` look up an address, `md5`/`sha1`/`sha256` only hashes of that algorithm.
   * `at` (epoch ms, default now) is when the value was observed.
   */
  match(value: string, kind: ObservableKind | IndicatorType, at: number = Date.now()): Indicator[] {
    const out: Indicator[] = [];
    if (typeof value !== 'string' || value.length === 0) return out;
    switch (KIND_OF[kind]) {
      case 'ip':
        this.#matchIp(value, at, out);
        break;
      case 'domain':
        this.#matchDomain(value, at, out);
        break;
      case 'url':
        this.#matchUrl(value, at, out);
        break;
      case 'hash':
        this.#matchHash(value, kind === 'md5' || kind === 'sha1' || kind === 'sha256' ? kind : undefined, at, out);
        break;
    }
    return out;
  }

  /** Every entry, live or not, for an indicator's type and value: the feeds that list it. */
  sourcesOf(indicator: Pick<Indicator, 'type' | 'value'>): Indicator[] {
    const { type, value } = indicator;
    switch (type) {
      case 'ipv4': {
        const v = parseIPv4(value);
        return v === undefined ? [] : [...(this.#v4.get(v) ?? [])];
      }
      case 'ipv6': {
        const ip = parseIp(value);
        if (!ip) return [];
        return [...((ip.version === 4 ? this.#v4.get(ip.v4) : this.#v6.get(ipv6Hex(ip.v6))) ?? [])];
      }
      case 'cidr': {
        const slash = value.indexOf('/');
        const prefix = Number(value.slice(slash + 1));
        const v4 = parseIPv4(value.slice(0, slash));
        if (v4 !== undefined) return [...(this.#v4Nets.get(prefix)?.get(maskIPv4(v4, prefix)) ?? [])];
        const v6 = parseIPv6(value.slice(0, slash));
        return v6 ? [...(this.#v6Nets.get(prefix)?.get(maskHex(ipv6Hex(v6), prefix)) ?? [])] : [];
      }
      case 'domain':
        return [...(this.#domains.get(value) ?? [])];
      case 'url': {
        const u = parseUrl(value);
        return u ? [...(this.#urls.get(urlKey(u)) ?? [])] : [];
      }
      default:
        return [...(this.#hashes[type].get(value) ?? [])];
    }
  }

  #matchIp(value: string, at: number, out: Indicator[]): void {
    const c = value.charCodeAt(0);
    // Addresses start with a hex digit, ':' or '['.
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70) || c === 58 || c === 91)) return;
    const ip = parseIp(value);
    if (!ip) return;
    if (ip.version === 4) {
      const v = ip.v4;
      const exact = best(this.#v4.get(v), at);
      if (exact) out.push(exact);
      for (const prefix of this.#v4Prefixes) {
        const hit = best(this.#v4Nets.get(prefix)!.get(maskIPv4(v, prefix)), at);
        if (hit) out.push(hit);
      }
      return;
    }
    const hex = ipv6Hex(ip.v6);
    const exact = best(this.#v6.get(hex), at);
    if (exact) out.push(exact);
    for (const prefix of this.#v6Prefixes) {
      const hit = best(this.#v6Nets.get(prefix)!.get(maskHex(hex, prefix)), at);
      if (hit) out.push(hit);
    }
  }

  #matchDomain(value: string, at: number, out: Indicator[]): void {
    if (this.#domains.size === 0 || value.length > 255) return;
    let name = value.toLowerCase();
    if (name.endsWith('.')) name = name.slice(0, -1);
    // Names in events are ASCII (DNS), or IDNs: look those up in their xn-- form.
    if (/[^\x00-\x7f]/.test(name)) {
      name = domainToASCII(name);
      if (name === '') return;
    }
    // The name itself, then each parent with at least two labels.
    for (let from = 0; ; ) {
      const hit = best(this.#domains.get(from === 0 ? name : name.slice(from)), at);
      if (hit) out.push(hit);
      const dot = name.indexOf('.', from);
      if (dot < 0 || name.indexOf('.', dot + 1) < 0) return;
      from = dot + 1;
    }
  }

  #matchUrl(value: string, at: number, out: Indicator[]): void {
    if (this.#urls.size === 0) return;
    const u = parseUrl(value, true);
    if (!u) return;
    const hit = best(this.#urls.get(urlKey(u)), at);
    if (hit) out.push(hit);
  }

  #matchHash(value: string, only: HashType | undefined, at: number, out: Indicator[]): void {
    const n = value.length;
    const type: HashType | undefined = n === 32 ? 'md5' : n === 40 ? 'sha1' : n === 64 ? 'sha256' : undefined;
    if (!type || (only && only !== type)) return;
    const hit = best(this.#hashes[type].get(value.toLowerCase()), at);
    if (hit) out.push(hit);
  }
}

/** The first `prefix` bits of a 32-digit hex IPv6 address, as the key of a network. */
function maskHex(hex: string, prefix: number): string {
  const full = prefix >> 2;
  const rest = prefix & 3;
  if (rest === 0) return hex.slice(0, full);
  const nibble = parseInt(hex[full]!, 16) & ((0xf << (4 - rest)) & 0xf);
  return hex.slice(0, full) + nibble.toString(16);
}
