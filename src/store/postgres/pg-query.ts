/** One statement against the pool or a transaction's client, with its parameters escaped (pg-text.ts). */
import type { PoolClient, QueryResult, QueryResultRow } from 'pg';
import { isVigilError } from '../../core/errors.js';
import { encodeParam } from './pg-text.js';

/** A pool (each statement its own transaction) or a client inside BEGIN … COMMIT. */
export interface Queryable {
  query<R extends QueryResultRow>(config: { text: string; values?: unknown[] }): Promise<QueryResult<R>>;
}

export function run<R extends QueryResultRow = Record<string, unknown>>(db: Queryable, text: string, values: readonly unknown[] = []): Promise<QueryResult<R>> {
  return db.query<R>({ text, values: values.map(encodeParam) });
}

/** Positional parameters built up with a query: `p.add(x)` gives `$n`. */
export class Params {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    return `$${this.values.push(value)}`;
  }
}

/** `VALUES ($1, $2), ($3, $4)` for rows of `width` parameters each, numbered from 1. */
export function valuesList(rows: number, width: number): string {
  const out: string[] = [];
  for (let r = 0; r < rows; r++) {
    const cells: string[] = [];
    for (let c = 1; c <= width; c++) cells.push(`$${r * width + c}`);
    out.push(`(${cells.join(', ')})`);
  }
  return out.join(', ');
}

/** A SQLSTATE: the server answered, so the connection itself is still sound. */
const SQLSTATE = /^[0-9A-Z]{5}$/;

/**
 * Gives a client back to its pool after `error` (if any). A client that failed for any other
 * reason than the server's answer (a lost socket, a timeout) is destroyed, never reused.
 */
export function release(client: PoolClient, error: unknown): void {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  const sound = error === undefined || (typeof code === 'string' && SQLSTATE.test(code)) || isVigilError(error);
  client.release(sound ? undefined : error instanceof Error ? error : true);
}
