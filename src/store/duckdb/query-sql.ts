/**
 * Query tree → DuckDB WHERE clause. Every user value is a bound parameter; the only text built
 * from a query is a JSON path for a field name, and field names are checked against a strict
 * alphabet first (no quote, backslash or space can reach the SQL).
 *
 * Matching rules (the same on every store, proven by store.suite.ts):
 * - field terms compare case-insensitively, exactly or as a glob;
 * - an array field matches when any element matches; numbers and booleans match their JSON
 *   text (`process.pid:1234`, `tls.established:true`);
 * - free text is a case-insensitive substring of the original record or the message;
 * - every leaf is true or false, never NULL, so `NOT x` is true when the field is missing.
 */
import type { DuckDBValue } from '@duckdb/node-api';
import { VigilError } from '../../core/errors.js';
import type { QueryNode } from '../../core/query.js';
import { globToContainsLike, globToLike } from '../sql/like-pattern.js';
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
        ? `(search_text LIKE ${params.add(globToContainsLike(node.text.toLowerCase()))} ESCAPE '\\')`
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

/** `'$."host.name"'`: safe to inline because checkField allows no quote or backslash. */
function jsonPath(field: string): string {
  return `'$."${field}"'`;
}

/** Compares a column that stores lower-cased keywords (promoted columns). */
function loweredCompare(expr: string, match: Match, params: SqlParams): string {
  return match.kind === 'eq'
    ? `${expr} = ${params.add(match.value.toLowerCase())}`
    : `${expr} LIKE ${params.add(globToLike(match.glob.toLowerCase()))} ESCAPE '\\'`;
}

/** Compares text stored as written (message, JSON values): lowers both sides in SQL. */
function rawCompare(expr: string, match: Match, param: string): string {
  return match.kind === 'eq' ? `lower(${expr}) = lower(${param})` : `lower(${expr}) LIKE lower(${param}) ESCAPE '\\'`;
}

function rawParam(match: Match, params: SqlParams): string {
  return params.add(match.kind === 'eq' ? match.value : globToLike(match.glob));
}

/** A field looked up in the `fields` JSON; arrays match when any element does. */
function jsonSql(field: string, match: Match, param: string): string {
  const value = `json_extract(fields, ${jsonPath(field)})`;
  const element = rawCompare('elem', match, param);
  const scalar = rawCompare(`json_extract_string(${value}, '$')`, match, param);
  return (
    `(CASE WHEN starts_with(${value}, '[') ` +
    `THEN coalesce(list_bool_or(list_transform(json_extract_string(${value}, '$[*]'), lambda elem: ${element})), false) ` +
    `ELSE coalesce(${scalar}, false) END)`
  );
}

/** True for rows where `field` could not go in its column and lives in the JSON only. */
function inJsonOnly(field: string): string {
  return `list_contains(json_only, '${field}')`;
}

function fieldSql(field: string, match: Match, params: SqlParams): string {
  if (field === 'message') {
    const param = rawParam(match, params);
    return `(coalesce(${rawCompare('message', match, param)}, false) OR (CASE WHEN ${inJsonOnly(field)} THEN ${jsonSql(field, match, param)} ELSE false END))`;
  }
  const promoted = PROMOTED_BY_FIELD.get(field);
  if (promoted === undefined) return jsonSql(field, match, rawParam(match, params));
  if (promoted.shape === 'list') {
    return match.kind === 'eq'
      ? `coalesce(list_contains(${promoted.column}, ${params.add(match.value.toLowerCase())}), false)`
      : `coalesce(list_bool_or(list_transform(${promoted.column}, lambda elem: ${loweredCompare('elem', match, params)})), false)`;
  }
  const column = `coalesce(${loweredCompare(promoted.column, match, params)}, false)`;
  // The JSON fallback re-binds the value as written: lower() in SQL on both sides there.
  const fallback = jsonSql(field, match, rawParam(match, params));
  return `(${column} OR (CASE WHEN ${inJsonOnly(field)} THEN ${fallback} ELSE false END))`;
}

function existsSql(field: string): string {
  if (field === 'message') return `(message IS NOT NULL OR coalesce(${inJsonOnly(field)}, false))`;
  const promoted = PROMOTED_BY_FIELD.get(field);
  if (promoted === undefined) return `(json_extract_string(fields, ${jsonPath(field)}) IS NOT NULL)`;
  if (promoted.shape === 'list') return `(${promoted.column} IS NOT NULL)`;
  return `(${promoted.column} IS NOT NULL OR coalesce(${inJsonOnly(field)}, false))`;
}
