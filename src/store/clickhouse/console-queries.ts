/**
 * The console's view of the events in ClickHouse SQL: what each input has sent (sources page)
 * and the shapes of the stored events (`vigil coverage`), as for DuckDB
 * (src/store/duckdb/console-queries.ts). Each is one or two grouped scans.
 */
import type { EventShape, SourceActivity, SourceActivityRequest } from '../../core/store.js';
import type { ClickHouseEngine } from './clickhouse-engine.js';
import { sourceActivityFromRows, wholeArgument } from '../sql/source-activity-rows.js';

/** The sender of an event without its port (`[::1]:514` → `::1`), lower-cased; never a file path. */
const ADDRESS_HOST = String.raw`multiIf(source_kind = 'file' OR source_address IS NULL, NULL,
  startsWith(assumeNotNull(source_address), '['), lower(regexpExtract(assumeNotNull(source_address), '^\\[([^\\]]*)\\]', 1)),
  lower(replaceRegexpOne(assumeNotNull(source_address), ':[0-9]+$', '')))`;

export async function readSourceActivity(engine: ClickHouseEngine, request: SourceActivityRequest): Promise<SourceActivity[]> {
  const params = {
    tenant: request.tenant,
    lookback: wholeArgument(request.lookbackFrom, 'lookbackFrom'),
    window: wholeArgument(request.windowFrom, 'windowFrom'),
    recent: wholeArgument(request.recentFrom, 'recentFrom'),
    hosts: wholeArgument(request.hostsPerSource, 'hostsPerSource'),
  };
  const unparsed = `has(flags, 'unparsed')`;
  const sources = await engine.rows(
    `SELECT source_input, source_kind, max(received),
       countIf(received >= {window:Int64}), countIf(received >= {window:Int64} AND ${unparsed}), minIfOrNull(received, received >= {window:Int64}),
       countIf(received >= {recent:Int64}), countIf(received >= {recent:Int64} AND ${unparsed})
     FROM events WHERE tenant = {tenant:String} AND received >= {lookback:Int64}
     GROUP BY source_input, source_kind ORDER BY source_input, source_kind`,
    params,
  );
  const hosts =
    request.hostsPerSource === 0
      ? []
      : await engine.rows(
          `WITH h AS (SELECT source_input, source_kind, received, if(notEmpty(host_name), CAST(host_name AS Array(Nullable(String))), [${ADDRESS_HOST}]) AS names
                      FROM events WHERE tenant = {tenant:String} AND received >= {window:Int64}),
                u AS (SELECT source_input, source_kind, received, arrayJoin(names) AS host FROM h),
                g AS (SELECT source_input, source_kind, assumeNotNull(host) AS host, count() AS n, max(received) AS last FROM u
                      WHERE host IS NOT NULL AND host != '' GROUP BY source_input, source_kind, host)
           SELECT source_input, source_kind, host, last, n FROM
             (SELECT *, row_number() OVER (PARTITION BY source_input, source_kind ORDER BY n DESC, host) AS r FROM g)
           WHERE r <= {hosts:Int64} ORDER BY source_input, source_kind, n DESC, host`,
          params,
        );
  return sourceActivityFromRows(sources, hosts);
}

export async function readEventShapes(engine: ClickHouseEngine, tenant: string, valueFields: readonly string[]): Promise<EventShape[]> {
  // One pass: events grouped by their set of field names and the values that decide their log
  // sources. A text message lives in its own column, not the JSON: counted as a field. The value
  // fields are keys bound as one array parameter, whatever they hold.
  const rows = await engine.rows(
    `SELECT format, source_kind,
       arraySort(arrayDistinct(arrayConcat(JSONExtractKeys(fields), if(message IS NULL, [], ['message'])))) AS keys,
       arrayMap(k -> if(JSONType(fields, k) = 'Null', NULL, if(JSONType(fields, k) = 'String', JSONExtractString(fields, k), JSONExtractRaw(fields, k))), {fields:Array(String)}) AS vals,
       count() AS n, min(time), max(time)
     FROM events WHERE tenant = {tenant:String} GROUP BY format, source_kind, keys, vals ORDER BY n DESC`,
    { tenant, fields: [...valueFields] },
  );
  return rows.map(([format, kind, keys, vals, n, first, last]) => {
    const values = (vals as (string | null)[] | null) ?? [];
    return {
      format: String(format),
      sourceKind: String(kind),
      fields: ((keys as string[] | null) ?? []).map(String),
      values: Object.fromEntries(valueFields.map((f, i) => [f, values[i] ?? null])),
      count: Number(n),
      first: Number(first),
      last: Number(last),
    };
  });
}
