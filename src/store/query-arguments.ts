/**
 * The checks every store makes of the numbers a caller passes into a query (limits, epoch
 * times): one place, so DuckDB, ClickHouse and PostgreSQL refuse the same arguments with the
 * same words before any SQL is built.
 */
import { VigilError } from '../core/errors.js';

/** The most rows one store query returns (search pages, alert lists, audit pages). */
export const MAX_RESULT_LIMIT = 10_000;

export function checkLimit(limit: number, where: string): number {
  if (!Number.isSafeInteger(limit) || limit < 0 || limit > MAX_RESULT_LIMIT) {
    throw new VigilError('query-invalid', `limit must be a whole number from 0 to ${MAX_RESULT_LIMIT}, got ${String(limit)}`, { where });
  }
  return limit;
}

/** An optional time bound in epoch milliseconds, as the bigint the SQL drivers bind. */
export function checkTime(value: number | undefined, where: string): bigint | undefined {
  if (value === undefined) return undefined;
  if (!Number.isSafeInteger(value)) {
    throw new VigilError('query-invalid', `${where} must be a whole number of epoch milliseconds, got ${String(value)}`, { where });
  }
  return BigInt(value);
}
