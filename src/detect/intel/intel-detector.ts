/**
 * Threat-intelligence matching: the detector stage that raises an alert when an event names
 * an address, host name, URL or file hash a loaded feed lists as bad.
 *
 * Fields read, ECS names first and the native names parsers keep beside them:
 * - addresses: `destination.ip`, `server.ip`, `dns.resolved_ip`, `DestinationIp`, `DestAddress`,
 *   `destination.nat.ip`, `source.ip`, `client.ip`, `SourceIp`, `SourceAddress`, `IpAddress`,
 *   `source.nat.ip`, `related.ip`; `destination.address`/`source.address` and DNS answers
 *   (`dns.answers.data`, Sysmon's `QueryResults`) as address or name, whichever they are;
 * - host names: `dns.question.name`, `QueryName`, `url.domain`, `destination.domain`,
 *   `DestinationHostname`, `server.domain`, `tls.client.server_name`, and the host of any URL;
 * - URLs: `url.full`, `url.original` (a path alone is joined to `url.domain`);
 * - hashes: `file.hash.*`, `process.hash.*`, `process.parent.hash.*`, `dll.hash.*` (MD5, SHA-1,
 *   SHA-256) and Sysmon's `Hashes`/`Hash` (`SHA1=…,MD5=…,SHA256=…,IMPHASH=…`; IMPHASH is not
 *   a file hash and is not matched).
 *
 * One alert per (event, indicator): the same indicator seen in two fields of one event is one
 * alert, naming the first field in the order above. Rule ids are stable per indicator type
 * (`vigil-intel-ipv4`, `vigil-intel-domain`, …); the level comes from the indicator's
 * confidence (≥70 high, ≥40 medium, else low; none given: high).
 *
 * Expiry is judged at the event's time, capped at now (see indicator-index.ts), so replayed or
 * imported events are matched against what was listed when they happened.
 *
 * Indicator files are checked every `reloadSeconds` (paths, sizes, modification times); when
 * one changed the whole set is loaded again, yielding to the event loop, and swapped in. A
 * reload that loads no indicators while the current set has some keeps the current set (a
 * feed caught half-written, or emptied by a failed download, should not switch matching off).
 */
import type { Event, FieldValue } from '../../core/event.js';
import { newId } from '../../core/ids.js';
import type { Metrics } from '../../core/metrics.js';
import type { Detector } from '../../core/stage.js';
import type { AlertRecord } from '../../core/store.js';
import { entitiesOf } from '../sigma-detector.js';
import { levelOf, parseIp, parseUrl, type Indicator, type IndicatorType } from './indicator.js';
import { DEFAULT_TTL_DAYS, indicatorFingerprint, loadIndicatorFiles, type IndicatorFileReport } from './indicator-files.js';
import { IndicatorIndex } from './indicator-index.js';
import type { IntelRetroHunter } from './intel-retro-hunt.js';

export interface IntelDetectorOptions {
  /** Indicator files and folders (see indicator-files.ts for the formats). */
  readonly paths: readonly string[];
  /** Days an indicator without an expiry of its own stays valid after its file was modified; 0: forever. */
  readonly defaultTtlDays: number;
  /** 0: never reload. */
  readonly reloadSeconds: number;
  /** Larger indicator files are reported and not read (default 256 MiB). */
  readonly maxFileBytes?: number;
  readonly metrics?: Metrics;
  readonly log?: { info(o: object, m: string): void; warn(o: object, m: string): void };
  /** Searches stored events for indicators not hunted before, after each load (intel-retro-hunt.ts). */
  readonly retro?: Pick<IntelRetroHunter, 'hunt' | 'stop'> | undefined;
}

/** An indicator found in an event: what matched, in which field, as the event wrote it. */
export interface IntelMatch {
  readonly indicator: Indicator;
  readonly field: string;
  readonly observed: string;
}

export type FieldKind = 'ip' | 'domain' | 'url' | 'hash' | 'address' | 'sysmon-hashes' | 'query-results';

export interface FieldSpec {
  readonly field: string;
  readonly kind: FieldKind;
  /** The value is where the event's host went (or asked about), not where it came from. */
  readonly outbound: boolean;
}

const spec = (kind: FieldKind, outbound: boolean, ...fields: string[]): FieldSpec[] => fields.map((field) => ({ field, kind, outbound }));

/** The fields read, in the order that names a match (ECS first). */
export const INTEL_FIELDS: readonly FieldSpec[] = [
  ...spec('ip', true, 'destination.ip', 'server.ip', 'dns.resolved_ip', 'DestinationIp', 'DestAddress', 'destination.nat.ip'),
  ...spec('ip', false, 'source.ip', 'client.ip', 'SourceIp', 'SourceAddress', 'IpAddress', 'source.nat.ip', 'related.ip'),
  ...spec('address', true, 'destination.address', 'dns.answers.data'),
  ...spec('address', false, 'source.address'),
  ...spec('query-results', true, 'QueryResults'),
  ...spec('domain', true, 'dns.question.name', 'QueryName', 'url.domain', 'destination.domain', 'DestinationHostname', 'server.domain', 'tls.client.server_name'),
  ...spec('url', true, 'url.full', 'url.original'),
  ...spec('hash', false,
    'file.hash.sha256', 'file.hash.sha1', 'file.hash.md5',
    'process.hash.sha256', 'process.hash.sha1', 'process.hash.md5',
    'process.parent.hash.sha256', 'process.parent.hash.sha1', 'process.parent.hash.md5',
    'dll.hash.sha256', 'dll.hash.sha1', 'dll.hash.md5'),
  ...spec('sysmon-hashes', false, 'Hashes', 'Hash'),
];

const FIELD_INDEX = new Map(INTEL_FIELDS.map((f, i) => [f.field, i]));

const TITLES: Record<IndicatorType, string> = {
  ipv4: 'Known-bad IP address (threat intelligence)',
  ipv6: 'Known-bad IP address (threat intelligence)',
  cidr: 'Address in a known-bad network (threat intelligence)',
  domain: 'Known-bad domain (threat intelligence)',
  url: 'Known-bad URL (threat intelligence)',
  md5: 'Known-bad file hash (threat intelligence)',
  sha1: 'Known-bad file hash (threat intelligence)',
  sha256: 'Known-bad file hash (threat intelligence)',
};

const NETWORK_TYPES = new Set<IndicatorType>(['ipv4', 'ipv6', 'cidr', 'domain', 'url']);

/** Hashes out of Sysmon's `SHA1=…,MD5=…,SHA256=…,IMPHASH=…` (or a bare hex digest). */
export function sysmonHashes(text: string): string[] {
  if (text.length > 1024) return [];
  const out: string[] = [];
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    const name = eq < 0 ? '' : part.slice(0, eq).trim().toUpperCase();
    const value = (eq < 0 ? part : part.slice(eq + 1)).trim();
    if (name === 'IMPHASH') continue;
    if (value.length === 32 || value.length === 40 || value.length === 64) out.push(value);
  }
  return out;
}

/** Names and addresses out of Sysmon's DNS `QueryResults` (`type:  5 cdn.example;::ffff:192.0.2.7;`). */
function queryResults(text: string): string[] {
  if (text.length > 8192) return [];
  const out: string[] = [];
  for (const part of text.split(';')) {
    const item = part.trim().replace(/^type:\s*\d+\s+/, '');
    if (item !== '') out.push(item);
  }
  return out;
}

/** One event's matching: what the index has, and what was found so far. */
class EventMatch {
  readonly ip: boolean;
  readonly domain: boolean;
  readonly url: boolean;
  readonly hash: boolean;
  found: Map<string, IntelMatch> | undefined;

  constructor(
    readonly index: IndicatorIndex,
    readonly fields: Event['fields'],
    readonly at: number,
  ) {
    this.ip = index.has('ip');
    this.domain = index.has('domain');
    this.url = index.has('url');
    this.hash = index.has('hash');
  }

  record(hits: readonly Indicator[], field: string, observed: string): void {
    for (const indicator of hits) {
      const key = `${indicator.type}\0${indicator.value}`;
      this.found ??= new Map();
      if (!this.found.has(key)) this.found.set(key, { indicator, field, observed });
    }
  }

  /** A value that is an address or a host name, whichever it is. */
  host(value: string, field: string): void {
    if (parseIp(value)) {
      if (this.ip) this.record(this.index.match(value, 'ip', this.at), field, value);
    } else if (this.domain) this.record(this.index.match(value, 'domain', this.at), field, value);
  }

  value(kind: FieldKind, field: string, value: string): void {
    if (value === '' || value === '-') return;
    switch (kind) {
      case 'ip':
        if (this.ip) this.record(this.index.match(value, 'ip', this.at), field, value);
        return;
      case 'domain':
      case 'address':
        if (this.ip || this.domain) this.host(value, field);
        return;
      case 'query-results':
        if (this.ip || this.domain) for (const item of queryResults(value)) this.host(item, field);
        return;
      case 'url': {
        if (!this.url && !this.ip && !this.domain) return;
        let full = value;
        if (value.startsWith('/')) {
          const h = this.fields['url.domain'] ?? this.fields['destination.domain'];
          if (typeof h !== 'string' || h === '') return;
          full = `${h}${value}`;
        }
        if (this.url) this.record(this.index.match(full, 'url', this.at), field, value);
        if (this.ip || this.domain) {
          const u = parseUrl(full, true);
          if (u) this.host(u.host.startsWith('[') ? u.host.slice(1, -1) : u.host, field);
        }
        return;
      }
      case 'hash':
        if (this.hash) this.record(this.index.match(value, 'hash', this.at), field, value);
        return;
      case 'sysmon-hashes':
        if (this.hash) for (const h of sysmonHashes(value)) this.record(this.index.match(h, 'hash', this.at), field, h);
        return;
    }
  }
}

/**
 * Every indicator an event matches, one per indicator (see the module comment). `now` caps
 * the event time used for expiry. Usable on stored events: retro-matching runs this with a
 * new index.
 */
export function matchEvent(index: IndicatorIndex, event: Event, now: number = Date.now()): IntelMatch[] {
  if (index.size === 0) return [];
  const fields = event.fields;
  // Walk the event's own fields (a few dozen) rather than probing for every field read.
  let present: number[] | undefined;
  for (const key in fields) {
    const i = FIELD_INDEX.get(key);
    if (i !== undefined) (present ??= []).push(i);
  }
  if (!present) return [];
  if (present.length > 1) present.sort((a, b) => a - b);
  const m = new EventMatch(index, fields, Number.isFinite(event.time) ? Math.min(event.time, now) : now);
  for (const i of present) {
    const { field, kind } = INTEL_FIELDS[i]!;
    const raw = fields[field];
    if (typeof raw === 'string') m.value(kind, field, raw);
    else if (Array.isArray(raw)) for (const v of raw) if (typeof v === 'string') m.value(kind, field, v);
  }
  return m.found ? [...m.found.values()] : [];
}

const SOURCE_SIDE = new Set(INTEL_FIELDS.filter((f) => !f.outbound).map((f) => f.field));

/** The alert for one match, in the event's tenant. */
export function intelAlert(event: Event, match: IntelMatch, created: number = Date.now()): AlertRecord {
  const i = match.indicator;
  const network = NETWORK_TYPES.has(i.type);
  const tags = network && !SOURCE_SIDE.has(match.field) ? ['attack.command_and_control'] : [];
  const host = event.fields['host.name'];
  const user = event.fields['user.name'];
  return {
    id: newId(created),
    tenant: event.tenant,
    created,
    ruleId: `vigil-intel-${i.type}`,
    ruleTitle: TITLES[i.type],
    ruleAuthor: 'Vigil',
    level: levelOf(i.confidence),
    eventIds: [event.id],
    state: 'new',
    details: {
      kind: 'intel',
      indicator: {
        type: i.type,
        value: i.value,
        source: i.source,
        description: i.description,
        confidence: i.confidence,
        expires: i.expires === undefined ? undefined : new Date(i.expires).toISOString(),
        added: new Date(i.added).toISOString(),
        reference: i.reference,
      },
      field: match.field,
      observed: match.observed,
      host: typeof host === 'string' ? host : undefined,
      user: typeof user === 'string' ? user : undefined,
      entities: entitiesOf(event.fields),
      tags,
      time: new Date(event.time).toISOString(),
    },
  };
}

/** Indicators listing a bare value (an entity of an alert): tried as an address, a hash, a domain. */
export function indicatorsFor(index: IndicatorIndex, value: string, now: number = Date.now()): Indicator[] {
  const v = value.trim();
  if (v === '' || v.length > 2048) return [];
  if (parseIp(v)) return index.match(v, 'ip', now);
  if (/^[0-9a-f]{32}$|^[0-9a-f]{40}$|^[0-9a-f]{64}$/i.test(v)) return index.match(v.toLowerCase(), 'hash', now);
  if (v.includes('/')) return index.match(v, 'url', now);
  if (v.includes('.')) return index.match(v, 'domain', now);
  return [];
}

export interface IntelStats {
  readonly indicators: number;
  readonly byType: Readonly<Record<IndicatorType, number>>;
  readonly files: readonly IndicatorFileReport[];
}

export class IntelDetector implements Detector {
  readonly name = 'intel';
  #index: IndicatorIndex;
  #files: readonly IndicatorFileReport[];
  #fingerprint: string;
  #timer: NodeJS.Timeout | undefined;
  #reloading = false;

  private constructor(
    private readonly options: IntelDetectorOptions,
    index: IndicatorIndex,
    files: readonly IndicatorFileReport[],
    fingerprint: string,
  ) {
    this.#index = index;
    this.#files = files;
    this.#fingerprint = fingerprint;
  }

  static async open(options: IntelDetectorOptions): Promise<IntelDetector> {
    const fingerprint = indicatorFingerprint(options.paths);
    const { index, files, indicators } = await load(options);
    const detector = new IntelDetector(options, index, files, fingerprint);
    detector.#report('intel indicators loaded');
    detector.#retroHunt(indicators);
    if (options.reloadSeconds > 0) {
      detector.#timer = setInterval(() => void detector.reload(), options.reloadSeconds * 1000);
      detector.#timer.unref();
    }
    return detector;
  }

  /** The current index: read-only, replaced whole on reload; hold it to retro-match with `matchEvent`. */
  get index(): IndicatorIndex {
    return this.#index;
  }

  get stats(): IntelStats {
    return { indicators: this.#index.size, byType: { ...this.#index.counts }, files: this.#files };
  }

  detect(batch: readonly Event[]): AlertRecord[] {
    const index = this.#index;
    if (index.size === 0) return [];
    const started = performance.now();
    const now = Date.now();
    const alerts: AlertRecord[] = [];
    for (const event of batch) {
      for (const match of matchEvent(index, event, now)) {
        const alert = intelAlert(event, match, now);
        this.options.metrics?.detections.inc({ kind: 'intel', level: alert.level });
        alerts.push(alert);
      }
    }
    this.options.metrics?.detectSeconds.observe((performance.now() - started) / 1000);
    return alerts;
  }

  /** Loads the indicator files again if one was added, removed or changed. Returns whether it swapped. */
  async reload(force = false): Promise<boolean> {
    if (this.#reloading) return false;
    this.#reloading = true;
    try {
      const fingerprint = indicatorFingerprint(this.options.paths);
      if (!force && fingerprint === this.#fingerprint) return false;
      const { index, files, indicators } = await load(this.options);
      if (index.size === 0 && this.#index.size > 0) {
        this.options.log?.warn({ files: files.length }, 'intel reload loaded no indicators; keeping the previous set');
        return false;
      }
      this.#index = index;
      this.#files = files;
      this.#fingerprint = fingerprint;
      this.#report('intel indicators reloaded');
      this.#retroHunt(indicators);
      return true;
    } catch (error) {
      this.options.log?.warn({ err: error }, 'intel reload failed; keeping the previous set');
      return false;
    } finally {
      this.#reloading = false;
    }
  }

  close(): void {
    if (this.#timer) clearInterval(this.#timer);
  }

  /** Stops a retro-hunt in progress (between two batches); call before closing the store. */
  async stopHunting(): Promise<void> {
    await this.options.retro?.stop();
  }

  /** The last retro-hunt started (resolves when it has run); for tests and shutdown. */
  get retroHunt(): Promise<unknown> {
    return this.#lastHunt;
  }

  #lastHunt: Promise<unknown> = Promise.resolve();

  #retroHunt(indicators: readonly Indicator[]): void {
    const retro = this.options.retro;
    if (!retro || indicators.length === 0) return;
    this.#lastHunt = retro.hunt(indicators, Date.now()).catch((error: unknown) => this.options.log?.warn({ err: error }, 'intel retro-hunt failed; the indicators stay live'));
  }

  #report(message: string): void {
    const sum = (k: 'expired' | 'skipped' | 'invalid') => this.#files.reduce((n, f) => n + f[k], 0);
    this.options.log?.info(
      { indicators: this.#index.size, byType: this.#index.counts, files: this.#files.length, expired: sum('expired'), skipped: sum('skipped'), invalid: sum('invalid') },
      message,
    );
    for (const f of this.#files) {
      if (f.problems.length > 0) this.options.log?.warn({ file: f.file, format: f.format, invalid: f.invalid, skipped: f.skipped, problems: f.problems }, 'intel file problems');
    }
  }
}

async function load(options: IntelDetectorOptions): Promise<{ index: IndicatorIndex; files: IndicatorFileReport[]; indicators: Indicator[] }> {
  const { indicators, files } = await loadIndicatorFiles(options.paths, {
    defaultTtlDays: options.defaultTtlDays ?? DEFAULT_TTL_DAYS,
    ...(options.maxFileBytes === undefined ? {} : { maxFileBytes: options.maxFileBytes }),
  });
  const index = new IndicatorIndex();
  for (let n = 0; n < indicators.length; n++) {
    index.add(indicators[n]!);
    if (n % 50_000 === 49_999) await new Promise<void>((r) => setImmediate(r));
  }
  return { index, files, indicators };
}
