/** Token and alert records ↔ their tables' rows. */
import { LIST, VARCHAR, type DuckDBAppender, type JS } from '@duckdb/node-api';
import type { Alert, AlertHistoryEntry, AlertState, AlertVerdict, Suppression } from '../../core/alert.js';
import type { Role, TokenRecord } from '../../core/store.js';

export const TOKEN_COLUMNS = 'id, name, role, tenant, hash, created, revoked';
export const ALERT_COLUMNS = 'id, tenant, created, rule_id, rule_title, rule_author, level, event_ids, state, details, count, first_seen, last_seen, updated, group_key, assignee, verdict, history';
export const SUPPRESSION_COLUMNS = 'id, tenant, created, author, reason, rule_id, fields, expires, hits';

const VARCHAR_LIST = LIST(VARCHAR);

function text(value: JS | undefined): string {
  return typeof value === 'string' ? value : String(value ?? '');
}

export function tokenFromRow(row: readonly JS[]): TokenRecord {
  const [id, name, role, tenant, hash, created, revoked] = row;
  return {
    id: text(id),
    name: text(name),
    role: text(role) as Role,
    tenant: text(tenant),
    hash: text(hash),
    created: Number(created),
    revoked: revoked === true,
  };
}

export function alertFromRow(row: readonly JS[]): Alert {
  const [id, tenant, created, ruleId, ruleTitle, ruleAuthor, level, eventIds, state, details, count, firstSeen, lastSeen, updated, groupKey, assignee, verdict, history] = row;
  const at = Number(created);
  return {
    id: text(id),
    tenant: text(tenant),
    created: at,
    ruleId: text(ruleId),
    ruleTitle: text(ruleTitle),
    ruleAuthor: text(ruleAuthor),
    level: text(level),
    eventIds: Array.isArray(eventIds) ? eventIds.map(text) : [],
    state: text(state) as AlertState,
    details: JSON.parse(text(details)) as Record<string, unknown>,
    count: count === null || count === undefined ? 1 : Number(count),
    firstSeen: firstSeen === null || firstSeen === undefined ? at : Number(firstSeen),
    lastSeen: lastSeen === null || lastSeen === undefined ? at : Number(lastSeen),
    updated: updated === null || updated === undefined ? at : Number(updated),
    groupKey: groupKey === null || groupKey === undefined ? '' : text(groupKey),
    assignee: assignee === null || assignee === undefined ? null : text(assignee),
    verdict: verdict === null || verdict === undefined ? null : (text(verdict) as AlertVerdict),
    history: JSON.parse(history === null || history === undefined ? '[]' : text(history)) as AlertHistoryEntry[],
  };
}

/** Appends one alert in the column order of ALERT_COLUMNS. */
export function appendAlertRow(appender: DuckDBAppender, alert: Alert): void {
  appender.appendVarchar(alert.id);
  appender.appendVarchar(alert.tenant);
  appender.appendBigInt(BigInt(alert.created));
  appender.appendVarchar(alert.ruleId);
  appender.appendVarchar(alert.ruleTitle);
  appender.appendVarchar(alert.ruleAuthor);
  appender.appendVarchar(alert.level);
  appender.appendList(alert.eventIds, VARCHAR_LIST);
  appender.appendVarchar(alert.state);
  appender.appendVarchar(JSON.stringify(alert.details));
  appender.appendBigInt(BigInt(alert.count));
  appender.appendBigInt(BigInt(alert.firstSeen));
  appender.appendBigInt(BigInt(alert.lastSeen));
  appender.appendBigInt(BigInt(alert.updated));
  appender.appendVarchar(alert.groupKey);
  if (alert.assignee === null) appender.appendNull();
  else appender.appendVarchar(alert.assignee);
  if (alert.verdict === null) appender.appendNull();
  else appender.appendVarchar(alert.verdict);
  appender.appendVarchar(JSON.stringify(alert.history));
  appender.endRow();
}

export function suppressionFromRow(row: readonly JS[]): Suppression {
  const [id, tenant, created, author, reason, ruleId, fields, expires, hits] = row;
  return {
    id: text(id),
    tenant: text(tenant),
    created: Number(created),
    author: text(author),
    reason: text(reason),
    ...(ruleId === null || ruleId === undefined ? {} : { ruleId: text(ruleId) }),
    fields: JSON.parse(text(fields)) as Record<string, string>,
    ...(expires === null || expires === undefined ? {} : { expires: Number(expires) }),
    hits: Number(hits),
  };
}
