/**
 * Query tree → DuckDB WHERE clause. Every user value is a bound parameter; the only text built
 * from a query is a JSON path or key for a field name, and field names are checked against a
 * strict alphabet first (no quote, backslash or space can reach the SQL).
 *
 * Matching rules (the same on every store, proven by store.suite.ts):
 * - field terms compare case-insensitively, exactly or as a glob;
 * - an array field matches when any element matches; numbers and booleans match their JSON
 *   text (`process.pid:1234`, `tls.established:true`);
 * - free text is a case-insensitive substring of the original record or the message;
 * - every leaf is true or false, never NULL, so `NOT x` is true when the field is missing.
 *
 * Costs (CPU per 1M events, see schema.ts): promoted field ~60 ms, free text ~300 ms, a field
 * in the JSON ~900-1200 ms, cut to ~350-650 ms by a cheap text prefilter when the value is
 * selective.
 */
import type { DuckDBValue } from '@duckdb/node-api';
import { VigilError } from '../../core/errors.js';
import type { QueryNode } from '../../core/query.js';
import { LIKE_ESCAPE, globLiterals, globToContainsLike, globToLike } from '../sql/like-pattern.js';
import { PROMOTED_BY_FIELD } from './schema.js';

/** Same alphabet as the query language's field names (src/search/query-tokens.ts). */
const FIELD_NAME = /^[A-Za-z0-9_@.-]{1,256}$/;
/** Trees built by API clients skip the parser's depth limit; this bounds recursion here. */
const MAX_DEPTH = 256;

/** Positional parameters `$1, $2, …`, shared by the whole statement. */
export class SqlParams {
  readonly values: DuckDBValue[] = [];

  add(value: DuckDBValue): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

type Match = { readonly kind: 'eq'; readonly value: string } | { readonly kind: 'like'; readonly glob: string };

/** Compiles `node` to a boolean SQL expression over the `events` table. */
export function compileFilter(node: QueryNode, params: SqlParams): string {
  return compile(node, params, 0);
}

function compile(node: QueryNode, params: SqlParams, depth: number): string {
  if (depth > MAX_DEPTH) {
    throw new VigilError('query-invalid', `the query nests more than ${MAX_DEPTH} levels deep; simplify it`, { where: 'query' });
  }
  switch (node.kind) {
    case 'all':
      return 'true';
    case 'and':
    case 'or': {
      if (node.children.length === 0) return node.kind === 'and' ? 'true' : 'false';
      const parts = node.children.map((child) => compile(child, params, depth + 1));
      return `(${parts.join(node.kind === 'and' ? ' AND ' : ' OR ')})`;
    }
    case 'not':
      return `(NOT ${compile(node.child, params, depth + 1)})`;
    case 'text':
      return node.wildcard
        ? like('search_text', globToContainsLike(node.text.toLowerCase()), params)
        : `contains(search_text, ${params.add(node.text.toLowerCase())})`;
    case 'exists':
      return existsSql(checkField(node.field));
    case 'field': {
      const match: Match = node.wildcard ? { kind: 'like', glob: node.value } : { kind: 'eq', value: node.value };
      return fieldSql(checkField(node.field), match, params);
    }
  }
}

function checkField(field: string): string {
  if (!FIELD_NAME.test(field)) {
    throw new VigilError(
      'query-invalid',
      `${JSON.stringify(field.slice(0, 64))} is not a field name: use 1-256 letters, digits, _ . @ - (e.g. host.name)`,
      { where: 'query' },
    );
  }
  return field;
}

/**
 * `expr LIKE pattern`. The ESCAPE clause is added only when the pattern needs it: DuckDB turns a
 * plain `LIKE '%x%'` into a fast substring search but not one with ESCAPE (~4x slower).
 */
function like(expr: string, pattern: string, params: SqlParams): string {
  const escape = pattern.includes(LIKE_ESCAPE) ? ` ESCAPE '${LIKE_ESCAPE}'` : '';
  return `(${expr} LIKE ${params.add(pattern)}${escape})`;
}

/** A promoted VARCHAR[] column of lower-cased keys: any element may match. */
function promotedSql(column: string, match: Match, params: SqlParams): string {
  if (match.kind === 'eq') return `coalesce(list_contains(${column}, ${params.add(match.value.toLowerCase())}), false)`;
  const element = like('elem', globToLike(match.glob.toLowerCase()), params);
  return `coalesce(list_bool_or(list_transform(${column}, lambda elem: ${element})), false)`;
}

/** Text stored as written: lowered in SQL, so both sides use DuckDB's case mapping. */
function rawCompare(expr: string, match: Match, params: SqlParams): string {
  if (match.kind === 'eq') return `lower(${expr}) = lower(${params.add(match.value)})`;
  const pattern = globToLike(match.glob);
  const escape = pattern.includes(LIKE_ESCAPE) ? ` ESCAPE '${LIKE_ESCAPE}'` : '';
  return `lower(${expr}) LIKE lower(${params.add(pattern)})${escape}`;
}

/** RE2 metacharacters; a backslash before ASCII punctuation makes it literal in RE2. */
const REGEX_META = /[\\^$.|?*+()[\]{}]/g;

/**
 * A cheap test on the raw JSON text that every matching row passes: the value (as JSON writes
 * it) must occur in it. A substring search is ~3x cheaper than parsing the JSON, so rows that
 * cannot match are dropped first. Case-insensitive via RE2 (linear time) when the value has
 * letters.
 */
function jsonPrefilter(match: Match, params: SqlParams): string | undefined {
  const literal =
    match.kind === 'eq' ? match.value : globLiterals(match.glob).reduce((a, b) => (b.length > a.length ? b : a), '');
  if (literal.length === 0) return undefined;
  const needle = JSON.stringify(literal).slice(1, -1);
  if (needle.toLowerCase() === needle.toUpperCase()) return `contains(fields, ${params.add(needle)})`;
  return `regexp_matches(fields, ${params.add(`(?i)${needle.replace(REGEX_META, '\\$&')}`)})`;
}

/**
 * A field looked up in the `fields` JSON. The value is extracted once, through a one-element
 * lambda (DuckDB does not reuse a repeated expression), then compared as a scalar, or element
 * by element when it is an array.
 */
function jsonSql(field: string, match: Match, params: SqlParams): string {
  const prefilter = jsonPrefilter(match, params);
  const element = rawCompare('elem', match, params);
  const scalar = rawCompare(`json_extract_string(j, '$')`, match, params);
  const value =
    `coalesce(list_bool_or(list_transform([json_extract(fields, '$."${field}"')], lambda j: ` +
    `CASE WHEN starts_with(j, '[') THEN list_bool_or(list_transform(json_extract_string(j, '$[*]'), lambda elem: ${element})) ` +
    `ELSE ${scalar} END)), false)`;
  // CASE evaluates THEN only for rows passing WHEN; AND gives no such promise inside OR/NOT.
  return prefilter === undefined ? value : `(CASE WHEN ${prefilter} THEN ${value} ELSE false END)`;
}

function fieldSql(field: string, match: Match, params: SqlParams): string {
  if (field === 'message') return `coalesce(${rawCompare('message', match, params)}, false)`;
  const promoted = PROMOTED_BY_FIELD.get(field);
  return promoted === undefined ? jsonSql(field, match, params) : promotedSql(promoted.column, match, params);
}

function existsSql(field: string): string {
  if (field === 'message') return '(message IS NOT NULL)';
  const promoted = PROMOTED_BY_FIELD.get(field);
  if (promoted !== undefined) return `(${promoted.column} IS NOT NULL)`;
  // JSON.stringify writes a key as `"name":`; the parse only runs for rows that contain it.
  return `(CASE WHEN contains(fields, '"${field}":') THEN json_extract_string(fields, '$."${field}"') IS NOT NULL ELSE false END)`;
}
