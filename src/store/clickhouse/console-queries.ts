/**
 * The console's view of the events in ClickHouse SQL: what each input has sent (sources page)
 * and the shapes of the stored events (`vigil coverage`), as for DuckDB
 * (src/store/duckdb/console-queries.ts). Each is one or two grouped scans.
 */
import { VigilError } from '../../core/errors.js';
import type { EventShape, SourceActivity, SourceActivityRequest } from '../../core/store.js';
import type { ClickHouseEngine } from './clickhouse-engine.js';

function whole(value: number, name: string, min = 0): bigint {
  if (!Number.isSafeInteger(value) || value < min) throw new VigilError('query-invalid', `${name} must be a whole number of at least ${min}, got ${String(value)}`, { where: name });
  return BigInt(value);
}

/** The sender of an event without its port (`[::1]:514` → `::1`), lower-cased; never a file path. */
const ADDRESS_HOST = String.raw`multiIf(source_kind = 'file' OR source_address IS NULL, NULL,
  startsWith(assumeNotNull(source_address), '['), lower(regexpExtract(assumeNotNull(source_address), '^\\[([^\\]]*)\\]', 1)),
  lower(replaceRegexpOne(assumeNotNull(source_address), ':[0-9]+$', '')))`;

export async function readSourceActivity(engine: ClickHouseEngine, request: SourceActivityRequest): Promise<SourceActivity[]> {
  const params = {
    tenant: request.tenant,
    lookback: whole(request.lookbackFrom, 'lookbackFrom'),
    window: whole(request.windowFrom, 'windowFrom'),
    recent: whole(request.recentFrom, 'recentFrom'),
    hosts: whole(request.hostsPerSource, 'hostsPerSource'),
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
  const byKey = new Map<string, { host: string; lastEvent: number; events: number }[]>();
  for (const [input, kind, host, last, n] of hosts) {
    const key = `${String(input)}\u0000${String(kind)}`;
    const list = byKey.get(key) ?? [];
    list.push({ host: String(host), lastEvent: Number(last), events: Number(n) });
    byKey.set(key, list);
  }
  return sources.map(([input, kind, last, events, unparsedCount, first, recentEvents, recentUnparsed]) => ({
    input: String(input),
    kind: String(kind),
    lastEvent: Number(last),
    events: Number(events),
    unparsed: Number(unparsedCount),
    firstInWindow: first === null || first === undefined ? null : Number(first),
    recentEvents: Number(recentEvents),
    recentUnparsed: Number(recentUnparsed),
    hosts: byKey.get(`${String(input)}\u0000${String(kind)}`) ?? [],
  }));
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
