/**
 * What both event stores' retention runs check and select before they delete: the request's
 * times, and the events a rule's selector names. One place, so DuckDB and ClickHouse expire the
 * same events and refuse the same requests with the same words.
 */
import { VigilError } from '../core/errors.js';
import type { RetentionRequest, RetentionSelector } from '../core/history.js';

const SELECTOR_COLUMNS: ReadonlyArray<readonly [keyof RetentionSelector, string]> = [
  ['tenant', 'tenant'],
  ['sourceKind', 'source_kind'],
  ['format', 'format'],
];

/** Binds one value as a parameter of the store's SQL and returns its placeholder. */
export type BindParameter = (value: string | bigint) => string;

/** The SQL condition of `selector` (`true` when it names nothing: every event). */
export function selectorSql(selector: RetentionSelector, bind: BindParameter): string {
  const terms: string[] = [];
  for (const [key, column] of SELECTOR_COLUMNS) {
    const value = selector[key];
    if (value === undefined) continue;
    if (typeof value !== 'string') throw new VigilError('bad-request', `retention selector ${key} must be a string`, { where: `retention ${key}` });
    terms.push(`${column} = ${bind(value)}`);
  }
  return terms.length === 0 ? 'true' : terms.join(' AND ');
}

export function checkRetentionRequest(request: RetentionRequest): void {
  for (const [name, value] of [['cutoff', request.cutoff], ['now', request.now]] as const) {
    if (!Number.isSafeInteger(value)) throw new VigilError('bad-request', `retention ${name} must be whole epoch milliseconds, got ${String(value)}`, { where: `retention ${name}` });
  }
}
