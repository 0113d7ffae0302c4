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

export type QueryNode = FieldTerm | TextTerm | ExistsTerm | AndNode | OrNode | NotNode | AllNode;

export interface SearchRequest {
  readonly tenant: string;
  readonly query: QueryNode;
  /** Inclusive lower bound on event time, epoch ms. */
  readonly from?: number;
  /** Exclusive upper bound on event time, epoch ms. */
  readonly to?: number;
  /** At most this many events, newest first. */
  readonly limit: number;
}
