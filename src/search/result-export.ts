/**
 * Query results as CSV or NDJSON, produced page by page so an export of millions of events
 * holds one page in memory and the first bytes leave before the last page is read.
 *
 * CSV is RFC 4180 (quoted when a cell holds a quote, comma or line break). A text cell that a
 * spreadsheet would read as a formula (it starts with = + - @, or a tab or carriage return that
 * some spreadsheets skip before one) is prefixed with a single quote, as OWASP advises against
 * CSV injection: event text is attacker-controlled. Numbers are written as numbers; they cannot
 * carry a formula.
 */
import type { Event } from '../core/event.js';
import type { Store } from '../core/store.js';
import type { TableCell } from '../core/query.js';
import { VigilError } from '../core/errors.js';
import { aggregateRequest, cellOf, searchRequest, type QueryPlan, type QueryScope } from './query-plan.js';
import { MAX_PIPE_ROWS as MAX_TABLE_ROWS } from './pipe-parser.js';

export type ExportFormat = 'csv' | 'ndjson';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['csv', 'ndjson'];

/** The columns of an event export when the query has no `| fields`. */
export const DEFAULT_EXPORT_FIELDS: readonly string[] = [
  '@timestamp',
  'host.name',
  'user.name',
  'source.ip',
  'destination.ip',
  'event.action',
  'event.outcome',
  'message',
];

/** Most events one export returns unless the caller asks for fewer. */
export const MAX_EXPORT_EVENTS = 10_000_000;
const PAGE = 2_000;

const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(value: TableCell): string {
  if (value === null) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(cells: readonly TableCell[]): string {
  return cells.map(csvCell).join(',') + '\r\n';
}

/**
 * The header: column names are field names (letters, digits, _ . @ -) or metric names such as
 * count(), which cannot form a formula, so `@timestamp` stays as it is.
 */
function csvHeader(columns: readonly string[]): string {
  return columns.map((c) => (/^[A-Za-z0-9_@.()-]*$/.test(c) ? c : csvCell(c))).join(',') + '\r\n';
}

export function parseExportFormat(text: string | undefined): ExportFormat {
  const format = (text ?? 'ndjson').toLowerCase();
  if (format !== 'csv' && format !== 'ndjson') {
    throw new VigilError('bad-request', `unknown export format ${JSON.stringify(text)}; use csv or ndjson`, { where: 'format' });
  }
  return format;
}

function eventCells(event: Event, fields: readonly string[]): TableCell[] {
  return fields.map((f) => (f === 'message' ? (cellOf(event, 'message') ?? event.original) : cellOf(event, f)));
}

function eventObject(event: Event, fields: readonly string[]): Record<string, TableCell> {
  const cells = eventCells(event, fields);
  return Object.fromEntries(fields.map((f, i) => [f, cells[i] ?? null]));
}

/**
 * The export of a planned query, as text chunks (one per page). `scope.limit` caps the events
 * (at most MAX_EXPORT_EVENTS). An event export without `| sort` pages newest first through the
 * whole range; with `| sort` it is one sorted page of at most 10,000 events.
 */
export async function* exportQuery(
  store: Pick<Store, 'search' | 'aggregate'>,
  plan: QueryPlan,
  scope: QueryScope,
  format: ExportFormat,
): AsyncGenerator<string> {
  if (plan.kind === 'table') {
    // An export wants the whole table: up to the store's maximum unless `| head` says less.
    const table = await store.aggregate({ ...aggregateRequest(plan, scope), limit: plan.limit ?? MAX_TABLE_ROWS });
    const columns = plan.fields ?? table.columns;
    const indexes = columns.map((c) => table.columns.indexOf(c));
    const rows = table.rows.map((row) => indexes.map((i) => (i < 0 ? null : (row[i] ?? null))));
    if (format === 'csv') {
      yield csvHeader(columns) + rows.map(csvLine).join('');
    } else {
      yield rows.map((row) => JSON.stringify(Object.fromEntries(columns.map((c, i) => [c, row[i] ?? null]))) + '\n').join('');
    }
    return;
  }

  const fields = plan.fields;
  const csvFields = fields ?? DEFAULT_EXPORT_FIELDS;
  if (format === 'csv') yield csvHeader(csvFields);
  const render = (hits: readonly Event[]): string =>
    format === 'csv'
      ? hits.map((e) => csvLine(eventCells(e, csvFields))).join('')
      : hits.map((e) => JSON.stringify(fields === undefined ? e : eventObject(e, fields)) + '\n').join('');

  const wanted = Math.min(plan.limit ?? scope.limit, scope.limit, MAX_EXPORT_EVENTS);
  if (plan.sort !== undefined) {
    const result = await store.search(searchRequest(plan, { ...scope, limit: Math.min(wanted, 10_000) }));
    yield render(result.hits);
    return;
  }
  let sent = 0;
  let after: { time: number; id: string } | undefined;
  while (sent < wanted) {
    const request = searchRequest(plan, { ...scope, limit: Math.min(PAGE, wanted - sent) });
    const result = await store.search({ ...request, after });
    if (result.hits.length === 0) return;
    sent += result.hits.length;
    yield render(result.hits);
    const last = result.hits[result.hits.length - 1] as Event;
    after = { time: last.time, id: last.id };
    if (result.hits.length < request.limit) return;
  }
}
