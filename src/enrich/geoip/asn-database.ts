/**
 * Address → autonomous system (number and organisation). ip-location-db publishes its ASN data
 * (RouteViews, the five RIRs and DB-IP ASN Lite merged) on npm as CSV only, so the bundled data
 * is loaded into sorted typed arrays and searched by binary search: about 410k IPv4 and 100k
 * IPv6 ranges, a few MB of arrays, parsed once per family on its first lookup (see bench/
 * enrich-bench.ts for the load time). An operator may supply an .mmdb in MaxMind's ASN layout
 * (`autonomous_system_number`, `autonomous_system_organization`) instead.
 */
import { readFileSync } from 'node:fs';
import { VigilError } from '../../core/errors.js';
import { parseIPv6, type IpAddress } from '../../core/ip-networks.js';
import { bundledFile, once, openMmdb } from './mmdb-file.js';

export interface AutonomousSystem {
  readonly number: number;
  readonly organization?: string;
}

const ASN_PACKAGE = '@ip-location-db/asn';

/**
 * Inclusive ranges, sorted by start, that do not overlap. An address is `width` unsigned 32-bit
 * words (1 for IPv4, 4 for IPv6), most significant first; row i occupies [i*width, (i+1)*width).
 */
export class RangeTable {
  readonly width: number;
  readonly starts: Uint32Array;
  readonly ends: Uint32Array;
  readonly asns: Uint32Array;
  readonly orgIds: Uint32Array;
  readonly orgs: readonly string[];

  constructor(width: number, starts: Uint32Array, ends: Uint32Array, asns: Uint32Array, orgIds: Uint32Array, orgs: readonly string[]) {
    this.width = width;
    this.starts = starts;
    this.ends = ends;
    this.asns = asns;
    this.orgIds = orgIds;
    this.orgs = orgs;
  }

  get size(): number {
    return this.asns.length;
  }

  /** The row whose range holds `key` (`width` words), or undefined. */
  find(key: Uint32Array): AutonomousSystem | undefined {
    const w = this.width;
    let lo = 0;
    let hi = this.asns.length - 1;
    let row = -1;
    // Last row whose start ≤ key.
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (compare(this.starts, mid * w, key, w) <= 0) {
        row = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (row < 0 || compare(this.ends, row * w, key, w) < 0) return undefined;
    const org = this.orgs[this.orgIds[row]!];
    return org ? { number: this.asns[row]!, organization: org } : { number: this.asns[row]! };
  }
}

function compare(words: Uint32Array, at: number, key: Uint32Array, width: number): number {
  for (let i = 0; i < width; i++) {
    const a = words[at + i]!;
    const b = key[i]!;
    if (a !== b) return a < b ? -1 : 1;
  }
  return 0;
}

/** Growable column of 32-bit words. */
class Column {
  data: Uint32Array;
  length = 0;
  constructor(capacity: number) {
    this.data = new Uint32Array(capacity);
  }
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Uint32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  done(): Uint32Array {
    return this.data.slice(0, this.length);
  }
}

/** `"Cloudflare, Inc."` → `Cloudflare, Inc.`; CSV doubles quotes inside quotes. */
function unquote(s: string): string {
  return s.length >= 2 && s.charCodeAt(0) === 34 && s.charCodeAt(s.length - 1) === 34 ? s.slice(1, -1).replace(/""/g, '"') : s;
}

/**
 * Parses ip-location-db ASN CSV (`start,end,asn,organisation`): IPv4 rows with numeric
 * addresses (`-num.csv`), IPv6 rows with address text. Rows must come sorted by start, as
 * published; a file that is not is refused rather than searched wrongly.
 */
export function parseAsnCsv(csv: string, family: 4 | 6, path: string): RangeTable {
  const width = family === 4 ? 1 : 4;
  const estimate = Math.max(16, Math.ceil(csv.length / 50));
  const starts = new Column(estimate * width);
  const ends = new Column(estimate * width);
  const asns = new Column(estimate);
  const orgIds = new Column(estimate);
  const orgs: string[] = [];
  const orgIndex = new Map<string, number>();
  const words = new Uint32Array(4);
  let previous = new Uint32Array(width);
  let line = 0;
  const bad = (why: string): never => {
    throw new VigilError('config-invalid', `${path}, line ${line}: ${why}; reinstall Vigil (npm ci) or point enrich.geoip.asn at an .mmdb file`, { where: `${path}:${line}` });
  };
  const address = (s: string, out: Column) => {
    if (family === 4) {
      const n = Number(s);
      if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) bad(`not an IPv4 number: '${s}'`);
      out.push(n);
      return;
    }
    const w = parseIPv6(s);
    if (!w) return bad(`not an IPv6 address: '${s}'`);
    for (let i = 0; i < 4; i++) {
      words[i] = w[2 * i]! * 65536 + w[2 * i + 1]!;
      out.push(words[i]!);
    }
  };
  for (let at = 0; at < csv.length; ) {
    let eol = csv.indexOf('\n', at);
    if (eol < 0) eol = csv.length;
    line++;
    const row = csv.charCodeAt(eol - 1) === 13 ? csv.slice(at, eol - 1) : csv.slice(at, eol);
    at = eol + 1;
    if (row === '') continue;
    const c1 = row.indexOf(',');
    const c2 = row.indexOf(',', c1 + 1);
    const c3 = row.indexOf(',', c2 + 1);
    if (c1 < 0 || c2 < 0 || c3 < 0) bad('expected start,end,asn,organisation');
    const rowAt = asns.length * width;
    address(row.slice(0, c1), starts);
    address(row.slice(c1 + 1, c2), ends);
    const asn = Number(row.slice(c2 + 1, c3));
    if (!Number.isInteger(asn) || asn < 0 || asn > 0xffffffff) bad(`not an AS number: '${row.slice(c2 + 1, c3)}'`);
    const current = starts.data.subarray(rowAt, rowAt + width);
    if (asns.length > 0 && compare(previous, 0, current, width) >= 0) bad('rows are not sorted by range start');
    previous = current.slice();
    asns.push(asn);
    const org = unquote(row.slice(c3 + 1));
    let id = orgIndex.get(org);
    if (id === undefined) {
      id = orgs.length;
      orgs.push(org);
      orgIndex.set(org, id);
    }
    orgIds.push(id);
  }
  return new RangeTable(width, starts.done(), ends.done(), asns.done(), orgIds.done(), orgs);
}

export class AsnDatabase {
  readonly #lookup: (ip: IpAddress, text: string) => AutonomousSystem | undefined;
  readonly description: string;

  private constructor(lookup: (ip: IpAddress, text: string) => AutonomousSystem | undefined, description: string) {
    this.#lookup = lookup;
    this.description = description;
  }

  /** ip-location-db's ASN CSV from the npm package, each family parsed on its first lookup. */
  static bundled(): AsnDatabase {
    const v4Path = bundledFile(ASN_PACKAGE, 'asn-ipv4-num.csv');
    const v6Path = bundledFile(ASN_PACKAGE, 'asn-ipv6.csv');
    const v4 = once(() => parseAsnCsv(readCsv(v4Path), 4, v4Path));
    const v6 = once(() => parseAsnCsv(readCsv(v6Path), 6, v6Path));
    const key = new Uint32Array(4);
    return new AsnDatabase((ip) => {
      if (ip.v === 4) {
        key[0] = ip.n;
        return v4().find(key);
      }
      for (let i = 0; i < 4; i++) key[i] = ip.words[2 * i]! * 65536 + ip.words[2 * i + 1]!;
      return v6().find(key);
    }, 'ip-location-db ASN (bundled)');
  }

  /** An operator's .mmdb in MaxMind's ASN layout, read now so a bad path fails the start. */
  static fromFile(path: string, key: string): AsnDatabase {
    const reader = openMmdb({ path, key });
    const v6 = reader.metadata.ipVersion === 6;
    return new AsnDatabase((ip, text) => {
      if (ip.v === 6 && !v6) return undefined;
      const r = reader.get(text) as { autonomous_system_number?: unknown; autonomous_system_organization?: unknown } | null;
      if (!r || typeof r.autonomous_system_number !== 'number') return undefined;
      const org = r.autonomous_system_organization;
      return typeof org === 'string' && org !== '' ? { number: r.autonomous_system_number, organization: org } : { number: r.autonomous_system_number };
    }, path);
  }

  lookup(ip: IpAddress, text: string): AutonomousSystem | undefined {
    return this.#lookup(ip, text);
  }
}

function readCsv(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new VigilError('config-invalid', `cannot read the bundled ASN data ${path}: ${(error as Error).message}; reinstall Vigil (npm ci), or set enrich.geoip.enabled: false`, { where: path, cause: error });
  }
}
