/**
 * How DuckDB spells the pieces of a query (see src/store/sql/sql-dialect.ts).
 *
 * Costs (CPU per 1M events, see schema.ts): a promoted field ~60 ms (list_contains), free text
 * ~300 ms, a field in the JSON ~900-1200 ms. DuckDB does not reuse a repeated expression, so a
 * JSON value is extracted once and handed to a one-element lambda instead of being written twice.
 */
import type { SqlDialect } from '../sql/sql-dialect.js';
import { PROMOTED_BY_FIELD } from './schema.js';

/** A JSON path for a checked field name (the caller checked the alphabet: no quote can occur). */
function path(field: string): string {
  return `'$."${field}"'`;
}

/**
 * How an event arrived (`source.input`, `source.kind`), searchable like a field. They are plain
 * columns of every event, read here as a one-element list of the lower-cased value: the shape
 * of a promoted field, so filters, groups and sorts treat them alike. A field of the same name
 * in an event's JSON is shadowed by them.
 */
const SOURCE_FIELDS: ReadonlyMap<string, string> = new Map([
  ['source.input', '[lower(source_input)]'],
  ['source.kind', '[lower(source_kind)]'],
]);

/** IPv4 as four 1-3 digit groups; a constant pattern, not user text. */
const IPV4_SHAPE = String.raw`'\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}'`;

export const duckdbDialect: SqlDialect = {
  name: 'duckdb',

  promotedColumn(field) {
    return PROMOTED_BY_FIELD.get(field)?.column ?? SOURCE_FIELDS.get(field);
  },

  listContains(list, value) {
    return `coalesce(list_contains(${list}, ${value}), false)`;
  },

  listAny(list, predicate) {
    return `coalesce(list_bool_or(list_transform(${list}, lambda elem: ${predicate('elem')})), false)`;
  },

  jsonAny(field, predicate) {
    return (
      `coalesce(list_bool_or(list_transform([json_extract(fields, ${path(field)})], lambda j: ` +
      `CASE WHEN starts_with(j, '[') THEN list_bool_or(list_transform(json_extract_string(j, '$[*]'), lambda elem: ${predicate('elem')})) ` +
      `ELSE ${predicate(`json_extract_string(j, '$')`)} END)), false)`
    );
  },

  jsonExists(field) {
    // JSON.stringify writes a key as `"name":`; the parse only runs for rows that contain it.
    return `(CASE WHEN contains(fields, '"${field}":') THEN json_extract_string(fields, ${path(field)}) IS NOT NULL ELSE false END)`;
  },

  jsonValues(field) {
    return (
      `list_transform([json_extract(fields, ${path(field)})], lambda j: ` +
      `CASE WHEN j IS NULL OR json_type(j) = 'NULL' THEN NULL WHEN starts_with(j, '[') THEN json_extract_string(j, '$[*]') ELSE [json_extract_string(j, '$')] END)[1]`
    );
  },

  contains: (text, needle) => `contains(${text}, ${needle})`,
  startsWith: (text, prefix) => `starts_with(${text}, ${prefix})`,
  like: (text, pattern, escape) => `(${text} LIKE ${pattern}${escape ? ` ESCAPE '\\'` : ''})`,
  regexMatches: (text, pattern) => `regexp_matches(${text}, ${pattern})`,
  // regexp_full_match, not regexp_matches with ^…$: DuckDB rewrites the latter's `.*` runs into
  // a backtracking LIKE (seconds on 10 KB for `^.*a.*a.*a.*b$`).
  regexFullMatch: (text, pattern) => `regexp_full_match(${text}, ${pattern})`,
  lower: (text) => `lower(${text})`,
  toNumber: (text) => `TRY_CAST(${text} AS DOUBLE)`,

  ipv4Number(text) {
    return (
      `(CASE WHEN regexp_full_match(${text}, ${IPV4_SHAPE}) THEN ` +
      `TRY_CAST(split_part(${text}, '.', 1) AS BIGINT) * 16777216 + TRY_CAST(split_part(${text}, '.', 2) AS BIGINT) * 65536 + ` +
      `TRY_CAST(split_part(${text}, '.', 3) AS BIGINT) * 256 + TRY_CAST(split_part(${text}, '.', 4) AS BIGINT) END)`
    );
  },

  ipv6Hex(text) {
    // Expand `::`, pad each group to four digits; a zone (%eth0) is dropped. Addresses with an
    // embedded IPv4 tail (::ffff:1.2.3.4) are not expanded and never match an IPv6 network.
    const groups =
      `list_transform([lower(split_part(${text}, '%', 1))], lambda a6: CASE WHEN contains(a6, '::') THEN ` +
      `list_concat(CASE WHEN split_part(a6, '::', 1) = '' THEN []::VARCHAR[] ELSE string_split(split_part(a6, '::', 1), ':') END, ` +
      `list_transform(range(8 - len(CASE WHEN split_part(a6, '::', 1) = '' THEN []::VARCHAR[] ELSE string_split(split_part(a6, '::', 1), ':') END) - len(CASE WHEN split_part(a6, '::', 2) = '' THEN []::VARCHAR[] ELSE string_split(split_part(a6, '::', 2), ':') END)), lambda i6: '0'), ` +
      `CASE WHEN split_part(a6, '::', 2) = '' THEN []::VARCHAR[] ELSE string_split(split_part(a6, '::', 2), ':') END) ` +
      `ELSE string_split(a6, ':') END)[1]`;
    return (
      `(CASE WHEN contains(${text}, ':') THEN list_transform([${groups}], lambda g6: ` +
      `CASE WHEN len(g6) = 8 AND list_bool_and(list_transform(g6, lambda x6: regexp_full_match(x6, '[0-9a-f]{1,4}'))) ` +
      `THEN array_to_string(list_transform(g6, lambda x6: lpad(x6, 4, '0')), '') END)[1] END)`
    );
  },

  listText: (list) => `array_to_string(${list}, ', ')`,
  unnestJoin: (list, alias, column) => `, unnest(${list}) AS ${alias}(${column})`,
  unnestValues: (list) => `unnest(${list})`,
  listFirst: (list) => `(${list})[1]`,
  scalarList: (expr) => `(CASE WHEN ${expr} IS NULL THEN NULL ELSE [${expr}] END)`,
  countPresent: (list) => `count(${list})`,
  promotedExists: (_field, column) => `(${column} IS NOT NULL)`,
  timeBucket: (time, span) => `(${time} - ((${time} % ${span}) + ${span}) % ${span})`,
  countDistinct: (expr) => `count(DISTINCT ${expr})`,
};
