/** Token and alert records ↔ their tables' rows. */
import { LIST, VARCHAR, type DuckDBAppender, type JS } from '@duckdb/node-api';
import type { AlertRecord, Role, TokenRecord } from '../../core/store.js';

export const TOKEN_COLUMNS = 'id, name, role, tenant, hash, created, revoked';
export const ALERT_COLUMNS = 'id, tenant, created, rule_id, rule_title, rule_author, level, event_ids, state, details';

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

export function alertFromRow(row: readonly JS[]): AlertRecord {
  const [id, tenant, created, ruleId, ruleTitle, ruleAuthor, level, eventIds, state, details] = row;
  return {
    id: text(id),
    tenant: text(tenant),
    created: Number(created),
    ruleId: text(ruleId),
    ruleTitle: text(ruleTitle),
    ruleAuthor: text(ruleAuthor),
    level: text(level),
    eventIds: Array.isArray(eventIds) ? eventIds.map(text) : [],
    state: text(state) as AlertRecord['state'],
    details: JSON.parse(text(details)) as Record<string, unknown>,
  };
}

/** Appends one alert in the column order of ALERT_COLUMNS. */
export function appendAlertRow(appender: DuckDBAppender, alert: AlertRecord): void {
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
  appender.endRow();
}
