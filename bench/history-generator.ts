/**
 * Event history for the `history` benchmark: real corpus records, parsed by Vigil's own file
 * import path (`FileRecordMapper`, what `vigil ingest` runs), replicated to millions of events
 * spread over a month, as a live store would have received them.
 *
 * Every corpus record becomes a template. The values that differ from one real event to the
 * next — host, user, source and destination address, source port, timestamps — are found in
 * the parsed fields and located in the original text (and in every string field, e.g. the
 * message); each generated event then gets new values, written consistently into the original,
 * the fields and the event time, so field search, free-text search and bytes on disk see
 * realistic variety. Everything comes from one seeded PRNG: the same seed and count give the
 * same events, ids included.
 *
 * Streaming: `historyBatches` yields one batch at a time, nothing else is held.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Event, EventFlag, EventFormat, EventSource, FieldValue, Fields } from '../src/core/event.js';
import { jsonRecordMapping } from '../src/parsers/json/index.js';
import { DEFAULT_MAX_FIELDS_PER_EVENT } from '../src/sources/http/ingest-context.js';
import { FileRecordMapper } from '../src/sources/file/file-records.js';
import { SeededRandom } from '../test/support/seeded-random.js';

/** Bump when the generated events change: a cached database of another version is rebuilt. */
export const GENERATOR_VERSION = 1;

// ---- deterministic randomness ---------------------------------------------------------------

/** A seeded PRNG as a function (the shared mulberry32 of test/support), so every run picks the same values. */
function seededRandom(seed: number): () => number {
  const random = new SeededRandom(seed);
  return () => random.next();
}

/** A 32-bit integer hash (lowbias32): the n-th pool entry without storing the pool. */
function hash32(n: number): number {
  let x = n >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/**
 * A skewed pick from a pool of `size`: low indices are common, high ones rare (P(index < k) =
 * (k/size)^(1/skew)), like real traffic where a few hosts, users and scanners dominate.
 */
function skewed(random: () => number, size: number, skew: number): number {
  return Math.min(size - 1, Math.floor(size * random() ** skew));
}

// ---- value pools ----------------------------------------------------------------------------

export const POOLS = { hosts: 2000, users: 5000, sourceIps: 200_000, destinationIps: 5000 } as const;

const HOST_ROLES = ['web', 'db', 'app', 'mail', 'dc', 'fs', 'build', 'vpn', 'proxy', 'ws', 'lab', 'k8s-node'];
const HOST_DOMAINS = ['corp.example.com', 'prod.example.net', 'dmz.example.org', 'lab.example.io'];
const FIRST = ['james', 'mary', 'john', 'patricia', 'robert', 'jennifer', 'michael', 'linda', 'william', 'elizabeth', 'david', 'barbara',
  'richard', 'susan', 'joseph', 'jessica', 'thomas', 'sarah', 'charles', 'karen', 'chris', 'nancy', 'daniel', 'lisa', 'matthew', 'betty',
  'anthony', 'margaret', 'mark', 'sandra', 'omar', 'yuki', 'ingrid', 'pedro', 'amara', 'lars', 'chen', 'fatima', 'raj', 'olga'];
const LAST = ['smith', 'johnson', 'williams', 'brown', 'jones', 'garcia', 'miller', 'davis', 'rodriguez', 'martinez', 'hernandez',
  'lopez', 'gonzalez', 'wilson', 'anderson', 'thomas', 'taylor', 'moore', 'jackson', 'martin', 'lee', 'perez', 'thompson', 'white',
  'harris', 'sanchez', 'clark', 'ramirez', 'lewis', 'robinson', 'walker', 'young', 'allen', 'king', 'wright', 'scott', 'torres',
  'nguyen', 'hill', 'flores', 'green', 'adams', 'nelson', 'baker', 'hall', 'rivera', 'campbell', 'mitchell', 'carter', 'roberts'];
const SERVICE_USERS = ['svc-backup', 'svc-sql', 'svc-deploy', 'jenkins', 'ansible', 'nagios', 'postgres', 'www-data', 'git', 'oracle'];

/** Host `i` of the pool: short names for syslog senders, FQDNs look the same but are lower case. */
export function hostName(i: number): string {
  const h = hash32(i + 0x1000);
  const role = HOST_ROLES[h % HOST_ROLES.length] as string;
  const domain = HOST_DOMAINS[(h >>> 8) % HOST_DOMAINS.length] as string;
  return `${role}-${String(i).padStart(4, '0')}.${domain}`;
}

export function userName(i: number): string {
  if (i < SERVICE_USERS.length) return SERVICE_USERS[i] as string;
  const h = hash32(i + 0x2000);
  const first = FIRST[h % FIRST.length] as string;
  const last = LAST[(h >>> 8) % LAST.length] as string;
  // The index keeps the 5,000 names distinct.
  return `${first}.${last}${i}`;
}

/** Source address `i`: 40% private (10/8, 172.16/12, 192.168/16), 60% public unicast. */
export function sourceIp(i: number): string {
  const h = hash32(i + 0x3000);
  const g = hash32(i + 0x3001);
  const kind = h % 10;
  const b = (g >>> 16) & 255;
  const c = (g >>> 8) & 255;
  const d = 1 + (g % 254);
  if (kind < 2) return `10.${b}.${c}.${d}`;
  if (kind < 3) return `172.${16 + (b & 15)}.${c}.${d}`;
  if (kind < 4) return `192.168.${c}.${d}`;
  // Public: first octet 1-223 without 10, 127, 172, 192 (a rough unicast filter).
  let a = 1 + ((h >>> 8) % 223);
  if (a === 10 || a === 127 || a === 172 || a === 192 || a === 100 || a === 169) a += 1;
  return `${a}.${b}.${c}.${d}`;
}

/** Destination `i`: servers, mostly in the data centre (10.47/16), some public. */
export function destinationIp(i: number): string {
  const h = hash32(i + 0x4000);
  if (h % 5 === 0) return sourceIp(POOLS.sourceIps + i);
  return `10.47.${(h >>> 8) & 255}.${1 + ((h >>> 16) % 254)}`;
}

// ---- templates ------------------------------------------------------------------------------

type SlotKind = 'host' | 'user' | 'srcip' | 'dstip' | 'srcport';
type TimeStyle = 'bsd' | 'iso' | 'clf' | 'epoch';

interface EntitySlot {
  readonly kind: SlotKind;
  readonly from: string;
}

interface TimeSlot {
  readonly kind: 'time';
  readonly from: string;
  readonly style: TimeStyle;
  /** Template text of the match, kept for rendering the same shape. */
  readonly shape: RegExpExecArray;
  /** Offset of this timestamp from the record's first one, ms. */
  readonly deltaMs: number;
  /** Minutes east of UTC written in the text (0 when none). */
  readonly offsetMin: number;
}

type Slot = EntitySlot | TimeSlot;
/** A text with holes: literal strings and slot indexes. */
type Parts = readonly (string | number)[];

export interface Template {
  readonly group: string;
  readonly format: EventFormat;
  readonly source: EventSource;
  readonly flags: readonly EventFlag[];
  readonly slots: readonly Slot[];
  readonly original: Parts;
  /** Fields with no slot in them, shared by every copy. */
  readonly fixedFields: Fields;
  /** Fields whose text (or number) holds a slot. */
  readonly slotFields: readonly (readonly [string, Parts | { readonly slot: number }])[];
}

/** Accounts that are the same everywhere: not replaced by pool users. */
const FIXED_USERS = new Set(['root', 'system', 'local service', 'network service', 'anonymous logon', 'administrator', 'guest', '-', 'nobody']);
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const TIME_PATTERNS: ReadonlyArray<{ readonly style: TimeStyle; readonly re: RegExp }> = [
  { style: 'bsd', re: /^([A-Z][a-z]{2}) ([ \d]\d) (\d\d):(\d\d):(\d\d)/g },
  { style: 'iso', re: /(\d{4})-(\d\d)-(\d\d)([T ])(\d\d):(\d\d):(\d\d)(\.\d{1,9})?(Z|[+-]\d\d:?\d\d)?/g },
  { style: 'clf', re: /(\d\d)\/([A-Z][a-z]{2})\/(\d{4}):(\d\d):(\d\d):(\d\d) ([+-]\d{4})/g },
  { style: 'epoch', re: /(?<![\d.])(1[3-7]\d{8})\.(\d{3,6})(?![\d.])/g },
];

function offsetMinutes(text: string | undefined): number {
  if (text === undefined || text === 'Z') return 0;
  const m = /^([+-])(\d\d):?(\d\d)$/.exec(text);
  if (!m) return 0;
  const minutes = Number(m[2]) * 60 + Number(m[3]);
  return m[1] === '-' ? -minutes : minutes;
}

/** The instant a matched timestamp stands for, ms; NaN when it is no valid time. */
function parseTime(style: TimeStyle, m: RegExpExecArray, year: number): number {
  const n = (i: number) => Number(m[i]);
  switch (style) {
    case 'bsd':
      return Date.UTC(year, MONTHS.indexOf(m[1] as string), Number((m[2] as string).trim()), n(3), n(4), n(5));
    case 'iso': {
      const fraction = m[8] === undefined ? 0 : Math.floor(Number(`0${m[8]}`) * 1000);
      return Date.UTC(n(1), n(2) - 1, n(3), n(5), n(6), n(7), fraction) - offsetMinutes(m[9]) * 60_000;
    }
    case 'clf':
      return Date.UTC(n(3), MONTHS.indexOf(m[2] as string), n(1), n(4), n(5), n(6)) - offsetMinutes(m[7]) * 60_000;
    case 'epoch':
      return Math.floor(Number(`${m[1]}.${m[2]}`) * 1000);
  }
}

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

/** `ms` written in the shape of the template's timestamp (same precision, separator and zone). */
function renderTime(slot: TimeSlot, ms: number): string {
  const m = slot.shape;
  const local = new Date(ms + slot.offsetMin * 60_000);
  const Y = local.getUTCFullYear();
  const M = local.getUTCMonth();
  const D = local.getUTCDate();
  const hms = `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}`;
  switch (slot.style) {
    case 'bsd':
      return `${MONTHS[M]} ${String(D).padStart(2, ' ')} ${hms}`;
    case 'iso': {
      const digits = m[8] === undefined ? 0 : m[8].length - 1;
      const fraction = digits === 0 ? '' : `.${pad(local.getUTCMilliseconds(), 3).padEnd(digits, '0').slice(0, digits)}`;
      return `${Y}-${pad(M + 1)}-${pad(D)}${m[4]}${hms}${fraction}${m[9] ?? ''}`;
    }
    case 'clf':
      return `${pad(D)}/${MONTHS[M]}/${Y}:${hms} ${m[7]}`;
    case 'epoch': {
      const digits = (m[2] as string).length;
      return `${Math.floor(ms / 1000)}.${pad(ms % 1000, 3).padEnd(digits, '0').slice(0, digits)}`;
    }
  }
}

const WORD = /[A-Za-z0-9_]/;
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function variableIp(value: FieldValue | undefined): string | undefined {
  if (typeof value !== 'string') return undefined;
  const m = IPV4.exec(value);
  if (!m || value === '0.0.0.0' || m[1] === '127' || m[1] === '255') return undefined;
  return value;
}

/** Occurrences of `needle` in `text` that are not inside a longer word or number. */
function occurrences(text: string, needle: string): number[] {
  const found: number[] = [];
  for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + 1)) {
    const before = text[at - 1];
    const after = text[at + needle.length];
    const digitsAround = /^\d/.test(needle) && ((before === '.' && /\d/.test(text[at - 2] ?? '')) || (after === '.' && /\d/.test(text[at + needle.length + 1] ?? '')));
    if ((before === undefined || !WORD.test(before)) && (after === undefined || !WORD.test(after)) && !digitsAround) found.push(at);
  }
  return found;
}

/** Splits `text` at the slots' texts (longest first, no overlaps). */
function split(text: string, slots: readonly Slot[]): Parts {
  const hits: Array<{ at: number; end: number; slot: number }> = [];
  const order = slots.map((_, i) => i).sort((a, b) => (slots[b] as Slot).from.length - (slots[a] as Slot).from.length);
  for (const i of order) {
    const slot = slots[i] as Slot;
    if (slot.kind === 'time') {
      // A time slot is one place in the original; in a field the same text is the same time.
      for (let at = text.indexOf(slot.from); at >= 0; at = text.indexOf(slot.from, at + slot.from.length)) {
        if (!hits.some((h) => at < h.end && at + slot.from.length > h.at)) hits.push({ at, end: at + slot.from.length, slot: i });
      }
      continue;
    }
    for (const at of occurrences(text, slot.from)) {
      if (!hits.some((h) => at < h.end && at + slot.from.length > h.at)) hits.push({ at, end: at + slot.from.length, slot: i });
    }
  }
  if (hits.length === 0) return [text];
  hits.sort((a, b) => a.at - b.at);
  const parts: (string | number)[] = [];
  let pos = 0;
  for (const h of hits) {
    if (h.at > pos) parts.push(text.slice(pos, h.at));
    parts.push(h.slot);
    pos = h.end;
  }
  if (pos < text.length) parts.push(text.slice(pos));
  return parts;
}

/** A parsed corpus record as a template. */
export function compileTemplate(event: Event, group: string, source: EventSource): Template {
  const f = event.fields;
  const slots: Slot[] = [];
  const entity = (kind: SlotKind, value: string | undefined, minLength: number) => {
    if (value === undefined || value.length < minLength || slots.some((s) => s.from === value)) return;
    slots.push({ kind, from: value });
  };
  entity('srcip', variableIp(f['source.ip']), 7);
  entity('dstip', variableIp(f['destination.ip']), 7);
  const host = f['host.name'];
  if (typeof host === 'string') entity('host', host, 3);
  const user = f['user.name'];
  if (typeof user === 'string' && !FIXED_USERS.has(user.toLowerCase()) && !user.endsWith('$')) entity('user', user, 3);
  const port = f['source.port'];
  const portText = typeof port === 'number' || typeof port === 'string' ? String(port) : '';
  if (/^\d{4,5}$/.test(portText) && Number(portText) >= 1024) entity('srcport', portText, 4);

  // Timestamps in the original, relative to the first one.
  const year = new Date(event.time).getUTCFullYear();
  let anchor: number | undefined;
  const taken: Array<[number, number]> = [];
  for (const { style, re } of TIME_PATTERNS) {
    re.lastIndex = 0;
    for (let m = re.exec(event.original); m; m = re.exec(event.original)) {
      const at = m.index;
      const end = at + m[0].length;
      if (taken.some(([a, b]) => at < b && end > a)) continue;
      const ms = parseTime(style, m, year);
      if (!Number.isFinite(ms)) continue;
      taken.push([at, end]);
      anchor ??= ms;
      if (!slots.some((s) => s.from === m![0])) {
        slots.push({ kind: 'time', from: m[0], style, shape: m, deltaMs: ms - anchor, offsetMin: style === 'iso' ? offsetMinutes(m[9]) : style === 'clf' ? offsetMinutes(m[7]) : 0 });
      }
    }
  }

  const fixedFields: Fields = {};
  const slotFields: Array<readonly [string, Parts | { readonly slot: number }]> = [];
  for (const [key, value] of Object.entries(f)) {
    if (typeof value === 'string') {
      const parts = split(value, slots);
      if (parts.length === 1 && parts[0] === value) fixedFields[key] = value;
      else slotFields.push([key, parts]);
    } else if (typeof value === 'number' && slots.some((s) => s.from === String(value))) {
      // A number that is a slot's text: the source port (`source.port`, Zeek's `id.orig_p`) or
      // an epoch timestamp (Zeek's `ts`).
      slotFields.push([key, { slot: slots.findIndex((s) => s.from === String(value)) }]);
    } else {
      fixedFields[key] = value;
    }
  }
  return { group, format: event.format, source, flags: event.flags, slots, original: split(event.original, slots), fixedFields, slotFields };
}

// ---- the corpus -----------------------------------------------------------------------------

export interface CorpusGroup {
  readonly group: string;
  /** Paths relative to the corpus folder. */
  readonly files: readonly string[];
  /** Share of generated events. */
  readonly share: number;
  readonly source: EventSource;
}

/**
 * The mix of a mid-sized estate: Linux syslog (sshd, PAM, ftpd, kernel), web access logs,
 * Windows Security/Sysmon (JSON as a Winlogbeat-like shipper sends it), Zeek and Suricata.
 */
export const CORPUS_GROUPS: readonly CorpusGroup[] = [
  { group: 'openssh', files: ['loghub/OpenSSH_2k.log'], share: 0.25, source: { input: 'syslog', kind: 'syslog-tcp' } },
  { group: 'linux', files: ['loghub/Linux_2k.log'], share: 0.1, source: { input: 'syslog', kind: 'syslog-tcp' } },
  { group: 'syslog-5424', files: ['zed-sample-data/derived/wrccdc2018_syslog_rfc5424.log'], share: 0.07, source: { input: 'syslog', kind: 'syslog-tls' } },
  { group: 'apache', files: ['elastic-examples/apache_access_combined.log'], share: 0.2, source: { input: 'file:/var/log/apache2/access.log', kind: 'file', address: '/var/log/apache2/access.log' } },
  {
    group: 'windows',
    files: [
      'security-datasets/windows/cmd_lsass_memory_dumpert_syscalls_2020-10-1822561997.json',
      'security-datasets/windows/cmd_sam_copy_esentutl_2020-10-1900290001.json',
      'security-datasets/windows/cmd_service_mod_fax_2020-10-2120454410.json',
      'security-datasets/windows/cmd_userinitmprlogonscript_batch_2020-10-1922471810.json',
      'security-datasets/windows/covenant_copy_smb_CreateRequest_2020-09-22145302.json',
      'security-datasets/windows/mimikatz_CVE-2020-1472_Unauthenticated_NetrServerAuthenticate2_2020-09-16233923.json',
      'security-datasets/windows/psh_lsass_memory_dump_comsvcs_2020-10-18T19500924.json',
      'security-datasets/windows/schtask_create_2020-12-1907003032.json',
    ],
    share: 0.15,
    source: { input: 'http', kind: 'http-ingest' },
  },
  {
    group: 'zeek',
    files: ['rdp', 'dce_rpc', 'dpd', 'ftp', 'kerberos', 'ntlm', 'smb_mapping', 'snmp', 'ssh', 'notice', 'known_services'].map((name) => `zed-sample-data/zeek-default/${name}.log`),
    share: 0.18,
    source: { input: 'http', kind: 'http-ingest' },
  },
  {
    group: 'suricata',
    files: ['first-org-conf-2015', 'wrccdc-2017', 'wrccdc-2018'].map((name) => `suricata-sample-data/${name}/eve-alerts.ndjson`),
    share: 0.05,
    source: { input: 'http', kind: 'http-ingest' },
  },
];

/** Parses `text` (one file's content) the way `vigil ingest` does. */
export function parseFileText(path: string, text: string, received: number): Event[] {
  const mapper = new FileRecordMapper(
    { tenant: 'default', input: 'file', path, maxLineBytes: 1 << 20, mapping: jsonRecordMapping, limits: { maxJsonDepth: 64, maxFieldsPerEvent: DEFAULT_MAX_FIELDS_PER_EVENT } },
    'auto',
  );
  const events: Event[] = [];
  for (const line of text.split('\n')) events.push(...mapper.take(line.replace(/\r$/, ''), false, received));
  events.push(...mapper.flush(received));
  return events;
}

export interface TemplateGroup {
  readonly group: string;
  readonly share: number;
  readonly templates: readonly Template[];
}

/** Templates of every group from the corpus folder (a missing file is an error: the mix would change). */
export function loadCorpusTemplates(corpus: string, groups: readonly CorpusGroup[] = CORPUS_GROUPS): TemplateGroup[] {
  const received = Date.UTC(2024, 0, 1);
  return groups.map((g) => {
    const templates = g.files.flatMap((file) =>
      parseFileText(file, readFileSync(join(corpus, file), 'utf8'), received).map((event) => compileTemplate(event, g.group, g.source)),
    );
    if (templates.length === 0) throw new Error(`history generator: no records in ${g.files.join(', ')}`);
    return { group: g.group, share: g.share, templates };
  });
}

// ---- generation -----------------------------------------------------------------------------

export interface HistoryOptions {
  readonly events: number;
  /** Event time of the first and last events, epoch ms. */
  readonly start: number;
  readonly end: number;
  readonly seed?: number;
  readonly batchSize: number;
}

export const DEFAULT_SEED = 0x5eed;

/** Tenants: most events belong to one, as on a typical single-organisation install. */
const TENANTS: ReadonlyArray<readonly [string, number]> = [
  ['default', 0.9],
  ['acme', 0.97],
  ['globex', 1],
];

function render(parts: Parts, values: readonly string[]): string {
  if (parts.length === 1 && typeof parts[0] === 'string') return parts[0];
  let out = '';
  for (const p of parts) out += typeof p === 'string' ? p : (values[p] as string);
  return out;
}

/** A UUIDv7-shaped id from the receive time and the event's sequence number: unique, deterministic. */
function eventId(received: number, sequence: number, random: number): string {
  const t = received.toString(16).padStart(12, '0');
  const r = Math.floor(random * 0xfff).toString(16).padStart(3, '0');
  const s = sequence.toString(16).padStart(15, '0');
  return `${t.slice(0, 8)}-${t.slice(8, 12)}-7${r}-${(8 + (sequence % 4)).toString(16)}${s.slice(0, 3)}-${s.slice(3, 15)}`;
}

export interface HistoryBatch {
  readonly events: Event[];
  /** UTF-8 bytes of the originals: what a shipper sends. */
  readonly rawBytes: number;
}

/** The history, `batchSize` events at a time, in receive order. */
export function* historyBatches(groups: readonly TemplateGroup[], options: HistoryOptions): Generator<HistoryBatch> {
  const random = seededRandom(options.seed ?? DEFAULT_SEED);
  const totalShare = groups.reduce((sum, g) => sum + g.share, 0);
  const cumulative: number[] = [];
  let acc = 0;
  for (const g of groups) cumulative.push((acc += g.share / totalShare));
  const step = (options.end - options.start) / Math.max(1, options.events);
  const shippers = Array.from({ length: 40 }, (_, i) => `${sourceIp(POOLS.sourceIps * 2 + i).replace(/^\d+/, '10')}:${40000 + i}`);
  const values: string[] = [];

  let batch: Event[] = [];
  let rawBytes = 0;
  for (let i = 0; i < options.events; i++) {
    const r = random();
    let gi = cumulative.findIndex((c) => r < c);
    if (gi < 0) gi = groups.length - 1;
    const group = groups[gi] as TemplateGroup;
    const template = group.templates[Math.floor(random() * group.templates.length)] as Template;

    // Mostly in order, as a live store receives events: a few seconds of jitter, and 2% arriving
    // up to 15 minutes late (a shipper catching up).
    const received = Math.round(options.start + i * step + random() * 1000);
    const late = random() < 0.02 ? random() * 15 * 60_000 : random() * 3000;
    const time = Math.round(received - late);

    values.length = 0;
    for (const slot of template.slots) {
      switch (slot.kind) {
        case 'host': values.push(hostName(skewed(random, POOLS.hosts, 2))); break;
        case 'user': values.push(userName(skewed(random, POOLS.users, 2))); break;
        case 'srcip': values.push(sourceIp(skewed(random, POOLS.sourceIps, 3))); break;
        case 'dstip': values.push(destinationIp(skewed(random, POOLS.destinationIps, 2))); break;
        case 'srcport': values.push(String(1024 + Math.floor(random() * 64511))); break;
        case 'time': values.push(renderTime(slot, time + slot.deltaMs)); break;
      }
    }
    const fields: Fields = { ...template.fixedFields };
    for (const [key, spec] of template.slotFields) {
      fields[key] = Array.isArray(spec) ? render(spec, values) : Number(values[(spec as { slot: number }).slot]);
    }
    const original = render(template.original, values);
    const t = random();
    const tenant = (TENANTS.find(([, c]) => t < c) ?? TENANTS[0]!)[0];
    const source: EventSource = template.source.address === undefined
      ? { ...template.source, address: shippers[Math.floor(random() * shippers.length)] as string }
      : template.source;
    batch.push({ id: eventId(received, i, random()), tenant, received, time, source, format: template.format, original, fields, flags: template.flags });
    rawBytes += Buffer.byteLength(original, 'utf8');
    if (batch.length === options.batchSize) {
      yield { events: batch, rawBytes };
      batch = [];
      rawBytes = 0;
    }
  }
  if (batch.length > 0) yield { events: batch, rawBytes };
}
