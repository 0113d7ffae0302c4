/**
 * Outbound safety: where Vigil may connect on a user's behalf (webhooks, HTTP actions,
 * enrichment, SMTP relays, syslog forwarding). A destination URL is user input, so without a
 * guard it is a server-side request forgery primitive: "send alerts to http://169.254.169.254/"
 * reads cloud credentials, "http://127.0.0.1:8080/" reaches Vigil's own admin API.
 *
 * The guard refuses every address that is not a host on the public internet unless the operator
 * allowed it for that one destination, and it is applied twice: when a destination is saved
 * (`vetUrl`, so mistakes surface at config time) and on every send (`resolveVetted`, whose
 * answer is the one address the caller must connect to: re-resolving later would let a DNS
 * answer change between check and connect, which is DNS rebinding).
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { NetworkSet, parseIp, type IpAddress } from '../../core/ip-networks.js';

/**
 * Never a public host (RFC 6890 special-purpose registries), or a cloud metadata service. IPv4
 * mapped into IPv6 (::ffff:a.b.c.d) is checked as IPv4 by parseIp.
 */
export const FORBIDDEN_NETWORKS: readonly string[] = [
  '0.0.0.0/8', // "this network", unspecified
  '127.0.0.0/8', // loopback
  '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', // RFC 1918
  '100.64.0.0/10', // carrier-grade NAT (RFC 6598)
  '169.254.0.0/16', // link-local, including 169.254.169.254 (AWS, GCP, Azure metadata)
  '192.0.0.0/24', // IETF protocol assignments (192.0.0.192 is Oracle Cloud metadata)
  '198.18.0.0/15', // benchmarking
  '224.0.0.0/4', // multicast
  '240.0.0.0/4', // reserved, and 255.255.255.255 broadcast
  '::/96', // unspecified, loopback, and the deprecated IPv4-compatible form
  'fc00::/7', // unique local, including fd00:ec2::254 (AWS metadata over IPv6)
  'fe80::/10', // link-local
  'ff00::/8', // multicast
  '64:ff9b::/96', '64:ff9b:1::/48', // NAT64: the IPv4 tail could be any of the above
  '2002::/16', // 6to4: embeds an IPv4 address that could be private
  '100::/64', // discard-only
];

/** Names of metadata services, refused before any resolution (they may resolve via /etc/hosts). */
const METADATA_NAMES = new Set(['metadata.google.internal', 'metadata.goog', 'metadata', 'instance-data', 'instance-data.ec2.internal']);

const forbidden = new NetworkSet(FORBIDDEN_NETWORKS);

/** Why a destination was refused. Fixed strings: callers map them to metrics and messages. */
export type OutboundRefusal = 'invalid-url' | 'scheme' | 'credentials-in-url' | 'forbidden-address' | 'forbidden-name' | 'unresolvable';

export class OutboundRefusedError extends Error {
  readonly reason: OutboundRefusal;
  constructor(reason: OutboundRefusal, message: string) {
    super(message);
    this.name = 'OutboundRefusedError';
    this.reason = reason;
  }
}

/** One resolved address a caller may connect to. */
export interface VettedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

/** Name resolution behind an interface, so tests can answer with any address. */
export interface Resolver {
  /** Every address the name resolves to (A and AAAA). */
  lookupAll(host: string): Promise<readonly VettedAddress[]>;
}

export const systemResolver: Resolver = {
  async lookupAll(host) {
    const answers = await dnsLookup(host, { all: true, verbatim: true });
    return answers.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
  },
};

/**
 * The exceptions one destination has: networks (`127.0.0.1`, `10.20.0.0/16`, `fd00::/8`) whose
 * addresses it may reach, and host names it may use even though they resolve to a forbidden
 * address or are a metadata name.
 */
export class OutboundPolicy {
  readonly #networks: NetworkSet;
  readonly #hosts: ReadonlySet<string>;

  /** Throws OutboundRefusedError('invalid-url') naming an entry that is neither a network nor a host name. */
  constructor(allow: readonly string[] = []) {
    const cidrs: string[] = [];
    const hosts = new Set<string>();
    for (const entry of allow) {
      const text = entry.trim();
      const addr = text.split('/')[0]!.replace(/^\[|\]$/g, '');
      if (parseIp(addr)) cidrs.push(text.replace(/^\[([^\]]+)\]/, '$1'));
      else if (/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?\.?$/.test(text)) hosts.add(normaliseHost(text));
      else throw new OutboundRefusedError('invalid-url', `allow entry '${entry}' is neither an address, a network (CIDR) nor a host name`);
    }
    try {
      this.#networks = new NetworkSet(cidrs);
    } catch (e) {
      throw new OutboundRefusedError('invalid-url', `allow list: ${(e as Error).message}`);
    }
    this.#hosts = hosts;
  }

  allowsHost(host: string): boolean {
    return this.#hosts.has(normaliseHost(host));
  }

  /** Whether `address` may be reached for `host`: public, inside an allowed network, or the host is allowed. */
  allowsAddress(host: string, address: IpAddress): boolean {
    return !forbidden.hasAddress(address) || this.#networks.hasAddress(address) || this.allowsHost(host);
  }
}

/** Whether an address is outside every forbidden range (ignores any allow list). */
export function isForbiddenAddress(text: string): boolean {
  const a = parseIp(text);
  return a === undefined || forbidden.hasAddress(a);
}

function normaliseHost(host: string): string {
  return host.toLowerCase().replace(/\.$/, '');
}

/** A URL that passed the syntax checks. `host` is the bare name or address (no brackets). */
export interface OutboundTarget {
  readonly url: URL;
  readonly host: string;
  readonly port: number;
  readonly secure: boolean;
}

/** Syntax checks only (no resolution): http or https, a host, no user:password. */
export function parseOutboundUrl(text: string): OutboundTarget {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new OutboundRefusedError('invalid-url', 'not a valid absolute URL; write e.g. https://hooks.example.com/vigil');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new OutboundRefusedError('scheme', `scheme '${url.protocol.replace(/:$/, '')}' is not allowed; use https (or http)`);
  }
  if (url.username !== '' || url.password !== '') {
    // Credentials in a URL end up in logs and error messages; a secret belongs in its own setting.
    throw new OutboundRefusedError('credentials-in-url', 'the URL carries a user name or password; remove it and use the destination secret or headers');
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (host === '') throw new OutboundRefusedError('invalid-url', 'the URL has no host');
  const secure = url.protocol === 'https:';
  const port = url.port === '' ? (secure ? 443 : 80) : Number(url.port);
  return { url, host, port, secure };
}

/**
 * Resolves `host` and vets every answer: one forbidden address refuses the whole name (an
 * attacker-controlled zone can answer with a public and a private address and let the client
 * pick). Returns the addresses to connect to, in resolver order; connect only to these.
 */
export async function resolveVetted(host: string, policy: OutboundPolicy, resolver: Resolver = systemResolver): Promise<readonly VettedAddress[]> {
  const literal = parseIp(host);
  if (literal) {
    if (!policy.allowsAddress(host, literal)) throw refusedAddress(host, host);
    return [{ address: host, family: literal.v }];
  }
  if (METADATA_NAMES.has(normaliseHost(host)) && !policy.allowsHost(host)) {
    throw new OutboundRefusedError('forbidden-name', `'${host}' is a cloud metadata service name; Vigil does not send there`);
  }
  let answers: readonly VettedAddress[];
  try {
    answers = await resolver.lookupAll(host);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    throw new OutboundRefusedError('unresolvable', `cannot resolve '${host}' (${code}); check the name and the machine's DNS`);
  }
  if (answers.length === 0) throw new OutboundRefusedError('unresolvable', `'${host}' resolves to no address`);
  for (const a of answers) {
    const parsed = parseIp(a.address);
    if (!parsed || !policy.allowsAddress(host, parsed)) throw refusedAddress(host, a.address);
  }
  return answers;
}

function refusedAddress(host: string, address: string): OutboundRefusedError {
  const via = host === address ? '' : ` ('${host}' resolves to it)`;
  return new OutboundRefusedError(
    'forbidden-address',
    `${address}${via} is a loopback, private, link-local, shared, multicast or metadata address; ` +
      `if this destination really is internal, add it to the destination's allow list`,
  );
}

/** Save-time check of a destination URL: syntax, then resolution with every answer vetted. */
export async function vetUrl(text: string, policy: OutboundPolicy, resolver: Resolver = systemResolver): Promise<OutboundTarget> {
  const target = parseOutboundUrl(text);
  await resolveVetted(target.host, policy, resolver);
  return target;
}
