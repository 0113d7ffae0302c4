/**
 * Detection items (`Field|mod1|mod2: value(s)`, keywords, maps, lists of maps) compiled once
 * into predicates over a `RuleEvent`, following the Sigma specification v2.1.0
 * (sigma-rules-specification.md, sigma-appendix-modifiers.md).
 *
 * Matching rules:
 * - Strings are case-insensitive: the pattern is lower-cased here, once, and compared with
 *   `event.lowered(field)`. `cased` and `re` compare with `event.value(field)`.
 * - Wildcards `*` (any run) and `?` (one character); `\*`, `\?` and `\\` escape them, and a
 *   backslash before any other character is a plain backslash. Exact, prefix, suffix and
 *   contains patterns use a Set, `startsWith`, `endsWith`, `includes` (long prefix and suffix
 *   lists are bucketed by their first / last 8 characters; four or more substrings are found
 *   in one pass by a RegExp made only of escaped literals); other patterns use the glob
 *   matcher below, which finds the `*`-separated segments left to right (greedy leftmost is
 *   exact for `*`-globs): time O(text × pattern), no backtracking, no RegExp.
 * - A number or boolean in a rule matches the number or its text (`4688` matches 4688 and
 *   '4688'). `null` matches a field that is absent or null; `''` only an empty string.
 * - A list of values is OR-ed (AND-ed with `all`); an event field holding an array matches
 *   when any element does. Maps AND their items; lists of maps OR them.
 * - Keywords (a text, a list of texts, or a `'|mod':` item without a field) are searched in
 *   `event.keywordTexts()`, as `contains` unless a position modifier says otherwise. Those
 *   texts are lower-cased, so `cased` and `re` keywords match case-insensitively there.
 * - Rule regular expressions run on RE2JS (a pure-JS port of RE2, linear time); lookbehinds
 *   are enabled (RE2JS evaluates them in linear time too); lookaheads and backreferences are
 *   rejected with a RuleError. `re` matches anywhere in the value unless the rule anchors it.
 *
 * Every predicate carries `witnesses`: literals of which at least one must occur in the
 * lowered value of its field whenever the predicate is true (see `CompiledRule.witnesses`).
 */
import { parseIPv4, parseIPv6 as parseIPv6Words } from '../../core/ip-networks.js';
import { RE2JS } from 're2js';
import { RuleError, isMap, kindOf, splitItemKey } from './rule-document.js';
import type { RuleEvent, Witness } from './sigma-types.js';

export interface Predicate {
  readonly test: (event: RuleEvent) => boolean;
  /** Relative cost of one evaluation; AND and OR operands are evaluated cheapest first. */
  readonly cost: number;
  /** A set of which one literal must be present when `test` is true; undefined: no such set. */
  readonly witnesses: readonly Witness[] | undefined;
}

export interface MatcherOptions {
  /** Values for `%name%` placeholders of `|expand` items. */
  readonly placeholders?: Readonly<Record<string, readonly string[]>> | undefined;
}

// ---------------------------------------------------------------------------------------------
// Costs (relative; only their order matters)

const COST_EXISTS = 1;
const COST_EXACT = 1;
const COST_AFFIX = 2;
const COST_CONTAINS = 3;
const COST_GLOB = 5;
const COST_NUMERIC = 2;
const COST_CIDR = 3;
const COST_FIELDREF = 3;
const COST_TIME = 4;
const COST_REGEX = 20;
/** Keyword searches look at every text of the event. */
const KEYWORD_FACTOR = 4;

// ---------------------------------------------------------------------------------------------
// Sigma strings → tokens

/** Tokens: a one-code-unit string is a literal character; these numbers are specials. */
const STAR = 0;
const QMARK = 1;
/** A windash position: any of - / – — ―. */
const DASH = 2;
type Special = typeof STAR | typeof QMARK | typeof DASH;
interface Placeholder {
  readonly placeholder: string;
}
type Tok = string | Special | Placeholder;

interface Pattern {
  readonly toks: readonly Tok[];
  /** Literal characters stand for bytes (after utf16le/utf16be/utf16). */
  readonly bytes: boolean;
}

const DASH_CHARS = ['-', '/', '\u2013', '\u2014', '\u2015'];

function isDashCode(c: number): boolean {
  return c === 45 || c === 47 || c === 0x2013 || c === 0x2014 || c === 0x2015;
}

/** Parses a Sigma string value: wildcards, escapes and (with `expand`) `%placeholders%`. */
function parseSigmaString(raw: string, placeholders: boolean): Tok[] {
  const toks: Tok[] = [];
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === '\\') {
      const n = raw[i + 1];
      if (n === '*' || n === '?' || n === '\\' || (placeholders && n === '%')) {
        toks.push(n);
        i++;
      } else toks.push('\\');
    } else if (c === '*') toks.push(STAR);
    else if (c === '?') toks.push(QMARK);
    else if (c === '%' && placeholders) {
      const close = raw.indexOf('%', i + 1);
      const name = close > i + 1 ? raw.slice(i + 1, close) : '';
      if (name !== '' && /^[\w.-]+$/.test(name)) {
        toks.push({ placeholder: name });
        i = close;
      } else toks.push('%');
    } else toks.push(c);
  }
  return toks;
}

function literalToks(text: string): Tok[] {
  return text.split('');
}

function isLiteral(t: Tok): t is string {
  return typeof t === 'string';
}

function hasWildcards(p: Pattern): boolean {
  return p.toks.some((t) => t === STAR || t === QMARK);
}

/** Every concrete spelling of a windash pattern (for encodings, which need concrete text). */
function expandDashes(p: Pattern, path: string): Pattern[] {
  let out: Tok[][] = [[]];
  for (const t of p.toks) {
    if (t === DASH) {
      out = out.flatMap((prefix) => DASH_CHARS.map((d) => [...prefix, d]));
      if (out.length > 3125) throw new RuleError(`${path}: 'windash' before an encoding gives more than 3125 spellings; split the value`);
    } else out.forEach((prefix) => prefix.push(t));
  }
  return out.map((toks) => ({ toks, bytes: p.bytes }));
}

// ---------------------------------------------------------------------------------------------
// Transformation modifiers

function addStars(p: Pattern, front: boolean, back: boolean): Pattern {
  const toks = [...p.toks];
  if (front && toks[0] !== STAR) toks.unshift(STAR);
  if (back && toks[toks.length - 1] !== STAR) toks.push(STAR);
  return { toks, bytes: p.bytes };
}

function patternBytes(p: Pattern, mod: string, path: string): Uint8Array {
  if (p.toks.some((t) => !isLiteral(t))) {
    const what = p.toks.some((t) => typeof t === 'object')
      ? 'a placeholder (put expand before it)'
      : "wildcards (escape a plain '*' or '?' as '\\*', '\\?'; modifiers apply left to right, so write contains, startswith or endswith after the encoding)";
    throw new RuleError(`${path}: '${mod}' can't encode a value with ${what}`);
  }
  const text = (p.toks as string[]).join('');
  if (p.bytes) return Uint8Array.from(text, (c) => c.charCodeAt(0));
  return new TextEncoder().encode(text);
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/**
 * The three spellings of a value inside a longer Base64 text, by its byte offset modulo 3
 * (the characters that depend on the neighbouring bytes are cut off), as pySigma does.
 */
export function base64OffsetVariants(bytes: Uint8Array): string[] {
  const start = [0, 2, 3];
  const end = [0, -3, -2];
  const out: string[] = [];
  for (let i = 0; i < 3; i++) {
    const padded = new Uint8Array(i + bytes.length);
    padded.fill(0x20, 0, i);
    padded.set(bytes, i);
    const encoded = base64(padded);
    const cut = end[(bytes.length + i) % 3]!;
    out.push(encoded.slice(start[i]!, cut === 0 ? undefined : encoded.length + cut));
  }
  return out;
}

function utf16(p: Pattern, order: 'le' | 'be', bom: boolean, mod: string, path: string): Pattern {
  if (p.bytes) throw new RuleError(`${path}: '${mod}' is applied to a value that is already UTF-16 encoded`);
  const toks: Tok[] = [];
  const put = (unit: number) => {
    const lo = String.fromCharCode(unit & 0xff);
    const hi = String.fromCharCode(unit >> 8);
    if (order === 'le') toks.push(lo, hi);
    else toks.push(hi, lo);
  };
  if (bom) put(0xfeff);
  for (const t of p.toks) {
    if (typeof t === 'object') throw new RuleError(`${path}: '${mod}' can't encode a placeholder; put expand before it`);
    if (isLiteral(t)) put(t.charCodeAt(0));
    else toks.push(t);
  }
  return { toks, bytes: true };
}

function expandPlaceholders(p: Pattern, options: MatcherOptions, path: string): Pattern[] {
  let out: Tok[][] = [[]];
  for (const t of p.toks) {
    if (typeof t === 'object') {
      const values = options.placeholders?.[t.placeholder];
      if (values === undefined) {
        throw new RuleError(`${path}: placeholder '%${t.placeholder}%' has no values; configure placeholders.${t.placeholder} (a list of values) or disable the rule`);
      }
      // Configured, but to nothing (no sensitive buckets listed yet): the item matches nothing.
      if (values.length === 0) return [];
      const parsed = values.map((v) => parseSigmaString(v, false));
      out = out.flatMap((prefix) => parsed.map((v) => [...prefix, ...v]));
      if (out.length > 10000) throw new RuleError(`${path}: expanding the placeholders gives more than 10000 values`);
    } else out.forEach((prefix) => prefix.push(t));
  }
  return out.map((toks) => ({ toks, bytes: p.bytes }));
}

function applyTransform(mod: string, patterns: Pattern[], options: MatcherOptions, path: string): Pattern[] {
  switch (mod) {
    case 'contains':
      return patterns.map((p) => addStars(p, true, true));
    case 'startswith':
      return patterns.map((p) => addStars(p, false, true));
    case 'endswith':
      return patterns.map((p) => addStars(p, true, false));
    case 'windash':
      return patterns.map((p) => ({ toks: p.toks.map((t) => (isLiteral(t) && isDashCode(t.charCodeAt(0)) ? DASH : t)), bytes: p.bytes }));
    case 'utf16le':
    case 'wide':
      return patterns.flatMap((p) => expandDashes(p, path)).map((p) => utf16(p, 'le', false, mod, path));
    case 'utf16be':
      return patterns.flatMap((p) => expandDashes(p, path)).map((p) => utf16(p, 'be', false, mod, path));
    case 'utf16':
      return patterns.flatMap((p) => expandDashes(p, path)).map((p) => utf16(p, 'le', true, mod, path));
    case 'base64':
      return patterns.flatMap((p) => expandDashes(p, path)).map((p) => ({ toks: literalToks(base64(patternBytes(p, mod, path))), bytes: false }));
    case 'base64offset':
      return patterns
        .flatMap((p) => expandDashes(p, path))
        .flatMap((p) => base64OffsetVariants(patternBytes(p, mod, path)))
        .map((text) => ({ toks: literalToks(text), bytes: false }));
    case 'expand':
      return patterns.flatMap((p) => expandPlaceholders(p, options, path));
    default:
      return patterns;
  }
}

// ---------------------------------------------------------------------------------------------
// Compiled string patterns

const CODE_ANY = -1;
const CODE_DASH = -2;

/** A run between two `*`: plain text, or codes when it holds `?` or windash positions. */
class Segment {
  readonly length: number;
  constructor(
    readonly text: string | undefined,
    readonly codes: Int32Array | undefined,
  ) {
    this.length = text !== undefined ? text.length : codes!.length;
  }

  at(s: string, pos: number): boolean {
    if (this.text !== undefined) return s.startsWith(this.text, pos);
    const codes = this.codes!;
    for (let j = 0; j < codes.length; j++) {
      const c = codes[j]!;
      if (c === CODE_ANY) continue;
      const sc = s.charCodeAt(pos + j);
      if (c === CODE_DASH) {
        if (!isDashCode(sc)) return false;
      } else if (c !== sc) return false;
    }
    return true;
  }

  /** Leftmost position ≥ from where the segment fits and ends by `end`; -1 if none. */
  find(s: string, from: number, end: number): number {
    if (this.text !== undefined) {
      const at = s.indexOf(this.text, from);
      return at >= 0 && at + this.length <= end ? at : -1;
    }
    for (let i = from; i + this.length <= end; i++) if (this.at(s, i)) return i;
    return -1;
  }
}

type StringKind = 'exact' | 'prefix' | 'suffix' | 'contains' | 'glob';

interface StringMatcher {
  readonly kind: StringKind;
  /** The literal of an exact/prefix/suffix/contains pattern without `?` or windash. */
  readonly literal: string | undefined;
  readonly test: (s: string) => boolean;
  readonly cost: number;
  /** Lower-cased literal that occurs in every lower-cased matching text; undefined if none. */
  readonly witness: string | undefined;
}

function segmentOf(toks: readonly Tok[]): Segment {
  if (toks.every(isLiteral)) return new Segment((toks as string[]).join(''), undefined);
  const codes = new Int32Array(toks.length);
  toks.forEach((t, i) => {
    codes[i] = t === QMARK ? CODE_ANY : t === DASH ? CODE_DASH : (t as string).charCodeAt(0);
  });
  return new Segment(undefined, codes);
}

function lowerToks(toks: readonly Tok[]): Tok[] {
  // Lower-case whole literal runs (as the event's text is lower-cased), then split them again.
  const out: Tok[] = [];
  let run = '';
  const flush = () => {
    if (run !== '') out.push(...literalToks(run.toLowerCase()));
    run = '';
  };
  for (const t of toks) {
    if (isLiteral(t)) run += t;
    else {
      flush();
      out.push(t);
    }
  }
  flush();
  return out;
}

/** Longest run of literal characters; for text matched unlowered, only ASCII characters count. */
function longestLiteral(toks: readonly Tok[], asciiOnly: boolean): string | undefined {
  let best = '';
  let run = '';
  for (const t of toks) {
    if (isLiteral(t) && (!asciiOnly || t.charCodeAt(0) < 128)) run += t;
    else {
      if (run.length > best.length) best = run;
      run = '';
    }
  }
  if (run.length > best.length) best = run;
  return best === '' ? undefined : best.toLowerCase();
}

/** A pattern (already lower-cased unless cased) to a string test, without RegExp. */
function compileStringPattern(rawToks: readonly Tok[], cased: boolean): StringMatcher {
  const toks = cased ? rawToks : lowerToks(rawToks);
  const witness = longestLiteral(toks, cased);
  // Split on '*', dropping empty runs between consecutive stars.
  const parts: Tok[][] = [[]];
  for (const t of toks) {
    if (t === STAR) parts.push([]);
    else parts[parts.length - 1]!.push(t);
  }
  const first = parts[0]!;
  const last = parts[parts.length - 1]!;
  const middle = parts.slice(1, -1).filter((p) => p.length > 0);
  const plain = toks.every((t) => isLiteral(t) || t === STAR);

  if (parts.length === 1) {
    const seg = segmentOf(first);
    if (seg.text !== undefined) {
      const lit = seg.text;
      return { kind: 'exact', literal: lit, test: (s) => s === lit, cost: COST_EXACT, witness };
    }
    const len = seg.length;
    return { kind: 'glob', literal: undefined, test: (s) => s.length === len && seg.at(s, 0), cost: COST_AFFIX, witness };
  }
  if (middle.length === 0 && first.length === 0 && last.length === 0) {
    return { kind: 'contains', literal: '', test: () => true, cost: COST_EXISTS, witness: undefined };
  }
  if (plain && middle.length === 0) {
    const a = (first as string[]).join('');
    const b = (last as string[]).join('');
    if (b === '') return { kind: 'prefix', literal: a, test: (s) => s.startsWith(a), cost: COST_AFFIX, witness };
    if (a === '') return { kind: 'suffix', literal: b, test: (s) => s.endsWith(b), cost: COST_AFFIX, witness };
    const min = a.length + b.length;
    return { kind: 'glob', literal: undefined, test: (s) => s.length >= min && s.startsWith(a) && s.endsWith(b), cost: COST_AFFIX, witness };
  }
  if (plain && middle.length === 1 && first.length === 0 && last.length === 0) {
    const c = (middle[0] as string[]).join('');
    return { kind: 'contains', literal: c, test: (s) => s.includes(c), cost: COST_CONTAINS, witness };
  }
  // General glob: anchored first and last segments, middle segments leftmost in order.
  const head = first.length > 0 ? segmentOf(first) : undefined;
  const tail = last.length > 0 ? segmentOf(last) : undefined;
  const mids = middle.map(segmentOf);
  const min = (head?.length ?? 0) + (tail?.length ?? 0) + mids.reduce((n, m) => n + m.length, 0);
  const test = (s: string): boolean => {
    if (s.length < min) return false;
    let start = 0;
    let end = s.length;
    if (head !== undefined) {
      if (!head.at(s, 0)) return false;
      start = head.length;
    }
    if (tail !== undefined) {
      if (!tail.at(s, end - tail.length)) return false;
      end -= tail.length;
    }
    for (let i = 0; i < mids.length; i++) {
      const m = mids[i]!;
      const at = m.find(s, start, end);
      if (at < 0) return false;
      start = at + m.length;
    }
    return true;
  };
  return { kind: 'glob', literal: undefined, test, cost: COST_GLOB, witness };
}

/** One test for an OR of string matchers: a Set for exact values, loops for the rest. */
function anyString(matchers: readonly StringMatcher[]): { test: (s: string) => boolean; cost: number } {
  const exact = new Set<string>();
  const prefixes: string[] = [];
  const suffixes: string[] = [];
  const contains: string[] = [];
  const others: ((s: string) => boolean)[] = [];
  let cost = 0;
  for (const m of matchers) {
    if (m.kind === 'exact' && m.literal !== undefined) exact.add(m.literal);
    else if (m.kind === 'prefix' && m.literal !== undefined) prefixes.push(m.literal);
    else if (m.kind === 'suffix' && m.literal !== undefined) suffixes.push(m.literal);
    else if (m.kind === 'contains' && m.literal !== undefined && m.literal !== '') contains.push(m.literal);
    else others.push(m.test);
  }
  // Long prefix / suffix lists are bucketed and long substring lists searched in one pass:
  // their cost grows slowly with their length.
  const affixCost = (n: number) => (n === 0 ? 0 : n < AFFIX_BUCKET_MIN ? n * COST_AFFIX * 0.5 : COST_AFFIX * 1.5);
  if (exact.size > 0) cost += COST_EXACT;
  cost += affixCost(prefixes.length) + affixCost(suffixes.length);
  if (contains.length > 0) cost += contains.length < CONTAINS_SET_MIN ? contains.length * COST_CONTAINS * 0.5 : COST_CONTAINS + contains.length * 0.02;
  for (const m of matchers) if (m.kind === 'glob' || m.literal === '') cost += m.cost;
  const tests: ((s: string) => boolean)[] = [];
  if (exact.size === 1) {
    const only = [...exact][0]!;
    tests.push((s) => s === only);
  } else if (exact.size > 1) tests.push((s) => exact.has(s));
  if (prefixes.length > 0) tests.push(affixTest(prefixes, 'prefix'));
  if (suffixes.length > 0) tests.push(affixTest(suffixes, 'suffix'));
  if (contains.length > 0) tests.push(containsTest(contains));
  tests.push(...others);
  return { test: orStringTests(tests), cost: Math.max(cost, COST_EXACT) };
}

/** Lists at least this long are bucketed by their first / last characters. */
const AFFIX_BUCKET_MIN = 6;
/** Bucket key length: values shorter than this are checked one by one. */
const AFFIX_KEY = 8;

function hashRange(s: string, from: number, to: number): number {
  let h = 0;
  for (let i = from; i < to; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/**
 * Any of many prefixes (or suffixes): the text's first (last) 8 characters pick the bucket of
 * candidates, so the cost does not grow with the list; shorter values are tried one by one.
 */
function affixTest(values: readonly string[], side: 'prefix' | 'suffix'): (s: string) => boolean {
  const has = side === 'prefix' ? (s: string, v: string) => s.startsWith(v) : (s: string, v: string) => s.endsWith(v);
  if (values.length === 1) {
    const v = values[0]!;
    return side === 'prefix' ? (s) => s.startsWith(v) : (s) => s.endsWith(v);
  }
  if (values.length < AFFIX_BUCKET_MIN) {
    return (s) => {
      for (let i = 0; i < values.length; i++) if (has(s, values[i]!)) return true;
      return false;
    };
  }
  const short: string[] = [];
  const buckets = new Map<number, string[]>();
  for (const v of values) {
    if (v.length < AFFIX_KEY) short.push(v);
    else {
      const key = side === 'prefix' ? hashRange(v, 0, AFFIX_KEY) : hashRange(v, v.length - AFFIX_KEY, v.length);
      const bucket = buckets.get(key);
      if (bucket) bucket.push(v);
      else buckets.set(key, [v]);
    }
  }
  return (s) => {
    for (let i = 0; i < short.length; i++) if (has(s, short[i]!)) return true;
    if (s.length < AFFIX_KEY) return false;
    const bucket = buckets.get(side === 'prefix' ? hashRange(s, 0, AFFIX_KEY) : hashRange(s, s.length - AFFIX_KEY, s.length));
    if (bucket === undefined) return false;
    for (let i = 0; i < bucket.length; i++) if (has(s, bucket[i]!)) return true;
    return false;
  };
}

/** Lists of substrings at least this long are searched in one pass. */
const CONTAINS_SET_MIN = 4;
const CONTAINS_SET_MAX = 256;

function escapeLiteral(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|\/-]/g, '\\$&');
}

/**
 * Any of several substrings. Four or more are searched in one pass by a RegExp that is an
 * alternation of escaped literals (built here, never from rule regex syntax): it has no
 * quantifier, so it can't backtrack beyond O(text × literals), and V8 runs it 3-4x faster
 * than a loop of `includes`.
 */
function containsTest(values: readonly string[]): (s: string) => boolean {
  if (values.length === 1) {
    const v = values[0]!;
    return (s) => s.includes(v);
  }
  if (values.length < CONTAINS_SET_MIN) {
    return (s) => {
      for (let i = 0; i < values.length; i++) if (s.includes(values[i]!)) return true;
      return false;
    };
  }
  const sets: RegExp[] = [];
  for (let i = 0; i < values.length; i += CONTAINS_SET_MAX) {
    sets.push(new RegExp(values.slice(i, i + CONTAINS_SET_MAX).map(escapeLiteral).join('|')));
  }
  if (sets.length === 1) {
    const re = sets[0]!;
    return (s) => re.test(s);
  }
  return (s) => {
    for (let i = 0; i < sets.length; i++) if (sets[i]!.test(s)) return true;
    return false;
  };
}

function orStringTests(tests: readonly ((s: string) => boolean)[]): (s: string) => boolean {
  if (tests.length === 0) return () => false;
  if (tests.length === 1) return tests[0]!;
  if (tests.length === 2) {
    const [a, b] = tests as [(s: string) => boolean, (s: string) => boolean];
    return (s) => a(s) || b(s);
  }
  return (s) => {
    for (let i = 0; i < tests.length; i++) if (tests[i]!(s)) return true;
    return false;
  };
}

// ---------------------------------------------------------------------------------------------
// Reading event values without allocating

type TextTest = (s: string) => boolean;

/** Any lowered value (or array element) of `field` passes `test`. */
function loweredAny(field: string, test: TextTest): (e: RuleEvent) => boolean {
  return (e) => {
    const v = e.lowered(field);
    if (v === undefined) return false;
    if (typeof v === 'string') return test(v);
    for (let i = 0; i < v.length; i++) if (test(v[i]!)) return true;
    return false;
  };
}

/** Any original value of `field` (numbers and booleans as text) passes `test`. */
function valueAny(field: string, test: TextTest): (e: RuleEvent) => boolean {
  return (e) => anyText(e.value(field), test);
}

function anyText(v: unknown, test: TextTest): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v === 'string') return test(v);
  if (typeof v === 'number' || typeof v === 'boolean') return test(String(v));
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (anyText(v[i], test)) return true;
  }
  return false;
}

function anyNumber(v: unknown, test: (n: number) => boolean): boolean {
  if (typeof v === 'number') return test(v);
  if (typeof v === 'string') {
    const n = numberOf(v);
    return n !== undefined && test(n);
  }
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (anyNumber(v[i], test)) return true;
  }
  return false;
}

const NUMERIC = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

function numberOf(text: string): number | undefined {
  const t = text.trim();
  if (!NUMERIC.test(t)) return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}

function keywordAny(test: TextTest): (e: RuleEvent) => boolean {
  return (e) => {
    const texts = e.keywordTexts();
    for (let i = 0; i < texts.length; i++) if (test(texts[i]!)) return true;
    return false;
  };
}

// ---------------------------------------------------------------------------------------------
// Witness sets

/** Lower is more selective: a literal of n characters counts 2^-n (capped at 12). */
export function witnessScore(witnesses: readonly Witness[]): number {
  let score = 0;
  for (const w of witnesses) score += 2 ** -Math.min(w.literal.length, 12);
  return score;
}

/** OR: any operand may hold, so one of all their literals must be present. */
function unionWitnesses(sets: readonly (readonly Witness[] | undefined)[]): Witness[] | undefined {
  const out: Witness[] = [];
  const seen = new Set<string>();
  for (const set of sets) {
    if (set === undefined || set.length === 0) return undefined;
    for (const w of set) {
      const key = `${w.field ?? ''}\0${w.literal}`;
      if (!seen.has(key)) {
        seen.add(key);
        out.push(w);
      }
    }
  }
  if (out.length === 0 || out.length > 256) return out.length === 0 ? undefined : out;
  // A literal that contains another literal of the same field adds nothing: drop it.
  return out.filter((w) => !out.some((o) => o !== w && o.field === w.field && o.literal.length < w.literal.length && w.literal.includes(o.literal)));
}

/** AND: every operand holds, so the most selective operand's set will do. */
function bestWitnesses(sets: readonly (readonly Witness[] | undefined)[]): readonly Witness[] | undefined {
  let best: readonly Witness[] | undefined;
  let bestScore = Infinity;
  for (const set of sets) {
    if (set === undefined || set.length === 0) continue;
    const score = witnessScore(set);
    if (score < bestScore) {
      best = set;
      bestScore = score;
    }
  }
  return best;
}

// ---------------------------------------------------------------------------------------------
// Combinators

export function andPredicates(operands: readonly Predicate[]): Predicate {
  const flat = operands.flatMap((p) => ((p as AndOr).and ? (p as AndOr).operands! : [p]));
  if (flat.length === 1) return flat[0]!;
  const sorted = [...flat].sort((a, b) => a.cost - b.cost);
  const tests = sorted.map((p) => p.test);
  let test: (e: RuleEvent) => boolean;
  if (tests.length === 2) {
    const [a, b] = tests as [Predicate['test'], Predicate['test']];
    test = (e) => a(e) && b(e);
  } else if (tests.length === 3) {
    const [a, b, c] = tests as [Predicate['test'], Predicate['test'], Predicate['test']];
    test = (e) => a(e) && b(e) && c(e);
  } else {
    test = (e) => {
      for (let i = 0; i < tests.length; i++) if (!tests[i]!(e)) return false;
      return true;
    };
  }
  const result: AndOr = {
    test,
    cost: sorted.reduce((n, p) => n + p.cost, 0),
    witnesses: bestWitnesses(sorted.map((p) => p.witnesses)),
    and: true,
    operands: sorted,
  };
  return result;
}

export function orPredicates(operands: readonly Predicate[]): Predicate {
  const flat = operands.flatMap((p) => ((p as AndOr).or ? (p as AndOr).operands! : [p]));
  if (flat.length === 1) return flat[0]!;
  const sorted = [...flat].sort((a, b) => a.cost - b.cost);
  const tests = sorted.map((p) => p.test);
  let test: (e: RuleEvent) => boolean;
  if (tests.length === 2) {
    const [a, b] = tests as [Predicate['test'], Predicate['test']];
    test = (e) => a(e) || b(e);
  } else {
    test = (e) => {
      for (let i = 0; i < tests.length; i++) if (tests[i]!(e)) return true;
      return false;
    };
  }
  const result: AndOr = {
    test,
    cost: sorted.reduce((n, p) => n + p.cost, 0),
    witnesses: unionWitnesses(sorted.map((p) => p.witnesses)),
    or: true,
    operands: sorted,
  };
  return result;
}

/** Nothing under `not` guarantees a literal. */
export function notPredicate(operand: Predicate): Predicate {
  const t = operand.test;
  return { test: (e) => !t(e), cost: operand.cost, witnesses: undefined };
}

interface AndOr extends Predicate {
  readonly and?: boolean;
  readonly or?: boolean;
  readonly operands?: readonly Predicate[];
}

// ---------------------------------------------------------------------------------------------
// Detection items

const POSITION = new Set(['contains', 'startswith', 'endswith']);
const ENCODING = new Set(['base64', 'base64offset', 'utf16le', 'wide', 'utf16be', 'utf16']);
const RE_FLAGS = new Set(['i', 'm', 's', 'ignorecase', 'multiline', 'dotall']);
const COMPARE = new Set(['lt', 'lte', 'gt', 'gte']);
const TIME = new Set(['minute', 'hour', 'day', 'week', 'month', 'year']);
const STRING_TRANSFORMS = new Set([...POSITION, ...ENCODING, 'windash', 'expand']);

type Scalar = string | number | boolean | null;

function valuesOf(value: unknown, path: string, all: boolean): Scalar[] {
  if (Array.isArray(value)) {
    if (value.length === 0) throw new RuleError(`${path}: is an empty list of values`);
    return value.map((v, i) => {
      if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
      throw new RuleError(`${path}[${i}]: a value must be a text, a number, a boolean or null, not ${kindOf(v)}`);
    });
  }
  if (all) throw new RuleError(`${path}: 'all' needs a list of values (a single value can't use it); use a separate selection to test a field twice`);
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return [value];
  throw new RuleError(`${path}: a value must be a text, a number, a boolean, null or a list of those, not ${kindOf(value)}`);
}

function onlyWith(path: string, mod: string, modifiers: readonly string[], allowed: readonly string[]): void {
  for (const m of modifiers) {
    if (m !== mod && !allowed.includes(m)) throw new RuleError(`${path}: modifier '${m}' can't be combined with '${mod}'`);
  }
}

/**
 * Compiles one detection item: `key` is `Field|mod…` (or `|mod…` for keywords), `value` a
 * scalar or a list. Throws RuleError with `path` (e.g. `detection.selection.Image|endswith`).
 */
export function compileDetectionItem(key: string, value: unknown, path: string, options: MatcherOptions = {}): Predicate {
  const { field, modifiers } = splitItemKey(key, path);
  return compileItem(field, modifiers, value, path, options);
}

function compileItem(field: string | undefined, modifiers: readonly string[], value: unknown, path: string, options: MatcherOptions): Predicate {
  const has = (m: string) => modifiers.includes(m);
  const all = has('all');
  const neq = has('neq');
  const seen = new Set<string>();
  for (const m of modifiers) {
    const canonical = m === 'wide' ? 'utf16le' : m === 'ignorecase' ? 'i' : m === 'multiline' ? 'm' : m === 'dotall' ? 's' : m;
    if (seen.has(canonical) && !POSITION.has(m)) throw new RuleError(`${path}: modifier '${m}' is given twice`);
    seen.add(canonical);
  }
  for (const m of modifiers) if (RE_FLAGS.has(m) && !has('re')) throw new RuleError(`${path}: modifier '${m}' only applies after 're'`);

  let predicate: Predicate;
  if (has('exists')) predicate = compileExists(field, modifiers, value, path);
  else if (has('re')) predicate = compileRegexItem(field, modifiers, value, path, options, all);
  else if (has('cidr')) predicate = compileCidr(field, modifiers, value, path, all);
  else if (has('fieldref')) predicate = compileFieldref(field, modifiers, value, path, all);
  else if (modifiers.some((m) => TIME.has(m))) predicate = compileTime(field, modifiers, value, path, all);
  else if (modifiers.some((m) => COMPARE.has(m))) predicate = compileCompare(field, modifiers, value, path, all);
  else predicate = compileStrings(field, modifiers, value, path, options, all);
  return neq ? notPredicate(predicate) : predicate;
}

function needsField(field: string | undefined, mod: string, path: string): string {
  if (field === undefined) throw new RuleError(`${path}: '${mod}' needs a field name before it (Field|${mod})`);
  return field;
}

function compileExists(field: string | undefined, modifiers: readonly string[], value: unknown, path: string): Predicate {
  const name = needsField(field, 'exists', path);
  onlyWith(path, 'exists', modifiers, []);
  let want: boolean;
  if (typeof value === 'boolean') want = value;
  else if (value === 'true' || value === 'false') want = value === 'true';
  else throw new RuleError(`${path}: 'exists' takes true or false, not ${kindOf(value)}`);
  return { test: want ? (e) => e.value(name) !== undefined : (e) => e.value(name) === undefined, cost: COST_EXISTS, witnesses: undefined };
}

/** Plain, wildcard, encoded, windash and placeholder values: the common case. */
function compileStrings(field: string | undefined, modifiers: readonly string[], value: unknown, path: string, options: MatcherOptions, all: boolean): Predicate {
  const cased = modifiers.includes('cased');
  const expand = modifiers.includes('expand');
  const keyword = field === undefined;
  const casedValues = cased && !keyword;
  const values = valuesOf(value, path, all);
  const transforms = modifiers.filter((m) => STRING_TRANSFORMS.has(m));

  let nullValue = false;
  const matchers: StringMatcher[] = [];
  const groups: StringMatcher[][] = []; // one group per rule value (a value can expand into several patterns)
  for (const v of values) {
    if (v === null) {
      if (transforms.length > 0 || cased || keyword) {
        throw new RuleError(`${path}: null (field absent) can't be combined with ${keyword ? 'a keyword search' : 'modifiers'}; write it as its own item 'Field: null'`);
      }
      nullValue = true;
      groups.push([]);
      continue;
    }
    const toks = typeof v === 'string' ? parseSigmaString(v, expand) : literalToks(String(v));
    let patterns: Pattern[] = [{ toks, bytes: false }];
    if (keyword && !modifiers.some((m) => POSITION.has(m))) patterns = applyTransform('contains', patterns, options, path);
    for (const mod of transforms) patterns = applyTransform(mod, patterns, options, path);
    const group = patterns.map((p) => compileStringPattern(p.toks, casedValues));
    groups.push(group);
    matchers.push(...group);
  }

  // Keyword texts come lower-cased from the RuleEvent, so a `cased` keyword is compared with
  // them case-insensitively (a superset of the case-sensitive matches); fields read the
  // original value when `cased`.
  const over = (test: TextTest): ((e: RuleEvent) => boolean) => (keyword ? keywordAny(test) : casedValues ? valueAny(field, test) : loweredAny(field, test));
  const factor = keyword ? KEYWORD_FACTOR : 1;
  const witnessOf = (group: readonly StringMatcher[]): Witness[] | undefined =>
    group.length > 0 && group.every((m) => m.witness !== undefined) ? group.map((m) => ({ field, literal: m.witness! })) : undefined;

  const nullTest = (e: RuleEvent) => {
    const v = e.value(field!);
    return v === undefined || v === null;
  };

  if (all) {
    const parts: Predicate[] = groups.map((group) => {
      if (group.length === 0) return { test: nullTest, cost: COST_EXISTS, witnesses: undefined };
      const { test, cost } = anyString(group);
      return { test: over(test), cost: cost * factor, witnesses: unionWitnesses([witnessOf(group)]) };
    });
    return andPredicates(parts);
  }
  const { test, cost } = anyString(matchers);
  const stringPart: Predicate = { test: over(test), cost: cost * factor, witnesses: unionWitnesses(groups.map(witnessOf)) };
  if (!nullValue) return stringPart;
  const nullPart: Predicate = { test: nullTest, cost: COST_EXISTS, witnesses: undefined };
  return matchers.length === 0 ? nullPart : orPredicates([nullPart, stringPart]);
}

// ---------------------------------------------------------------------------------------------
// Regular expressions

/** Compiles a rule's regular expression with RE2JS; RuleError when it can't run in linear time. */
export function compileRegex(source: string, flags: { i?: boolean; m?: boolean; s?: boolean }, path: string): RE2JS {
  let f = RE2JS.LOOKBEHINDS;
  if (flags.i) f |= RE2JS.CASE_INSENSITIVE;
  if (flags.m) f |= RE2JS.MULTILINE;
  if (flags.s) f |= RE2JS.DOTALL;
  try {
    return RE2JS.compile(source, f);
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    throw new RuleError(
      `${path}: the regular expression '${source}' can't be compiled by the linear-time engine (${detail}); Sigma allows the PCRE subset . ^ $ * + ? {n,m} [..] ( ) |, without lookaheads or backreferences`,
    );
  }
}

function compileRegexItem(field: string | undefined, modifiers: readonly string[], value: unknown, path: string, options: MatcherOptions, all: boolean): Predicate {
  onlyWith(path, 're', modifiers, ['i', 'm', 's', 'ignorecase', 'multiline', 'dotall', 'all', 'neq', 'cased', 'expand', 'contains', 'startswith', 'endswith']);
  const reIndex = modifiers.indexOf('re');
  for (const m of modifiers.slice(0, reIndex)) {
    if (m === 'expand' || POSITION.has(m)) throw new RuleError(`${path}: '${m}' must come after 're' (modifiers apply left to right)`);
  }
  const i = modifiers.includes('i') || modifiers.includes('ignorecase');
  const m = modifiers.includes('m') || modifiers.includes('multiline');
  const s = modifiers.includes('s') || modifiers.includes('dotall');
  const expand = modifiers.includes('expand');
  const startAnchor = modifiers.includes('startswith');
  const endAnchor = modifiers.includes('endswith');
  const values = valuesOf(value, path, all);
  const parts: Predicate[] = values.map((v, index) => {
    if (typeof v !== 'string') throw new RuleError(`${path}${values.length > 1 ? `[${index}]` : ''}: 're' needs a text (a regular expression), not ${kindOf(v)}`);
    let source = v;
    if (expand) source = expandRegexPlaceholders(source, options, path);
    // Sigma regexes match anywhere in the value; startswith/endswith anchor them.
    if (startAnchor || endAnchor) source = `${startAnchor ? '\\A' : ''}(?:${source})${endAnchor ? '\\z' : ''}`;
    const re = compileRegex(source, { i: i || field === undefined, m, s }, path);
    const insensitive = i || field === undefined || /\(\?[a-zA-Z]*i[a-zA-Z]*[:)-]/.test(v);
    const literals = expand ? undefined : requiredRegexLiterals(v, insensitive);
    const test: TextTest = (t) => re.test(t);
    const keyword = field === undefined;
    // Keyword texts come lower-cased from the RuleEvent: a keyword regex runs on them
    // case-insensitively (a superset of the case-sensitive matches).
    const run = keyword ? keywordAny(test) : valueAny(field, test);
    return {
      test: run,
      cost: COST_REGEX * (keyword ? KEYWORD_FACTOR : 1),
      witnesses: literals?.map((literal) => ({ field, literal })),
    };
  });
  return all ? andPredicates(parts) : orPredicates(parts);
}

function expandRegexPlaceholders(source: string, options: MatcherOptions, path: string): string {
  return source.replace(/(\\?)%([\w.-]+)%/g, (whole, escape: string, name: string) => {
    if (escape) return whole.slice(1);
    const values = options.placeholders?.[name];
    if (values === undefined) {
      throw new RuleError(`${path}: placeholder '%${name}%' has no values; configure placeholders.${name} (a list of values) or disable the rule`);
    }
    // An empty list: a class nothing is in, so the expression cannot match.
    if (values.length === 0) return '[^\\s\\S]';
    return `(?:${values.map((v) => RE2JS.quote(v)).join('|')})`;
  });
}

type RegexNode =
  | { readonly k: 'char'; readonly c: string }
  | { readonly k: 'any' }
  | { readonly k: 'empty' }
  | { readonly k: 'opaque' }
  | { readonly k: 'seq'; readonly items: readonly RegexNode[] }
  | { readonly k: 'alt'; readonly branches: readonly RegexNode[] }
  | { readonly k: 'rep'; readonly node: RegexNode; readonly min: number };

class RegexShapeError extends Error {}

/**
 * A small parser of the regex syntax Sigma rules use, only to find literals every match must
 * contain (for witnesses). Anything it does not understand makes it give up (no witness).
 */
class RegexShape {
  private i = 0;
  constructor(private readonly src: string) {}

  parse(): RegexNode {
    const node = this.alt();
    if (this.i < this.src.length) throw new RegexShapeError('trailing');
    return node;
  }

  private alt(): RegexNode {
    const branches = [this.seq()];
    while (this.src[this.i] === '|') {
      this.i++;
      branches.push(this.seq());
    }
    return branches.length === 1 ? branches[0]! : { k: 'alt', branches };
  }

  private seq(): RegexNode {
    const items: RegexNode[] = [];
    while (this.i < this.src.length && this.src[this.i] !== '|' && this.src[this.i] !== ')') {
      let atom = this.atom();
      for (;;) {
        const q = this.quantifier();
        if (q === undefined) break;
        atom = { k: 'rep', node: atom, min: q };
      }
      items.push(atom);
    }
    return { k: 'seq', items };
  }

  private quantifier(): number | undefined {
    const c = this.src[this.i];
    let min: number | undefined;
    if (c === '*' || c === '?') min = 0;
    else if (c === '+') min = 1;
    else if (c === '{') {
      const m = /^\{(\d*)(?:,(\d*))?\}/.exec(this.src.slice(this.i, this.i + 24));
      if (!m || (m[1] === '' && m[2] === undefined)) return undefined; // a literal '{'
      this.i += m[0].length - 1;
      min = m[1] === '' ? 0 : Number(m[1]);
    }
    if (min === undefined) return undefined;
    this.i++;
    if (this.src[this.i] === '?' || this.src[this.i] === '+') this.i++; // lazy / possessive
    return min;
  }

  private atom(): RegexNode {
    const c = this.src[this.i]!;
    switch (c) {
      case '(':
        return this.group();
      case '[':
        this.charClass();
        return { k: 'any' };
      case '.':
        this.i++;
        return { k: 'any' };
      case '^':
      case '$':
        this.i++;
        return { k: 'empty' };
      case '\\':
        return this.escape();
      case '*':
      case '+':
      case '?':
        throw new RegexShapeError('quantifier without operand');
      default:
        this.i++;
        return { k: 'char', c };
    }
  }

  private group(): RegexNode {
    this.i++; // (
    let lookaround = false;
    if (this.src[this.i] === '?') {
      const rest = this.src.slice(this.i);
      let m: RegExpExecArray | null;
      if (rest.startsWith('?:')) this.i += 2;
      else if (rest.startsWith('?=') || rest.startsWith('?!')) {
        this.i += 2;
        lookaround = true;
      } else if (rest.startsWith('?<=') || rest.startsWith('?<!')) {
        this.i += 3;
        lookaround = true;
      } else if ((m = /^\?P?<[A-Za-z_]\w*>/.exec(rest)) !== null || (m = /^\?'[A-Za-z_]\w*'/.exec(rest)) !== null) this.i += m[0].length;
      else if ((m = /^\?[a-zA-Z-]*\)/.exec(rest)) !== null) {
        this.i += m[0].length;
        return { k: 'empty' }; // inline flags
      } else if ((m = /^\?[a-zA-Z-]*:/.exec(rest)) !== null) this.i += m[0].length;
      else throw new RegexShapeError('group');
    }
    const inner = this.alt();
    if (this.src[this.i] !== ')') throw new RegexShapeError('unclosed group');
    this.i++;
    return lookaround ? { k: 'opaque' } : inner;
  }

  private charClass(): void {
    this.i++; // [
    if (this.src[this.i] === '^') this.i++;
    if (this.src[this.i] === ']') this.i++;
    while (this.i < this.src.length && this.src[this.i] !== ']') {
      if (this.src[this.i] === '\\') this.i += 2;
      else if (this.src.startsWith('[:', this.i)) {
        const end = this.src.indexOf(':]', this.i + 2);
        this.i = end < 0 ? this.i + 1 : end + 2;
      } else this.i++;
    }
    if (this.src[this.i] !== ']') throw new RegexShapeError('unclosed class');
    this.i++;
  }

  private escape(): RegexNode {
    const e = this.src[this.i + 1];
    if (e === undefined) throw new RegexShapeError('trailing backslash');
    this.i += 2;
    if (e === 'n') return { k: 'char', c: '\n' };
    if (e === 'r') return { k: 'char', c: '\r' };
    if (e === 't') return { k: 'char', c: '\t' };
    if (e === 'f') return { k: 'char', c: '\f' };
    if (e === 'x') {
      const m = /^(?:\{([0-9a-fA-F]{1,6})\}|([0-9a-fA-F]{2}))/.exec(this.src.slice(this.i, this.i + 9));
      if (!m) throw new RegexShapeError('hex');
      this.i += m[0].length;
      const code = parseInt(m[1] ?? m[2]!, 16);
      return code < 0x10000 ? { k: 'char', c: String.fromCharCode(code) } : { k: 'any' };
    }
    if (e === 'Q') {
      const end = this.src.indexOf('\\E', this.i);
      const text = this.src.slice(this.i, end < 0 ? undefined : end);
      this.i = end < 0 ? this.src.length : end + 2;
      return { k: 'seq', items: literalToks(text).map((c) => ({ k: 'char', c: c as string })) };
    }
    if (e === 'p' || e === 'P') {
      if (this.src[this.i] === '{') {
        const end = this.src.indexOf('}', this.i);
        if (end < 0) throw new RegexShapeError('property');
        this.i = end + 1;
      } else this.i++;
      return { k: 'any' };
    }
    if ('bBAzZGK<>'.includes(e)) return { k: 'empty' };
    if (/[0-9]/.test(e)) return { k: 'opaque' }; // backreference or octal
    if (/[A-Za-z]/.test(e)) return { k: 'any' }; // \d \w \s and other classes
    return { k: 'char', c: e }; // escaped punctuation
  }
}

interface LiteralInfo {
  /** The one text the node always matches, when it has one. */
  readonly exact: string | undefined;
  /** A set of literals one of which every match contains. */
  readonly required: readonly string[] | undefined;
}

function setScore(set: readonly string[]): number {
  let score = 0;
  for (const s of set) score += 2 ** -Math.min(s.length, 12);
  return score;
}

function pickRequired(candidates: readonly (readonly string[])[]): readonly string[] | undefined {
  let best: readonly string[] | undefined;
  for (const c of candidates) if (c.length > 0 && c.every((s) => s !== '') && (best === undefined || setScore(c) < setScore(best))) best = c;
  return best;
}

function literalInfo(node: RegexNode, insensitive: boolean): LiteralInfo {
  switch (node.k) {
    case 'char': {
      const code = node.c.charCodeAt(0);
      // Only ASCII characters lower-case the same inside and outside the event's text; under
      // case-insensitive matching 's' also matches U+017F (ſ), whose lower case is not 's'.
      const usable = code < 128 && !(insensitive && (node.c === 's' || node.c === 'S'));
      return { exact: usable ? node.c.toLowerCase() : undefined, required: undefined };
    }
    case 'empty':
      return { exact: '', required: undefined };
    case 'any':
    case 'opaque':
      return { exact: undefined, required: undefined };
    case 'rep': {
      if (node.min === 0) return { exact: undefined, required: undefined };
      const inner = literalInfo(node.node, insensitive);
      return { exact: undefined, required: inner.exact !== undefined && inner.exact !== '' ? [inner.exact] : inner.required };
    }
    case 'alt': {
      const infos = node.branches.map((b) => literalInfo(b, insensitive));
      const sets: string[] = [];
      for (const info of infos) {
        const set = info.exact !== undefined && info.exact !== '' ? [info.exact] : info.required;
        if (set === undefined) return { exact: undefined, required: undefined };
        sets.push(...set);
      }
      return { exact: undefined, required: [...new Set(sets)] };
    }
    case 'seq': {
      const candidates: (readonly string[])[] = [];
      let run = '';
      let exact: string | undefined = '';
      for (const item of node.items) {
        const info = literalInfo(item, insensitive);
        if (info.exact !== undefined) {
          run += info.exact;
          if (exact !== undefined) exact += info.exact;
          continue;
        }
        exact = undefined;
        if (run !== '') candidates.push([run]);
        run = '';
        if (info.required !== undefined) candidates.push(info.required);
      }
      if (run !== '') candidates.push([run]);
      return { exact, required: pickRequired(candidates) };
    }
  }
}

/**
 * Lower-cased literals one of which every match of the regex contains (undefined: none
 * known). Exported for tests.
 */
export function requiredRegexLiterals(source: string, insensitive: boolean): string[] | undefined {
  let node: RegexNode;
  try {
    node = new RegexShape(source).parse();
  } catch {
    return undefined;
  }
  const info = literalInfo(node, insensitive);
  const set = info.exact !== undefined && info.exact !== '' ? [info.exact] : info.required;
  return set === undefined || set.length === 0 ? undefined : [...set];
}

// ---------------------------------------------------------------------------------------------
// cidr

interface Network {
  readonly v4: boolean;
  /** IPv4: the network address as an unsigned 32-bit number. */
  readonly addr4: number;
  readonly mask4: number;
  /** IPv6: eight 16-bit words and the prefix length. */
  readonly words: Uint16Array;
  readonly prefix: number;
}

const SCRATCH = new Uint16Array(8);

/** IPv6 into `out` (the shared parser allocates; this keeps the matcher's scratch buffer). */
function parseIPv6(text: string, out: Uint16Array): boolean {
  const words = parseIPv6Words(text);
  if (!words) return false;
  out.set(words);
  return true;
}

function parseNetwork(text: string, path: string): Network {
  const slash = text.indexOf('/');
  const addr = (slash < 0 ? text : text.slice(0, slash)).trim();
  const bits = slash < 0 ? undefined : text.slice(slash + 1).trim();
  const v4 = parseIPv4(addr, 0, addr.length);
  const bad = () => new RuleError(`${path}: '${text}' is not an IPv4 or IPv6 network (like 10.0.0.0/8 or fe80::/10)`);
  if (v4 >= 0) {
    const prefix = bits === undefined ? 32 : /^\d{1,2}$/.test(bits) ? Number(bits) : NaN;
    if (!(prefix >= 0 && prefix <= 32)) throw bad();
    const mask4 = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    return { v4: true, addr4: (v4 & mask4) >>> 0, mask4, words: new Uint16Array(8), prefix };
  }
  const words = new Uint16Array(8);
  if (!addr.includes(':') || !parseIPv6(addr, words)) throw bad();
  const prefix = bits === undefined ? 128 : /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
  if (!(prefix >= 0 && prefix <= 128)) throw bad();
  return { v4: false, addr4: 0, mask4: 0, words, prefix };
}

function inNetwork(ip: string, networks: readonly Network[]): boolean {
  let v4 = ip.indexOf(':') < 0 ? parseIPv4(ip, 0, ip.length) : -1;
  let v6 = false;
  if (v4 < 0 && ip.indexOf(':') >= 0 && parseIPv6(ip, SCRATCH)) {
    v6 = true;
    // IPv4-mapped IPv6 (::ffff:a.b.c.d) also matches IPv4 networks.
    if (SCRATCH[0] === 0 && SCRATCH[1] === 0 && SCRATCH[2] === 0 && SCRATCH[3] === 0 && SCRATCH[4] === 0 && SCRATCH[5] === 0xffff) {
      v4 = SCRATCH[6]! * 65536 + SCRATCH[7]!;
    }
  }
  for (let n = 0; n < networks.length; n++) {
    const net = networks[n]!;
    if (net.v4) {
      if (v4 >= 0 && ((v4 & net.mask4) >>> 0) === net.addr4) return true;
    } else if (v6 && prefixEqual(SCRATCH, net.words, net.prefix)) return true;
  }
  return false;
}

function prefixEqual(a: Uint16Array, b: Uint16Array, bits: number): boolean {
  let k = 0;
  for (; bits >= 16; bits -= 16, k++) if (a[k] !== b[k]) return false;
  if (bits === 0) return true;
  const mask = (0xffff << (16 - bits)) & 0xffff;
  return (a[k]! & mask) === (b[k]! & mask);
}

function compileCidr(field: string | undefined, modifiers: readonly string[], value: unknown, path: string, all: boolean): Predicate {
  const name = needsField(field, 'cidr', path);
  onlyWith(path, 'cidr', modifiers, ['all', 'neq']);
  const networks = valuesOf(value, path, all).map((v) => {
    if (typeof v !== 'string') throw new RuleError(`${path}: 'cidr' needs a network like 10.0.0.0/8, not ${kindOf(v)}`);
    return parseNetwork(v, path);
  });
  const one = (nets: readonly Network[]): Predicate => ({
    test: loweredAny(name, (s) => inNetwork(s, nets)),
    cost: COST_CIDR,
    witnesses: undefined,
  });
  return all ? andPredicates(networks.map((n) => one([n]))) : one(networks);
}

// ---------------------------------------------------------------------------------------------
// Numeric comparisons and time parts

function ruleNumber(v: Scalar, path: string, mod: string): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' ? numberOf(v) : undefined;
  if (n === undefined) throw new RuleError(`${path}: '${mod}' needs a number, not ${kindOf(v)}`);
  return n;
}

function comparison(modifiers: readonly string[], path: string): { op: string; cmp: (a: number, b: number) => boolean } {
  const ops = modifiers.filter((m) => COMPARE.has(m));
  if (ops.length > 1) throw new RuleError(`${path}: use one of lt, lte, gt, gte per item (found ${ops.join(', ')}); use two items for a range`);
  switch (ops[0]) {
    case 'lt':
      return { op: 'lt', cmp: (a, b) => a < b };
    case 'lte':
      return { op: 'lte', cmp: (a, b) => a <= b };
    case 'gt':
      return { op: 'gt', cmp: (a, b) => a > b };
    case 'gte':
      return { op: 'gte', cmp: (a, b) => a >= b };
    default:
      return { op: 'eq', cmp: (a, b) => a === b };
  }
}

function compileCompare(field: string | undefined, modifiers: readonly string[], value: unknown, path: string, all: boolean): Predicate {
  const { op, cmp } = comparison(modifiers, path);
  const name = needsField(field, op, path);
  onlyWith(path, op, modifiers, ['all', 'neq']);
  const parts = valuesOf(value, path, all).map((v): Predicate => {
    const limit = ruleNumber(v, path, op);
    return { test: (e) => anyNumber(e.value(name), (n) => cmp(n, limit)), cost: COST_NUMERIC, witnesses: undefined };
  });
  return all ? andPredicates(parts) : orPredicates(parts);
}

type TimeUnit = 'minute' | 'hour' | 'day' | 'week' | 'month' | 'year';

const DATE_TEXT = /^\s*(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{1,2})(?::\d{1,2}(?:[.,]\d+)?)?)?/;

/** ISO 8601 week number of a calendar date. */
function isoWeek(year: number, month: number, day: number): number {
  const date = new Date(Date.UTC(year, month - 1, day));
  const weekday = date.getUTCDay() || 7;
  date.setUTCDate(date.getUTCDate() + 4 - weekday);
  const yearStart = Date.UTC(date.getUTCFullYear(), 0, 1);
  return Math.ceil(((date.getTime() - yearStart) / 86400000 + 1) / 7);
}

/**
 * A part of a date value, as written (no time-zone conversion, as the specification says):
 * `YYYY-MM-DD[ T]hh:mm…` is read field by field; other texts go through Date.parse (UTC);
 * numbers are epoch seconds (below 1e11) or milliseconds.
 */
export function timePart(v: unknown, unit: TimeUnit): number | undefined {
  let y: number, mo: number, d: number, h: number, mi: number;
  if (typeof v === 'string') {
    const m = DATE_TEXT.exec(v);
    if (m) {
      y = Number(m[1]);
      mo = Number(m[2]);
      d = Number(m[3]);
      h = m[4] === undefined ? 0 : Number(m[4]);
      mi = m[5] === undefined ? 0 : Number(m[5]);
    } else {
      const t = Date.parse(v);
      if (!Number.isFinite(t)) return undefined;
      return timePart(t, unit);
    }
  } else if (typeof v === 'number' && Number.isFinite(v)) {
    const date = new Date(Math.abs(v) < 1e11 ? v * 1000 : v);
    y = date.getUTCFullYear();
    mo = date.getUTCMonth() + 1;
    d = date.getUTCDate();
    h = date.getUTCHours();
    mi = date.getUTCMinutes();
  } else return undefined;
  switch (unit) {
    case 'minute':
      return mi;
    case 'hour':
      return h;
    case 'day':
      return d;
    case 'week':
      return isoWeek(y, mo, d);
    case 'month':
      return mo;
    case 'year':
      return y;
  }
}

function anyTimePart(v: unknown, unit: TimeUnit, test: (n: number) => boolean): boolean {
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (anyTimePart(v[i], unit, test)) return true;
    return false;
  }
  const part = timePart(v, unit);
  return part !== undefined && test(part);
}

function compileTime(field: string | undefined, modifiers: readonly string[], value: unknown, path: string, all: boolean): Predicate {
  const units = modifiers.filter((m) => TIME.has(m)) as TimeUnit[];
  if (units.length > 1) throw new RuleError(`${path}: use one time modifier per item (found ${units.join(', ')})`);
  const unit = units[0]!;
  const name = needsField(field, unit, path);
  onlyWith(path, unit, modifiers, ['all', 'neq', 'lt', 'lte', 'gt', 'gte']);
  const { cmp } = comparison(modifiers, path);
  const parts = valuesOf(value, path, all).map((v): Predicate => {
    const limit = ruleNumber(v, path, unit);
    return { test: (e) => anyTimePart(e.value(name), unit, (n) => cmp(n, limit)), cost: COST_TIME, witnesses: undefined };
  });
  return all ? andPredicates(parts) : orPredicates(parts);
}

// ---------------------------------------------------------------------------------------------
// fieldref

function compileFieldref(field: string | undefined, modifiers: readonly string[], value: unknown, path: string, all: boolean): Predicate {
  const name = needsField(field, 'fieldref', path);
  onlyWith(path, 'fieldref', modifiers, ['all', 'neq', 'cased', 'contains', 'startswith', 'endswith']);
  const cased = modifiers.includes('cased');
  const contains = modifiers.includes('contains') || (modifiers.includes('startswith') && modifiers.includes('endswith'));
  const starts = !contains && modifiers.includes('startswith');
  const ends = !contains && modifiers.includes('endswith');
  const compare = contains
    ? (a: string, b: string) => a.includes(b)
    : starts
      ? (a: string, b: string) => a.startsWith(b)
      : ends
        ? (a: string, b: string) => a.endsWith(b)
        : (a: string, b: string) => a === b;
  const parts = valuesOf(value, path, all).map((v): Predicate => {
    if (typeof v !== 'string' || v === '' || v.includes('*') || v.includes('?')) {
      throw new RuleError(`${path}: 'fieldref' needs the name of another field, not ${kindOf(v)}`);
    }
    const other = v;
    const test = cased
      ? (e: RuleEvent) => {
          const b = e.value(other);
          return anyText(e.value(name), (a) => anyText(b, (bb) => compare(a, bb)));
        }
      : (e: RuleEvent) => {
          const a = e.lowered(name);
          const b = e.lowered(other);
          if (a === undefined || b === undefined) return false;
          if (typeof a === 'string' && typeof b === 'string') return compare(a, b);
          const as = typeof a === 'string' ? [a] : a;
          const bs = typeof b === 'string' ? [b] : b;
          for (const x of as) for (const y of bs) if (compare(x, y)) return true;
          return false;
        };
    return { test, cost: COST_FIELDREF, witnesses: undefined };
  });
  return all ? andPredicates(parts) : orPredicates(parts);
}

// ---------------------------------------------------------------------------------------------
// Search identifiers

/**
 * A search identifier's definition: a map (items AND-ed), a list of maps (OR-ed), or keywords
 * (a text or number, or a list of them, OR-ed). `path` is `detection.<name>`.
 */
export function compileSearchIdentifier(definition: unknown, path: string, options: MatcherOptions = {}): Predicate {
  if (isMap(definition)) return compileMap(definition, path, options);
  if (Array.isArray(definition)) {
    if (definition.length > 0 && definition.every(isMap)) {
      return orPredicates(definition.map((m, i) => compileMap(m as Record<string, unknown>, `${path}[${i}]`, options)));
    }
    if (definition.some(isMap)) throw new RuleError(`${path}: mixes field maps and keywords in one list; put the keywords under their own search identifier`);
    return compileItem(undefined, [], definition, path, options);
  }
  if (typeof definition === 'string' || typeof definition === 'number' || typeof definition === 'boolean') {
    return compileItem(undefined, [], definition, path, options);
  }
  throw new RuleError(`${path}: must be a map, a list of maps or a list of keywords, not ${kindOf(definition)}`);
}

function compileMap(map: Record<string, unknown>, path: string, options: MatcherOptions): Predicate {
  const items = Object.entries(map).map(([key, value]) => compileDetectionItem(key, value, `${path}.${key}`, options));
  if (items.length === 0) throw new RuleError(`${path}: is an empty map`);
  return andPredicates(items);
}
