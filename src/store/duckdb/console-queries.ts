/**
 * The console's summaries in DuckDB SQL: alerts over a time range (overview) and what each input
 * has sent (sources page). Each is a few grouped scans; nothing is fetched row by row.
 *
 * Sources are judged by receive time: `received` grows with insertion order, so DuckDB's per
 * row-group min/max skip everything older than the lookback without reading it.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { AlertSummary, AlertSummaryRequest, SourceActivity, SourceActivityRequest } from '../../core/store.js';
import { sourceActivityFromRows, wholeArgument } from '../sql/source-activity-rows.js';

/** Entity values in `details.entities`: each element of an array, a scalar as text; objects and nulls are not values. */
const ENTITY_VALUES = `CASE json_type(kv.value) WHEN 'ARRAY' THEN json_extract_string(kv.value, '$[*]') WHEN 'OBJECT' THEN []::VARCHAR[] WHEN 'NULL' THEN []::VARCHAR[] ELSE [json_extract_string(kv.value, '$')] END`;

export async function readAlertSummary(conn: DuckDBConnection, request: AlertSummaryRequest): Promise<AlertSummary> {
  const range = [request.tenant, wholeArgument(request.from, 'from'), wholeArgument(request.to, 'to')];
  const bucket = wholeArgument(request.bucketMs, 'bucketMs', 1);
  const topRules = wholeArgument(request.topRules, 'topRules');
  const topEntities = wholeArgument(request.topEntities, 'topEntities');
  const inRange = 'tenant = $1 AND created >= $2 AND created < $3';

  const levels = await conn.runAndReadAll(`SELECT (created // $4) * $4 AS t, level, count(*) FROM alerts WHERE ${inRange} GROUP BY ALL ORDER BY t, level`, [...range, bucket]);
  const rules = await conn.runAndReadAll(
    `SELECT rule_id, arg_max(rule_title, created), arg_max(rule_author, created), arg_max(level, created), count(*) AS n, sum("count")
     FROM alerts WHERE ${inRange} GROUP BY rule_id ORDER BY n DESC, rule_id LIMIT $4`,
    [...range, topRules],
  );
  const entities = await conn.runAndReadAll(
    `WITH e AS (SELECT id, json_extract(details, '$.entities') AS j FROM alerts WHERE ${inRange}),
          o AS (SELECT id, unnest(map_entries(json_transform(j, '"MAP(VARCHAR, JSON)"'))) AS kv FROM e WHERE json_type(j) = 'OBJECT'),
          v AS (SELECT id, kv.key AS field, unnest(${ENTITY_VALUES}) AS value FROM o)
     SELECT field, min(value), count(DISTINCT id) AS n FROM v WHERE value IS NOT NULL AND value <> ''
     GROUP BY field, lower(value) ORDER BY n DESC, field, min(value) LIMIT $4`,
    [...range, topEntities],
  );
  const open = await conn.runAndReadAll(`SELECT count(*) FROM alerts WHERE tenant = $1 AND state <> 'closed'`, [request.tenant]);
  return {
    byLevel: levels.getRowsJS().map(([t, level, n]) => ({ time: Number(t), level: String(level), alerts: Number(n) })),
    topRules: rules.getRowsJS().map(([ruleId, ruleTitle, ruleAuthor, level, n, detections]) => ({
      ruleId: String(ruleId),
      ruleTitle: String(ruleTitle),
      ruleAuthor: String(ruleAuthor),
      level: String(level),
      alerts: Number(n),
      detections: Number(detections ?? n),
    })),
    topEntities: entities.getRowsJS().map(([field, value, n]) => ({ field: String(field), value: String(value), alerts: Number(n) })),
    open: Number(open.getRowsJS()[0]?.[0] ?? 0),
  };
}

/** The sender of an event without its port (`[::1]:514` → `::1`), lower-cased; never a file path. */
const ADDRESS_HOST = `CASE WHEN source_kind = 'file' OR source_address IS NULL THEN NULL
  WHEN starts_with(source_address, '[') THEN lower(regexp_extract(source_address, '^\\[([^\\]]*)\\]', 1))
  ELSE lower(regexp_replace(source_address, ':[0-9]+$', '')) END`;

export async function readSourceActivity(conn: DuckDBConnection, request: SourceActivityRequest): Promise<SourceActivity[]> {
  const lookback = wholeArgument(request.lookbackFrom, 'lookbackFrom');
  const window = wholeArgument(request.windowFrom, 'windowFrom');
  const recent = wholeArgument(request.recentFrom, 'recentFrom');
  const unparsed = `list_contains(flags, 'unparsed')`;
  const sources = await conn.runAndReadAll(
    `SELECT source_input, source_kind, max(received),
       count(*) FILTER (WHERE received >= $3), count(*) FILTER (WHERE received >= $3 AND ${unparsed}), min(received) FILTER (WHERE received >= $3),
       count(*) FILTER (WHERE received >= $4), count(*) FILTER (WHERE received >= $4 AND ${unparsed})
     FROM events WHERE tenant = $1 AND received >= $2 GROUP BY ALL ORDER BY source_input, source_kind`,
    [request.tenant, lookback, window, recent],
  );
  const hosts = request.hostsPerSource === 0 ? undefined : await conn.runAndReadAll(
    `WITH h AS (SELECT source_input, source_kind, received, CASE WHEN len(host_name) > 0 THEN host_name ELSE [${ADDRESS_HOST}] END AS names
                FROM events WHERE tenant = $1 AND received >= $2),
          u AS (SELECT source_input, source_kind, received, unnest(names) AS host FROM h),
          g AS (SELECT source_input, source_kind, host, count(*) AS n, max(received) AS last FROM u WHERE host IS NOT NULL AND host <> '' GROUP BY ALL)
     SELECT source_input, source_kind, host, last, n FROM
       (SELECT *, row_number() OVER (PARTITION BY source_input, source_kind ORDER BY n DESC, host) AS r FROM g)
     WHERE r <= $3 ORDER BY source_input, source_kind, n DESC, host`,
    [request.tenant, window, wholeArgument(request.hostsPerSource, 'hostsPerSource')],
  );
  return sourceActivityFromRows(sources.getRowsJS(), hosts?.getRowsJS() ?? []);
}
