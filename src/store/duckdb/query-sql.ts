/**
 * Query tree → DuckDB WHERE clause: the generic compiler (src/store/sql/filter-compiler.ts) with
 * DuckDB's dialect. Kept as the store's entry point so callers do not pick a dialect.
 */
import type { QueryNode } from '../../core/query.js';
import { compileFilter as compileWith } from '../sql/filter-compiler.js';
import { SqlParams } from '../sql/sql-dialect.js';
import { duckdbDialect } from './duckdb-dialect.js';

export { SqlParams };

/** Compiles `node` to a boolean SQL expression over the `events` table. */
export function compileFilter(node: QueryNode, params: SqlParams): string {
  return compileWith(duckdbDialect, node, params);
}
