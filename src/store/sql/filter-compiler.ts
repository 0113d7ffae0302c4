/**
 * Query tree → a boolean SQL expression over the events table, for any SqlDialect. Every user
 * value is a bound parameter (SqlParams); the only text built from a query is a JSON path for a
 * field name, and field names are checked against a strict alphabet first.
 *
 * Matching rules (the same on every store, proven by store-query.suite.ts):
 * - field terms compare case-insensitively, exactly or as a glob;
 * - an array field matches when any element matches; numbers and booleans match their JSON
 *   text (`process.pid:1234`, `tls.established:true`);
 * - comparisons (`destination.port>1024`) are numeric when the value is a number, else
 *   case-insensitive text order; `@timestamp` compares event time;
 * - a network (`source.ip:10.0.0.0/8`) matches IPv4 or IPv6 addresses inside it;
 * - free text is a case-insensitive substring of the original record or the message;
 * - every leaf is true or false, never NULL, so `NOT x` is true when the field is missing.
 */
import { VigilError } from '../../core/errors.js';
import type { CidrTerm, CompareTerm, QueryNode } from '../../core/query.js';
import { globLiterals, globToContainsLike, globToLike, isLinearLike, likeToRegex } from './like-pattern.js';
import { SQL_FIELD_NAME, type SqlDialect, type SqlParams } from './sql-dialect.js';

/** Trees built by API clients skip the parser's depth limit; this bounds recursion here. */
const MAX_DEPTH = 256;

type Match = { readonly kind: 'eq'; readonly value: string } | { readonly kind: 'like'; readonly glob: string };

export function checkField(field: string): string {
  if (!SQL_FIELD_NAME.test(field)) {
    throw new VigilError(
      'query-invalid',
      `${JSON.stringify(field.slice(0, 64))} is not a field name: use 1-256 letters, digits, _ . @ - (e.g. host.name)`,
      { where: 'query' },
    );
  }
  return field;
}

/** RE2 metacharacters; a backslash before ASCII punctuation makes it literal in RE2. */
const REGEX_META = /[\\^$.|?*+()[\]{}]/g;

export class FilterCompiler {
  constructor(
    private readonly dialect: SqlDialect,
    private readonly params: SqlParams,
  ) {}

  compile(node: QueryNode, depth = 0): string {
    if (depth > MAX_DEPTH) {
      throw new VigilError('query-invalid', `the query nests more than ${MAX_DEPTH} levels deep; simplify it`, { where: 'query' });
    }
    const d = this.dialect;
    switch (node.kind) {
      case 'all':
        return 'true';
      case 'and':
      case 'or': {
        if (node.children.length === 0) return node.kind === 'and' ? 'true' : 'false';
        const parts = node.children.map((child) => this.compile(child, depth + 1));
        return `(${parts.join(node.kind === 'and' ? ' AND ' : ' OR ')})`;
      }
      case 'not':
        return `(NOT ${this.compile(node.child, depth + 1)})`;
      case 'text':
        return node.wildcard
          ? this.like('search_text', globToContainsLike(node.text.toLowerCase()))
          : d.contains('search_text', this.params.add(node.text.toLowerCase()));
      case 'exists':
        return this.exists(checkField(node.field));
      case 'field': {
        const match: Match = node.wildcard ? { kind: 'like', glob: node.value } : { kind: 'eq', value: node.value };
        return this.field(checkField(node.field), match);
      }
      case 'compare':
        return this.compare(node);
      case 'cidr':
        return this.cidr(node);
    }
  }

  /**
   * `expr LIKE pattern`. The ESCAPE clause is added only when the pattern needs it: DuckDB turns a
   * plain `LIKE '%x%'` into a fast substring search but not one with ESCAPE (~4x slower).
   * A pattern LIKE would backtrack on (several `%`, `_`, escapes) runs as RE2 (linear time).
   */
  private like(expr: string, pattern: string): string {
    if (isLinearLike(pattern)) return this.dialect.like(expr, this.params.add(pattern), false);
    return this.dialect.regexFullMatch(expr, this.params.add(likeToRegex(pattern)));
  }

  /** Text stored as written: lowered in SQL, so both sides use the engine's case mapping. */
  private rawCompare(expr: string, match: Match): string {
    const d = this.dialect;
    if (match.kind === 'eq') return `${d.lower(expr)} = ${d.lower(this.params.add(match.value))}`;
    const pattern = globToLike(match.glob);
    if (isLinearLike(pattern)) return d.like(d.lower(expr), d.lower(this.params.add(pattern)), false);
    return d.regexFullMatch(d.lower(expr), d.lower(this.params.add(likeToRegex(pattern))));
  }

  /**
   * A cheap test on the raw JSON text that every matching row passes: the value (as JSON writes
   * it) must occur in it. A substring search is ~3x cheaper than parsing the JSON, so rows that
   * cannot match are dropped first. Case-insensitive via RE2 (linear time) when the value has
   * letters.
   */
  private jsonPrefilter(match: Match): string | undefined {
    const literal =
      match.kind === 'eq' ? match.value : globLiterals(match.glob).reduce((a, b) => (b.length > a.length ? b : a), '');
    if (literal.length === 0) return undefined;
    const needle = JSON.stringify(literal).slice(1, -1);
    if (needle.toLowerCase() === needle.toUpperCase()) return this.dialect.contains('fields', this.params.add(needle));
    return this.dialect.regexMatches('fields', this.params.add(`(?i)${needle.replace(REGEX_META, '\\$&')}`));
  }

  private field(field: string, match: Match): string {
    const d = this.dialect;
    if (field === 'message') return `coalesce(${this.rawCompare('message', match)}, false)`;
    const column = d.promotedColumn(field);
    if (column !== undefined) {
      if (match.kind === 'eq') return d.listContains(column, this.params.add(match.value.toLowerCase()));
      const pattern = globToLike(match.glob.toLowerCase());
      const linear = isLinearLike(pattern);
      const ref = this.params.add(linear ? pattern : likeToRegex(pattern));
      return d.listAny(column, (elem) => (linear ? d.like(elem, ref, false) : d.regexFullMatch(elem, ref)));
    }
    const prefilter = this.jsonPrefilter(match);
    const value = d.jsonAny(field, (text) => this.rawCompare(text, match));
    // CASE evaluates THEN only for rows passing WHEN; AND gives no such promise inside OR/NOT.
    return prefilter === undefined ? value : `(CASE WHEN ${prefilter} THEN ${value} ELSE false END)`;
  }

  private exists(field: string): string {
    if (field === '@timestamp') return 'true';
    if (field === 'message') return '(message IS NOT NULL)';
    const column = this.dialect.promotedColumn(field);
    return column !== undefined ? this.dialect.promotedExists(field, column) : this.dialect.jsonExists(field);
  }

  /** Applies `predicate` to every value of the field, true when one satisfies it. */
  private anyValue(field: string, predicate: (text: string) => string): string {
    const d = this.dialect;
    if (field === 'message') return `coalesce(${predicate('message')}, false)`;
    const column = d.promotedColumn(field);
    return column !== undefined ? d.listAny(column, predicate) : d.jsonAny(field, predicate);
  }

  private compare(node: CompareTerm): string {
    const d = this.dialect;
    const field = checkField(node.field);
    if (!['>', '>=', '<', '<='].includes(node.op)) {
      throw new VigilError('query-invalid', `unknown comparison ${JSON.stringify(node.op)}; use >, >=, < or <=`, { where: 'query' });
    }
    if (field === '@timestamp') {
      if (node.number === undefined || !Number.isFinite(node.number)) {
        throw new VigilError('query-invalid', `@timestamp${node.op} needs a time, got ${JSON.stringify(node.value)}`, { where: 'query' });
      }
      return `(time ${node.op} CAST(${this.params.add(BigInt(Math.trunc(node.number)))} AS BIGINT))`;
    }
    if (node.number !== undefined && Number.isFinite(node.number)) {
      const ref = this.params.add(node.number);
      return this.anyValue(field, (text) => `coalesce(${d.toNumber(text)} ${node.op} ${ref}, false)`);
    }
    const ref = this.params.add(node.value.toLowerCase());
    return this.anyValue(field, (text) => `coalesce(${d.lower(text)} ${node.op} ${ref}, false)`);
  }

  private cidr(node: CidrTerm): string {
    const d = this.dialect;
    const field = checkField(node.field);
    if (node.version === 4) {
      const size = 2 ** (32 - node.prefix);
      const low = Math.floor(ipv4Value(node.network) / size) * size;
      const lo = this.params.add(low);
      const hi = this.params.add(low + size - 1);
      return this.anyValue(field, (text) => `coalesce(${d.ipv4Number(text)} BETWEEN ${lo} AND ${hi}, false)`);
    }
    if (!/^[0-9a-f]{32}$/.test(node.network) || node.prefix > 128) {
      throw new VigilError('query-invalid', `${JSON.stringify(node.text)} is not an IPv6 network`, { where: 'query' });
    }
    // Lower-case hex strings of equal length order like the numbers they spell.
    const fixed = Math.floor(node.prefix / 4);
    const bits = node.prefix % 4;
    const head = node.network.slice(0, fixed);
    let low = head;
    let high = head;
    if (fixed < 32) {
      const nibble = parseInt(node.network[fixed] as string, 16);
      low += nibble.toString(16);
      high += (bits === 0 ? 15 : nibble + 2 ** (4 - bits) - 1).toString(16);
      low = low.padEnd(32, '0');
      high = high.padEnd(32, 'f');
    }
    const lo = this.params.add(low);
    const hi = this.params.add(high);
    return this.anyValue(field, (text) => `coalesce(${d.ipv6Hex(text)} BETWEEN ${lo} AND ${hi}, false)`);
  }
}

function ipv4Value(dotted: string): number {
  return dotted.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

/** Compiles `node` to a boolean SQL expression over the events table. */
export function compileFilter(dialect: SqlDialect, node: QueryNode, params: SqlParams): string {
  return new FilterCompiler(dialect, params).compile(node);
}
