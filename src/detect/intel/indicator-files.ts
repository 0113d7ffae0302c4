/**
 * Reading indicators from files and folders. Four formats, recognised from the content (the
 * file name only breaks ties):
 *
 * - **Plain lists**: one indicator per line, type detected from the text (IPv4/IPv6, CIDR,
 *   domain, URL, 32/40/64-hex hash). `#` and `;` start comments; text after ` #` or ` ;` on a
 *   line is its description. Hosts-file lines (`0.0.0.0 evil.example`) give the name; a
 *   `value,more,columns` line without a header gives its first column. Defanged text
 *   (`evil[.]example`, `hxxp://`) is refanged.
 * - **CSV** (or TSV, `;`/`|` separated) with a header row, which may be the last `#` comment
 *   line before the data (as abuse.ch feeds write it). Columns are recognised by common names,
 *   compared without case or punctuation: the value (`indicator`, `value`, `ioc`,
 *   `observable`, or typed: `ip`, `dst_ip`, `domain`, `hostname`, `url`, `md5`, `sha256_hash`,
 *   …; several typed columns in one row each give an indicator), its `type` (`ipv4`, `ip-dst`,
 *   `IPv4`, `FileHash-SHA256`, `domain-name`, …; rows of other types are skipped),
 *   `description`/`comment`/`name`/`malware`/`tags`, `expires`/`valid_until`/`expiration`,
 *   `confidence`/`score` (0–100, or high/medium/low), `added`/`first_seen`/`created`, `id`/`uuid`.
 * - **STIX 2.x bundles** (`{"type": "bundle", "objects": […]}`, also a bare array of objects or
 *   one indicator object): each `indicator` with `pattern_type` `stix` (or none, as in 2.0)
 *   whose pattern is OR-ed equality comparisons (see stix-pattern.ts). `valid_until` →
 *   expires, `confidence`, `created` → added, `description` (else `name`), `id` → reference.
 *   `revoked: true` indicators are skipped.
 * - **MISP JSON exports**: `{"Event": {…}}`, a list of those, or the API's
 *   `{"response": [{"Event": …}]}`. Attributes of the event and of its objects with `to_ids`
 *   true or absent (and not `deleted`) of types `ip-dst`, `ip-src`, `ip-dst|port`,
 *   `ip-src|port`, `domain`, `hostname`, `hostname|port`, `domain|ip`, `url`, `md5`, `sha1`,
 *   `sha256`, `filename|md5`, `filename|sha1`, `filename|sha256`. `comment` (else the event's
 *   `info`) → description, `timestamp` → added, `uuid` → reference.
 *
 * **Expiry.** An indicator whose feed gives an expiry keeps it. Any other expires
 * `defaultTtlDays` (default 90; 0 for never) after the modification time of its file: the
 * last time the feed vouched for it. A feed that is refreshed keeps its indicators alive; a
 * file left behind stops alerting on its own. Indicators already expired are still loaded and
 * counted (`expired`), so that older events can be matched against them (see the index).
 *
 * **Problems** never abort a file: a bad line, row, object or attribute is counted
 * (`invalid`), the first few are described in `problems` with their line or position, and
 * reading goes on. Records that are well formed but not for matching (other MISP types,
 * `to_ids: false`, revoked or non-STIX-pattern indicators, AND patterns) are counted as
 * `skipped`. A line longer than 64 KiB is invalid without being scanned; a file larger than
 * `maxFileBytes` (default 256 MiB) or unreadable is reported and not read.
 */
import { readdirSync, statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import {
  detectIndicator,
  hashTypeOf,
  normaliseAs,
  normaliseCidr,
  parseIp,
  type Indicator,
  type IndicatorType,
  type TypedValue,
} from './indicator.js';
import { readStixPattern } from './stix-pattern.js';

export type IndicatorFileFormat = 'list' | 'csv' | 'stix' | 'misp';

export interface IndicatorFileReport {
  readonly file: string;
  /** `unreadable`: missing, too large, or not a format Vigil reads (see `problems`). */
  format: IndicatorFileFormat | 'unreadable';
  /** Indicators loaded (including already expired ones). */
  indicators: number;
  /** Of those, already expired at load time. */
  expired: number;
  /** Well-formed records not meant for matching (other types, `to_ids: false`, revoked…). */
  skipped: number;
  /** Records that could not be read: bad lines, values, patterns. */
  invalid: number;
  /** The first few problems, with line numbers or object positions. */
  readonly problems: string[];
}

export interface IndicatorLoadOptions {
  /** Days an indicator without its own expiry stays valid after its file's mtime; 0: forever. Default 90. */
  readonly defaultTtlDays?: number;
  /** Load time (epoch ms), for counting already expired indicators. Default `Date.now()`. */
  readonly now?: number;
  /** Larger files are reported and not read. Default 256 MiB. */
  readonly maxFileBytes?: number;
}

export interface IndicatorLoad {
  readonly indicators: Indicator[];
  readonly files: IndicatorFileReport[];
}

export const DEFAULT_TTL_DAYS = 90;
export const DEFAULT_MAX_FILE_BYTES = 256 * 1024 * 1024;
const MAX_LINE_CHARS = 64 * 1024;
const MAX_PROBLEMS = 10;
const DAY_MS = 86_400_000;
const YIELD_EVERY = 20_000;

/** Extensions read from folders; a file named explicitly is read whatever its name. */
export const INDICATOR_EXTENSIONS = new Set(['.txt', '.csv', '.tsv', '.json', '.list', '.lst', '.ioc', '.iocs', '.stix', '.misp', '.intel']);

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The indicator files under a path: itself when a file, else its files with known extensions, recursively, sorted. */
export function indicatorFiles(path: string, out: string[] = []): string[] {
  const s = statSync(path);
  if (s.isFile()) {
    out.push(path);
    return out;
  }
  for (const name of readdirSync(path).sort()) {
    if (name.startsWith('.') || name.endsWith('~')) continue;
    const child = join(path, name);
    let cs;
    try {
      cs = statSync(child);
    } catch {
      continue;
    }
    if (cs.isDirectory()) indicatorFiles(child, out);
    else if (cs.isFile() && INDICATOR_EXTENSIONS.has(extname(name).toLowerCase())) out.push(child);
  }
  return out;
}

/** Paths, sizes and modification times of every indicator file: a change in any means reload. */
export function indicatorFingerprint(paths: readonly string[]): string {
  const parts: string[] = [];
  for (const root of paths) {
    try {
      for (const file of indicatorFiles(root)) {
        const s = statSync(file);
        parts.push(`${file}:${s.size}:${s.mtimeMs}`);
      }
    } catch {
      parts.push(`${root}:missing`);
    }
  }
  return parts.join('\n');
}

/** Loads every indicator file under `paths`; never throws for a file's content or absence. */
export async function loadIndicatorFiles(paths: readonly string[], options: IndicatorLoadOptions = {}): Promise<IndicatorLoad> {
  const indicators: Indicator[] = [];
  const files: IndicatorFileReport[] = [];
  const maxBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  for (const root of paths) {
    let list: string[];
    try {
      list = indicatorFiles(root);
    } catch (error) {
      files.push(unreadable(root, `not readable: ${(error as NodeJS.ErrnoException).code ?? String(error)}`));
      continue;
    }
    for (const file of list) {
      try {
        const s = await stat(file);
        if (s.size > maxBytes) {
          files.push(unreadable(file, `larger than ${maxBytes} bytes; not read`));
          continue;
        }
        const text = await readFile(file, 'utf8');
        const { indicators: found, report } = await parseIndicatorText(text, { file, mtime: s.mtimeMs, ...options });
        for (const i of found) indicators.push(i);
        files.push(report);
      } catch (error) {
        files.push(unreadable(file, `not readable: ${(error as NodeJS.ErrnoException).code ?? String(error)}`));
      }
      await tick();
    }
  }
  return { indicators, files };
}

function unreadable(file: string, problem: string): IndicatorFileReport {
  return { file, format: 'unreadable', indicators: 0, expired: 0, skipped: 0, invalid: 0, problems: [problem] };
}

export interface ParseContext extends IndicatorLoadOptions {
  /** Path of the file; its base name becomes each indicator's `source`. */
  readonly file: string;
  /** The file's modification time (epoch ms): the default `added`, and the base of the default expiry. */
  readonly mtime: number;
  /** Force a format instead of recognising it. */
  readonly format?: IndicatorFileFormat;
}

/** Reads indicators from a file's text (see the module comment for the formats). */
export async function parseIndicatorText(text: string, context: ParseContext): Promise<{ indicators: Indicator[]; report: IndicatorFileReport }> {
  const sink = new Sink(context);
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let format = context.format;
  let json: unknown;
  if (format === undefined || format === 'stix' || format === 'misp') {
    const first = firstNonSpace(body);
    if (format !== undefined || first === '{' || first === '[') {
      try {
        json = JSON.parse(body);
      } catch (error) {
        if (format !== undefined || extname(context.file).toLowerCase() === '.json' || first === '{') {
          sink.report.format = format ?? 'unreadable';
          sink.problem(`not valid JSON: ${(error as Error).message.slice(0, 200)}`);
          return sink.done();
        }
      }
    }
    if (json !== undefined) {
      format ??= jsonFormat(json);
      if (format === undefined) {
        sink.report.format = 'unreadable';
        sink.problem('JSON that is neither a STIX bundle nor a MISP export');
        return sink.done();
      }
    }
  }
  format ??= looksLikeCsv(body, context.file) ? 'csv' : 'list';
  sink.report.format = format;
  if (format === 'stix') await readStix(json, sink);
  else if (format === 'misp') await readMisp(json, sink);
  else if (format === 'csv') await readCsv(body, sink);
  else await readList(body, sink);
  return sink.done();
}

function firstNonSpace(text: string): string {
  for (let i = 0; i < text.length && i < 4096; i++) {
    const c = text[i]!;
    if (c !== ' ' && c !== '\t' && c !== '\r' && c !== '\n') return c;
  }
  return '';
}

// ---------------------------------------------------------------------------------------------
// Collecting indicators

interface Extras {
  description?: string | undefined;
  confidence?: number | undefined;
  expires?: number | undefined;
  added?: number | undefined;
  reference?: string | undefined;
}

class Sink {
  readonly indicators: Indicator[] = [];
  readonly report: IndicatorFileReport;
  readonly #source: string;
  readonly #ttl: number | undefined;
  readonly #now: number;
  #count = 0;

  constructor(private readonly context: ParseContext) {
    this.#source = basename(context.file);
    const days = context.defaultTtlDays ?? DEFAULT_TTL_DAYS;
    this.#ttl = days > 0 ? days * DAY_MS : undefined;
    this.#now = context.now ?? Date.now();
    this.report = { file: context.file, format: 'list', indicators: 0, expired: 0, skipped: 0, invalid: 0, problems: [] };
  }

  add(value: TypedValue, extras: Extras = {}): void {
    const expires = extras.expires ?? (this.#ttl === undefined ? undefined : this.context.mtime + this.#ttl);
    const indicator: { -readonly [K in keyof Indicator]: Indicator[K] } = {
      type: value.type,
      value: value.value,
      source: this.#source,
      added: extras.added ?? this.context.mtime,
    };
    const description = extras.description?.trim();
    if (description) indicator.description = description.length > 1000 ? `${description.slice(0, 999)}…` : description;
    if (extras.confidence !== undefined) indicator.confidence = extras.confidence;
    if (expires !== undefined) indicator.expires = expires;
    if (extras.reference) indicator.reference = extras.reference;
    this.indicators.push(indicator);
    this.report.indicators++;
    if (expires !== undefined && expires <= this.#now) this.report.expired++;
  }

  invalid(where: string, why: string): void {
    this.report.invalid++;
    this.problem(`${where}: ${why}`);
  }

  skip(): void {
    this.report.skipped++;
  }

  problem(text: string): void {
    if (this.report.problems.length < MAX_PROBLEMS) this.report.problems.push(text.length > 300 ? `${text.slice(0, 299)}…` : text);
  }

  /** Call once per record: yields to the event loop now and then. */
  async step(): Promise<void> {
    if (++this.#count % YIELD_EVERY === 0) await tick();
  }

  done(): { indicators: Indicator[]; report: IndicatorFileReport } {
    return { indicators: this.indicators, report: this.report };
  }
}

function clip(text: string, max = 80): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

// ---------------------------------------------------------------------------------------------
// Values, dates, confidence

/** How a column or feed type says to read a value. */
type Hint = IndicatorType | 'any' | 'ip' | 'host' | 'hash';

function readAs(hint: Hint, raw: string): TypedValue | undefined {
  const text = raw.trim();
  switch (hint) {
    case 'any':
      return detectIndicator(text);
    case 'ip':
    case 'ipv4':
    case 'ipv6':
    case 'cidr': {
      const bar = text.indexOf('|'); // MISP ip-dst|port
      const ip = bar >= 0 ? text.slice(0, bar) : text;
      return normaliseCidr(ip.trim()) ?? normaliseAs('ipv4', ip);
    }
    case 'host':
    case 'domain': {
      if (parseIp(text)) return normaliseAs('ipv4', text);
      return normaliseAs('domain', text);
    }
    case 'hash': {
      const t = hashTypeOf(text);
      return t ? { type: t, value: text.toLowerCase() } : undefined;
    }
    default:
      return normaliseAs(hint, text);
  }
}

/** Epoch ms from ISO 8601, `YYYY-MM-DD[ HH:MM:SS]` (UTC), or epoch seconds/milliseconds. */
export function parseTime(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? (value < 1e11 ? value * 1000 : value) : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (text === '' || text.length > 64) return undefined;
  if (/^\d{9,13}(\.\d+)?$/.test(text)) return parseTime(Number(text));
  let iso = text.replace(' ', 'T');
  if (/^\d{4}-\d{2}-\d{2}$/.test(iso)) iso += 'T00:00:00Z';
  else if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(iso)) iso += 'Z';
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms : undefined;
}

const CONFIDENCE_WORDS: Record<string, number> = { high: 85, medium: 50, med: 50, moderate: 50, low: 15, none: 0 };

/** 0–100 from a number (a 0–1 fraction is scaled) or a word (high/medium/low). */
export function parseConfidence(value: unknown): number | undefined {
  if (typeof value === 'string') {
    const t = value.trim().toLowerCase();
    if (t in CONFIDENCE_WORDS) return CONFIDENCE_WORDS[t];
    if (t === '') return undefined;
    return parseConfidence(Number(t));
  }
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 100) return undefined;
  return value > 0 && value < 1 ? Math.round(value * 100) : value;
}

// ---------------------------------------------------------------------------------------------
// Plain lists

const SINKHOLE_ADDRESSES = new Set(['0.0.0.0', '127.0.0.1', '::', '::1']);

async function readList(text: string, sink: Sink): Promise<void> {
  let line = 0;
  for (let start = 0; start < text.length; ) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    line++;
    const length = end - start;
    const raw = length > MAX_LINE_CHARS ? undefined : text.slice(start, end);
    start = end + 1;
    await sink.step();
    if (raw === undefined) {
      sink.invalid(`line ${line}`, `longer than ${MAX_LINE_CHARS} characters`);
      continue;
    }
    const entry = raw.trim();
    if (entry === '' || entry.startsWith('#') || entry.startsWith(';') || entry.startsWith('//')) continue;
    let body = entry;
    let description: string | undefined;
    const comment = inlineComment(entry);
    if (comment >= 0) {
      description = entry.slice(comment + 1).trim().replace(/^[#;]\s*/, '');
      body = entry.slice(0, comment).trim();
    }
    const tokens = body.split(/\s+/);
    let token = tokens[0]!;
    if (tokens.length >= 2 && SINKHOLE_ADDRESSES.has(token)) token = tokens[1]!; // hosts file
    let value = detectIndicator(token);
    if (!value) {
      const cut = token.search(/[,;|]/);
      if (cut > 0) value = detectIndicator(token.slice(0, cut));
    }
    if (!value) {
      sink.invalid(`line ${line}`, `not an indicator: ${clip(token)}`);
      continue;
    }
    sink.add(value, { description: description || (tokens.length > 1 && !SINKHOLE_ADDRESSES.has(tokens[0]!) ? tokens.slice(1).join(' ') : undefined) });
  }
}

/** Index of a ` #` or ` ;` (or tab-separated) comment in a list line, or -1. */
function inlineComment(line: string): number {
  for (let i = 1; i < line.length; i++) {
    const c = line[i];
    if ((c === '#' || c === ';') && (line[i - 1] === ' ' || line[i - 1] === '\t')) return i - 1;
  }
  return -1;
}

// ---------------------------------------------------------------------------------------------
// CSV

type Role = 'type' | 'description' | 'expires' | 'confidence' | 'added' | 'reference';

/** Header names, lower case without punctuation, to the value hint they carry. */
const VALUE_COLUMNS: Record<string, Hint> = {
  indicator: 'any', indicatorvalue: 'any', value: 'any', ioc: 'any', iocvalue: 'any', observable: 'any', observablevalue: 'any',
  attribute: 'any', attributevalue: 'any', artifact: 'any', entity: 'any', data: 'any', pattern: 'any',
  ip: 'ip', ipaddress: 'ip', ipaddr: 'ip', ipv4: 'ip', ipv6: 'ip', ipv4address: 'ip', ipv6address: 'ip', dstip: 'ip', destip: 'ip',
  destinationip: 'ip', srcip: 'ip', sourceip: 'ip', address: 'ip', cidr: 'cidr', network: 'cidr', netblock: 'cidr', subnet: 'cidr',
  domain: 'host', domainname: 'host', hostname: 'host', host: 'host', fqdn: 'host',
  url: 'url', fullurl: 'url', urlfull: 'url',
  hash: 'hash', filehash: 'hash', md5: 'md5', md5hash: 'md5', sha1: 'sha1', sha1hash: 'sha1', sha256: 'sha256', sha256hash: 'sha256',
};

/** Other columns, in order of preference within a role. */
const ROLE_COLUMNS: Record<Role, readonly string[]> = {
  type: ['type', 'indicatortype', 'ioctype', 'observabletype', 'attributetype', 'datatype', 'kind'],
  description: ['description', 'desc', 'comment', 'comments', 'name', 'title', 'info', 'malware', 'malwarefamily', 'family', 'threat', 'threattype', 'signature', 'tags', 'tag'],
  expires: ['expires', 'expiry', 'expiration', 'expirationdate', 'expirydate', 'expiresat', 'expireson', 'expire', 'validuntil', 'validto', 'until'],
  confidence: ['confidence', 'confidencelevel', 'confidencescore', 'score', 'reliability'],
  added: ['added', 'dateadded', 'created', 'createdat', 'firstseen', 'firstseenutc', 'firstseendate', 'validfrom', 'timestamp', 'date'],
  reference: ['id', 'uuid', 'reference', 'indicatorid'],
};

/** A type column's value, lower case without punctuation, to a hint; undefined: not a type we match. */
function hintOfType(raw: string): Hint | undefined | 'empty' {
  const t = raw.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (t === '') return 'empty';
  if (/^(ip|ipv4|ipv6|ipaddr|ipaddress|ipv4addr|ipv6addr|ipv4address|ipv6address|ipdst|ipsrc|ipdstport|ipsrcport|address|dstip|srcip)$/.test(t)) return 'ip';
  if (/^(cidr|ipv4cidr|ipv6cidr|netblock|network|subnet|iprange|ipv4net|ipv6net)$/.test(t)) return 'cidr';
  if (/^(domain|domainname|hostname|fqdn|host|dns|dnsname)$/.test(t)) return 'host';
  if (/^(url|fullurl|urlfull)$/.test(t)) return 'url';
  if (t.includes('sha256')) return 'sha256';
  if (t.includes('sha1')) return 'sha1';
  if (t.includes('md5')) return /ja3|x509|ssdeep|imphash/.test(t) ? undefined : 'md5';
  if (t === 'hash' || t === 'filehash') return 'hash';
  return undefined;
}

function columnKey(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

interface CsvLayout {
  readonly delimiter: string;
  readonly values: ReadonlyArray<{ index: number; hint: Hint }>;
  readonly roles: Partial<Record<Role, number>>;
}

function layoutOf(header: readonly string[], delimiter: string): CsvLayout | undefined {
  const keys = header.map(columnKey);
  const roles: Partial<Record<Role, number>> = {};
  for (const role of Object.keys(ROLE_COLUMNS) as Role[]) {
    for (const name of ROLE_COLUMNS[role]) {
      const i = keys.indexOf(name);
      if (i >= 0) {
        roles[role] = i;
        break;
      }
    }
  }
  let values = keys.flatMap((k, index) => (VALUE_COLUMNS[k] !== undefined ? [{ index, hint: VALUE_COLUMNS[k]! }] : []));
  // With a type column, the generic value column carries the value; typed columns are context.
  if (roles.type !== undefined) {
    const generic = values.filter((v) => v.hint === 'any');
    if (generic.length > 0) values = generic.slice(0, 1);
  }
  return values.length === 0 ? undefined : { delimiter, values, roles };
}

const DELIMITERS = [',', '\t', ';', '|'];

function delimiterOf(line: string): string {
  let best = ',';
  let bestCount = 0;
  for (const d of DELIMITERS) {
    const n = splitCsvLine(line, d).length - 1;
    if (n > bestCount) {
      best = d;
      bestCount = n;
    }
  }
  return best;
}

/** A header line: the last `#` comment before the data, else the first line. */
function headerOf(text: string): { layout: CsvLayout; dataStart: number; line: number } | undefined {
  let lastComment: { text: string } | undefined;
  let line = 0;
  for (let start = 0; start < text.length && line < 1000; ) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    line++;
    const raw = end - start > MAX_LINE_CHARS ? '' : text.slice(start, end).trim();
    const next = end + 1;
    if (raw === '') {
      start = next;
      continue;
    }
    if (raw.startsWith('#')) {
      lastComment = { text: raw.replace(/^#+\s*/, '') };
      start = next;
      continue;
    }
    // First data line: is it a header itself?
    const d = delimiterOf(raw);
    const own = layoutOf(splitCsvLine(raw, d), d);
    if (own && !detectIndicator(splitCsvLine(raw, d)[own.values[0]!.index] ?? '')) return { layout: own, dataStart: next, line };
    if (lastComment) {
      const cd = delimiterOf(lastComment.text);
      const names = splitCsvLine(lastComment.text, cd);
      const fromComment = names.length >= 2 ? layoutOf(names, cd) : undefined;
      if (fromComment) return { layout: fromComment, dataStart: start, line: line - 1 };
    }
    return undefined;
  }
  return undefined;
}

function looksLikeCsv(text: string, file: string): boolean {
  const ext = extname(file).toLowerCase();
  if (ext === '.csv' || ext === '.tsv') return true;
  return headerOf(text) !== undefined;
}

/** Fields of one CSV line (RFC 4180 quoting: `"a,b"`, `""` for a quote). */
export function splitCsvLine(line: string, delimiter: string): string[] {
  const fields: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  let chunk = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"') {
        field += line.slice(chunk, i);
        if (line[i + 1] === '"') {
          field += '"';
          i += 2;
        } else {
          quoted = false;
          i++;
        }
        chunk = i;
      } else i++;
    } else if (c === '"' && line.slice(chunk, i).trim() === '') {
      quoted = true;
      i++;
      chunk = i;
    } else if (c === delimiter) {
      fields.push(field + line.slice(chunk, i));
      field = '';
      i++;
      chunk = i;
    } else i++;
  }
  fields.push(field + line.slice(chunk));
  return fields.map((f) => f.trim());
}

function quotesBalanced(text: string): boolean {
  let n = 0;
  for (let i = text.indexOf('"'); i >= 0; i = text.indexOf('"', i + 1)) n++;
  return n % 2 === 0;
}

async function readCsv(text: string, sink: Sink): Promise<void> {
  const header = headerOf(text);
  // Without a recognisable header, each row's first indicator-like cell is read.
  const layout: CsvLayout | undefined = header?.layout;
  let line = header ? header.line : 0;
  let start = header ? header.dataStart : 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    line++;
    const firstLine = line;
    if (end - start > MAX_LINE_CHARS) {
      start = end + 1;
      await sink.step();
      sink.invalid(`line ${firstLine}`, `longer than ${MAX_LINE_CHARS} characters`);
      continue;
    }
    let record = text.slice(start, end);
    start = end + 1;
    // A quoted field may span lines, up to the line limit. Quote parity is kept line by line.
    let balanced = quotesBalanced(record);
    while (!balanced && start < text.length && record.length <= MAX_LINE_CHARS) {
      let e = text.indexOf('\n', start);
      if (e < 0) e = text.length;
      if (e - start + record.length > MAX_LINE_CHARS) break;
      const more = text.slice(start, e);
      record += `\n${more}`;
      if (!quotesBalanced(more)) balanced = true;
      start = e + 1;
      line++;
    }
    await sink.step();
    const trimmed = record.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    if (!balanced) {
      sink.invalid(`line ${firstLine}`, 'unterminated quoted field');
      continue;
    }
    const cells = splitCsvLine(record.replace(/\r$/, ''), layout?.delimiter ?? delimiterOf(trimmed));
    if (!layout) {
      const value = cells.map((c) => detectIndicator(c)).find((v) => v !== undefined);
      if (value) sink.add(value);
      else sink.invalid(`line ${firstLine}`, `no indicator in: ${clip(trimmed)}`);
      continue;
    }
    readCsvRow(cells, layout, sink, firstLine);
  }
}

function readCsvRow(cells: readonly string[], layout: CsvLayout, sink: Sink, line: number): void {
  const cell = (role: Role) => (layout.roles[role] === undefined ? undefined : cells[layout.roles[role]!]);
  let typeHint: Hint | undefined;
  const typeText = cell('type');
  if (typeText !== undefined) {
    const h = hintOfType(typeText);
    if (h === undefined) {
      sink.skip();
      return;
    }
    if (h !== 'empty') typeHint = h;
  }
  const extras: Extras = { description: cell('description'), reference: cell('reference') || undefined };
  const expiresText = cell('expires');
  if (expiresText) {
    extras.expires = parseTime(expiresText);
    if (extras.expires === undefined) sink.problem(`line ${line}: expiry not understood: ${clip(expiresText, 40)}`);
  }
  const addedText = cell('added');
  if (addedText) extras.added = parseTime(addedText);
  const confidenceText = cell('confidence');
  if (confidenceText) extras.confidence = parseConfidence(confidenceText);
  let found = 0;
  let bad: string | undefined;
  for (const column of layout.values) {
    const text = cells[column.index];
    if (text === undefined || text === '' || text === '-') continue;
    const value = readAs(typeHint ?? column.hint, text);
    if (value) {
      sink.add(value, extras);
      found++;
    } else bad ??= text;
  }
  if (found === 0) sink.invalid(`line ${line}`, bad === undefined ? 'no value' : `not ${typeHint ? `a valid ${typeHint}` : 'an indicator'}: ${clip(bad)}`);
}

// ---------------------------------------------------------------------------------------------
// JSON: STIX and MISP

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function jsonFormat(json: unknown): 'stix' | 'misp' | undefined {
  if (isObject(json)) {
    if (json['type'] === 'bundle' || json['type'] === 'indicator') return 'stix';
    if (isObject(json['Event']) || Array.isArray(json['response']) || Array.isArray(json['Attribute'])) return 'misp';
    return undefined;
  }
  if (Array.isArray(json)) {
    const first = json.find(isObject);
    if (!first) return undefined;
    if (isObject(first['Event'])) return 'misp';
    if (typeof first['type'] === 'string' && typeof first['id'] === 'string' && String(first['id']).includes('--')) return 'stix';
  }
  return undefined;
}

async function readStix(json: unknown, sink: Sink): Promise<void> {
  const objects: unknown[] = Array.isArray(json) ? json : isObject(json) && json['type'] === 'bundle' ? (Array.isArray(json['objects']) ? json['objects'] : []) : [json];
  if (isObject(json) && json['type'] === 'bundle' && !Array.isArray(json['objects'])) sink.problem('bundle without an objects list');
  for (let n = 0; n < objects.length; n++) {
    await sink.step();
    const o = objects[n];
    if (!isObject(o) || o['type'] !== 'indicator') continue;
    const where = `object ${n}${typeof o['id'] === 'string' ? ` (${clip(o['id'], 60)})` : ''}`;
    if (o['revoked'] === true) {
      sink.skip();
      continue;
    }
    const patternType = o['pattern_type'];
    if (patternType !== undefined && patternType !== 'stix') {
      sink.skip();
      continue;
    }
    const pattern = o['pattern'];
    if (typeof pattern !== 'string') {
      sink.invalid(where, 'indicator without a pattern');
      continue;
    }
    const read = readStixPattern(pattern);
    if (read.observables.length === 0) {
      if (read.unsupported) {
        sink.skip();
        sink.problem(`${where}: ${read.problem ?? 'nothing to match'}`);
      } else sink.invalid(where, read.problem ?? 'nothing to match');
      continue;
    }
    if (read.problem) sink.problem(`${where}: ${read.problem}`);
    const extras: Extras = {
      description: str(o['description']) ?? str(o['name']),
      confidence: parseConfidence(o['confidence']),
      added: parseTime(o['created']),
      reference: str(o['id']),
    };
    if (o['valid_until'] !== undefined) {
      extras.expires = parseTime(o['valid_until']);
      if (extras.expires === undefined) sink.problem(`${where}: valid_until not understood`);
    }
    for (const v of read.observables) sink.add(v, extras);
  }
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v : undefined;
}

/** MISP attribute types Vigil matches, to how each `|`-separated part of the value is read. */
const MISP_TYPES: Record<string, ReadonlyArray<Hint | null>> = {
  'ip-dst': ['ip'],
  'ip-src': ['ip'],
  'ip-dst|port': ['ip', null],
  'ip-src|port': ['ip', null],
  domain: ['domain'],
  hostname: ['domain'],
  'hostname|port': ['domain', null],
  'domain|ip': ['domain', 'ip'],
  url: ['url'],
  md5: ['md5'],
  sha1: ['sha1'],
  sha256: ['sha256'],
  'filename|md5': [null, 'md5'],
  'filename|sha1': [null, 'sha1'],
  'filename|sha256': [null, 'sha256'],
};

function truthy(v: unknown): boolean {
  return v === true || v === 1 || v === '1' || v === 'true';
}

async function readMisp(json: unknown, sink: Sink): Promise<void> {
  const events: Json[] = [];
  const addEvent = (e: unknown) => {
    if (isObject(e) && isObject(e['Event'])) events.push(e['Event']);
    else if (isObject(e) && Array.isArray(e['Attribute'])) events.push(e);
  };
  if (Array.isArray(json)) json.forEach(addEvent);
  else if (isObject(json) && Array.isArray(json['response'])) json['response'].forEach(addEvent);
  else addEvent(json);
  if (events.length === 0) sink.problem('no MISP event found');
  for (let e = 0; e < events.length; e++) {
    const event = events[e]!;
    const info = str(event['info']);
    if (!Array.isArray(event['Attribute']) && !Array.isArray(event['Object'])) sink.problem(`event ${e}: no Attribute or Object list`);
    const attributes: Array<{ a: unknown; where: string }> = [];
    const list = (v: unknown) => (Array.isArray(v) ? v : []);
    list(event['Attribute']).forEach((a, i) => attributes.push({ a, where: `event ${e} attribute ${i}` }));
    list(event['Object']).forEach((o, oi) => {
      if (isObject(o) && !truthy(o['deleted'])) list(o['Attribute']).forEach((a, i) => attributes.push({ a, where: `event ${e} object ${oi} attribute ${i}` }));
    });
    for (const { a, where } of attributes) {
      await sink.step();
      if (!isObject(a)) {
        sink.invalid(where, 'not an object');
        continue;
      }
      if (truthy(a['deleted']) || (a['to_ids'] !== undefined && !truthy(a['to_ids']))) {
        sink.skip();
        continue;
      }
      const type = typeof a['type'] === 'string' ? a['type'] : '';
      const parts = MISP_TYPES[type];
      if (!parts) {
        sink.skip();
        continue;
      }
      const value = a['value'];
      if (typeof value !== 'string') {
        sink.invalid(where, 'attribute without a value');
        continue;
      }
      // Two-part types: the first part ends at the first `|`, the second starts after the last.
      const bar = value.indexOf('|');
      const pieces = parts.length === 1 ? [value] : bar < 0 ? [value] : [value.slice(0, bar), value.slice(value.lastIndexOf('|') + 1)];
      const extras: Extras = {
        description: str(a['comment']) ?? info,
        added: parseTime(a['timestamp']) ?? parseTime(event['timestamp']),
        reference: str(a['uuid']),
      };
      let found = 0;
      parts.forEach((hint, i) => {
        const piece = pieces[i];
        if (hint === null || piece === undefined) return;
        const v = readAs(hint, piece);
        if (v) {
          sink.add(v, extras);
          found++;
        }
      });
      if (found === 0) sink.invalid(where, `not a valid ${type}: ${clip(value)}`);
    }
  }
}
