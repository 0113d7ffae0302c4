/**
 * Alerts, intake batches, suppressions, cases and rule figures in PostgreSQL: the SQL of the
 * state store's alert methods, each run by PostgresStateStore on its pool or inside one of its
 * transactions (which isolation each needs is said where the store calls it).
 */
import { withChange, type Alert, type AlertBatch, type AlertChange, type AlertFilter, type AlertGroup, type Case, type RuleDay, type Suppression } from '../../core/alert.js';
import { Params, run, valuesList, type Queryable } from './pg-query.js';
import { json } from './pg-text.js';

export const ALERT_COLUMNS = 'id, tenant, created, rule_id, rule_title, rule_author, level, event_ids, state, details, "count", first_seen, last_seen, updated, group_key, assignee, verdict, history';
const ALERT_WIDTH = 18;
const SUPPRESSION_COLUMNS = 'id, tenant, created, author, reason, rule_id, fields, expires, hits';

/** Rows per INSERT: 500 alerts are 9,000 parameters, far under the protocol's 65,535. */
const ROWS_PER_INSERT = 500;
/** Event ids an alert keeps: the newest, as in DuckDB. */
const MAX_EVENT_IDS = 1000;

interface AlertRow {
  id: string;
  tenant: string;
  created: number;
  rule_id: string;
  rule_title: string;
  rule_author: string;
  level: string;
  event_ids: string[];
  state: Alert['state'];
  details: Record<string, unknown>;
  count: number;
  first_seen: number;
  last_seen: number;
  updated: number;
  group_key: string;
  assignee: string | null;
  verdict: Alert['verdict'];
  history: Alert['history'];
}

function alertFromRow(r: AlertRow): Alert {
  return {
    id: r.id,
    tenant: r.tenant,
    created: r.created,
    ruleId: r.rule_id,
    ruleTitle: r.rule_title,
    ruleAuthor: r.rule_author,
    level: r.level,
    eventIds: r.event_ids,
    state: r.state,
    details: r.details,
    count: r.count,
    firstSeen: r.first_seen,
    lastSeen: r.last_seen,
    updated: r.updated,
    groupKey: r.group_key,
    assignee: r.assignee,
    verdict: r.verdict,
    history: r.history,
  };
}

function alertValues(a: Alert): unknown[] {
  return [
    a.id, a.tenant, a.created, a.ruleId, a.ruleTitle, a.ruleAuthor, a.level, [...a.eventIds], a.state, json(a.details),
    a.count, a.firstSeen, a.lastSeen, a.updated, a.groupKey, a.assignee, a.verdict, json(a.history),
  ];
}

/** Inserts alerts; a duplicate id fails the statement (and the caller's transaction). */
export async function insertAlerts(db: Queryable, alerts: readonly Alert[]): Promise<void> {
  for (let start = 0; start < alerts.length; start += ROWS_PER_INSERT) {
    const chunk = alerts.slice(start, start + ROWS_PER_INSERT);
    await run(db, `INSERT INTO alerts (${ALERT_COLUMNS}) VALUES ${valuesList(chunk.length, ALERT_WIDTH)}`, chunk.flatMap(alertValues));
  }
}

function byKey<T>(items: readonly T[], key: (item: T) => string): T[] {
  // Stable: two merges of one alert keep their order, which decides the order of its event ids.
  return [...items].sort((x, y) => (key(x) < key(y) ? -1 : key(x) > key(y) ? 1 : 0));
}

const KEY_SEP = '\u0000';

/**
 * The intake's batch after its inserts: grouped detections, rule counters, suppression hits.
 * Rows are locked in key order (tenant, id) before they are changed, so two intake processes
 * writing batches that touch the same alerts wait for each other instead of deadlocking.
 */
export async function applyBatchUpdates(db: Queryable, batch: AlertBatch): Promise<void> {
  if (batch.merges.length > 0) {
    // One row per alert: counts add up, the latest time wins, event ids are concatenated in
    // batch order; keeping the newest 1,000 of the whole concatenation equals doing it per merge.
    const merged = new Map<string, { tenant: string; id: string; add: number; lastSeen: number; eventIds: string[] }>();
    for (const m of byKey(batch.merges, (m) => m.tenant + KEY_SEP + m.id)) {
      const key = m.tenant + KEY_SEP + m.id;
      const seen = merged.get(key);
      if (seen === undefined) merged.set(key, { tenant: m.tenant, id: m.id, add: m.add, lastSeen: m.lastSeen, eventIds: [...m.eventIds] });
      else {
        seen.add += m.add;
        seen.lastSeen = Math.max(seen.lastSeen, m.lastSeen);
        seen.eventIds.push(...m.eventIds);
      }
    }
    const rows = [...merged.values()];
    await run(db, `SELECT 1 FROM alerts WHERE (tenant, id) IN (SELECT * FROM unnest($1::text[], $2::text[])) ORDER BY tenant, id FOR UPDATE`, [
      rows.map((r) => r.tenant),
      rows.map((r) => r.id),
    ]);
    await run(
      db,
      `UPDATE alerts AS a SET "count" = a."count" + m.add, last_seen = greatest(a.last_seen, m.last_seen),
         event_ids = (a.event_ids || m.ids)[greatest(cardinality(a.event_ids) + cardinality(m.ids) - ${MAX_EVENT_IDS - 1}, 1):]
       FROM (SELECT r.tenant, r.id, r.add, r.last_seen,
               ARRAY(SELECT e.v FROM json_array_elements_text(r.event_ids) WITH ORDINALITY AS e(v, n) ORDER BY e.n) AS ids
             FROM json_to_recordset($1::json) AS r(tenant text, id text, add bigint, last_seen bigint, event_ids json)) AS m
       WHERE a.tenant = m.tenant COLLATE "C" AND a.id = m.id COLLATE "C"`,
      [json(rows.map((r) => ({ tenant: r.tenant, id: r.id, add: r.add, last_seen: r.lastSeen, event_ids: r.eventIds })))],
    );
  }
  if (batch.days.length > 0) {
    // Summed per key first: one INSERT … ON CONFLICT may not touch a row twice. Inserted in key
    // order, which is the order the rows are locked in.
    const days = new Map<string, RuleDay>();
    for (const d of batch.days) {
      const key = d.tenant + KEY_SEP + d.ruleId + KEY_SEP + String(d.day).padStart(12, '0');
      const seen = days.get(key);
      days.set(key, seen === undefined ? d : { ...seen, raised: seen.raised + d.raised, grouped: seen.grouped + d.grouped, suppressed: seen.suppressed + d.suppressed, throttled: seen.throttled + d.throttled });
    }
    const rows = [...days.entries()].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)).map(([, d]) => d);
    await run(
      db,
      `INSERT INTO rule_days (tenant, rule_id, day, raised, grouped, suppressed, throttled)
       SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[])
       ON CONFLICT (tenant, rule_id, day) DO UPDATE SET raised = rule_days.raised + excluded.raised, grouped = rule_days.grouped + excluded.grouped,
         suppressed = rule_days.suppressed + excluded.suppressed, throttled = rule_days.throttled + excluded.throttled`,
      [rows.map((d) => d.tenant), rows.map((d) => d.ruleId), rows.map((d) => d.day), rows.map((d) => d.raised), rows.map((d) => d.grouped), rows.map((d) => d.suppressed), rows.map((d) => d.throttled)],
    );
  }
  if (batch.suppressionHits.length > 0) {
    const hits = new Map<string, { tenant: string; id: string; add: number }>();
    for (const h of byKey(batch.suppressionHits, (h) => h.tenant + KEY_SEP + h.id)) {
      const key = h.tenant + KEY_SEP + h.id;
      const seen = hits.get(key);
      hits.set(key, { tenant: h.tenant, id: h.id, add: (seen?.add ?? 0) + h.add });
    }
    const rows = [...hits.values()];
    const keys = [rows.map((r) => r.tenant), rows.map((r) => r.id)];
    await run(db, `SELECT 1 FROM suppressions WHERE (tenant, id) IN (SELECT * FROM unnest($1::text[], $2::text[])) ORDER BY tenant, id FOR UPDATE`, keys);
    await run(
      db,
      `UPDATE suppressions AS s SET hits = s.hits + h.add FROM unnest($1::text[], $2::text[], $3::bigint[]) AS h(tenant, id, add)
       WHERE s.tenant = h.tenant COLLATE "C" AND s.id = h.id COLLATE "C"`,
      [...keys, rows.map((r) => r.add)],
    );
  }
}

/** Reads the alert locked (FOR UPDATE), applies the change, writes it back; run in a transaction. */
export async function changeAlert(db: Queryable, tenant: string, id: string, change: AlertChange): Promise<Alert | undefined> {
  const found = await run<AlertRow>(db, `SELECT ${ALERT_COLUMNS} FROM alerts WHERE tenant = $1 AND id = $2 FOR UPDATE`, [tenant, id]);
  const row = found.rows[0];
  if (row === undefined) return undefined;
  const next = withChange(alertFromRow(row), change);
  await run(db, 'UPDATE alerts SET state = $3, assignee = $4, verdict = $5, updated = $6, history = $7 WHERE tenant = $1 AND id = $2', [
    tenant,
    id,
    next.state,
    next.assignee,
    next.verdict,
    next.updated,
    json(next.history),
  ]);
  return next;
}

export async function selectAlert(db: Queryable, tenant: string, id: string): Promise<Alert | undefined> {
  const result = await run<AlertRow>(db, `SELECT ${ALERT_COLUMNS} FROM alerts WHERE tenant = $1 AND id = $2`, [tenant, id]);
  const row = result.rows[0];
  return row === undefined ? undefined : alertFromRow(row);
}

/**
 * The tenant's alerts matching `filter`, most recently active first. `lower` is the collation
 * under which `lower()` folds case for all of Unicode (picked at open, see the store).
 */
export async function selectAlerts(db: Queryable, tenant: string, limit: number, filter: AlertFilter, lower: string): Promise<Alert[]> {
  const p = new Params();
  const where = [`tenant = ${p.add(tenant)}`];
  if (filter.state === 'open') where.push("state <> 'closed'");
  else if (filter.state !== undefined) where.push(`state = ${p.add(filter.state)}`);
  if (filter.ruleId !== undefined) where.push(`rule_id = ${p.add(filter.ruleId)}`);
  if (filter.levels !== undefined) where.push(filter.levels.length === 0 ? 'false' : `level = ANY(${p.add([...filter.levels])}::text[])`);
  if (filter.text !== undefined) {
    // strpos, not LIKE: the text is a value, never a pattern.
    const text = p.add(filter.text.toLowerCase());
    where.push(`(strpos(lower(rule_title COLLATE "${lower}"), ${text}) > 0 OR strpos(lower(rule_id COLLATE "${lower}"), ${text}) > 0)`);
  }
  if (filter.assignee === null) where.push('assignee IS NULL');
  else if (filter.assignee !== undefined) where.push(`assignee = ${p.add(filter.assignee)}`);
  if (filter.from !== undefined) where.push(`last_seen >= ${p.add(filter.from)}`);
  if (filter.to !== undefined) where.push(`first_seen < ${p.add(filter.to)}`);
  const result = await run<AlertRow>(db, `SELECT ${ALERT_COLUMNS} FROM alerts WHERE ${where.join(' AND ')} ORDER BY last_seen DESC, created DESC, id DESC LIMIT ${limit}`, p.values);
  return result.rows.map(alertFromRow);
}

export async function selectOpenGroups(db: Queryable, since: number): Promise<AlertGroup[]> {
  const result = await run<{ tenant: string; group_key: string; id: string; last_seen: number; n: number }>(
    db,
    `SELECT tenant, group_key, id, last_seen, cardinality(event_ids) AS n FROM alerts WHERE state <> 'closed' AND group_key <> '' AND last_seen >= $1`,
    [since],
  );
  return result.rows.map((r) => ({ tenant: r.tenant, groupKey: r.group_key, id: r.id, lastSeen: r.last_seen, eventIds: r.n }));
}

// ---- suppressions ---------------------------------------------------------------------------

interface SuppressionRow {
  id: string;
  tenant: string;
  created: number;
  author: string;
  reason: string;
  rule_id: string | null;
  fields: Record<string, string>;
  expires: number | null;
  hits: number;
}

function suppressionFromRow(r: SuppressionRow): Suppression {
  return {
    id: r.id,
    tenant: r.tenant,
    created: r.created,
    author: r.author,
    reason: r.reason,
    ...(r.rule_id === null ? {} : { ruleId: r.rule_id }),
    fields: r.fields,
    ...(r.expires === null ? {} : { expires: r.expires }),
    hits: r.hits,
  };
}

/** Inserts or replaces by id, as DuckDB's INSERT OR REPLACE. */
export async function upsertSuppression(db: Queryable, s: Suppression): Promise<void> {
  await run(
    db,
    `INSERT INTO suppressions (${SUPPRESSION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (id) DO UPDATE SET tenant = excluded.tenant, created = excluded.created, author = excluded.author, reason = excluded.reason,
       rule_id = excluded.rule_id, fields = excluded.fields, expires = excluded.expires, hits = excluded.hits`,
    [s.id, s.tenant, s.created, s.author, s.reason, s.ruleId ?? null, json(s.fields), s.expires ?? null, s.hits],
  );
}

export async function selectSuppressions(db: Queryable, tenant: string): Promise<Suppression[]> {
  const result = await run<SuppressionRow>(db, `SELECT ${SUPPRESSION_COLUMNS} FROM suppressions WHERE tenant = $1 ORDER BY created DESC, id`, [tenant]);
  return result.rows.map(suppressionFromRow);
}

export async function selectActiveSuppressions(db: Queryable, now: number): Promise<Suppression[]> {
  const result = await run<SuppressionRow>(db, `SELECT ${SUPPRESSION_COLUMNS} FROM suppressions WHERE expires IS NULL OR expires > $1`, [now]);
  return result.rows.map(suppressionFromRow);
}

export async function removeSuppression(db: Queryable, tenant: string, id: string): Promise<boolean> {
  const result = await run(db, 'DELETE FROM suppressions WHERE tenant = $1 AND id = $2', [tenant, id]);
  return (result.rowCount ?? 0) > 0;
}

// ---- cases and rule figures ----------------------------------------------------------------

export async function upsertCase(db: Queryable, c: Case): Promise<void> {
  await run(
    db,
    `INSERT INTO cases (id, tenant, updated, record) VALUES ($1, $2, $3, $4)
     ON CONFLICT (id) DO UPDATE SET tenant = excluded.tenant, updated = excluded.updated, record = excluded.record`,
    [c.id, c.tenant, c.updated, json(c)],
  );
}

export async function selectCase(db: Queryable, tenant: string, id: string): Promise<Case | undefined> {
  const result = await run<{ record: Case }>(db, 'SELECT record FROM cases WHERE tenant = $1 AND id = $2', [tenant, id]);
  return result.rows[0]?.record;
}

export async function selectCases(db: Queryable, tenant: string, limit: number): Promise<Case[]> {
  const result = await run<{ record: Case }>(db, `SELECT record FROM cases WHERE tenant = $1 ORDER BY updated DESC, id DESC LIMIT ${limit}`, [tenant]);
  return result.rows.map((r) => r.record);
}

export async function selectRuleDays(db: Queryable, tenant: string | undefined, fromDay: number): Promise<RuleDay[]> {
  const result = await run<{ tenant: string; rule_id: string; day: number; raised: number; grouped: number; suppressed: number; throttled: number }>(
    db,
    `SELECT tenant, rule_id, day, raised, grouped, suppressed, throttled FROM rule_days WHERE day >= $1 ${tenant === undefined ? '' : 'AND tenant = $2'} ORDER BY day, rule_id, tenant`,
    tenant === undefined ? [fromDay] : [fromDay, tenant],
  );
  return result.rows.map((r) => ({ tenant: r.tenant, ruleId: r.rule_id, day: r.day, raised: r.raised, grouped: r.grouped, suppressed: r.suppressed, throttled: r.throttled }));
}
