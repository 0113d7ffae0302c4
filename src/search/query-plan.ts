/**
 * A whole query (`filter | pipe | pipe …`) → what the store is asked: a search for events
 * (sorted, limited, optionally projected to some fields) or an aggregation into a table. The
 * planner checks that the pipes make sense together and names the column of a mistake.
 */
import type { Aggregation, AggregateRequest, QueryNode, QueryPlan, SearchRequest, SortKey, TableResult } from '../core/query.js';
import type { SearchResult, Store } from '../core/store.js';
import type { Event, FieldValue } from '../core/event.js';
import { MAX_QUERY_LENGTH, parseQueryFilter } from './query-parser.js';
import { MAX_PIPE_ROWS, parsePipes, type PipeStage } from './pipe-parser.js';
import { pipeStart, queryError } from './query-tokens.js';

export const DEFAULT_TABLE_ROWS = 1000;

export type { QueryPlan };

/** Parses a query with its pipes and plans it. */
export function planQuery(text: string): QueryPlan {
  if (text.length > MAX_QUERY_LENGTH) {
    throw queryError(`the query is ${text.length} characters long; the limit is ${MAX_QUERY_LENGTH}: narrow it down or split it`, MAX_QUERY_LENGTH + 1);
  }
  const at = pipeStart(text);
  const query = parseQueryFilter(at < 0 ? text : text.slice(0, at));
  return plan(query, at < 0 ? [] : parsePipes(text.slice(at), at));
}

function outputColumns(aggregation: Aggregation): string[] {
  switch (aggregation.kind) {
    case 'stats':
      return [...aggregation.by, ...aggregation.metrics.map((m) => m.name)];
    case 'timechart':
      return ['_time', ...aggregation.by, ...aggregation.metrics.map((m) => m.name)];
    case 'top':
      return [...aggregation.fields, 'count', 'percent'];
  }
}

function plan(query: QueryNode, stages: readonly PipeStage[]): QueryPlan {
  let aggregation: Aggregation | undefined;
  let aggregationColumn = 0;
  let eventSort: readonly SortKey[] | undefined;
  let eventLimit: number | undefined;
  let tableSort: readonly SortKey[] | undefined;
  let tableLimit: number | undefined;
  let fields: readonly string[] | undefined;
  let fieldsColumn = 0;

  for (const stage of stages) {
    if (stage.kind === 'stats' || stage.kind === 'timechart' || stage.kind === 'top') {
      if (aggregation !== undefined) {
        throw queryError(
          `a second aggregation (| ${stage.kind}) at column ${stage.column}; a query aggregates once (the first is at column ${aggregationColumn})`,
          stage.column,
        );
      }
      if (fields !== undefined) {
        throw queryError(
          `| fields at column ${fieldsColumn} comes before | ${stage.kind}; it would drop what the aggregation reads: move it after, or remove it`,
          fieldsColumn,
        );
      }
      aggregation =
        stage.kind === 'stats'
          ? { kind: 'stats', metrics: stage.metrics, by: stage.by }
          : stage.kind === 'timechart'
            ? { kind: 'timechart', spanMs: stage.spanMs, metrics: stage.metrics, by: stage.by }
            : { kind: 'top', fields: stage.fields, limit: stage.limit };
      aggregationColumn = stage.column;
      continue;
    }
    const columns = aggregation === undefined ? undefined : outputColumns(aggregation);
    switch (stage.kind) {
      case 'sort':
        if (columns !== undefined) {
          for (const key of stage.keys) {
            if (!columns.includes(key.field)) {
              throw queryError(`| sort at column ${stage.column}: ${key.field} is not a column of the output; the columns are ${columns.join(', ')}`, stage.column);
            }
          }
          tableSort = stage.keys;
        } else {
          if (eventLimit !== undefined) {
            throw queryError(`| sort at column ${stage.column} comes after | head; sort first, then take the head`, stage.column);
          }
          for (const key of stage.keys) {
            if (/\(/.test(key.field)) throw queryError(`| sort at column ${stage.column}: ${key.field} exists only after | stats`, stage.column);
          }
          eventSort = stage.keys;
        }
        break;
      case 'head':
        if (columns !== undefined) tableLimit = Math.min(tableLimit ?? MAX_PIPE_ROWS, stage.limit);
        else eventLimit = Math.min(eventLimit ?? MAX_PIPE_ROWS, stage.limit);
        break;
      case 'fields':
        if (columns !== undefined) {
          for (const f of stage.fields) {
            if (!columns.includes(f)) {
              throw queryError(`| fields at column ${stage.column}: ${f} is not a column of the output; the columns are ${columns.join(', ')}`, stage.column);
            }
          }
        }
        fields = fields === undefined ? stage.fields : fields.filter((f) => stage.fields.includes(f));
        fieldsColumn = stage.column;
        break;
    }
  }

  if (aggregation === undefined) return { kind: 'events', query, sort: eventSort, limit: eventLimit, fields };
  if (aggregation.kind === 'top') tableLimit = Math.min(tableLimit ?? aggregation.limit, aggregation.limit);
  return {
    kind: 'table',
    query,
    events: eventSort === undefined && eventLimit === undefined ? undefined : { sort: eventSort, limit: eventLimit },
    aggregation,
    sort: tableSort,
    limit: tableLimit,
    fields,
  };
}

export interface QueryScope {
  readonly tenant: string;
  readonly from?: number | undefined;
  readonly to?: number | undefined;
  /** Events to return when the query has no `| head`. */
  readonly limit: number;
}

export type QueryOutput =
  | { readonly kind: 'events'; readonly result: SearchResult; readonly fields?: readonly string[] | undefined }
  | { readonly kind: 'table'; readonly table: TableResult };

export function searchRequest(p: Extract<QueryPlan, { kind: 'events' }>, scope: QueryScope): SearchRequest {
  // `| head n` is the query's own answer size and overrides the caller's default page size.
  return { tenant: scope.tenant, query: p.query, from: scope.from, to: scope.to, limit: Math.min(p.limit ?? scope.limit, MAX_PIPE_ROWS), sort: p.sort };
}

export function aggregateRequest(p: Extract<QueryPlan, { kind: 'table' }>, scope: QueryScope): AggregateRequest {
  return {
    tenant: scope.tenant,
    query: p.query,
    from: scope.from,
    to: scope.to,
    events: p.events,
    aggregation: p.aggregation,
    sort: p.sort,
    limit: p.limit ?? DEFAULT_TABLE_ROWS,
  };
}

/** Runs a planned query against a store. */
export async function runQuery(store: Pick<Store, 'search' | 'aggregate'>, p: QueryPlan, scope: QueryScope): Promise<QueryOutput> {
  if (p.kind === 'events') return { kind: 'events', result: await store.search(searchRequest(p, scope)), fields: p.fields };
  const table = await store.aggregate(aggregateRequest(p, scope));
  return { kind: 'table', table: p.fields === undefined ? table : projectTable(table, p.fields) };
}

function projectTable(table: TableResult, fields: readonly string[]): TableResult {
  const indexes = fields.map((f) => table.columns.indexOf(f));
  return { ...table, columns: fields, rows: table.rows.map((row) => indexes.map((i) => (i < 0 ? null : (row[i] ?? null)))) };
}

/** A field of an event as a table cell: arrays joined by ", ", objects as JSON. */
export function cellOf(event: Event, field: string): string | number | null {
  if (field === '@timestamp') return new Date(event.time).toISOString();
  const value: FieldValue | undefined = event.fields[field];
  if (value === undefined || value === null) return null;
  if (typeof value === 'number') return value;
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v))).join(', ');
  return JSON.stringify(value);
}
