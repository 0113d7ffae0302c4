/**
 * The condition of a Sigma rule (`detection.condition`), Sigma specification v2.1.0:
 *
 *   expr     := andExpr ('or' andExpr)*
 *   andExpr  := notExpr ('and' notExpr)*
 *   notExpr  := 'not' notExpr | primary
 *   primary  := '(' expr ')' | quantity 'of' target | identifier
 *   quantity := '1' | 'all' | 'any'        ('any' is accepted as pySigma does: the same as '1')
 *   target   := 'them' | identifier pattern (letters, digits, '_', '-', '.', '*')
 *
 * Precedence, loosest to tightest: or < and < not < x of < ( ). `them` is every search
 * identifier not starting with '_'; a pattern's `*` stands for any run of characters and
 * the pattern must match the whole identifier. A list of conditions is OR-ed (see
 * `parseConditions`). Keywords are read case-insensitively (`AND`, `Not`); identifiers are
 * case-sensitive. A hand-written tokenizer and recursive-descent parser: no eval, no regex
 * built from rule text, errors carry the 1-based column.
 */

export type ConditionNode =
  | { readonly kind: 'id'; readonly name: string; readonly column: number }
  | { readonly kind: 'not'; readonly operand: ConditionNode }
  | { readonly kind: 'and'; readonly operands: readonly ConditionNode[] }
  | { readonly kind: 'or'; readonly operands: readonly ConditionNode[] }
  | {
      readonly kind: 'of';
      /** `one`: `1 of` / `any of`; `all`: `all of`. */
      readonly quantifier: 'one' | 'all';
      /** `them`, or an identifier pattern that may contain `*`. */
      readonly target: string;
      readonly column: number;
    };

/** A condition that is not well-formed; `column` is 1-based, into `condition`. */
export class ConditionSyntaxError extends Error {
  constructor(
    readonly detail: string,
    readonly condition: string,
    readonly column: number,
  ) {
    super(`${detail} at column ${column} of '${condition}'`);
    this.name = 'ConditionSyntaxError';
  }
}

/** A well-formed condition that names search identifiers the detection does not define. */
export class ConditionReferenceError extends Error {
  constructor(
    readonly detail: string,
    readonly column: number,
  ) {
    super(detail);
    this.name = 'ConditionReferenceError';
  }
}

type TokenKind = 'lparen' | 'rparen' | 'and' | 'or' | 'not' | 'of' | 'word' | 'pipe' | 'end';

interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  /** 0-based offset into the condition. */
  readonly at: number;
}

const KEYWORDS: Record<string, TokenKind> = { and: 'and', or: 'or', not: 'not', of: 'of' };

function isWordChar(code: number): boolean {
  return (
    (code >= 48 && code <= 57) || // 0-9
    (code >= 65 && code <= 90) || // A-Z
    (code >= 97 && code <= 122) || // a-z
    code === 95 || // _
    code === 45 || // -
    code === 46 || // .
    code === 42 || // *
    (code > 127 && /[\p{L}\p{N}]/u.test(String.fromCharCode(code)))
  );
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const code = text.charCodeAt(i);
    if (code === 32 || code === 9 || code === 10 || code === 13) {
      i++;
      continue;
    }
    if (code === 40) {
      tokens.push({ kind: 'lparen', text: '(', at: i++ });
      continue;
    }
    if (code === 41) {
      tokens.push({ kind: 'rparen', text: ')', at: i++ });
      continue;
    }
    if (code === 124) {
      // A Sigma 1 aggregation ('| count() by x > 5') follows: the parser reports it.
      tokens.push({ kind: 'pipe', text: '|', at: i });
      break;
    }
    if (isWordChar(code)) {
      const start = i;
      while (i < text.length && isWordChar(text.charCodeAt(i))) i++;
      const word = text.slice(start, i);
      tokens.push({ kind: KEYWORDS[word.toLowerCase()] ?? 'word', text: word, at: start });
      continue;
    }
    throw new ConditionSyntaxError(`unexpected character '${text[i]}'`, text, i + 1);
  }
  tokens.push({ kind: 'end', text: '', at: text.length });
  return tokens;
}

function describe(token: Token): string {
  return token.kind === 'end' ? 'the end of the condition' : `'${token.text}'`;
}

class Parser {
  private pos = 0;
  constructor(
    private readonly text: string,
    private readonly tokens: readonly Token[],
  ) {}

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.pos + offset, this.tokens.length - 1)]!;
  }

  private fail(detail: string, token: Token): never {
    throw new ConditionSyntaxError(detail, this.text, token.at + 1);
  }

  parse(): ConditionNode {
    if (this.peek().kind === 'end') this.fail('the condition is empty', this.peek());
    const node = this.parseOr();
    const next = this.peek();
    if (next.kind === 'pipe') {
      this.fail("aggregation expressions ('| count() by …', '| near …') were removed in Sigma 2; write a correlation rule instead", next);
    }
    if (next.kind === 'rparen') this.fail("unbalanced ')'", next);
    if (next.kind !== 'end') this.fail(`expected 'and', 'or' or the end of the condition, found ${describe(next)}`, next);
    return node;
  }

  private parseOr(): ConditionNode {
    const operands = [this.parseAnd()];
    while (this.peek().kind === 'or') {
      this.pos++;
      operands.push(this.parseAnd());
    }
    return operands.length === 1 ? operands[0]! : { kind: 'or', operands };
  }

  private parseAnd(): ConditionNode {
    const operands = [this.parseNot()];
    while (this.peek().kind === 'and') {
      this.pos++;
      operands.push(this.parseNot());
    }
    return operands.length === 1 ? operands[0]! : { kind: 'and', operands };
  }

  private parseNot(): ConditionNode {
    if (this.peek().kind === 'not') {
      this.pos++;
      return { kind: 'not', operand: this.parseNot() };
    }
    return this.parsePrimary();
  }

  private parsePrimary(): ConditionNode {
    const token = this.peek();
    switch (token.kind) {
      case 'lparen': {
        this.pos++;
        if (this.peek().kind === 'rparen') this.fail("empty parentheses '()'", this.peek());
        const inner = this.parseOr();
        const close = this.peek();
        if (close.kind !== 'rparen') this.fail(`expected ')' to close the '(' at column ${token.at + 1}, found ${describe(close)}`, close);
        this.pos++;
        return inner;
      }
      case 'word': {
        if (this.peek(1).kind === 'of') return this.parseQuantified(token);
        this.pos++;
        if (token.text.toLowerCase() === 'them') this.fail("'them' can only follow '1 of' or 'all of'", token);
        if (token.text.includes('*')) this.fail(`the pattern '${token.text}' needs '1 of' or 'all of' before it`, token);
        if (/^\d+$/.test(token.text) && this.peek().kind === 'word') {
          this.fail(`expected 'of' after '${token.text}'`, this.peek());
        }
        return { kind: 'id', name: token.text, column: token.at + 1 };
      }
      case 'of':
        return this.fail("'of' needs '1' or 'all' before it", token);
      case 'pipe':
        return this.fail("aggregation expressions ('| count() by …') were removed in Sigma 2; write a correlation rule instead", token);
      case 'rparen':
        return this.fail("expected an identifier, '(', 'not', '1 of' or 'all of', found ')'", token);
      default:
        return this.fail(`expected an identifier, '(', 'not', '1 of' or 'all of', found ${describe(token)}`, token);
    }
  }

  private parseQuantified(quantity: Token): ConditionNode {
    const q = quantity.text.toLowerCase();
    let quantifier: 'one' | 'all';
    if (q === '1' || q === 'any') quantifier = 'one';
    else if (q === 'all') quantifier = 'all';
    else if (/^\d+$/.test(q)) this.fail(`only '1 of' and 'all of' are defined by Sigma, not '${quantity.text} of'`, quantity);
    else this.fail(`expected '1' or 'all' before 'of', found '${quantity.text}'`, quantity);
    this.pos += 2; // quantity, 'of'
    const target = this.peek();
    if (target.kind !== 'word') this.fail(`expected 'them' or a search identifier pattern after 'of', found ${describe(target)}`, target);
    this.pos++;
    const name = target.text.toLowerCase() === 'them' ? 'them' : target.text;
    return { kind: 'of', quantifier: quantifier!, target: name, column: quantity.at + 1 };
  }
}

/** Parses one condition string; throws `ConditionSyntaxError`. */
export function parseCondition(text: string): ConditionNode {
  return new Parser(text, tokenize(text)).parse();
}

/** Parses a condition or a list of conditions (OR-ed, as the specification says). */
export function parseConditions(conditions: string | readonly string[]): ConditionNode {
  if (typeof conditions === 'string') return parseCondition(conditions);
  const nodes = conditions.map(parseCondition);
  return nodes.length === 1 ? nodes[0]! : { kind: 'or', operands: nodes };
}

/** True when `name` matches an `x of` pattern (`*`: any run of characters, whole name). */
export function patternMatches(pattern: string, name: string): boolean {
  if (pattern === 'them') return !name.startsWith('_');
  const parts = pattern.split('*');
  if (parts.length === 1) return pattern === name;
  const first = parts[0]!;
  const last = parts[parts.length - 1]!;
  if (name.length < first.length + last.length || !name.startsWith(first) || !name.endsWith(last)) return false;
  let at = first.length;
  const end = name.length - last.length;
  for (let i = 1; i < parts.length - 1; i++) {
    const part = parts[i]!;
    if (part === '') continue;
    const found = name.indexOf(part, at);
    if (found < 0 || found + part.length > end) return false;
    at = found + part.length;
  }
  return true;
}

/** The identifiers an `x of` target stands for, in the order the detection defines them. */
export function expandTarget(target: string, identifiers: readonly string[]): string[] {
  return identifiers.filter((name) => patternMatches(target, name));
}

/**
 * Checks every identifier against the detection's search identifiers and replaces `x of` by
 * the identifiers it stands for (an AND / OR of `id` nodes). Throws `ConditionReferenceError`
 * for an unknown identifier or a pattern that matches none.
 */
export function resolveCondition(node: ConditionNode, identifiers: readonly string[]): ConditionNode {
  switch (node.kind) {
    case 'id':
      if (!identifiers.includes(node.name)) {
        const hint = closest(node.name, identifiers);
        throw new ConditionReferenceError(
          `unknown identifier '${node.name}'${hint ? ` (did you mean '${hint}'?)` : ''} (defined: ${identifiers.join(', ') || 'none'})`,
          node.column,
        );
      }
      return node;
    case 'not':
      return { kind: 'not', operand: resolveCondition(node.operand, identifiers) };
    case 'and':
    case 'or':
      return { kind: node.kind, operands: node.operands.map((o) => resolveCondition(o, identifiers)) };
    case 'of': {
      const names = expandTarget(node.target, identifiers);
      if (names.length === 0) {
        const what = node.target === 'them' ? "'them' stands for no search identifier (all of them start with '_')" : `the pattern '${node.target}' matches no search identifier`;
        throw new ConditionReferenceError(`${what} (defined: ${identifiers.join(', ') || 'none'})`, node.column);
      }
      const ids: ConditionNode[] = names.map((name) => ({ kind: 'id', name, column: node.column }));
      if (ids.length === 1) return ids[0]!;
      return { kind: node.quantifier === 'all' ? 'and' : 'or', operands: ids };
    }
  }
}

/** The condition written back in canonical form, fully parenthesised (for tests and messages). */
export function formatCondition(node: ConditionNode): string {
  switch (node.kind) {
    case 'id':
      return node.name;
    case 'not':
      return `not ${formatCondition(node.operand)}`;
    case 'and':
    case 'or':
      return `(${node.operands.map(formatCondition).join(` ${node.kind} `)})`;
    case 'of':
      return `${node.quantifier === 'all' ? 'all' : '1'} of ${node.target}`;
  }
}

/** The defined identifier nearest to a misspelt one (edit distance at most a third of its length, at least 1). */
function closest(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(name.length / 3)) + 1;
  for (const candidate of candidates) {
    const d = editDistance(name, candidate);
    if (d < bestDistance && d < name.length) {
      bestDistance = d;
      best = candidate;
    }
  }
  return best;
}

/** Optimal string alignment distance (insertions, deletions, substitutions, transpositions). */
function editDistance(a: string, b: string): number {
  let before: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      let d = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, before[j - 2]! + 1);
      row[j] = d;
    }
    before = prev;
    prev = row;
  }
  return prev[b.length]!;
}
