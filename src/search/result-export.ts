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
import type { SearchRequest, TableCell } from '../core/query.js';
import { VigilError } from '../core/errors.js';
import { aggregateRequest, cellOf, searchRequest, type QueryPlan, type QueryScope } from './query-plan.js';
import { MAX_PIPE_ROWS as MAX_TABLE_ROWS } from './pipe-parser.js';

export type ExportFormat = 'csv' | 'ndjson';

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
    throw new VigilError('query-invalid', `unknown export format ${JSON.stringify(text)}; use csv or ndjson`, { where: 'format' });
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
 * The export of a planned query, as text chunks (one per time window). `scope.limit` caps the
 * events (at most MAX_EXPORT_EVENTS). An event export without `| sort` walks the range newest
 * first in time windows; with `| sort` it is one sorted page of at most 10,000 events.
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
  // Walk back in time windows, newest first: each window is one search bounded by event time,
  // so the store reads only that window's row groups and the whole export costs about one scan.
  // (Keyset pages over the whole range would rescan everything older for every page.) The
  // window grows while it holds few matches and halves when it holds more than one page.
  const bounds = await timeBounds(store, scope);
  if (bounds === undefined) return;
  let hi = scope.to ?? bounds.newest + 1;
  const lower = scope.from ?? bounds.oldest;
  let span = FIRST_WINDOW_MS;
  let sent = 0;
  while (sent < wanted && hi > lower) {
    const lo = Math.max(lower, hi - span);
    const request = searchRequest({ ...plan, limit: undefined }, { ...scope, from: lo, to: hi, limit: WINDOW_EVENTS });
    const result = await store.search(request);
    if (result.total > result.hits.length && hi - lo > 1) {
      span = Math.max(1, Math.floor((hi - lo) / 2));
      continue;
    }
    let hits = result.hits;
    if (result.total > hits.length) {
      // More than a page within one millisecond: page through it by (time, id).
      for await (const page of millisecondPages(store, request, hits)) {
        const take = page.slice(0, wanted - sent);
        sent += take.length;
        if (take.length > 0) yield render(take);
        if (sent >= wanted) return;
      }
      hits = [];
    } else {
      hits = hits.slice(0, wanted - sent);
      sent += hits.length;
      if (hits.length > 0) yield render(hits);
    }
    hi = lo;
    if (result.total < WINDOW_EVENTS / 4) span *= 2;
  }
}

/** First window of an export walk; it adapts from there. */
const FIRST_WINDOW_MS = 3_600_000;
/** Events one window may hold before it is halved: the store's largest page. */
const WINDOW_EVENTS = 10_000;

/** The tenant's oldest and newest event times in the scope (cheap: reads the time column only). */
async function timeBounds(store: Pick<Store, 'search'>, scope: QueryScope): Promise<{ oldest: number; newest: number } | undefined> {
  const all = { tenant: scope.tenant, query: { kind: 'all' as const }, from: scope.from, to: scope.to, limit: 1 };
  const newest = (await store.search(all)).hits[0];
  const oldest = (await store.search({ ...all, sort: [{ field: '@timestamp', descending: false }] })).hits[0];
  return newest === undefined || oldest === undefined ? undefined : { oldest: oldest.time, newest: newest.time };
}

/** All matches of a one-millisecond window, a page at a time, by keyset on (time, id). */
async function* millisecondPages(store: Pick<Store, 'search'>, request: SearchRequest, first: readonly Event[]): AsyncGenerator<readonly Event[]> {
  let page = first;
  while (page.length > 0) {
    yield page;
    if (page.length < request.limit) return;
    const last = page[page.length - 1] as Event;
    page = (await store.search({ ...request, after: { time: last.time, id: last.id } })).hits;
  }
}
