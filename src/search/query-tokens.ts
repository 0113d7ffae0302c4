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
import type { AllNode, ExistsTerm, FieldTerm, TextTerm } from '../core/query.js';

export type OperatorKind = 'and' | 'or' | 'not';

export type Token =
  | { readonly kind: 'lparen' | 'rparen'; readonly column: number; readonly text: string }
  | { readonly kind: OperatorKind; readonly column: number; readonly text: string }
  | {
      readonly kind: 'term';
      readonly column: number;
      readonly text: string;
      readonly node: FieldTerm | TextTerm | ExistsTerm | AllNode;
    };

/** ECS-style dotted names: `host.name`, `@timestamp`, `source.ip`, `event-id`. */
export const FIELD_NAME = /^[A-Za-z0-9_@.-]+$/;

const ESCAPABLE = new Set([' ', '\t', '\n', '\r', '\\', ':', '*', '?', '"', '(', ')', '!', '-', '&', '|']);
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

  private pushTerm(column: number, node: FieldTerm | TextTerm | ExistsTerm | AllNode): void {
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

  private fieldName(before: ValueBuilder, column: number): string {
    const name = before.literal;
    if (name.length === 0) {
      throw queryError(
        `":" at column ${this.i + 1} has no field name before it; write field:value, or \\: to search for a colon`,
        this.i + 1,
      );
    }
    if (before.escaped || before.wildcard || !FIELD_NAME.test(name)) {
      throw queryError(
        `${JSON.stringify(name)} at column ${column} is not a field name (letters, digits, _ . @ - only); to search for this text, quote it or escape the colon as \\:`,
        column,
      );
    }
    return name;
  }
}
