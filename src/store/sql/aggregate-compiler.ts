/**
 * The pipes of the query language in SQL, for any SqlDialect: `| sort` of events, and the
 * aggregations `| stats`, `| timechart` and `| top` with the `| sort` and `| head` after them.
 *
 * Shape of an aggregation (one statement; `base` holds only the columns the pipes read):
 *
 *   WITH base  AS (SELECT time, <field lists> FROM events WHERE … [ORDER BY … LIMIT n]),
 *        keyed AS (SELECT <keys>, <metric field lists> FROM base <unnest join of each by-field list>),
 *        m0    AS (SELECT <keys>, count(*) … FROM keyed GROUP BY <keys>),
 *        m1    AS (SELECT <keys>, dc(x) FROM (SELECT <keys>, unnest(field list) AS x FROM keyed) …)
 *   SELECT … FROM m0 LEFT JOIN m1 USING (<keys>) ORDER BY … LIMIT limit + 1
 *
 * A `by` field groups by each of its values: an event whose field is an array counts once under
 * each element, and an event without the field is left out (as a terms aggregation or SPL do).
 * A metric over a field reads every value too: dc(f) counts distinct values, sum/avg/min/max
 * read the values that are numbers, count(f) counts events that have the field. Promoted fields
 * group by their lower-cased values (the column the store keeps for them): `WEB-01` and `web-01`
 * are one host.
 */
import { VigilError } from '../../core/errors.js';
import type { AggregateRequest, Metric, SortKey } from '../../core/query.js';
import { checkField } from './filter-compiler.js';
import type { SqlDialect, SqlParams } from './sql-dialect.js';

/** Most rows an aggregation returns; bounds the memory of one answer. */
export const MAX_TABLE_ROWS = 10_000;

export type ColumnKind = 'key' | 'time' | 'number';

export interface CompiledAggregate {
  readonly sql: string;
  /** Display name of each output column, in SELECT order. */
  readonly columns: readonly string[];
  readonly kinds: readonly ColumnKind[];
}

function invalid(message: string): VigilError {
  return new VigilError('query-invalid', message, { where: 'query' });
}

/** The values of a field as a list expression over the events table (one element per value). */
export function fieldList(dialect: SqlDialect, field: string): string {
  checkField(field);
  if (field === '@timestamp') throw invalid('@timestamp cannot be grouped or counted as a value: use | timechart span=1h');
  if (field === 'message') return dialect.scalarList('message');
  return dialect.promotedColumn(field) ?? dialect.jsonValues(field);
}

/** One value of a field to sort events by (the first, for arrays). */
function sortValue(dialect: SqlDialect, field: string): string {
  checkField(field);
  if (field === '@timestamp') return 'time';
  if (field === 'message') return 'message';
  const column = dialect.promotedColumn(field);
  return dialect.listFirst(column ?? dialect.jsonValues(field));
}

/**
 * ORDER BY for events: each key numerically when its value is a number, then as text, missing
 * values last; ties newest first, then by id, so the order is total and pages are stable.
 */
export function eventOrder(dialect: SqlDialect, sort: readonly SortKey[] | undefined): string {
  const parts: string[] = [];
  for (const key of sort ?? []) {
    const dir = key.descending ? 'DESC' : 'ASC';
    if (key.field === '@timestamp') {
      parts.push(`time ${dir}`);
      continue;
    }
    const value = sortValue(dialect, key.field);
    parts.push(`${dialect.toNumber(value)} ${dir} NULLS LAST`, `${value} ${dir} NULLS LAST`);
  }
  parts.push('time DESC', 'id DESC');
  return parts.join(', ');
}

interface MetricPlan {
  readonly metric: Metric;
  readonly alias: string;
  /** Index of the field list in `keyed`, for metrics that read a field. */
  readonly list?: number;
}

export function compileAggregate(dialect: SqlDialect, request: AggregateRequest, where: string, params: SqlParams): CompiledAggregate {
  const agg = request.aggregation;
  const limit = request.limit;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_TABLE_ROWS) {
    throw invalid(`an aggregation returns 1 to ${MAX_TABLE_ROWS} rows; got ${String(limit)}`);
  }
  const byFields = agg.kind === 'top' ? agg.fields : agg.by;
  if (byFields.length > 32) throw invalid('group by at most 32 fields');
  const metrics: readonly Metric[] = agg.kind === 'top' ? [{ fn: 'count', name: 'count' }] : agg.metrics;
  if (metrics.length === 0 || metrics.length > 32) throw invalid('an aggregation computes 1 to 32 metrics');

  // base: the matched events, with one list per distinct field the pipes read.
  const lists: string[] = [];
  const listIndex = new Map<string, number>();
  const listOf = (field: string): number => {
    let index = listIndex.get(field);
    if (index === undefined) {
      index = lists.length;
      lists.push(`${fieldList(dialect, field)} AS b${index}`);
      listIndex.set(field, index);
    }
    return index;
  };
  const keyLists = byFields.map(listOf);
  const plans: MetricPlan[] = metrics.map((metric, i) => {
    if (!['count', 'dc', 'sum', 'avg', 'min', 'max'].includes(metric.fn)) throw invalid(`unknown function ${JSON.stringify(metric.fn)}`);
    if (metric.fn !== 'count' && metric.field === undefined) throw invalid(`${metric.fn}() needs a field`);
    return metric.field === undefined ? { metric, alias: `m${i}` } : { metric, alias: `m${i}`, list: listOf(metric.field) };
  });

  let base = `SELECT time${lists.length > 0 ? ', ' + lists.join(', ') : ''} FROM events WHERE ${where}`;
  if (request.events !== undefined) {
    const n = request.events.limit;
    if (n !== undefined && (!Number.isSafeInteger(n) || n < 1 || n > 1_000_000)) throw invalid('| head before an aggregation takes 1 to 1000000 events');
    base += ` ORDER BY ${eventOrder(dialect, request.events.sort)}${n === undefined ? '' : ` LIMIT ${n}`}`;
  }

  // keyed: one row per combination of by-field values.
  const keys: string[] = [];
  const joins: string[] = [];
  const keyColumns: string[] = [];
  if (agg.kind === 'timechart') {
    if (!Number.isSafeInteger(agg.spanMs) || agg.spanMs < 1000) throw invalid('timechart span must be at least 1s');
    keys.push('t');
    keyColumns.push(`${dialect.timeBucket('time', `CAST(${params.add(BigInt(agg.spanMs))} AS BIGINT)`)} AS t`);
  }
  keyLists.forEach((list, i) => {
    keys.push(`k${i}`);
    keyColumns.push(`k${i}`);
    joins.push(dialect.unnestJoin(`base.b${list}`, `u${i}`, `k${i}`));
  });
  const metricLists = [...new Set(plans.flatMap((p) => (p.list === undefined ? [] : [p.list])))];
  const keyedColumns = [...keyColumns, ...metricLists.map((l) => `b${l}`)];
  const keyed = `SELECT ${keyedColumns.length > 0 ? keyedColumns.join(', ') : '1 AS one'} FROM base${joins.join('')}`;

  const groupBy = keys.length > 0 ? ` GROUP BY ${keys.join(', ')}` : '';
  const keyPrefix = keys.length > 0 ? `${keys.join(', ')}, ` : '';
  const ctes = [`base AS (${base})`, `keyed AS (${keyed})`];
  // m: the group's event count plus every metric that reads one value per event.
  const simple = plans.filter((p) => p.metric.fn === 'count');
  ctes.push(
    `m AS (SELECT ${keyPrefix}count(*) AS events${simple.map((p) => `, ${p.list === undefined ? 'count(*)' : dialect.countPresent(`b${p.list}`)} AS ${p.alias}`).join('')} FROM keyed${groupBy})`,
  );
  const valueMetrics = plans.filter((p) => p.metric.fn !== 'count');
  for (const p of valueMetrics) {
    const x = p.metric.fn === 'dc' ? dialect.countDistinct('x') : `${p.metric.fn}(${dialect.toNumber('x')})`;
    ctes.push(`${p.alias} AS (SELECT ${keyPrefix}${x} AS v FROM (SELECT ${keyPrefix}${dialect.unnestValues(`b${p.list}`)} AS x FROM keyed)${groupBy})`);
  }

  const columns: string[] = [];
  const kinds: ColumnKind[] = [];
  const select: string[] = [];
  const aliasByName = new Map<string, { expr: string; kind: ColumnKind }>();
  const addColumn = (name: string, expr: string, kind: ColumnKind): void => {
    if (aliasByName.has(name)) throw invalid(`the output has two columns named ${name}; rename a metric with "as"`);
    columns.push(name);
    kinds.push(kind);
    select.push(expr);
    aliasByName.set(name, { expr, kind });
  };
  if (agg.kind === 'timechart') addColumn('_time', 'm.t', 'time');
  byFields.forEach((f, i) => addColumn(f, `m.k${i}`, 'key'));
  // A group with no value of a dc field has no row in its CTE: zero distinct values, not NULL.
  for (const p of plans) {
    addColumn(p.metric.name, p.metric.fn === 'count' ? `m.${p.alias}` : p.metric.fn === 'dc' ? `coalesce(${p.alias}.v, 0)` : `${p.alias}.v`, 'number');
  }
  if (agg.kind === 'top') addColumn('percent', `round(m.events * 100.0 / (SELECT count(*) FROM base), 2)`, 'number');

  const from = ['m', ...valueMetrics.map((p) => p.alias)]
    .map((name, i) => (i === 0 ? name : keys.length > 0 ? `LEFT JOIN ${name} USING (${keys.join(', ')})` : `CROSS JOIN ${name}`))
    .join(' ');

  const order: string[] = [];
  const sortKeys: readonly SortKey[] =
    request.sort ??
    (agg.kind === 'timechart'
      ? [{ field: '_time', descending: false }]
      : byFields.length > 0
        ? [{ field: (plans[0] as MetricPlan).metric.name, descending: true }]
        : []);
  for (const key of sortKeys) {
    const column = aliasByName.get(key.field);
    if (column === undefined) {
      throw invalid(`cannot sort by ${key.field}: it is not a column of the output; the columns are ${columns.join(', ')}`);
    }
    const dir = key.descending ? 'DESC' : 'ASC';
    if (column.kind === 'key') order.push(`${dialect.toNumber(column.expr)} ${dir} NULLS LAST`, `${column.expr} ${dir} NULLS LAST`);
    else order.push(`${column.expr} ${dir} NULLS LAST`);
  }
  // Ties break on the keys, so the same data always gives the same table.
  for (const k of keys) order.push(`m.${k} ASC NULLS LAST`);

  const sql =
    `WITH ${ctes.join(', ')} SELECT ${select.join(', ')} FROM ${from}` +
    `${order.length > 0 ? ` ORDER BY ${order.join(', ')}` : ''} LIMIT ${limit + 1}`;
  return { sql, columns, kinds };
}
