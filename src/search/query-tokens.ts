/**
 * Tokenizer for the search language (Lucene/KQL-like). It turns text into parentheses,
 * operators and terms; each term is already a typed leaf of the query tree, so the parser only
 * deals with structure.
 *
 * Escapes: in an unquoted word a backslash escapes the next character when that character
 * means something to the grammar (whitespace and `\ : * ? " ( ) ! - & |`); before anything else
 * it is a literal backslash, so Windows paths (`C:\Windows\System32`) can be typed as they are.
 * Inside quotes only `\"` and `\\` are escapes.
 *
 * Glob convention (shared with every store compiler, see src/store/sql/like-pattern.ts): when a
 * term has `wildcard: true` its value is a glob in which an unescaped `*` matches any run of
 * characters, `?` one character, and `\*`, `\?`, `\\` stand for the literal characters. When
 * `wildcard` is false the value is the plain literal text.
 */
import { VigilError } from '../core/errors.js';
import { formatIPv4, parseNetwork } from '../core/ip-networks.js';
import type { AllNode, CidrTerm, CompareTerm, ExistsTerm, FieldTerm, TextTerm } from '../core/query.js';
import { parseTime } from './time-parser.js';

export type OperatorKind = 'and' | 'or' | 'not';

export type Token =
  | { readonly kind: 'lparen' | 'rparen'; readonly column: number; readonly text: string }
  | { readonly kind: OperatorKind; readonly column: number; readonly text: string }
  | {
      readonly kind: 'term';
      readonly column: number;
      readonly text: string;
      readonly node: Leaf;
    };

type Leaf = FieldTerm | TextTerm | ExistsTerm | CompareTerm | CidrTerm | AllNode;

/** ECS-style dotted names: `host.name`, `@timestamp`, `source.ip`, `event-id`. */
export const FIELD_NAME = /^[A-Za-z0-9_@.-]+$/;

const ESCAPABLE = new Set([' ', '\t', '\n', '\r', '\\', ':', '*', '?', '"', '(', ')', '!', '-', '&', '|', '<', '>']);
/** A number as a comparison reads it: optional sign, digits, optional fraction and exponent. */
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
/** What looks like an attempt at a network (`10.0.0.0/8`, `fd00::/8`); parsed strictly after. */
const CIDR_SHAPE = /^[0-9A-Fa-f:.]+\/\d+$/;
const KEYWORDS: Readonly<Record<string, OperatorKind>> = { AND: 'and', OR: 'or', NOT: 'not' };

function isSpace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r';
}

export function queryError(message: string, column: number): VigilError {
  return new VigilError('query-invalid', message, { where: `query column ${column}` });
}

/** Characters of a value with both spellings kept: plain literal, and glob with escapes. */
class ValueBuilder {
  literal = '';
  glob = '';
  wildcard = false;
  escaped = false;

  addLiteral(c: string): void {
    this.literal += c;
    this.glob += c === '*' || c === '?' || c === '\\' ? `\\${c}` : c;
  }

  addWildcard(c: '*' | '?'): void {
    this.literal += c;
    this.glob += c;
    this.wildcard = true;
  }

  get empty(): boolean {
    return this.literal.length === 0;
  }
}

export function tokenize(text: string): Token[] {
  return new Tokenizer(text).run();
}

/**
 * Where the pipes start: the first `|` that is not quoted, not escaped and not half of `||`
 * (OR); -1 when there is none. Follows the tokenizer's quoting and escaping rules, so a `|`
 * inside a phrase or written `\|` stays text.
 */
export function pipeStart(text: string): number {
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    const next = text[i + 1];
    if (quoted) {
      if (c === '\\' && (next === '"' || next === '\\')) i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') {
      quoted = true;
    } else if (c === '\\') {
      if (next !== undefined && ESCAPABLE.has(next)) i++;
    } else if (c === '|') {
      if (next === '|') i++;
      else return i;
    }
  }
  return -1;
}

/** Parses `10.0.0.0/8` or `2001:db8::/32` into a CidrTerm; undefined when it is not a network. */
export function parseCidr(field: string, text: string): CidrTerm | undefined {
  if (!text.includes('/')) return undefined;
  const network = parseNetwork(text.toLowerCase());
  if (network === undefined) return undefined;
  if (network.v === 4) return { kind: 'cidr', field, version: 4, network: formatIPv4(network.net), prefix: network.prefix, text };
  // The expanded address as 32 hex digits, host bits cleared nibble by nibble.
  const hex = Array.from(network.words, (w) => w.toString(16).padStart(4, '0')).join('');
  const full = Math.floor(network.prefix / 4);
  const partialBits = network.prefix % 4;
  let cleared = hex.slice(0, full);
  if (partialBits > 0) cleared += (parseInt(hex[full] as string, 16) & (0xf << (4 - partialBits)) & 0xf).toString(16);
  return { kind: 'cidr', field, version: 6, network: cleared.padEnd(32, '0'), prefix: network.prefix, text };
}
class Tokenizer {
  private i = 0;
  private readonly tokens: Token[] = [];

  constructor(private readonly s: string) {}

  run(): Token[] {
    const s = this.s;
    while (this.i < s.length) {
      const c = s[this.i] as string;
      const column = this.i + 1;
      if (isSpace(c)) {
        this.i++;
      } else if (c === '(' || c === ')') {
        this.tokens.push({ kind: c === '(' ? 'lparen' : 'rparen', column, text: c });
        this.i++;
      } else if (s.startsWith('&&', this.i) || s.startsWith('||', this.i)) {
        this.tokens.push({ kind: c === '&' ? 'and' : 'or', column, text: c + c });
        this.i += 2;
      } else if (c === '!') {
        this.tokens.push({ kind: 'not', column, text: '!' });
        this.i++;
      } else if (c === '-') {
        const next = s[this.i + 1];
        if (next === undefined || isSpace(next) || next === ')') {
          throw queryError(
            `"-" at column ${column} must be directly followed by the term it excludes, e.g. -host.name:web1; to search for a dash write "-" or \\-`,
            column,
          );
        }
        this.tokens.push({ kind: 'not', column, text: '-' });
        this.i++;
      } else if (c === '<' || c === '>') {
        this.spacedComparison(column);
      } else if (c === '"') {
        const phrase = this.readQuoted();
        this.expectTermEnd(column);
        this.pushTerm(column, { kind: 'text', text: phrase, wildcard: false, quoted: true });
      } else {
        this.readWord(column);
      }
    }
    return this.tokens;
  }

  private pushTerm(column: number, node: Leaf): void {
    this.tokens.push({ kind: 'term', column, text: this.s.slice(column - 1, this.i), node });
  }

  /** Reads `"..."` starting at the opening quote; returns the unescaped content. */
  private readQuoted(): string {
    const s = this.s;
    const openColumn = this.i + 1;
    let out = '';
    this.i++;
    while (this.i < s.length) {
      const c = s[this.i] as string;
      if (c === '"') {
        this.i++;
        return out;
      }
      const next = s[this.i + 1];
      if (c === '\\' && (next === '"' || next === '\\')) {
        out += next;
        this.i += 2;
      } else {
        out += c;
        this.i++;
      }
    }
    throw queryError(
      `unterminated quote: the " at column ${openColumn} is never closed; add a closing " (write \\" for a quote inside a phrase)`,
      openColumn,
    );
  }

  /** After a closing quote the term must end, so `"a"b` is not silently read as two terms. */
  private expectTermEnd(termColumn: number): void {
    const next = this.s[this.i];
    if (next !== undefined && !isSpace(next) && next !== '(' && next !== ')') {
      throw queryError(
        `unexpected ${JSON.stringify(next)} right after the closing quote of the term at column ${termColumn}; put a space between the two terms`,
        this.i + 1,
      );
    }
  }

  private readWord(column: number): void {
    const s = this.s;
    let field: string | undefined;
    let value = new ValueBuilder();
    while (this.i < s.length) {
      const c = s[this.i] as string;
      if (isSpace(c) || c === '(' || c === ')') break;
      if (c === '\\') {
        const next = s[this.i + 1];
        if (next !== undefined && ESCAPABLE.has(next)) {
          value.addLiteral(next);
          value.escaped = true;
          this.i += 2;
        } else {
          value.addLiteral('\\');
          this.i++;
        }
        continue;
      }
      if (c === ':' && field === undefined) {
        field = this.fieldName(value, column);
        value = new ValueBuilder();
        this.i++;
        if (s[this.i] === '"') {
          const quoted = this.readQuoted();
          this.expectTermEnd(column);
          this.pushTerm(column, { kind: 'field', field, value: quoted, wildcard: false, quoted: true });
          return;
        }
        const next = s[this.i];
        if (next === '(') {
          throw queryError(
            `grouping values after a field (${field}:(...)) is not supported; write (${field}:a OR ${field}:b)`,
            this.i + 1,
          );
        }
        continue;
      }
      if (c === '<' || c === '>') {
        if (field === undefined) {
          this.comparison(column, this.fieldName(value, column, c));
          return;
        }
        if (value.empty) {
          this.comparison(column, field);
          return;
        }
      }
      if (c === '"') {
        throw queryError(
          `unexpected quote in the middle of a word at column ${this.i + 1}; quote the whole phrase ("two words") or escape the quote as \\"`,
          this.i + 1,
        );
      }
      if (c === '*' || c === '?') value.addWildcard(c);
      else value.addLiteral(c);
      this.i++;
    }

    if (field !== undefined) {
      if (value.empty) {
        throw queryError(
          `${field}: at column ${column} has no value; write ${field}:value, ${field}:"two words" or ${field}:* (field is present)`,
          column,
        );
      }
      if (value.literal === '*' && value.wildcard) {
        this.pushTerm(column, { kind: 'exists', field });
      } else if (!value.wildcard && !value.escaped && CIDR_SHAPE.test(value.literal)) {
        const cidr = parseCidr(field, value.literal);
        if (cidr === undefined) {
          throw queryError(
            `${JSON.stringify(value.literal)} at column ${column} is not a network: write an address and a prefix length, e.g. ${field}:10.0.0.0/8 (at most /32) or ${field}:2001:db8::/32 (at most /128); quote it to search for the text`,
            column,
          );
        }
        this.pushTerm(column, cidr);
      } else {
        this.pushTerm(column, {
          kind: 'field',
          field,
          value: value.wildcard ? value.glob : value.literal,
          wildcard: value.wildcard,
          quoted: false,
        });
      }
      return;
    }

    const keyword = value.escaped ? undefined : KEYWORDS[value.literal];
    if (keyword !== undefined) {
      this.tokens.push({ kind: keyword, column, text: value.literal });
    } else if (value.wildcard && value.literal === '*') {
      this.pushTerm(column, { kind: 'all' });
    } else {
      this.pushTerm(column, {
        kind: 'text',
        text: value.wildcard ? value.glob : value.literal,
        wildcard: value.wildcard,
        quoted: false,
      });
    }
  }

  private fieldName(before: ValueBuilder, column: number, operator = ':'): string {
    const name = before.literal;
    const escape = operator === ':' ? '\\:' : `\\${operator}`;
    if (name.length === 0) {
      throw queryError(
        `"${operator}" at column ${this.i + 1} has no field name before it; write field${operator === ':' ? ':value' : `${operator}value`}, or ${escape} to search for the character`,
        this.i + 1,
      );
    }
    if (before.escaped || before.wildcard || !FIELD_NAME.test(name)) {
      throw queryError(
        `${JSON.stringify(name)} at column ${column} is not a field name (letters, digits, _ . @ - only); to search for this text, quote it or escape the "${operator}" as ${escape}`,
        column,
      );
    }
    return name;
  }

  /**
   * `field > value` with spaces: the field was read as a text term just before. The operator
   * must follow a bare field name, or it is a mistake worth pointing at.
   */
  private spacedComparison(column: number): void {
    const previous = this.tokens[this.tokens.length - 1];
    const node = previous?.kind === 'term' ? previous.node : undefined;
    if (node?.kind !== 'text' || node.quoted || node.wildcard || !FIELD_NAME.test(node.text) || previous === undefined) {
      throw queryError(
        `"${this.s[this.i]}" at column ${column} needs a field name before it, e.g. destination.port > 1024; to search for the character write \\${this.s[this.i]} or quote it`,
        column,
      );
    }
    this.tokens.pop();
    this.comparison(previous.column, node.text);
  }

  /** Reads the operator at `this.i` and the value after it (spaces allowed between). */
  private comparison(column: number, field: string): void {
    const s = this.s;
    const op = (s[this.i + 1] === '=' ? `${s[this.i]}=` : s[this.i]) as CompareTerm['op'];
    const opColumn = this.i + 1;
    this.i += op.length;
    while (this.i < s.length && isSpace(s[this.i] as string)) this.i++;
    const valueColumn = this.i + 1;
    let value = '';
    if (s[this.i] === '"') {
      value = this.readQuoted();
      this.expectTermEnd(column);
    } else {
      while (this.i < s.length) {
        const c = s[this.i] as string;
        if (isSpace(c) || c === '(' || c === ')') break;
        if (c === '\\' && s[this.i + 1] !== undefined && ESCAPABLE.has(s[this.i + 1] as string)) {
          value += s[this.i + 1];
          this.i += 2;
          continue;
        }
        if (c === '*' || c === '?' || c === '<' || c === '>' || c === '"') {
          throw queryError(
            `unexpected ${JSON.stringify(c)} at column ${this.i + 1} in the value of the comparison ${field}${op}: compare with one value, e.g. ${field}${op}1024`,
            this.i + 1,
          );
        }
        value += c;
        this.i++;
      }
    }
    if (value.length === 0) {
      throw queryError(`"${op}" at column ${opColumn} needs a value after it, e.g. ${field}${op}1024`, opColumn);
    }
    let number: number | undefined = NUMBER.test(value) ? Number(value) : undefined;
    if (field === '@timestamp') {
      try {
        number = parseTime(value, Date.now());
      } catch (e) {
        throw queryError(
          `${JSON.stringify(value)} at column ${valueColumn} is not a time for @timestamp${op}: use ISO 8601 (2026-11-28T09:00:00Z), epoch ms, or relative (now-1h)${e instanceof Error ? ` (${e.message})` : ''}`,
          valueColumn,
        );
      }
    }
    this.tokens.push({ kind: 'term', column, text: s.slice(column - 1, this.i), node: { kind: 'compare', field, op, value, number } });
  }
}
