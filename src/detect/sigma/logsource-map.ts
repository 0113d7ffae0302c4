/**
 * Sigma log sources in Vigil: which events a rule's `logsource` covers, and the names it reads
 * fields by on each event shape. The mappings are data (config/sigma/logsources.yml, format
 * documented at its top), extended or overridden by user files given at load time.
 *
 * Keys: `product/category/service`, `*` for an absent part. Each definition in the data has a
 * key, and an event it matches also belongs to every generalisation of that key (parts replaced
 * by `*`, at least one part kept): a Sysmon 1 event is in `windows/process_creation/*`,
 * `*\/process_creation/*` and `windows/*\/*`. `ruleKey` answers a rule's key when some definition
 * produces it; `sourcesOf` answers every key an event is in, each with the renames of the most
 * specific definitions that put it there (merged, the more specific winning per name).
 *
 * Per event the work is one field read per distinct gate field (the first `where` field of an
 * alternative as written, or its first `present` field; a few dozen in the shipped data, most of
 * them absent from any one event) and a hash lookup per further `where` field: alternatives sit
 * in tables keyed by their values (`Channel` → `EventID`), never scanned. The answer for a set of
 * matching alternatives is computed once and cached, and equal rename maps are one object, so a
 * caller can share a RuleEvent between keys with the same renames.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import type { Event, FieldValue } from '../../core/event.js';
import { VigilError } from '../../core/errors.js';
import type { FieldRenames, FieldSource } from './rule-event.js';
import type { SigmaLogsource } from './sigma-types.js';

export type { FieldRenames, FieldSource } from './rule-event.js';

export interface EventSourceMatch {
  /** The log source's key (`windows/process_creation/*`), as `ruleKey` answers it for rules. */
  readonly key: string;
  /** Sigma field name → where its value is on this event; a name without one is read as is. */
  readonly renames: FieldRenames;
}

/** The mappings Vigil ships: `config/sigma/logsources.yml`, three levels above this file (src/ or dist/). */
export const SHIPPED_LOGSOURCES_FILE = fileURLToPath(new URL('../../../config/sigma/logsources.yml', import.meta.url));

/** Condition names that are not fields: properties of the event itself. */
const PSEUDO_FIELDS = new Set(['$format']);
const ENTRY_KEYS = new Set(['product', 'category', 'service', 'fields', 'events', 'replace']);
const ALTERNATIVE_KEYS = new Set(['where', 'present', 'absent', 'not', 'fields']);
const ANY = '*';
const SEP = '\u0000';
/** Distinct sets of matching alternatives whose answer is kept; real data has a few dozen. */
const MAX_CACHED = 4096;
const NO_MATCHES: readonly EventSourceMatch[] = Object.freeze([]);

// ---------------------------------------------------------------------------------------------
// The data, as read from the files (before merging and compiling).
// ---------------------------------------------------------------------------------------------

interface Condition {
  readonly field: string;
  /** Lower-cased text of each accepted value. */
  readonly values: readonly string[];
  /** The values as the data wrote them (numbers as text). */
  readonly written: readonly string[];
}

/** A rename as written: sources in order, or null to remove an inherited rename. */
type RenameSpec = readonly FieldSource[] | null;

interface AlternativeSpec {
  readonly where: readonly Condition[];
  readonly present: readonly string[];
  readonly absent: readonly string[];
  readonly not: readonly Condition[];
  fields: Map<string, RenameSpec>;
  /** Canonical text of the conditions: the alternative's identity when files are merged. */
  readonly identity: string;
}

interface EntrySpec {
  readonly product: string | undefined;
  readonly category: string | undefined;
  readonly service: string | undefined;
  fields: Map<string, RenameSpec>;
  alternatives: AlternativeSpec[];
}

interface SourceText {
  /** File name for messages. */
  readonly file: string;
  readonly text: string;
}

// ---------------------------------------------------------------------------------------------
// Compiled form.
// ---------------------------------------------------------------------------------------------

interface CompiledEntry {
  /** Definition order (after merging): ties in specificity go to the earlier one. */
  readonly order: number;
  /** Number of parts present: 3 is the most specific. */
  readonly specificity: number;
  /** The entry's own key and its generalisations, most specific first. */
  readonly keys: readonly string[];
}

interface CompiledAlternative {
  readonly id: number;
  readonly entry: CompiledEntry;
  readonly present: readonly string[];
  readonly absent: readonly string[];
  readonly not: readonly Condition[];
  /** Entry renames overlaid by the alternative's own; removals applied. */
  readonly renames: ReadonlyMap<string, readonly FieldSource[]>;
  /** `sourcesOf` call in which it last matched (dedupes matches through several index keys). */
  seen: number;
}

/** Alternatives reached by a value of one `where` field, and the table of the next field. */
interface TableNode {
  alternatives: CompiledAlternative[] | undefined;
  next: Map<string, TableNode> | undefined;
}

interface WhereIndex {
  /** The `where` fields after the gate's: as written first, the rest sorted. */
  readonly rest: readonly string[];
  /**
   * Values of the gate field → node; each node's `next` is keyed by the values of the next
   * field of `rest`. Keys are the lower-cased values, plus the spellings the data wrote (aliases
   * of the same node), so an event spelled as the data is found without lower-casing.
   */
  readonly root: Map<string, TableNode>;
}

/**
 * One field read per event for all the alternatives that need it: the where-indexes whose first
 * field it is, and the alternatives with only `present` conditions, the first of which it is.
 */
interface Gate {
  readonly field: string;
  /** The field is `$format`: the event's format, not a field. */
  readonly format: boolean;
  readonly where: WhereIndex[];
  readonly present: CompiledAlternative[];
}

/** The answers cached by set of matching alternatives: a trie over their ids, ascending. */
interface CacheNode {
  result: readonly EventSourceMatch[] | undefined;
  readonly next: Map<number, CacheNode>;
}

export class LogsourceMap {
  readonly #gates: readonly Gate[];
  readonly #keys: ReadonlySet<string>;
  readonly #conditionFields = new Set<string>();
  readonly #cache: CacheNode = { result: undefined, next: new Map() };
  #cached = 0;
  readonly #renamesByContent = new Map<string, FieldRenames>();
  /** Alternatives matched by the current `sourcesOf` call (reused: no allocation per event). */
  readonly #matched: CompiledAlternative[] = [];
  #call = 0;

  private constructor(entries: readonly EntrySpec[]) {
    const gates = new Map<string, Gate>();
    const whereIndexes = new Map<string, WhereIndex>();
    const gateOf = (field: string): Gate => {
      let gate = gates.get(field);
      if (!gate) gates.set(field, (gate = { field: internalized(field), format: field === '$format', where: [], present: [] }));
      return gate;
    };
    const keys = new Set<string>();
    let id = 0;
    entries.forEach((spec, order) => {
      if (spec.alternatives.length === 0) return;
      const parts = [spec.product, spec.category, spec.service] as const;
      const entry: CompiledEntry = { order, specificity: parts.filter((p) => p !== undefined).length, keys: generalisations(parts) };
      for (const k of entry.keys) keys.add(k);
      for (const alt of spec.alternatives) {
        for (const f of [...alt.where.map((c) => c.field), ...alt.present, ...alt.absent, ...alt.not.map((c) => c.field)]) if (f !== '$format') this.#conditionFields.add(f);
        const compiled: CompiledAlternative = {
          id: id++,
          entry,
          present: alt.present.map(internalized),
          absent: alt.absent.map(internalized),
          not: alt.not.map((c) => ({ ...c, field: internalized(c.field) })),
          renames: overlay(spec.fields, alt.fields),
          seen: 0,
        };
        if (alt.where.length === 0) {
          gateOf(alt.present[0]!).present.push(compiled);
          continue;
        }
        // The first field as written gates the index (authors put the telling one first).
        const [first, ...others] = alt.where;
        const where = [first!, ...others.sort((a, b) => (a.field < b.field ? -1 : a.field > b.field ? 1 : 0))];
        const signature = where.map((c) => c.field).join(SEP);
        let index = whereIndexes.get(signature);
        if (!index) {
          whereIndexes.set(signature, (index = { rest: where.slice(1).map((c) => internalized(c.field)), root: new Map() }));
          gateOf(first!.field).where.push(index);
        }
        insert(index.root, where, 0, compiled);
      }
    });
    const spellings = new Set<string>();
    for (const e of entries) for (const alt of e.alternatives) for (const c of alt.where) for (const w of c.written) spellings.add(w);
    for (const index of whereIndexes.values()) addSpellings(index.root, spellings);
    this.#gates = [...gates.values()];
    this.#keys = keys;
  }

  /**
   * The shipped mappings, then `extraFiles` in order (later ones override and add). Throws a
   * `config-invalid` VigilError naming the file and the entry when the data is wrong.
   */
  static load(extraFiles: readonly string[] = []): LogsourceMap {
    const files = [SHIPPED_LOGSOURCES_FILE, ...extraFiles];
    return LogsourceMap.fromTexts(
      files.map((file) => {
        try {
          return { file, text: readFileSync(file, 'utf8') };
        } catch (e) {
          throw new VigilError('config-invalid', `${file}: cannot read the Sigma log source mappings: ${e instanceof Error ? e.message : String(e)}`, { where: file, cause: e });
        }
      }),
    );
  }

  /** Mappings from YAML texts (in order, later ones override), without the shipped file. */
  static fromTexts(sources: readonly SourceText[]): LogsourceMap {
    const entries = new Map<string, EntrySpec>();
    for (const source of sources) mergeFile(entries, source);
    return new LogsourceMap([...entries.values()]);
  }

  /** The event fields the mappings test (besides the format): what decides an event's log sources. */
  conditionFields(): readonly string[] {
    return [...this.#conditionFields].sort();
  }

  /** Every key some definition produces: what `ruleKey` can answer. */
  keys(): readonly string[] {
    return [...this.#keys].sort();
  }

  /**
   * Key of the log source a rule targets; undefined when no mapping covers it (the rule then
   * cannot run; lint reports it). A rule with only `product: windows` covers every Windows event.
   */
  ruleKey(logsource: SigmaLogsource): string | undefined {
    const product = part(logsource.product);
    const category = part(logsource.category);
    const service = part(logsource.service);
    if (product === undefined && category === undefined && service === undefined) return undefined;
    const key = keyOf(product, category, service);
    return this.#keys.has(key) ? key : undefined;
  }

  /** Every log source the event belongs to, most specific first, with the renames for each. */
  sourcesOf(event: Event): readonly EventSourceMatch[] {
    const call = ++this.#call;
    const matched = this.#matched;
    matched.length = 0;
    const fields = event.fields;
    const gates = this.#gates;
    for (let g = 0; g < gates.length; g++) {
      const gate = gates[g]!;
      const v = gate.format ? event.format : fields[gate.field];
      if (v === undefined || v === null) continue;
      const where = gate.where;
      for (let i = 0; i < where.length; i++) visit(where[i]!.root, v, where[i]!.rest, 0, event, call, matched);
      const present = gate.present;
      for (let i = 0; i < present.length; i++) {
        const alt = present[i]!;
        if (alt.seen !== call && satisfies(alt, event)) {
          alt.seen = call;
          matched.push(alt);
        }
      }
    }
    if (matched.length === 0) return NO_MATCHES;
    // Insertion sort by id: the list is short.
    for (let i = 1; i < matched.length; i++) {
      const a = matched[i]!;
      let j = i - 1;
      while (j >= 0 && matched[j]!.id > a.id) {
        matched[j + 1] = matched[j]!;
        j--;
      }
      matched[j + 1] = a;
    }
    let node = this.#cache;
    for (const alt of matched) {
      let next = node.next.get(alt.id);
      if (!next) {
        if (this.#cached >= MAX_CACHED) return this.#answer(matched);
        node.next.set(alt.id, (next = { result: undefined, next: new Map() }));
      }
      node = next;
    }
    if (node.result) return node.result;
    node.result = this.#answer(matched);
    this.#cached++;
    return node.result;
  }

  /** Keys and renames for a set of matching alternatives (sorted by id, i.e. definition order). */
  #answer(matched: readonly CompiledAlternative[]): readonly EventSourceMatch[] {
    // Per key, the alternatives that put the event there, most specific definition first.
    const byKey = new Map<string, CompiledAlternative[]>();
    for (const alt of matched) {
      for (const key of alt.entry.keys) {
        const list = byKey.get(key);
        if (list) list.push(alt);
        else byKey.set(key, [alt]);
      }
    }
    const out: { key: string; specificity: number; order: number; renames: FieldRenames }[] = [];
    for (const [key, alts] of byKey) {
      alts.sort((a, b) => b.entry.specificity - a.entry.specificity || a.entry.order - b.entry.order || a.id - b.id);
      const renames = new Map<string, readonly FieldSource[]>();
      for (const alt of alts) for (const [name, sources] of alt.renames) if (!renames.has(name)) renames.set(name, sources);
      out.push({ key, specificity: 3 - countAny(key), order: Math.min(...alts.map((a) => a.entry.order)), renames: this.#intern(renames) });
    }
    // Most specific keys first; among equals, in the order the data defines them.
    out.sort((a, b) => b.specificity - a.specificity || a.order - b.order || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return Object.freeze(out.map((m) => Object.freeze({ key: m.key, renames: m.renames })));
  }

  #intern(renames: Map<string, readonly FieldSource[]>): FieldRenames {
    const content = JSON.stringify([...renames].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
    const known = this.#renamesByContent.get(content);
    if (known) return known;
    this.#renamesByContent.set(content, renames);
    return renames;
  }
}

// ---------------------------------------------------------------------------------------------
// Index building and matching.
// ---------------------------------------------------------------------------------------------

/** Files `alt` under every combination of its where values (lower-cased), field by field. */
function insert(map: Map<string, TableNode>, where: readonly Condition[], i: number, alt: CompiledAlternative): void {
  for (const value of where[i]!.values) {
    let node = map.get(value);
    if (!node) map.set(value, (node = { alternatives: undefined, next: undefined }));
    if (i === where.length - 1) (node.alternatives ??= []).push(alt);
    else insert((node.next ??= new Map()), where, i + 1, alt);
  }
}

/** Adds the data's own spellings as aliases of the lower-cased keys, at every level. */
function addSpellings(map: Map<string, TableNode>, spellings: ReadonlySet<string>): void {
  const walk = (m: Map<string, TableNode>) => {
    for (const node of new Set(m.values())) if (node.next) walk(node.next);
    for (const w of spellings) {
      const node = m.get(w.toLowerCase());
      if (node && !m.has(w)) m.set(internalized(w), node);
    }
  };
  walk(map);
}

function find(map: Map<string, TableNode>, v: FieldValue): TableNode | undefined {
  if (typeof v === 'string') return map.get(v) ?? map.get(v.toLowerCase());
  if (typeof v === 'number' || typeof v === 'boolean') return map.get(String(v));
  return undefined;
}

/** Collects the alternatives of `map` reached by `v` and the event's values of `rest[i…]`. */
function visit(map: Map<string, TableNode>, v: FieldValue, rest: readonly string[], i: number, event: Event, call: number, out: CompiledAlternative[]): void {
  if (Array.isArray(v)) {
    for (const x of v as readonly FieldValue[]) if (x !== null) visit(map, x, rest, i, event, call, out);
    return;
  }
  const node = find(map, v);
  if (node === undefined) return;
  if (node.alternatives) {
    for (const alt of node.alternatives) {
      if (alt.seen !== call && satisfies(alt, event)) {
        alt.seen = call;
        out.push(alt);
      }
    }
  }
  if (node.next && i < rest.length) {
    const next = valueOf(event, rest[i]!);
    if (next !== undefined && next !== null) visit(node.next, next, rest, i + 1, event, call, out);
  }
}

/**
 * The same text as a string V8 keeps in its string table. Names read from YAML are slices of the
 * file's text; a property lookup by such a name first looks it up in the table, every time.
 */
function internalized(name: string): string {
  return Object.keys({ [name]: true })[0]!;
}

function valueOf(event: Event, field: string): FieldValue | undefined {
  return field === '$format' ? event.format : event.fields[field];
}

/** Lower-cased text of a scalar condition value or event value; undefined for null/objects. */
function textOf(v: unknown): string | undefined {
  if (typeof v === 'string') return v.toLowerCase();
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

/** The conditions the index did not check: present, absent, not. */
function satisfies(alt: CompiledAlternative, event: Event): boolean {
  for (const f of alt.present) {
    const v = valueOf(event, f);
    if (v === undefined || v === null) return false;
  }
  for (const f of alt.absent) {
    const v = valueOf(event, f);
    if (v !== undefined && v !== null) return false;
  }
  for (const c of alt.not) if (holds(c, valueOf(event, c.field))) return false;
  return true;
}

function holds(c: Condition, v: FieldValue | undefined): boolean {
  if (v === undefined || v === null) return false;
  if (Array.isArray(v)) return (v as readonly FieldValue[]).some((x) => holds(c, x));
  const t = textOf(v);
  return t !== undefined && c.values.includes(t);
}

// ---------------------------------------------------------------------------------------------
// Keys.
// ---------------------------------------------------------------------------------------------

function part(value: string | undefined): string | undefined {
  if (typeof value !== 'string') return undefined;
  const v = value.trim().toLowerCase();
  return v === '' ? undefined : v;
}

function keyOf(product: string | undefined, category: string | undefined, service: string | undefined): string {
  return `${product ?? ANY}/${category ?? ANY}/${service ?? ANY}`;
}

function countAny(key: string): number {
  let n = 0;
  for (const p of key.split('/')) if (p === ANY) n++;
  return n;
}

/** The key of a definition and every generalisation keeping at least one part, most specific first. */
function generalisations(parts: readonly [string | undefined, string | undefined, string | undefined]): string[] {
  const present = [0, 1, 2].filter((i) => parts[i] !== undefined);
  const out: { key: string; kept: number }[] = [];
  for (let mask = 1; mask < 1 << present.length; mask++) {
    const p: (string | undefined)[] = [undefined, undefined, undefined];
    let kept = 0;
    present.forEach((i, bit) => {
      if (mask & (1 << bit)) {
        p[i] = parts[i];
        kept++;
      }
    });
    out.push({ key: keyOf(p[0], p[1], p[2]), kept });
  }
  return out.sort((a, b) => b.kept - a.kept).map((o) => o.key);
}

function overlay(base: ReadonlyMap<string, RenameSpec>, top: ReadonlyMap<string, RenameSpec>): Map<string, readonly FieldSource[]> {
  const out = new Map<string, readonly FieldSource[]>();
  for (const [name, sources] of base) if (sources !== null && sources.length > 0) out.set(name, sources);
  for (const [name, sources] of top) {
    if (sources === null || sources.length === 0) out.delete(name);
    else out.set(name, sources);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Reading and merging the files.
// ---------------------------------------------------------------------------------------------

class DataError extends Error {}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describeEntry(raw: unknown, index: number): string {
  const parts: string[] = [];
  if (isObject(raw)) for (const k of ['product', 'category', 'service']) if (typeof raw[k] === 'string') parts.push(`${k}: ${String(raw[k])}`);
  return `logsources[${index}]${parts.length > 0 ? ` (${parts.join(', ')})` : ''}`;
}

function mergeFile(entries: Map<string, EntrySpec>, source: SourceText): void {
  const doc = parseDocument(source.text, { uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const line = e.linePos?.[0]?.line;
    // prettyErrors appends " at line L, column C:" and an excerpt; the line goes up front instead.
    const message = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new VigilError('config-invalid', `${source.file}${line === undefined ? '' : `:${line}`}: not valid YAML: ${message}`, { where: source.file });
  }
  const data: unknown = doc.toJS({ maxAliasCount: 1000 });
  const fail = (where: string, message: string): never => {
    throw new VigilError('config-invalid', `${source.file}: ${where}: ${message}`, { where: `${source.file}: ${where}` });
  };
  if (data === null || data === undefined) return; // an empty file adds nothing
  if (!isObject(data)) fail('top level', 'expected a mapping with a `logsources` list');
  const top = data as Record<string, unknown>;
  for (const k of Object.keys(top)) if (k !== 'version' && k !== 'logsources') fail('top level', `unknown key \`${k}\` (expected version, logsources)`);
  if (top['version'] !== undefined && top['version'] !== 1) fail('version', `unsupported version ${JSON.stringify(top['version'])} (expected 1)`);
  const list = top['logsources'];
  if (list === undefined || list === null) return;
  if (!Array.isArray(list)) fail('logsources', 'expected a list of log source definitions');
  (list as unknown[]).forEach((raw, i) => {
    const where = describeEntry(raw, i);
    try {
      mergeEntry(entries, readEntry(raw));
    } catch (e) {
      if (e instanceof DataError) fail(where, e.message);
      throw e;
    }
  });
}

function readEntry(raw: unknown): EntrySpec & { replace: boolean; hasEvents: boolean } {
  if (!isObject(raw)) throw new DataError('expected a mapping with product, category and/or service, and events');
  for (const k of Object.keys(raw)) if (!ENTRY_KEYS.has(k)) throw new DataError(`unknown key \`${k}\` (expected ${[...ENTRY_KEYS].join(', ')})`);
  const name = (k: 'product' | 'category' | 'service'): string | undefined => {
    const v = raw[k];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string' || v.trim() === '') throw new DataError(`\`${k}\` must be a non-empty string`);
    return v.trim().toLowerCase();
  };
  const product = name('product');
  const category = name('category');
  const service = name('service');
  if (product === undefined && category === undefined && service === undefined) throw new DataError('needs at least one of product, category, service');
  const replace = raw['replace'];
  if (replace !== undefined && typeof replace !== 'boolean') throw new DataError('`replace` must be true or false');
  const fields = readRenames(raw['fields'], 'fields');
  const events = raw['events'];
  if (events !== undefined && events !== null && !Array.isArray(events)) throw new DataError('`events` must be a list of alternatives');
  const alternatives = ((events as unknown[] | undefined | null) ?? []).map((alt, j) => readAlternative(alt, `events[${j}]`));
  return { product, category, service, fields, alternatives, replace: replace === true, hasEvents: Array.isArray(events) };
}

function readAlternative(raw: unknown, at: string): AlternativeSpec {
  if (!isObject(raw)) throw new DataError(`${at}: expected a mapping with where/present/absent/not/fields`);
  for (const k of Object.keys(raw)) if (!ALTERNATIVE_KEYS.has(k)) throw new DataError(`${at}: unknown key \`${k}\` (expected ${[...ALTERNATIVE_KEYS].join(', ')})`);
  const where = readConditions(raw['where'], `${at}.where`);
  const not = readConditions(raw['not'], `${at}.not`);
  const present = readFieldList(raw['present'], `${at}.present`);
  const absent = readFieldList(raw['absent'], `${at}.absent`);
  if (where.length === 0 && present.length === 0) throw new DataError(`${at}: needs a \`where\` or a \`present\` condition (events are indexed by them)`);
  const fields = readRenames(raw['fields'], `${at}.fields`);
  const canon = (cs: readonly Condition[]) => cs.map((c) => [c.field, [...c.values].sort()]).sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
  const identity = JSON.stringify([canon(where), [...present].sort(), [...absent].sort(), canon(not)]);
  return { where, present, absent, not, fields, identity };
}

function checkField(field: string, at: string): string {
  if (field.trim() === '') throw new DataError(`${at}: field names must not be empty`);
  if (field.startsWith('$') && !PSEUDO_FIELDS.has(field)) throw new DataError(`${at}: unknown event property \`${field}\` (known: ${[...PSEUDO_FIELDS].join(', ')})`);
  return field;
}

function readConditions(raw: unknown, at: string): Condition[] {
  if (raw === undefined || raw === null) return [];
  if (!isObject(raw)) throw new DataError(`${at}: expected a mapping of field: value or [values]`);
  return Object.entries(raw).map(([field, value]) => {
    checkField(field, at);
    const list = Array.isArray(value) ? value : [value];
    if (list.length === 0) throw new DataError(`${at}.${field}: needs at least one value`);
    const values = list.map((v) => {
      const t = textOf(v);
      if (t === undefined) throw new DataError(`${at}.${field}: values must be strings, numbers or booleans, not ${JSON.stringify(v)}`);
      return t;
    });
    return { field, values: [...new Set(values)], written: [...new Set(list.map((v) => String(v)))] };
  });
}

function readFieldList(raw: unknown, at: string): string[] {
  if (raw === undefined || raw === null) return [];
  const list = Array.isArray(raw) ? raw : [raw];
  return list.map((f) => {
    if (typeof f !== 'string') throw new DataError(`${at}: expected field names, not ${JSON.stringify(f)}`);
    return checkField(f, at);
  });
}

const INDEXED = /^(.+)\[(\d{1,4})\]$/;

function readSource(raw: unknown, at: string): FieldSource {
  if (typeof raw !== 'string' || raw.trim() === '') throw new DataError(`${at}: a source must be a field name, or \`field[index]\``);
  if (raw.startsWith('$')) throw new DataError(`${at}: \`${raw}\` is not a field; renames read event fields only`);
  const m = INDEXED.exec(raw);
  return m ? { field: m[1]!, index: Number(m[2]) } : raw;
}

function readRenames(raw: unknown, at: string): Map<string, RenameSpec> {
  const out = new Map<string, RenameSpec>();
  if (raw === undefined || raw === null) return out;
  if (!isObject(raw)) throw new DataError(`${at}: expected a mapping of Sigma field name: source field(s)`);
  for (const [name, value] of Object.entries(raw)) {
    if (name.trim() === '') throw new DataError(`${at}: Sigma field names must not be empty`);
    if (value === null || (Array.isArray(value) && value.length === 0)) {
      out.set(name, null);
      continue;
    }
    const list = Array.isArray(value) ? value : [value];
    out.set(
      name,
      list.map((s) => readSource(s, `${at}.${name}`)),
    );
  }
  return out;
}

function mergeRenames(into: Map<string, RenameSpec>, from: ReadonlyMap<string, RenameSpec>): void {
  for (const [name, sources] of from) into.set(name, sources);
}

function mergeEntry(entries: Map<string, EntrySpec>, next: EntrySpec & { replace: boolean; hasEvents: boolean }): void {
  const id = keyOf(next.product, next.category, next.service);
  const known = entries.get(id);
  if (!known || next.replace) {
    if (!known && !next.hasEvents) throw new DataError('has no `events`: a new log source needs at least one alternative');
    const fresh: EntrySpec = { product: next.product, category: next.category, service: next.service, fields: new Map(next.fields), alternatives: [] };
    for (const alt of next.alternatives) addAlternative(fresh, alt);
    // A replaced definition keeps its place, so precedence among equals does not change.
    entries.set(id, fresh);
    return;
  }
  mergeRenames(known.fields, next.fields);
  for (const alt of next.alternatives) addAlternative(known, alt);
}

function addAlternative(entry: EntrySpec, alt: AlternativeSpec): void {
  const same = entry.alternatives.find((a) => a.identity === alt.identity);
  if (same) mergeRenames(same.fields, alt.fields);
  else entry.alternatives.push({ ...alt, fields: new Map(alt.fields) });
}
