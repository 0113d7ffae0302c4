/**
 * `parseQuery`: search text → typed query tree (src/core/query.ts), by recursive descent over
 * the tokens of query-tokens.ts.
 *
 *   query   := or? EOF
 *   or      := and (("OR" | "||") and)*
 *   and     := unary (("AND" | "&&")? unary)*      adjacent terms are ANDed
 *   unary   := ("NOT" | "!" | "-") unary | primary
 *   primary := "(" or ")" | term
 *
 * Precedence NOT > AND > OR, as in Lucene and KQL. Lengths and nesting are bounded so a hostile
 * query cannot exhaust the stack or build a huge SQL statement.
 */
import type { QueryNode } from '../core/query.js';
import { pipeStart, queryError, tokenize, type Token } from './query-tokens.js';

export const MAX_QUERY_LENGTH = 4096;
export const MAX_QUERY_DEPTH = 64;

/**
 * Parses a filter: the query language without pipes (what a scheduled hunt or an entity filter
 * takes). A `|` here is a mistake worth naming; `planQuery` (query-plan.ts) reads the pipes.
 */
export function parseQuery(text: string): QueryNode {
  const at = pipeStart(text);
  if (at >= 0) {
    throw queryError(
      `pipes are not allowed here (the "|" at column ${at + 1}): give a filter only, or write \\| to search for the character`,
      at + 1,
    );
  }
  return parseQueryFilter(text);
}

/** The filter part of a query, up to its first pipe (the caller cuts the text there). */
export function parseQueryFilter(text: string): QueryNode {
  if (text.length > MAX_QUERY_LENGTH) {
    throw queryError(
      `the query is ${text.length} characters long; the limit is ${MAX_QUERY_LENGTH}: narrow it down or split it into several searches`,
      MAX_QUERY_LENGTH + 1,
    );
  }
  const tokens = tokenize(text);
  if (tokens.length === 0) return { kind: 'all' };
  return new Parser(tokens).parse();
}

function describe(token: Token): string {
  return token.kind === 'term' ? `the term ${token.text}` : `"${token.text}"`;
}

class Parser {
  private pos = 0;
  private depth = 0;

  constructor(private readonly tokens: readonly Token[]) {}

  parse(): QueryNode {
    const node = this.parseOr();
    const extra = this.peek();
    if (extra !== undefined) {
      // parseOr stops only at a `)` it did not open.
      throw queryError(
        `unbalanced parenthesis: the ")" at column ${extra.column} has no matching "("; remove it or add a "(" before it`,
        extra.column,
      );
    }
    return node;
  }

  private peek(): Token | undefined {
    return this.tokens[this.pos];
  }

  private next(): Token {
    const token = this.tokens[this.pos++];
    if (token === undefined) throw new Error('parser read past the end of the tokens');
    return token;
  }

  private startsOperand(token: Token | undefined): boolean {
    return token !== undefined && (token.kind === 'term' || token.kind === 'lparen' || token.kind === 'not');
  }

  /** A binary operator or NOT must be followed by something it can apply to. */
  private requireOperand(operator: Token): void {
    const next = this.peek();
    if (this.startsOperand(next)) return;
    const example = operator.kind === 'not' ? `${operator.text} host.name:web1` : `a ${operator.text} b`;
    const found = next === undefined ? 'the query ends there' : `${describe(next)} follows`;
    throw queryError(
      `"${operator.text}" at column ${operator.column} needs a term after it, but ${found}; write e.g. ${example}, or remove "${operator.text}"`,
      operator.column,
    );
  }

  private parseOr(): QueryNode {
    const children = [this.parseAnd()];
    while (this.peek()?.kind === 'or') {
      this.requireOperand(this.next());
      children.push(this.parseAnd());
    }
    return combine('or', children);
  }

  private parseAnd(): QueryNode {
    const children = [this.parseUnary()];
    for (;;) {
      const next = this.peek();
      if (next?.kind === 'and') {
        this.requireOperand(this.next());
      } else if (!this.startsOperand(next)) {
        break;
      }
      children.push(this.parseUnary());
    }
    return combine('and', children);
  }

  private parseUnary(): QueryNode {
    const token = this.peek();
    if (token?.kind !== 'not') return this.parsePrimary();
    this.next();
    this.requireOperand(token);
    this.enter(token);
    const child = this.parseUnary();
    this.depth--;
    return { kind: 'not', child };
  }

  private parsePrimary(): QueryNode {
    const token = this.next();
    switch (token.kind) {
      case 'term':
        return token.node;
      case 'lparen': {
        this.enter(token);
        const inner = this.peek();
        if (inner === undefined) {
          throw queryError(`unbalanced parenthesis: the "(" at column ${token.column} is never closed; add a term and a ")"`, token.column);
        }
        if (inner?.kind === 'rparen') {
          throw queryError(`empty parentheses at column ${token.column}; put a term inside or remove them`, token.column);
        }
        if (inner?.kind === 'and' || inner?.kind === 'or') this.noTermBefore(inner);
        const node = this.parseOr();
        const close = this.peek();
        if (close?.kind !== 'rparen') {
          throw queryError(
            `unbalanced parenthesis: the "(" at column ${token.column} is never closed; add a ")"`,
            token.column,
          );
        }
        this.next();
        this.depth--;
        return node;
      }
      case 'rparen':
        throw queryError(
          `unbalanced parenthesis: the ")" at column ${token.column} has no matching "("; remove it or add a "(" before it`,
          token.column,
        );
      case 'and':
      case 'or':
        return this.noTermBefore(token);
      case 'not':
        throw new Error('parsePrimary reached a NOT token');
    }
  }

  private noTermBefore(token: Token): never {
    throw queryError(
      `"${token.text}" at column ${token.column} needs a term before it; write e.g. a ${token.text} b, or remove "${token.text}"`,
      token.column,
    );
  }

  private enter(token: Token): void {
    if (++this.depth > MAX_QUERY_DEPTH) {
      throw queryError(
        `the query nests more than ${MAX_QUERY_DEPTH} levels deep (parentheses and NOT) at column ${token.column}; simplify it`,
        token.column,
      );
    }
  }
}

/** One child stands alone; nested nodes of the same operator are flattened. */
function combine(kind: 'and' | 'or', children: QueryNode[]): QueryNode {
  if (children.length === 1) return children[0] as QueryNode;
  const flat: QueryNode[] = [];
  for (const child of children) {
    if (child.kind === kind) flat.push(...child.children);
    else flat.push(child);
  }
  return { kind, children: flat };
}
