/**
 * Malware beacon detection: an internal host that contacts one external destination on a
 * timer. Connection-like events are grouped per (tenant, internal source, external destination,
 * destination port); each group keeps a bounded ring of (time, bytes) within a sliding window of
 * event time, and is scored by `scoreBeacon` (see beacon-score.ts) when it has gained enough
 * new connections. A group whose score reaches the threshold raises one alert; it can alert
 * again only once a full window has passed.
 *
 * What counts as a connection (any source, no dataset list):
 * - an event with `source.ip` and `dns.question.name`: a DNS query, keyed by the name (answers
 *   logged as their own record, `dns.type: answer`, are skipped: their source is the server);
 * - else an event with `source.ip` and `url.domain`: a web or proxy request, keyed by the name
 *   and `destination.port`;
 * - else an event with `source.ip` and `destination.ip`: Zeek conn, Suricata flow, firewall
 *   and router session logs…, keyed by the address and `destination.port`.
 * So one beacon seen by Zeek in conn.log and http.log makes two groups (address and name), and
 * can raise two alerts that name the same host.
 *
 * Only internal source → external destination is a beacon. Internal: `internalNetworks`
 * (default RFC 1918 and fc00::/7). Never external: loopback, link-local, multicast, broadcast and
 * reserved addresses; single-label names and names under internal suffixes (`.local`,
 * `.internal`, `.lan`, `.corp`, `.home.arpa`, `in-addr.arpa`… plus `internalDomains`).
 *
 * Allowlist: addresses, networks and domains (a domain covers the names under it). An
 * address-keyed group is also dropped when one of its records names an allowlisted server
 * (`tls.client.server_name`, `destination.domain`), e.g. Zeek ssl or Suricata tls records.
 *
 * Cost per event is O(1) amortised: a map lookup and a ring push. A group is first scored when it
 * holds `minConnections` connections, then again only after it has grown by `rescoreFraction`
 * (a quarter) of its size, so a connection is sorted a bounded number of times (at most one
 * scoring per 32 connections once the ring of 128 is full). Groups are capped at `maxPairs`:
 * when full, a second-chance clock evicts one not touched since the hand last passed (about the
 * least recently active) and counts it in `stats.evicted`; groups idle for a whole window (by
 * their tenant's newest event time, so a replay of old logs in one tenant expires nothing in
 * another) are dropped by a sweep that runs after max(4096, groups) events. Memory: about 200
 * bytes for a group seen once, 7 KiB for a full ring (128 × time, bytes, port and event id).
 *
 * Records of one connection that repeat (session start and end from a firewall, Zeek conn and
 * ssl records, Suricata flow and tls events) are merged when they arrive close together: same
 * source port within 10 s among the group's 4 newest connections. (Connections less than 1 s
 * apart are one check-in for the scoring anyway.)
 *
 * Alerts: rule `vigil-beacon`, author Vigil, level high from a score of 0.9, else medium; tags
 * attack.command-and-control and T1071 (Application Layer Protocol), T1071.004 for DNS and
 * T1071.001 for web groups. The newest ≤ 100 connections' event ids are attached.
 */
import type { Event, FieldValue, Fields } from '../../core/event.js';
import { newId } from '../../core/ids.js';
import type { Detector } from '../../core/stage.js';
import type { AlertRecord } from '../../core/store.js';
import { scoreBeacon, type BeaconScore } from './beacon-score.js';
import { NOT_ROUTED, NetworkSet, RFC1918_AND_ULA, isIpText, parseIp } from '../../core/ip-networks.js';

export interface BeaconDetectorOptions {
  /** CIDRs of the monitored networks. Default RFC 1918 + fc00::/7. */
  readonly internalNetworks?: readonly string[];
  /** Check-ins (connections ≥ 1 s apart) before a pair is scored. Default 20. */
  readonly minConnections?: number;
  /** Sliding window of event time, hours. Default 24. */
  readonly windowHours?: number;
  /** Score from which a pair alerts. Default 0.8. */
  readonly threshold?: number;
  /** Pairs kept at most; the least recently active is evicted. Default 200,000. */
  readonly maxPairs?: number;
  /**
   * Destinations never reported: IPs, CIDRs, domains (a domain matches itself and every name
   * under it; `*.` or `.` in front is accepted and means the same).
   */
  readonly allowlist?: readonly string[];
  /** Extra internal domain suffixes (an AD forest, a corporate zone), besides the defaults. */
  readonly internalDomains?: readonly string[];
  /** Connections kept per pair (newest win). Default 128. */
  readonly maxConnectionsPerPair?: number;
  /** Re-score after the pair grew by this fraction of its size. Default 0.25. */
  readonly rescoreFraction?: number;
  /** Clock for the alert's `created` (tests). Default Date.now. */
  readonly now?: () => number;
}

export interface BeaconDetectorStats {
  /** Events seen. */
  events: number;
  /** Events taken as a connection of an internal source to an external destination. */
  connections: number;
  /** Of those, repeated records of a connection already counted (merged). */
  merged: number;
  /** Events older than their pair's window. */
  late: number;
  /** Scorings run. */
  scored: number;
  alerts: number;
  /** Pairs evicted because of `maxPairs`. */
  evicted: number;
  /** Pairs dropped after a whole window without events. */
  expired: number;
}

/** One pair as `topPairs` reports it. */
export interface BeaconPairSummary {
  readonly tenant: string;
  readonly source: string;
  readonly destination: string;
  readonly port: number | undefined;
  readonly connections: number;
  readonly checkIns: number;
  /** Null when the pair is not scored (see `notScored`). */
  readonly score: number | null;
  readonly notScored?: string;
  readonly medianIntervalSeconds: number | null;
  readonly alerted: boolean;
}

export const BEACON_RULE_ID = 'vigil-beacon';
export const BEACON_RULE_TITLE = 'Periodic connections from an internal host to one external destination (possible malware beacon)';

const DEFAULT_INTERNAL_DOMAINS = [
  'local', 'localhost', 'localdomain', 'internal', 'intranet', 'lan', 'home', 'corp', 'private',
  'home.arpa', 'in-addr.arpa', 'ip6.arpa',
];
/** Event ids kept per pair for the alert. */
const IDS_KEPT = 100;
/** Records of one connection: same source port within this many ms. */
const SAME_CONNECTION_MS = 10_000;
/** How many of the newest entries are looked at for a repeated record. */
const SAME_CONNECTION_LOOKBACK = 4;

type Via = 'connection' | 'dns' | 'web';

/** Domain names and everything under them. */
export class DomainSet {
  readonly #names = new Set<string>();

  constructor(names: readonly string[] = []) {
    for (const n of names) this.add(n);
  }

  get size(): number {
    return this.#names.size;
  }

  add(name: string): void {
    let n = normaliseDomain(name);
    if (n.startsWith('*.')) n = n.slice(2);
    else if (n.startsWith('.')) n = n.slice(1);
    if (n !== '') this.#names.add(n);
  }

  /** Whether `name` (normalised) is one of the names or under one. */
  has(name: string): boolean {
    if (this.#names.size === 0) return false;
    let n = name;
    for (;;) {
      if (this.#names.has(n)) return true;
      const dot = n.indexOf('.');
      if (dot < 0) return false;
      n = n.slice(dot + 1);
    }
  }
}

/** Lower case, no trailing dot, no `:port`. */
export function normaliseDomain(name: string): string {
  let n = name.trim().toLowerCase();
  if (n.endsWith('.')) n = n.slice(0, -1);
  const colon = n.indexOf(':');
  if (colon >= 0 && colon === n.lastIndexOf(':') && /^\d+$/.test(n.slice(colon + 1))) n = n.slice(0, colon);
  return n;
}

/**
 * One (tenant, source, destination, port): a ring of connections in the window, oldest first.
 * Compact, because there can be 200,000 of them: one plain array of doubles (cheaper to create
 * than typed arrays, and as dense) with six numbers per connection: time (ms), bytes (NaN when
 * unknown), source port (-1 when unknown), and the event id, a UUID, packed into three doubles of
 * at most 48 bits (ids that are not lower-case canonical UUIDs are kept as text beside). The
 * array grows by doubling from 2 connections to the cap.
 */
class Pair {
  data: number[] = newData(2);
  /** Ids that are not lower-case canonical UUIDs, by slot (rare; created when needed). */
  idTexts: (string | undefined)[] | undefined;
  cap = 2;
  head = 0;
  size = 0;
  newest = -Infinity;
  /** Connections since the last scoring. */
  pending = 0;
  alertedAt = -Infinity;
  /** Second-chance bit for eviction. */
  touched = true;
  /** A later record named an allowlisted server (SNI, destination.domain): ignore the pair. */
  allowed = false;

  constructor(
    readonly key: string,
    readonly tenant: string,
    readonly source: string,
    readonly destination: string,
    readonly kind: 'ip' | 'domain',
    readonly port: number | undefined,
    readonly via: Via,
  ) {}

  /** Physical slot of the i-th oldest entry. */
  slot(i: number): number {
    const j = this.head + i;
    return j >= this.cap ? j - this.cap : j;
  }

  time(slot: number): number {
    return this.data[slot * STRIDE]!;
  }

  bytes(slot: number): number {
    return this.data[slot * STRIDE + 1]!;
  }

  /** Logical index of a recent entry that is the same connection (same source port, within 10 s), or -1. */
  findSame(time: number, port: number): number {
    if (port < 0) return -1;
    const from = Math.max(0, this.size - SAME_CONNECTION_LOOKBACK);
    for (let i = this.size - 1; i >= from; i--) {
      const s = this.slot(i) * STRIDE;
      if (this.data[s + 2] === port && Math.abs(this.data[s]! - time) <= SAME_CONNECTION_MS) return i;
    }
    return -1;
  }

  /** Fills in the bytes of an entry that had none. */
  completeBytes(i: number, bytes: number): void {
    const s = this.slot(i) * STRIDE + 1;
    if (Number.isNaN(this.data[s]!) && bytes >= 0) this.data[s] = bytes;
  }

  push(time: number, bytes: number, port: number, id: string, max: number): void {
    if (this.size === max) {
      this.head = this.slot(1);
      this.size--;
    } else if (this.size === this.cap) this.grow(max);
    const s = this.slot(this.size);
    const d = s * STRIDE;
    this.data[d] = time;
    this.data[d + 1] = bytes;
    this.data[d + 2] = port;
    if (!writeUuid(id, this.data, d + 3)) {
      this.idTexts ??= new Array<string | undefined>(this.cap).fill(undefined);
      this.idTexts[s] = id;
    } else if (this.idTexts) this.idTexts[s] = undefined;
    this.size++;
    if (time > this.newest) this.newest = time;
  }

  /** Drops entries at the front older than `from`. */
  prune(from: number): void {
    while (this.size > 0 && this.data[this.head * STRIDE]! < from) {
      this.head = this.slot(1);
      this.size--;
    }
  }

  /** The ids of the newest `n` connections held, oldest first. */
  recentIds(n: number): string[] {
    const count = Math.min(n, this.size);
    const out: string[] = [];
    for (let i = this.size - count; i < this.size; i++) {
      const s = this.slot(i);
      out.push(this.idTexts?.[s] ?? readUuid(this.data, s * STRIDE + 3));
    }
    return out;
  }

  private grow(max: number): void {
    const cap = Math.min(max, this.cap * 2);
    const data = newData(cap);
    const texts = this.idTexts ? new Array<string | undefined>(cap).fill(undefined) : undefined;
    for (let i = 0; i < this.size; i++) {
      const s = this.slot(i);
      for (let k = 0; k < STRIDE; k++) data[i * STRIDE + k] = this.data[s * STRIDE + k]!;
      if (texts) texts[i] = this.idTexts![s];
    }
    this.data = data;
    this.idTexts = texts;
    this.cap = cap;
    this.head = 0;
  }
}

/** Numbers per connection: time, bytes, source port, id (3). */
const STRIDE = 6;

function newData(cap: number): number[] {
  return new Array<number>(cap * STRIDE).fill(NaN);
}

const HEX_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) HEX_VALUE[48 + i] = i;
for (let i = 0; i < 6; i++) HEX_VALUE[97 + i] = 10 + i;
const HEX_DIGITS = '0123456789abcdef';
const TWO_16 = 65_536;
const TWO_32 = 4_294_967_296;

/**
 * Writes a lower-case canonical UUID as three doubles at `at` (48, 48 and 32 bits: exact);
 * false, and nothing written, for any other text.
 */
function writeUuid(id: string, into: number[], at: number): boolean {
  if (id.length !== 36 || id.charCodeAt(8) !== 45 || id.charCodeAt(13) !== 45 || id.charCodeAt(18) !== 45 || id.charCodeAt(23) !== 45) return false;
  const w0 = hexWord(id, 0, 8);
  const w1 = hexWord(id, 9, 13) * TWO_16 + hexWord(id, 14, 18);
  const w2 = hexWord(id, 19, 23) * TWO_16 + hexWord(id, 24, 28);
  const w3 = hexWord(id, 28, 36);
  if (w0 < 0 || w1 < 0 || w2 < 0 || w3 < 0) return false;
  into[at] = w0 * TWO_16 + Math.floor(w1 / TWO_16);
  into[at + 1] = (w1 % TWO_16) * TWO_32 + w2;
  into[at + 2] = w3;
  return true;
}

/** The lower-case hex digits in id[from, to) as a number; a large negative number if any is not one. */
function hexWord(id: string, from: number, to: number): number {
  let v = 0;
  for (let i = from; i < to; i++) {
    const c = id.charCodeAt(i);
    const d = c < 128 ? HEX_VALUE[c]! : -1;
    if (d < 0) return -TWO_32 * TWO_16;
    v = v * 16 + d;
  }
  return v;
}

function readUuid(from: readonly number[], at: number): string {
  const d0 = from[at]!;
  const d1 = from[at + 1]!;
  const words = [Math.floor(d0 / TWO_16), (d0 % TWO_16) * TWO_16 + Math.floor(d1 / TWO_32), d1 % TWO_32, from[at + 2]!];
  let hex = '';
  for (const w of words) hex += w.toString(16).padStart(8, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export class BeaconDetector implements Detector {
  readonly name = 'beacon';
  readonly stats: BeaconDetectorStats = { events: 0, connections: 0, merged: 0, late: 0, scored: 0, alerts: 0, evicted: 0, expired: 0 };

  readonly #internal: NetworkSet;
  readonly #notRouted = new NetworkSet(NOT_ROUTED);
  readonly #allowNets: NetworkSet;
  readonly #allowDomains: DomainSet;
  readonly #internalDomains: DomainSet;
  readonly #minConnections: number;
  readonly #windowMs: number;
  readonly #threshold: number;
  readonly #maxPairs: number;
  readonly #perPair: number;
  readonly #rescoreFraction: number;
  readonly #now: () => number;
  readonly #pairs = new Map<string, Pair>();
  /** Every kept pair in a slot; the eviction clock hand walks them. Free slots are listed. */
  readonly #slots: (Pair | undefined)[] = [];
  readonly #freeSlots: number[] = [];
  #hand = 0;
  /** Per tenant: the newest event time seen (capped by receive time), for the idle sweep. */
  readonly #watermark = new Map<string, number>();
  #sinceSweep = 0;
  #scratchTimes: Float64Array;
  #scratchSizes: Float64Array;

  constructor(options: BeaconDetectorOptions = {}) {
    this.#internal = new NetworkSet(options.internalNetworks ?? RFC1918_AND_ULA);
    const nets: string[] = [];
    const domains: string[] = [];
    for (const entry of options.allowlist ?? []) {
      const text = entry.trim();
      if (text === '') continue;
      const slash = text.indexOf('/');
      if (isIpText(slash >= 0 ? text.slice(0, slash) : text)) nets.push(text);
      else if (slash >= 0 || /\s/.test(text)) throw new Error(`beacon allowlist: not an address, network or domain: '${entry}'`);
      else domains.push(text);
    }
    this.#allowNets = new NetworkSet(nets);
    this.#allowDomains = new DomainSet(domains);
    this.#internalDomains = new DomainSet([...DEFAULT_INTERNAL_DOMAINS, ...(options.internalDomains ?? [])]);
    this.#minConnections = positive(options.minConnections ?? 20, 'minConnections');
    this.#windowMs = positive(options.windowHours ?? 24, 'windowHours') * 3_600_000;
    this.#threshold = options.threshold ?? 0.8;
    this.#maxPairs = positive(options.maxPairs ?? 200_000, 'maxPairs');
    this.#perPair = Math.max(this.#minConnections, positive(options.maxConnectionsPerPair ?? 128, 'maxConnectionsPerPair'));
    this.#rescoreFraction = options.rescoreFraction ?? 0.25;
    this.#now = options.now ?? Date.now;
    this.#scratchTimes = new Float64Array(this.#perPair);
    this.#scratchSizes = new Float64Array(this.#perPair);
  }

  /** Pairs currently kept. */
  get pairs(): number {
    return this.#pairs.size;
  }

  detect(batch: readonly Event[]): AlertRecord[] {
    const alerts: AlertRecord[] = [];
    for (const event of batch) {
      const alert = this.#take(event);
      if (alert) alerts.push(alert);
    }
    return alerts;
  }

  #take(event: Event): AlertRecord | undefined {
    this.stats.events++;
    if (++this.#sinceSweep >= Math.max(4096, this.#pairs.size)) this.#sweep();
    const f = event.fields;
    const source = f['source.ip'];
    const time = event.time;
    if (typeof source !== 'string' || !Number.isFinite(time)) return undefined;

    let destination: string;
    let kind: 'ip' | 'domain' = 'domain';
    let via: Via;
    let port: number | undefined;
    const question = f['dns.question.name'];
    const urlDomain = f['url.domain'];
    if (typeof question === 'string' && question !== '') {
      if (f['dns.type'] === 'answer') return undefined;
      destination = normaliseDomain(question);
      via = 'dns';
    } else if (typeof urlDomain === 'string' && urlDomain !== '') {
      destination = normaliseDomain(urlDomain);
      via = 'web';
      port = portOf(f['destination.port']) ?? portOf(f['url.port']);
    } else {
      const ip = f['destination.ip'];
      if (typeof ip !== 'string' || ip === '') return undefined;
      destination = ip;
      kind = 'ip';
      via = 'connection';
      port = portOf(f['destination.port']);
    }
    if (destination === '') return undefined;
    if (!this.#internal.has(source)) return undefined;

    const tenant = event.tenant;
    const mark = Math.min(time, event.received);
    if (!((this.#watermark.get(tenant) ?? -Infinity) >= mark)) this.#watermark.set(tenant, mark);

    const key = tenant + '\u0001' + source + '\u0001' + destination + '\u0001' + (port ?? '');
    let pair = this.#pairs.get(key);
    if (!pair) {
      if (kind === 'domain' && isIpText(destination)) kind = 'ip';
      if (!this.#external(destination, kind)) return undefined;
      pair = new Pair(key, tenant, source, destination, kind, port, via);
      this.#insert(pair);
    }
    pair.touched = true;
    if (!pair.allowed && pair.kind === 'ip' && this.#allowDomains.size > 0 && this.#namesAllowed(f)) pair.allowed = true;
    if (pair.allowed) {
      if (time > pair.newest) pair.newest = time; // keeps the marker until the pair is idle
      return undefined;
    }
    this.stats.connections++;

    if (time < pair.newest - this.#windowMs) {
      this.stats.late++;
      return undefined;
    }
    const bytes = bytesOf(f);
    const sourcePort = portOf(f['source.port']) ?? -1;
    const same = pair.findSame(time, sourcePort);
    if (same >= 0) {
      this.stats.merged++;
      pair.completeBytes(same, bytes);
      return undefined;
    }
    pair.push(time, bytes, sourcePort, event.id, this.#perPair);
    pair.prune(pair.newest - this.#windowMs);
    pair.pending++;

    if (pair.size < this.#minConnections) return undefined;
    if (pair.pending < Math.max(1, Math.ceil(pair.size * this.#rescoreFraction))) return undefined;
    if (pair.alertedAt + this.#windowMs > pair.newest) return undefined; // alerted in this window
    pair.pending = 0;
    return this.#score(pair);
  }

  /**
   * Diagnostics (not the hot path: scores every pair): the pairs with at least
   * `minConnections` connections in their window, best score first.
   */
  topPairs(limit = 20): BeaconPairSummary[] {
    const out: BeaconPairSummary[] = [];
    for (const pair of this.#pairs.values()) {
      if (pair.allowed || pair.size < this.#minConnections) continue;
      const n = this.#collect(pair);
      const r = scoreBeacon(this.#scratchTimes.subarray(0, n), this.#scratchSizes.subarray(0, n), { minConnections: this.#minConnections });
      out.push({
        tenant: pair.tenant,
        source: pair.source,
        destination: pair.destination,
        port: pair.port,
        connections: n,
        checkIns: r.checkIns,
        score: r.scored ? round3(r.score) : null,
        ...(r.scored ? {} : { notScored: r.reason }),
        medianIntervalSeconds: r.scored ? seconds(r.intervals.median) : r.medianIntervalMs !== undefined ? seconds(r.medianIntervalMs) : null,
        alerted: pair.alertedAt > -Infinity,
      });
    }
    out.sort((x, y) => (y.score ?? -1) - (x.score ?? -1) || y.connections - x.connections);
    return out.slice(0, limit);
  }

  /** Copies the pair's connections within its window into the scratch arrays; returns how many. */
  #collect(pair: Pair): number {
    const from = pair.newest - this.#windowMs;
    let n = 0;
    for (let i = 0; i < pair.size; i++) {
      const s = pair.slot(i);
      const t = pair.time(s);
      if (t < from) continue;
      this.#scratchTimes[n] = t;
      this.#scratchSizes[n] = pair.bytes(s);
      n++;
    }
    return n;
  }

  #score(pair: Pair): AlertRecord | undefined {
    const n = this.#collect(pair);
    this.stats.scored++;
    const result = scoreBeacon(this.#scratchTimes.subarray(0, n), this.#scratchSizes.subarray(0, n), { minConnections: this.#minConnections });
    if (!result.scored || result.score < this.#threshold) return undefined;
    pair.alertedAt = pair.newest;
    this.stats.alerts++;
    return this.#alert(pair, result);
  }

  #alert(pair: Pair, r: BeaconScore): AlertRecord {
    const destinationLabel = pair.kind === 'ip' && pair.destination.includes(':') ? `[${pair.destination}]` : pair.destination;
    const where = pair.port === undefined ? destinationLabel : `${destinationLabel}:${pair.port}`;
    const entities: Record<string, FieldValue> = { 'source.ip': pair.source };
    entities[pair.kind === 'ip' ? 'destination.ip' : 'destination.domain'] = pair.destination;
    if (pair.port !== undefined) entities['destination.port'] = pair.port;
    const tags = ['attack.command-and-control', 'attack.t1071'];
    if (pair.via === 'dns') tags.push('attack.t1071.004');
    if (pair.via === 'web') tags.push('attack.t1071.001');
    const ids = pair.recentIds(IDS_KEPT);
    const period = seconds(r.intervals.median);
    const what = pair.via === 'dns' ? 'looked up' : 'connected to';
    const description =
      `${pair.source} ${what} ${where} ${r.checkIns} times over ${duration(r.spanMs)}, every ${period} s (median; ` +
      `median absolute deviation ${seconds(r.intervals.mad)} s${r.sizes ? `, ${Math.round(r.sizes.median)} bytes sent per connection (MAD ${Math.round(r.sizes.mad)})` : ''}). ` +
      'Connections this regular are typical of malware checking in with its command-and-control server, ' +
      'but also of legitimate software that polls (updates, telemetry, monitoring agents, NTP, VPN or chat keep-alives). ' +
      `What to do: find the process on ${pair.source} that makes these connections (EDR or Sysmon network events, netstat/ss on the host); ` +
      `look up who owns ${pair.destination} and its reputation, and whether other hosts contact it; ` +
      'if it is legitimate, add it to the beacon allowlist; if not, isolate the host, block the destination and investigate how the program got there.';
    const details: Record<string, unknown> = {
      kind: 'behaviour',
      behaviour: 'beacon',
      score: round3(r.score),
      parts: {
        interval: round3(r.parts.interval),
        intervalSymmetry: round3(r.parts.intervalSymmetry),
        intervalDispersion: round3(r.parts.intervalDispersion),
        size: nullableRound3(r.parts.size),
        sizeSymmetry: nullableRound3(r.parts.sizeSymmetry),
        sizeDispersion: nullableRound3(r.parts.sizeDispersion),
        count: round3(r.parts.count),
      },
      weights: r.weights,
      connections: r.connections,
      checkIns: r.checkIns,
      interval: {
        medianSeconds: seconds(r.intervals.median),
        madSeconds: seconds(r.intervals.mad),
        q1Seconds: seconds(r.intervals.q1),
        q3Seconds: seconds(r.intervals.q3),
        skew: round3(r.intervals.skew),
      },
      bytes: r.sizes ? { median: r.sizes.median, mad: r.sizes.mad, skew: round3(r.sizes.skew), connections: r.sizes.count } : null,
      spanSeconds: seconds(r.spanMs),
      firstSeen: new Date(r.first).toISOString(),
      lastSeen: new Date(r.last).toISOString(),
      destination: where,
      via: pair.via,
      windowHours: this.#windowMs / 3_600_000,
      threshold: this.#threshold,
      entities,
      tags,
      description,
      eventIdsTruncated: r.connections > ids.length,
      time: new Date(r.last).toISOString(),
    };
    return {
      id: newId(),
      tenant: pair.tenant,
      created: this.#now(),
      ruleId: BEACON_RULE_ID,
      ruleTitle: BEACON_RULE_TITLE,
      ruleAuthor: 'Vigil',
      level: r.score >= 0.9 ? 'high' : 'medium',
      eventIds: ids,
      state: 'new',
      details,
    };
  }

  /** Whether a destination is on the internet, not internal and not allowlisted. */
  #external(destination: string, kind: 'ip' | 'domain'): boolean {
    if (kind === 'ip') {
      const a = parseIp(destination);
      if (!a) return false;
      return !this.#internal.hasAddress(a) && !this.#notRouted.hasAddress(a) && !this.#allowNets.hasAddress(a);
    }
    if (!destination.includes('.')) return false; // single-label names resolve locally
    return !this.#internalDomains.has(destination) && !this.#allowDomains.has(destination);
  }

  /** Server names an address-keyed record carries, against the domain allowlist. */
  #namesAllowed(f: Fields): boolean {
    for (const k of ['tls.client.server_name', 'destination.domain', 'server.domain']) {
      const v = f[k];
      if (typeof v === 'string' && v !== '' && this.#allowDomains.has(normaliseDomain(v))) return true;
    }
    return false;
  }

  /** Keeps a new pair: in a free slot, a new one, or the slot of the pair the clock evicts. */
  #insert(pair: Pair): void {
    let slot = this.#freeSlots.pop();
    if (slot === undefined) {
      if (this.#slots.length < this.#maxPairs) {
        slot = this.#slots.length;
        this.#slots.push(undefined);
      } else slot = this.#evictOne();
    }
    this.#slots[slot] = pair;
    this.#pairs.set(pair.key, pair);
  }

  /**
   * Second-chance clock over the (full) slot table: clears the mark of recently touched pairs,
   * evicts the first unmarked one and returns its slot. Each pass clears every mark, so it ends.
   */
  #evictOne(): number {
    const slots = this.#slots;
    for (;;) {
      const i = this.#hand;
      this.#hand = i + 1 === slots.length ? 0 : i + 1;
      const pair = slots[i];
      if (pair === undefined) return i;
      if (pair.touched) {
        pair.touched = false;
        continue;
      }
      this.#pairs.delete(pair.key);
      slots[i] = undefined;
      this.stats.evicted++;
      return i;
    }
  }

  /** Drops pairs without an event for a whole window (by their tenant's event time). */
  #sweep(): void {
    this.#sinceSweep = 0;
    const slots = this.#slots;
    for (let i = 0; i < slots.length; i++) {
      const pair = slots[i];
      if (pair === undefined) continue;
      const mark = this.#watermark.get(pair.tenant) ?? -Infinity;
      if (pair.newest < mark - this.#windowMs) {
        this.#pairs.delete(pair.key);
        slots[i] = undefined;
        this.#freeSlots.push(i);
        this.stats.expired++;
      }
    }
  }
}

function positive(n: number, name: string): number {
  if (!(n > 0) || !Number.isFinite(n)) throw new Error(`beacon detector: ${name} must be a positive number, not ${n}`);
  return n;
}

function portOf(v: FieldValue | undefined): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v !== '' ? Number(v) : NaN;
  return Number.isInteger(n) && n >= 0 && n <= 65535 ? n : undefined;
}

/** Bytes the source sent (else the connection's total, else what it received); NaN when unknown. */
function bytesOf(f: Fields): number {
  for (const k of ['source.bytes', 'network.bytes', 'destination.bytes', 'http.request.bytes']) {
    const v = f[k];
    const n = typeof v === 'number' ? v : typeof v === 'string' && v !== '' ? Number(v) : NaN;
    if (Number.isFinite(n) && n >= 0) return n;
  }
  return NaN;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function nullableRound3(x: number | null): number | null {
  return x === null ? null : round3(x);
}

function seconds(ms: number): number {
  return Math.round(ms) / 1000;
}

function duration(ms: number): string {
  const s = ms / 1000;
  if (s < 120) return `${Math.round(s)} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}
