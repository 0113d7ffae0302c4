/**
 * How ClickHouse spells the pieces of a query (see src/store/sql/sql-dialect.ts), so the same
 * compilers give ClickHouse SQL with the same meaning as DuckDB's (proven by the conformance
 * suite, src/store/store.suite.ts, on both).
 *
 * - Every user value is a bound `{pN:Type}` parameter (clickhouseParams below); the only text
 *   built from a query is a field name as a JSON key, checked against a strict alphabet first.
 * - Regular expressions run on RE2 (`match`), linear in the text whatever the pattern; `match`
 *   is UTF-8 aware and `(?i)` folds beyond ASCII, as DuckDB's RE2 does.
 * - `lowerUTF8`, not `lower`: ClickHouse's `lower` folds ASCII only.
 * - Arrays cannot be NULL in ClickHouse: an absent field is an empty list, so presence is asked
 *   of the dialect (`promotedExists`, `countPresent`), which falls back to the JSON for a
 *   promoted field present only as an empty array.
 * - Substring tests are `multiSearchAny`, which the ngram skip index on `search_text` can
 *   answer (schema.ts); `position` would be as fast per row but never skips a granule.
 */
import { SqlParams, type SqlDialect, type SqlValue } from '../sql/sql-dialect.js';
import { PROMOTED_BY_FIELD } from '../sql/promoted-fields.js';

/** A field name as a ClickHouse string literal (the caller checked the alphabet: no quote or backslash can occur). */
function key(field: string): string {
  return `'${field}'`;
}

/** How an event arrived, read like a promoted field (see duckdb-dialect.ts). */
const SOURCE_FIELDS: ReadonlyMap<string, string> = new Map([
  ['source.input', '[lowerUTF8(source_input)]'],
  ['source.kind', '[lowerUTF8(source_kind)]'],
]);

/** IPv4 as four 1-3 digit groups; a constant pattern, not user text (ClickHouse unescapes `\\` in literals). */
const IPV4_SHAPE = String.raw`'^\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}$'`;

/**
 * The values of a field in the `fields` JSON as text: each element of an array, or the scalar
 * itself; strings unescaped, other values as their JSON text; nulls left out. Empty when absent.
 */
function jsonValues(field: string): string {
  const k = key(field);
  return (
    `arrayMap(jv -> if(JSONType(jv) = 'String', JSONExtractString(jv), jv), ` +
    `arrayFilter(jv -> JSONType(jv) != 'Null', if(JSONType(fields, ${k}) = 'Array', JSONExtractArrayRaw(fields, ${k}), [JSONExtractRaw(fields, ${k})])))`
  );
}

function jsonExists(field: string): string {
  // JSON.stringify writes a key as `"name":`; the parse only runs for rows that contain it.
  return `(position(fields, '"${field}":') > 0 AND JSONType(fields, ${key(field)}) != 'Null')`;
}

export const clickhouseDialect: SqlDialect = {
  name: 'clickhouse',

  promotedColumn(field) {
    return PROMOTED_BY_FIELD.get(field)?.column ?? SOURCE_FIELDS.get(field);
  },

  listContains: (list, value) => `has(${list}, ${value})`,
  listAny: (list, predicate) => `arrayExists(elem -> ${predicate('elem')}, ${list})`,
  jsonAny: (field, predicate) => `arrayExists(jt -> ${predicate('jt')}, ${jsonValues(field)})`,
  jsonExists,
  jsonValues,

  contains: (text, needle) => `multiSearchAny(${text}, [${needle}])`,
  startsWith: (text, prefix) => `startsWith(${text}, ${prefix})`,
  // ClickHouse's LIKE always treats `\` as its escape character, which is the ESCAPE the
  // compilers ask for; the clause itself is not ClickHouse syntax.
  like: (text, pattern) => `(${text} LIKE ${pattern})`,
  regexMatches: (text, pattern) => `match(${text}, ${pattern})`,
  // `match` finds a match anywhere; anchoring a non-capturing group makes it whole-text. The
  // pattern's own flags ((?s) from likeToRegex) stay inside the group.
  regexFullMatch: (text, pattern) => `match(${text}, concat('^(?:', ${pattern}, ')$'))`,
  lower: (text) => `lowerUTF8(${text})`,
  toNumber: (text) => `toFloat64OrNull(${text})`,

  ipv4Number(text) {
    // Octet by octet as DuckDB's dialect does (not toIPv4OrNull), so both accept the same texts.
    const octet = (i: number) => `toInt64OrNull(splitByChar('.', ${text})[${i}])`;
    return `if(match(${text}, ${IPV4_SHAPE}), ${octet(1)} * 16777216 + ${octet(2)} * 65536 + ${octet(3)} * 256 + ${octet(4)}, NULL)`;
  },

  ipv6Hex(text) {
    // A zone (%eth0) is dropped. Like DuckDB's dialect, a text with an embedded IPv4 tail
    // (::ffff:1.2.3.4) is not an IPv6 address here and never matches an IPv6 network.
    return `if(position(${text}, ':') > 0 AND position(${text}, '.') = 0, lower(hex(toIPv6OrNull(splitByChar('%', ${text})[1]))), NULL)`;
  },

  listText: (list) => `arrayStringConcat(${list}, ', ')`,
  unnestJoin: (list, _alias, column) => ` ARRAY JOIN ${list} AS ${column}`,
  unnestValues: (list) => `arrayJoin(${list})`,
  listFirst: (list) => `if(empty(${list}), NULL, (${list})[1])`,
  scalarList: (expr) => `if(${expr} IS NULL, [], [assumeNotNull(${expr})])`,
  countPresent: (list) => `countIf(notEmpty(${list}))`,
  promotedExists(field, column) {
    if (SOURCE_FIELDS.has(field)) return 'true';
    // An empty list is also what an absent field gives: a field present as [] is found in the JSON.
    return `(notEmpty(${column}) OR ${jsonExists(field)})`;
  },
  timeBucket: (time, span) => `(${time} - ((${time} % ${span}) + ${span}) % ${span})`,
  countDistinct: (expr) => `uniqExact(${expr})`,
};

/** The ClickHouse type a parameter is bound as. Numbers are Float64: the compilers compare them with toFloat64OrNull. */
function typeOf(value: SqlValue): string {
  if (value === null) return 'Nullable(String)';
  switch (typeof value) {
    case 'string':
      return 'String';
    case 'bigint':
      return 'Int64';
    case 'number':
      return 'Float64';
    case 'boolean':
      return 'Bool';
  }
}

/** Parameters written as ClickHouse placeholders, `{p1:String}`, bound by name (see `byName`). */
export function clickhouseParams(): SqlParams {
  return new SqlParams((index, value) => `{p${index}:${typeOf(value)}}`);
}

/** The values of `params` by placeholder name, as the engines bind them. */
export function byName(params: SqlParams): Record<string, SqlValue> {
  const out: Record<string, SqlValue> = {};
  params.values.forEach((value, i) => {
    out[`p${i + 1}`] = value;
  });
  return out;
}
