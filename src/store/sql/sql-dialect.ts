/**
 * The seam between the query language and a SQL engine. The compilers in this folder
 * (filter-compiler.ts, aggregate-compiler.ts) decide what a query means; a dialect only says how
 * its engine spells each piece (DuckDB in src/store/duckdb/duckdb-dialect.ts, ClickHouse in
 * src/store/clickhouse/clickhouse-dialect.ts). Both engines hold the same logical columns: `time`
 * (epoch ms), `message`, `search_text` (lower-cased original), `fields` (JSON text) and the
 * promoted fields as lists of lower-cased values. A list may be NULL (DuckDB) or empty
 * (ClickHouse, whose arrays cannot be NULL) for an absent field: the compilers never test a
 * list for NULL themselves, they ask the dialect (`promotedExists`, `countPresent`, `listFirst`).
 *
 * Every user value reaches SQL through `SqlParams` as a bound parameter. The only text built from
 * a query is a field name inside a JSON path, and field names are checked against a strict
 * alphabet before a dialect sees them.
 */

export type SqlValue = string | number | bigint | boolean | null;

/** The parameters of one statement, in order; `add` returns the placeholder to write. */
export class SqlParams {
  readonly values: SqlValue[] = [];

  constructor(private readonly placeholder: (index: number, value: SqlValue) => string = (index) => `$${index}`) {}

  add(value: SqlValue): string {
    this.values.push(value);
    return this.placeholder(this.values.length, value);
  }
}

export interface SqlDialect {
  readonly name: string;
  /**
   * The list column (or list expression) holding the lower-cased values of a promoted field, if
   * the field is one; the event's `source.input` and `source.kind` are read the same way.
   */
  promotedColumn(field: string): string | undefined;

  /** True when the list holds the value (false, never NULL, for a NULL list). */
  listContains(list: string, value: string): string;
  /** True when some element satisfies the predicate, written over the element's name. */
  listAny(list: string, predicate: (element: string) => string): string;
  /**
   * True when some value of a field in the `fields` JSON satisfies the predicate, written over
   * the value's text: each element of an array, or the scalar itself. False when absent.
   */
  jsonAny(field: string, predicate: (text: string) => string): string;
  /** True when the field is in the `fields` JSON and not null. */
  jsonExists(field: string): string;
  /** The field's values as a list of text (array elements, or one scalar); NULL when absent. */
  jsonValues(field: string): string;

  /** Case-sensitive substring test. */
  contains(text: string, needle: string): string;
  startsWith(text: string, prefix: string): string;
  /** `text LIKE pattern`, with `ESCAPE '\'` when `escape` is set. */
  like(text: string, pattern: string, escape: boolean): string;
  /** RE2 match anywhere in the text (linear time). */
  regexMatches(text: string, pattern: string): string;
  /** RE2 match of the whole text (linear time). */
  regexFullMatch(text: string, pattern: string): string;
  lower(text: string): string;
  /** The text as a double, NULL when it is not a number. */
  toNumber(text: string): string;
  /** A dotted-quad IPv4 text as its unsigned 32-bit value, NULL when it is not one. */
  ipv4Number(text: string): string;
  /** An IPv6 text as the 32 lower-case hex digits of the expanded address, NULL when it is not one. */
  ipv6Hex(text: string): string;
  /** A list as a text for display: its elements joined by ", ". */
  listText(list: string): string;

  /**
   * What follows a FROM item to join one row per element of `list` (a lateral unnest), the
   * element named `column`; rows whose list is empty or NULL are dropped. Includes its own
   * separator: DuckDB `, unnest(list) AS alias(column)`, ClickHouse ` ARRAY JOIN list AS column`.
   */
  unnestJoin(list: string, alias: string, column: string): string;
  /** In a SELECT list: one output row per element of `list` (none for an empty or NULL list). */
  unnestValues(list: string): string;
  /** The first element of a list; NULL when the list is empty or NULL. */
  listFirst(list: string): string;
  /** A nullable scalar as a list of its one value; an absent list (NULL or empty) when it is NULL. */
  scalarList(expr: string): string;
  /** Aggregate: how many rows have a list that is present (the field exists in the event). */
  countPresent(list: string): string;
  /** True when the event has the promoted field whose list column is `column`. */
  promotedExists(field: string, column: string): string;
  /** Epoch-ms `time` rounded down to a multiple of `span` (a bound parameter or literal). */
  timeBucket(time: string, span: string): string;
  countDistinct(expr: string): string;
}

/** Field names a compiler accepts: the query language's alphabet (src/search/query-tokens.ts). */
export const SQL_FIELD_NAME = /^[A-Za-z0-9_@.-]{1,256}$/;
