/**
 * IP addresses and networks, shared by the stages that read addresses: enrichment (is this a
 * public address worth a GeoIP lookup), Sigma `|cidr`, and behaviour detectors (which side of a
 * connection is internal, whether an address is allowlisted). Hand-parsed (no allocation for
 * IPv4), because these run for every event.
 */

/** A parsed address: IPv4 as an unsigned 32-bit number, IPv6 as eight 16-bit words. */
export type IpAddress = { readonly v: 4; readonly n: number } | { readonly v: 6; readonly words: Uint16Array };

interface Net4 {
  readonly net: number;
  readonly mask: number;
}
interface Net6 {
  readonly words: Uint16Array;
  readonly prefix: number;
}

/** Parses dotted IPv4 (no leading zeros); -1 when the text is not one. */
export function parseIPv4(s: string, start = 0, end = s.length): number {
  let value = 0;
  let octet = -1;
  let dots = 0;
  let digits = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (digits === 3 || (digits > 0 && octet === 0)) return -1;
      octet = (octet < 0 ? 0 : octet * 10) + (c - 48);
      digits++;
      if (octet > 255) return -1;
    } else if (c === 46) {
      if (octet < 0 || dots === 3) return -1;
      value = value * 256 + octet;
      octet = -1;
      digits = 0;
      dots++;
    } else return -1;
  }
  if (octet < 0 || dots !== 3) return -1;
  return value * 256 + octet;
}

/** Parses IPv6 text (with ::, an embedded IPv4 tail, a %zone); undefined when it is not one. */
export function parseIPv6(text: string): Uint16Array | undefined {
  let s = text;
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  if (s.indexOf(':') < 0) return undefined;
  const words = new Uint16Array(8);
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const parseHalf = (h: string): number[] | undefined => {
    if (h === '') return [];
    const out: number[] = [];
    const groups = h.split(':');
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      if (i === groups.length - 1 && g.indexOf('.') >= 0) {
        const v4 = parseIPv4(g);
        if (v4 < 0) return undefined;
        out.push(Math.floor(v4 / 65536), v4 % 65536);
        continue;
      }
      if (g.length === 0 || g.length > 4 || !/^[0-9a-fA-F]+$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = parseHalf(halves[0]!);
  if (!head) return undefined;
  if (halves.length === 1) {
    if (head.length !== 8) return undefined;
    words.set(head);
    return words;
  }
  const tail = parseHalf(halves[1]!);
  if (!tail || head.length + tail.length > 7) return undefined;
  words.set(head, 0);
  words.set(tail, 8 - tail.length);
  return words;
}

/** Parses an IPv4 or IPv6 address; IPv4-mapped IPv6 (::ffff:a.b.c.d) becomes IPv4. */
export function parseIp(text: string): IpAddress | undefined {
  const v4 = parseIPv4(text);
  if (v4 >= 0) return { v: 4, n: v4 };
  const words = parseIPv6(text);
  if (!words) return undefined;
  if (words[0] === 0 && words[1] === 0 && words[2] === 0 && words[3] === 0 && words[4] === 0 && words[5] === 0xffff) {
    return { v: 4, n: words[6]! * 65536 + words[7]! };
  }
  return { v: 6, words };
}

export function isIpText(text: string): boolean {
  return parseIp(text) !== undefined;
}

/** A network: IPv4 with its host bits cleared, or IPv6 as written (masking is the reader's). */
export type Network = { readonly v: 4; readonly net: number; readonly prefix: number } | { readonly v: 6; readonly words: Uint16Array; readonly prefix: number };

/**
 * `10.0.0.0/8`, `fc00::/7`, or a single address (a /32 or /128); undefined when the text is
 * not one or the prefix is too long. An IPv4-mapped IPv6 network (`::ffff:10.0.0.0/104`) is
 * the IPv4 network it maps.
 */
export function parseNetwork(text: string): Network | undefined {
  const slash = text.indexOf('/');
  const addrText = slash >= 0 ? text.slice(0, slash) : text;
  const addr = parseIp(addrText);
  if (!addr) return undefined;
  const mapped = addr.v === 4 && parseIPv4(addrText) < 0; // ::ffff:a.b.c.d/len counts IPv6 bits
  let prefix = addr.v === 4 ? 32 : 128;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p)) return undefined;
    prefix = Number(p) - (mapped ? 96 : 0);
    if (prefix < 0 || prefix > (addr.v === 4 ? 32 : 128)) return undefined;
  }
  if (addr.v === 6) return { v: 6, words: addr.words, prefix };
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return { v: 4, net: (addr.n & mask) >>> 0, prefix };
}

/** A set of networks (`10.0.0.0/8`, `fc00::/7`, or a single address). */
export class NetworkSet {
  readonly #v4: Net4[] = [];
  readonly #v6: Net6[] = [];

  /** Throws on an entry that is not an address or network, naming it. */
  constructor(cidrs: readonly string[]) {
    for (const c of cidrs) this.add(c);
  }

  get size(): number {
    return this.#v4.length + this.#v6.length;
  }

  add(cidr: string): void {
    const network = parseNetwork(cidr.trim());
    if (!network) throw new Error(`not an IP address or network (or a bad prefix length): '${cidr}'`);
    if (network.v === 4) {
      const mask = network.prefix === 0 ? 0 : (0xffffffff << (32 - network.prefix)) >>> 0;
      this.#v4.push({ net: network.net, mask });
    } else {
      this.#v6.push({ words: network.words, prefix: network.prefix });
    }
  }

  /** Whether `ip` (text) is in one of the networks; false for text that is not an address. */
  has(ip: string): boolean {
    const v4 = parseIPv4(ip);
    if (v4 >= 0) return this.#has4(v4);
    const a = parseIp(ip);
    if (!a) return false;
    return a.v === 4 ? this.#has4(a.n) : this.#has6(a.words);
  }

  hasAddress(a: IpAddress): boolean {
    return a.v === 4 ? this.#has4(a.n) : this.#has6(a.words);
  }

  #has4(n: number): boolean {
    for (const net of this.#v4) if (((n & net.mask) >>> 0) === net.net) return true;
    return false;
  }

  #has6(w: Uint16Array): boolean {
    outer: for (const net of this.#v6) {
      let bits = net.prefix;
      for (let i = 0; i < 8 && bits > 0; i++, bits -= 16) {
        const mask = bits >= 16 ? 0xffff : (0xffff << (16 - bits)) & 0xffff;
        if ((w[i]! & mask) !== (net.words[i]! & mask)) continue outer;
      }
      return true;
    }
    return false;
  }
}

/** RFC 1918 private IPv4 and RFC 4193 unique-local IPv6. */
export const RFC1918_AND_ULA: readonly string[] = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'];

/**
 * Addresses that are never a host on the internet, whatever the internal networks say:
 * "this network", loopback, link-local, multicast, reserved and broadcast (RFC 6890).
 */
export const NOT_ROUTED: readonly string[] = [
  '0.0.0.0/8', '127.0.0.0/8', '169.254.0.0/16', '224.0.0.0/4', '240.0.0.0/4',
  '::/128', '::1/128', 'fe80::/10', 'ff00::/8',
];

/**
 * Ranges that never locate a host on the public internet (RFC 6890 special-purpose registries):
 * the private and unrouted ranges above, plus shared address space for carrier-grade NAT
 * (RFC 6598), IETF protocol assignments, benchmarking (RFC 2544), the documentation ranges
 * (RFC 5737, RFC 3849) and the NAT64 well-known prefix (RFC 6052), whose IPv4 tail is looked up
 * on its own when it matters.
 */
export const NOT_PUBLIC: readonly string[] = [
  ...RFC1918_AND_ULA,
  ...NOT_ROUTED,
  '100.64.0.0/10', '192.0.0.0/24', '192.0.2.0/24', '198.18.0.0/15', '198.51.100.0/24', '203.0.113.0/24',
  '2001:db8::/32', '64:ff9b::/96', '100::/64',
];

const notPublic = new NetworkSet(NOT_PUBLIC);

/** Whether `a` can be a host on the public internet (so a GeoIP or ASN lookup means something). */
export function isPublicAddress(a: IpAddress): boolean {
  return !notPublic.hasAddress(a);
}

/** Canonical text of an IPv4 address held as a number (`8.8.8.8`). */
export function formatIPv4(n: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}
