/**
 * A small reader for the STIX 2.x patterns threat feeds actually publish: one or more
 * observation expressions (`[…]`) of equality comparisons joined by OR, for example
 *
 *   [ipv4-addr:value = '198.51.100.7']
 *   [domain-name:value = 'evil.example' OR domain-name:value = 'evil.example.net']
 *   [file:hashes.'SHA-256' = '…'] OR [file:hashes.MD5 = '…']
 *
 * Each comparison of a supported object path with `=` becomes an observable; the pattern
 * matches when any of them is seen. A pattern that needs more than one thing to hold (AND,
 * FOLLOWEDBY, or a qualifier such as WITHIN/REPEATS/START) is not reduced to a part of itself:
 * it is reported unsupported, since matching one of its parts alone would alert on events the
 * pattern does not describe. Comparisons that are not equalities (`!=`, LIKE, MATCHES, IN…) are
 * left out of an OR; leaving out a disjunct can only miss, never over-match.
 *
 * One linear pass over the text, no regular expressions over it and no evaluation: hostile or
 * odd quoting fails with a reason instead of hanging or throwing.
 */
import { detectIndicator, normaliseAs, normaliseCidr, type IndicatorType, type TypedValue } from './indicator.js';

type TokenKind = '[' | ']' | '(' | ')' | ',' | 'path' | 'word' | 'string' | 'number' | 'op';

interface Token {
  readonly kind: TokenKind;
  readonly text: string;
}

export interface StixComparison {
  /** Object path with quoting removed: `file:hashes.SHA-256`. */
  readonly path: string;
  readonly operator: string;
  readonly value: string;
}

export interface StixPatternResult {
  /** Observables of the supported `=` comparisons. */
  readonly observables: readonly TypedValue[];
  /** Why nothing (or not everything) could be used; absent when the whole pattern was read. */
  readonly problem?: string;
  /** True when the pattern is well formed but uses a form this reader does not reduce (AND…). */
  readonly unsupported?: boolean;
}

/** Longest pattern read; longer ones are reported, not scanned. */
export const MAX_PATTERN_CHARS = 256 * 1024;
const MAX_COMPARISONS = 10_000;

const KEYWORDS = new Set(['AND', 'OR', 'NOT', 'LIKE', 'MATCHES', 'IN', 'ISSUBSET', 'ISSUPERSET', 'EXISTS', 'FOLLOWEDBY', 'WITHIN', 'REPEATS', 'TIMES', 'START', 'STOP', 'SECONDS', 'TRUE', 'FALSE']);
const QUALIFIERS = new Set(['WITHIN', 'REPEATS', 'START', 'STOP']);

class PatternError extends Error {}

function isPathChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 45 || c === 58 || c === 46 || c === 42;
}

/** Reads a quoted string starting at the quote at `start`; returns the text and the index after it. */
function readQuoted(text: string, start: number): [string, number] {
  const quote = text.charCodeAt(start);
  let out = '';
  let i = start + 1;
  let chunk = i;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 92) {
      out += text.slice(chunk, i);
      if (i + 1 >= text.length) break;
      out += text[i + 1];
      i += 2;
      chunk = i;
    } else if (c === quote) {
      out += text.slice(chunk, i);
      return [out, i + 1];
    } else i++;
  }
  throw new PatternError('unterminated string');
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13) {
      i++;
      continue;
    }
    const ch = text[i]!;
    if (ch === '[' || ch === ']' || ch === '(' || ch === ')' || ch === ',') {
      tokens.push({ kind: ch, text: ch });
      i++;
    } else if (ch === "'" || ch === '"') {
      const [s, next] = readQuoted(text, i);
      tokens.push({ kind: 'string', text: s });
      i = next;
    } else if ((ch === 'b' || ch === 'h' || ch === 't') && (text[i + 1] === "'")) {
      // Typed literals: binary, hex, timestamp.
      const [s, next] = readQuoted(text, i + 1);
      tokens.push({ kind: 'string', text: s });
      i = next;
    } else if (ch === '=' || ch === '!' || ch === '<' || ch === '>') {
      let op = ch;
      if (text[i + 1] === '=') op += '=';
      if (op === '!') throw new PatternError(`unexpected '!' at ${i}`);
      tokens.push({ kind: 'op', text: op });
      i += op.length;
    } else if ((c >= 48 && c <= 57) || ((ch === '-' || ch === '+') && /[0-9]/.test(text[i + 1] ?? ''))) {
      let j = i + 1;
      while (j < text.length && /[0-9.eE+-]/.test(text[j]!)) j++;
      tokens.push({ kind: 'number', text: text.slice(i, j) });
      i = j;
    } else if (isPathChar(c)) {
      let path = '';
      let j = i;
      while (j < text.length) {
        const d = text.charCodeAt(j);
        if (isPathChar(d)) {
          j++;
          continue;
        }
        // A quoted path segment: hashes.'SHA-256' (or, liberally, hashes."SHA-256").
        if ((d === 39 || d === 34) && text.charCodeAt(j - 1) === 46) {
          path += text.slice(i, j);
          const [s, next] = readQuoted(text, j);
          path += s;
          i = next;
          j = next;
          continue;
        }
        // A list index inside a path: sections[*].name, values[0].
        if (d === 91 && j > i) {
          let k = j + 1;
          while (k < text.length && k - j <= 12 && /[0-9*]/.test(text[k]!)) k++;
          if (k > j + 1 && text.charCodeAt(k) === 93) {
            j = k + 1;
            continue;
          }
        }
        break;
      }
      path += text.slice(i, j);
      i = j;
      const upper = path.toUpperCase();
      tokens.push(path.indexOf(':') < 0 && KEYWORDS.has(upper) ? { kind: 'word', text: upper } : { kind: 'path', text: path });
    } else throw new PatternError(`unexpected character '${ch}' at ${i}`);
  }
  return tokens;
}

/** Parses the comparison structure; throws PatternError for malformed text. */
function parse(tokens: readonly Token[]): { comparisons: StixComparison[]; conjunction?: string } {
  const comparisons: StixComparison[] = [];
  const stack: string[] = [];
  let conjunction: string | undefined;
  let expectOperand = true;
  let i = 0;
  const next = () => tokens[i++];
  while (i < tokens.length) {
    const t = next()!;
    if (expectOperand) {
      if (t.kind === '[' || t.kind === '(') {
        stack.push(t.kind);
        continue;
      }
      if (t.kind === 'word' && t.text === 'EXISTS') {
        const p = next();
        if (p?.kind !== 'path') throw new PatternError('EXISTS without an object path');
        comparisons.push({ path: p.text, operator: 'EXISTS', value: '' });
        expectOperand = false;
        continue;
      }
      if (t.kind !== 'path') throw new PatternError(`expected an object path, found '${t.text}'`);
      if (stack.length === 0) throw new PatternError('comparison outside [ ]');
      let op = next();
      let negated = false;
      if (op?.kind === 'word' && op.text === 'NOT') {
        negated = true;
        op = next();
      }
      if (!op || (op.kind !== 'op' && !(op.kind === 'word' && ['LIKE', 'MATCHES', 'IN', 'ISSUBSET', 'ISSUPERSET'].includes(op.text)))) {
        throw new PatternError(`expected an operator after ${t.text}`);
      }
      let value: string;
      if (op.text === 'IN') {
        if (next()?.kind !== '(') throw new PatternError('IN without a list');
        const items: string[] = [];
        for (;;) {
          const v = next();
          if (!v) throw new PatternError('unterminated IN list');
          if (v.kind === ')') break;
          if (v.kind === ',') continue;
          if (v.kind !== 'string' && v.kind !== 'number' && !(v.kind === 'word' && (v.text === 'TRUE' || v.text === 'FALSE'))) throw new PatternError('bad IN list item');
          items.push(v.text);
        }
        value = items.join(',');
      } else {
        const v = next();
        if (!v || (v.kind !== 'string' && v.kind !== 'number' && !(v.kind === 'word' && (v.text === 'TRUE' || v.text === 'FALSE')))) {
          throw new PatternError(`expected a value after ${t.text} ${op.text}`);
        }
        value = v.text;
      }
      if (comparisons.length >= MAX_COMPARISONS) throw new PatternError('too many comparisons');
      comparisons.push({ path: t.text, operator: (negated ? 'NOT ' : '') + op.text, value });
      expectOperand = false;
      continue;
    }
    if (t.kind === ']' || t.kind === ')') {
      const open = stack.pop();
      if (open !== (t.kind === ']' ? '[' : '(')) throw new PatternError(`unbalanced '${t.kind}'`);
      continue;
    }
    if (t.kind === 'word' && t.text === 'OR') {
      expectOperand = true;
      continue;
    }
    if (t.kind === 'word' && (t.text === 'AND' || t.text === 'FOLLOWEDBY')) {
      conjunction ??= t.text;
      expectOperand = true;
      continue;
    }
    if (t.kind === 'word' && QUALIFIERS.has(t.text)) {
      // A qualifier applies to the observation before it; we stop reading here.
      conjunction ??= t.text;
      if (stack.length > 0) throw new PatternError(`qualifier ${t.text} inside brackets`);
      return { comparisons, conjunction };
    }
    throw new PatternError(`unexpected '${t.text}'`);
  }
  if (stack.length > 0) throw new PatternError('unbalanced brackets');
  if (expectOperand) throw new PatternError(comparisons.length === 0 ? 'empty pattern' : 'pattern ends after an operator');
  return conjunction === undefined ? { comparisons } : { comparisons, conjunction };
}

/** Reads a STIX pattern's comparisons, or the reason it cannot be read. */
export function readStixComparisons(pattern: string): { comparisons: readonly StixComparison[]; conjunction?: string } | { error: string } {
  if (pattern.length > MAX_PATTERN_CHARS) return { error: `pattern longer than ${MAX_PATTERN_CHARS} characters` };
  try {
    return parse(tokenize(pattern));
  } catch (error) {
    if (error instanceof PatternError) return { error: error.message };
    throw error;
  }
}

const HASH_NAMES: Record<string, IndicatorType> = { MD5: 'md5', SHA1: 'sha1', SHA256: 'sha256' };

/** The observable a `path = value` comparison names, when the path is one Vigil matches. */
export function observableOf(path: string, value: string): TypedValue | 'unsupported-path' | 'invalid-value' {
  const colon = path.indexOf(':');
  const object = path.slice(0, colon).toLowerCase();
  const property = path.slice(colon + 1);
  const lowerProperty = property.toLowerCase();
  let result: TypedValue | undefined;
  if ((object === 'ipv4-addr' || object === 'ipv6-addr') && lowerProperty === 'value') {
    result = normaliseCidr(value.trim()) ?? normaliseAs('ipv4', value);
  } else if (object === 'domain-name' && lowerProperty === 'value') result = normaliseAs('domain', value);
  else if (object === 'url' && lowerProperty === 'value') result = normaliseAs('url', value);
  else if ((object === 'file' || object === 'artifact') && lowerProperty.startsWith('hashes.')) {
    const name = property.slice('hashes.'.length).toUpperCase().replace(/[^A-Z0-9]/g, '');
    const type = HASH_NAMES[name];
    if (!type) return 'unsupported-path';
    result = normaliseAs(type, value);
  } else if (object === 'network-traffic' && (lowerProperty === 'dst_ref.value' || lowerProperty === 'src_ref.value')) {
    const d = detectIndicator(value);
    result = d && (d.type === 'ipv4' || d.type === 'ipv6' || d.type === 'cidr' || d.type === 'domain') ? d : undefined;
  } else return 'unsupported-path';
  return result ?? 'invalid-value';
}

/** The observables an OR-only STIX pattern names (see the module comment). */
export function readStixPattern(pattern: string): StixPatternResult {
  const read = readStixComparisons(pattern);
  if ('error' in read) return { observables: [], problem: read.error };
  if (read.conjunction !== undefined) return { observables: [], problem: `pattern uses ${read.conjunction}; only OR-ed comparisons are matched`, unsupported: true };
  const observables: TypedValue[] = [];
  const seen = new Set<string>();
  const left: string[] = [];
  let invalid = false;
  for (const c of read.comparisons) {
    if (c.operator !== '=') {
      left.push(`${c.path} ${c.operator}`);
      continue;
    }
    const o = observableOf(c.path, c.value);
    if (o === 'unsupported-path') left.push(c.path);
    else if (o === 'invalid-value') {
      invalid = true;
      left.push(`${c.path} (invalid value)`);
    }
    else if (!seen.has(`${o.type}\0${o.value}`)) {
      seen.add(`${o.type}\0${o.value}`);
      observables.push(o);
    }
  }
  if (left.length === 0) return { observables };
  const problem = `not matched: ${left.slice(0, 3).join(', ')}${left.length > 3 ? ` and ${left.length - 3} more` : ''}`;
  return observables.length > 0 || invalid ? { observables, problem } : { observables, problem, unsupported: true };
}
