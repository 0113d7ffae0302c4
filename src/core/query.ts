/**
 * The search query as a typed tree. `src/search` parses text into it; each store compiles it
 * to its own dialect (DuckDB SQL now, ClickHouse SQL later), so a query means the same thing
 * on every back end. The tree is meant to grow (ranges, regex, aggregations) in the
 * query-language issue without changing its existing nodes.
 */

/** `field:value`; value may contain `*` and `?` wildcards when `wildcard` is set. */
export interface FieldTerm {
  readonly kind: 'field';
  readonly field: string;
  /**
   * When `wildcard` is set, a pattern: `*` and `?` are wildcards and `\*`, `\?`, `\\` stand
   * for the literal characters. Otherwise plain text. Every store and the live matcher must
   * read it the same way.
   */
  readonly value: string;
  /** true when the value carries unescaped `*`/`?` (matched as a glob, case-insensitive). */
  readonly wildcard: boolean;
  /** true when the value was quoted: exact phrase, no wildcards. */
  readonly quoted: boolean;
}

/** A bare word or quoted phrase: case-insensitive substring of the event's message/original. */
export interface TextTerm {
  readonly kind: 'text';
  /** Same convention as `FieldTerm.value`: a pattern when `wildcard` is set, else plain text. */
  readonly text: string;
  readonly wildcard: boolean;
  readonly quoted: boolean;
}

/** `field:*`: the field is present and not null. */
export interface ExistsTerm {
  readonly kind: 'exists';
  readonly field: string;
}

export interface AndNode {
  readonly kind: 'and';
  readonly children: readonly QueryNode[];
}
export interface OrNode {
  readonly kind: 'or';
  readonly children: readonly QueryNode[];
}
export interface NotNode {
  readonly kind: 'not';
  readonly child: QueryNode;
}
/** Matches every event (the empty query). */
export interface AllNode {
  readonly kind: 'all';
}

/**
 * `destination.port>1024`, `@timestamp>=2024-01-01`: an ordering comparison. A value that is a
 * number compares numerically (an event value that is not a number then never matches);
 * any other value compares as text, in code-point order. `@timestamp` compares event time, the
 * value having been read as a time by the parser.
 */
export interface CompareTerm {
  readonly kind: 'compare';
  readonly field: string;
  readonly op: '>' | '>=' | '<' | '<=';
  readonly value: string;
  /** The value as a number when it is one (for `@timestamp`, epoch ms); text comparison otherwise. */
  readonly number: number | undefined;
}

/**
 * `source.ip:10.0.0.0/8`, `source.ip:2001:db8::/32`: the field holds an IP address inside the
 * network. `network` is the address with the host bits cleared, in canonical form: dotted quad,
 * or for IPv6 the 32 hex digits of the expanded address.
 */
export interface CidrTerm {
  readonly kind: 'cidr';
  readonly field: string;
  readonly version: 4 | 6;
  readonly network: string;
  readonly prefix: number;
  /** As typed, for messages. */
  readonly text: string;
}

export type QueryNode = FieldTerm | TextTerm | ExistsTerm | CompareTerm | CidrTerm | AndNode | OrNode | NotNode | AllNode;

/** One key of `| sort`: a field (or an output column after an aggregation). */
export interface SortKey {
  readonly field: string;
  readonly descending: boolean;
}

export interface SearchRequest {
  readonly tenant: string;
  readonly query: QueryNode;
  /** Inclusive lower bound on event time, epoch ms. */
  readonly from?: number;
  /** Exclusive upper bound on event time, epoch ms. */
  readonly to?: number;
  /** At most this many events, newest first unless `sort` says otherwise. */
  readonly limit: number;
  /**
   * Order of the hits (`| sort`): numbers numerically, other values as text, missing values
   * last; ties newest first. Absent: newest first.
   */
  readonly sort?: readonly SortKey[] | undefined;
  /**
   * Keyset paging for the default order (newest first): only events strictly after this one in
   * that order. An export walks a whole range with it; not allowed together with `sort`.
   */
  readonly after?: { readonly time: number; readonly id: string } | undefined;
}

/** An aggregate function of `| stats` and `| timechart`. */
export type MetricFunction = 'count' | 'dc' | 'sum' | 'avg' | 'min' | 'max';

export interface Metric {
  readonly fn: MetricFunction;
  /** The field it reads; absent for count(), which counts events. */
  readonly field?: string | undefined;
  /** Output column name: `count()`, `dc(user.name)`, or the `as` name. */
  readonly name: string;
}

/**
 * The aggregation a pipe asks for. Values of a `by` field group as text; an event whose field
 * holds an array counts once under each element, and an event without the field is left out
 * (as a terms aggregation or SPL's `stats … by` do).
 */
export type Aggregation =
  | { readonly kind: 'stats'; readonly metrics: readonly Metric[]; readonly by: readonly string[] }
  /** Metrics per time bucket of `spanMs` (aligned to the epoch, UTC), optionally split by one field. */
  | { readonly kind: 'timechart'; readonly spanMs: number; readonly metrics: readonly Metric[]; readonly by: readonly string[] }
  /** The most frequent values of the fields together, with their count and percent of all events matched. */
  | { readonly kind: 'top'; readonly fields: readonly string[]; readonly limit: number };

export interface AggregateRequest {
  readonly tenant: string;
  readonly query: QueryNode;
  readonly from?: number | undefined;
  readonly to?: number | undefined;
  /** Pipes before the aggregation (`| sort … | head n | stats …`): aggregate only these events. */
  readonly events?: { readonly sort?: readonly SortKey[] | undefined; readonly limit?: number | undefined } | undefined;
  readonly aggregation: Aggregation;
  /** Order of the output rows, by output column; default: count or time as the aggregation implies. */
  readonly sort?: readonly SortKey[] | undefined;
  /** At most this many output rows. */
  readonly limit: number;
}

export type TableCell = string | number | null;

/** A table of aggregated rows: `columns` names each cell of a row. */
export interface TableResult {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly TableCell[])[];
  /** true when more rows than `limit` existed. */
  readonly truncated: boolean;
  readonly tookMs: number;
}

/**
 * What a whole query (`filter | pipes`) asks of a store, as `src/search` plans it: a search for
 * events (sorted, cut, projected) or an aggregation into a table.
 */
export type QueryPlan =
  | {
      readonly kind: 'events';
      readonly query: QueryNode;
      readonly sort?: readonly SortKey[] | undefined;
      /** From `| head n`; the caller's limit applies otherwise. */
      readonly limit?: number | undefined;
      /** From `| fields`: show only these. */
      readonly fields?: readonly string[] | undefined;
    }
  | {
      readonly kind: 'table';
      readonly query: QueryNode;
      readonly events?: { readonly sort?: readonly SortKey[] | undefined; readonly limit?: number | undefined } | undefined;
      readonly aggregation: Aggregation;
      readonly sort?: readonly SortKey[] | undefined;
      readonly limit?: number | undefined;
      readonly fields?: readonly string[] | undefined;
    };
