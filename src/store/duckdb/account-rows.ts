/**
 * Users, sessions and the audit trail in DuckDB (schema v6): the SQL of the store's account
 * methods, each run by DuckDbStore inside its read connection or write transaction.
 */
import type { DuckDBConnection, JS } from '@duckdb/node-api';
import type { SessionRecord, UserChange, UserRecord } from '../../core/accounts.js';
import type { AuditAction, AuditEntry, AuditQuery } from '../../core/audit.js';
import type { UserRole } from '../../core/store.js';

const USER_COLUMNS = 'id, username, role, tenant, password_hash, must_change_password, created, last_login, disabled';
const SESSION_COLUMNS = 'id_hash, user_id, created, last_seen, expires, remote';
const AUDIT_COLUMNS = 'id, time, tenant, actor, actor_kind, role, action, target, outcome, remote, details';

function text(value: JS | undefined): string {
  return typeof value === 'string' ? value : String(value ?? '');
}

function orNull(value: JS | undefined): string | null {
  return value === null || value === undefined ? null : text(value);
}

function userFromRow(row: readonly JS[]): UserRecord {
  const [id, username, role, tenant, passwordHash, mustChange, created, lastLogin, disabled] = row;
  return {
    id: text(id),
    username: text(username),
    role: text(role) as UserRole,
    tenant: text(tenant),
    passwordHash: text(passwordHash),
    mustChangePassword: mustChange === true,
    created: Number(created),
    lastLogin: lastLogin === null || lastLogin === undefined ? null : Number(lastLogin),
    disabled: disabled === true,
  };
}

function sessionFromRow(row: readonly JS[]): SessionRecord {
  const [idHash, userId, created, lastSeen, expires, remote] = row;
  return { idHash: text(idHash), userId: text(userId), created: Number(created), lastSeen: Number(lastSeen), expires: Number(expires), remote: orNull(remote) };
}

function auditFromRow(row: readonly JS[]): AuditEntry {
  const [id, time, tenant, actor, actorKind, role, action, target, outcome, remote, details] = row;
  return {
    id: text(id),
    time: Number(time),
    tenant: text(tenant),
    actor: text(actor),
    actorKind: text(actorKind) as AuditEntry['actorKind'],
    role: text(role),
    action: text(action) as AuditAction,
    target: orNull(target),
    outcome: text(outcome) as AuditEntry['outcome'],
    remote: orNull(remote),
    details: JSON.parse(text(details)) as Record<string, unknown>,
  };
}

// ---- users ----------------------------------------------------------------------------------

export async function insertUser(conn: DuckDBConnection, u: UserRecord): Promise<void> {
  await conn.run(`INSERT INTO users (${USER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, [
    u.id,
    u.username,
    u.role,
    u.tenant,
    u.passwordHash,
    u.mustChangePassword,
    BigInt(u.created),
    u.lastLogin === null ? null : BigInt(u.lastLogin),
    u.disabled,
  ]);
}

export async function selectUser(conn: DuckDBConnection, by: 'id' | 'username', value: string): Promise<UserRecord | undefined> {
  const reader = await conn.runAndReadAll(`SELECT ${USER_COLUMNS} FROM users WHERE ${by} = $1`, [value]);
  const row = reader.getRowsJS()[0];
  return row === undefined ? undefined : userFromRow(row);
}

export async function selectUsers(conn: DuckDBConnection): Promise<UserRecord[]> {
  const reader = await conn.runAndReadAll(`SELECT ${USER_COLUMNS} FROM users ORDER BY created, id`);
  return reader.getRowsJS().map(userFromRow);
}

export async function changeUser(conn: DuckDBConnection, id: string, change: UserChange): Promise<UserRecord | undefined> {
  const found = await selectUser(conn, 'id', id);
  if (found === undefined) return undefined;
  const next: UserRecord = { ...found, ...change };
  // The username (the indexed column) never changes: DuckDB rewrites updated indexed rows as a
  // delete and an insert, which its unique index can refuse inside one transaction.
  await conn.run('UPDATE users SET role = $2, password_hash = $3, must_change_password = $4, last_login = $5, disabled = $6 WHERE id = $1', [
    id,
    next.role,
    next.passwordHash,
    next.mustChangePassword,
    next.lastLogin === null ? null : BigInt(next.lastLogin),
    next.disabled,
  ]);
  return next;
}

export async function removeUser(conn: DuckDBConnection, id: string): Promise<boolean> {
  await conn.run('DELETE FROM sessions WHERE user_id = $1', [id]);
  const result = await conn.run('DELETE FROM users WHERE id = $1', [id]);
  return result.rowsChanged > 0;
}

// ---- sessions -------------------------------------------------------------------------------

export async function insertSession(conn: DuckDBConnection, s: SessionRecord): Promise<void> {
  await conn.run(`INSERT INTO sessions (${SESSION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)`, [
    s.idHash,
    s.userId,
    BigInt(s.created),
    BigInt(s.lastSeen),
    BigInt(s.expires),
    s.remote,
  ]);
}

export async function selectSession(conn: DuckDBConnection, idHash: string): Promise<SessionRecord | undefined> {
  const reader = await conn.runAndReadAll(`SELECT ${SESSION_COLUMNS} FROM sessions WHERE id_hash = $1`, [idHash]);
  const row = reader.getRowsJS()[0];
  return row === undefined ? undefined : sessionFromRow(row);
}

export async function touch(conn: DuckDBConnection, idHash: string, lastSeen: number): Promise<void> {
  await conn.run('UPDATE sessions SET last_seen = greatest(last_seen, $2) WHERE id_hash = $1', [idHash, BigInt(lastSeen)]);
}

export async function removeSession(conn: DuckDBConnection, idHash: string): Promise<boolean> {
  const result = await conn.run('DELETE FROM sessions WHERE id_hash = $1', [idHash]);
  return result.rowsChanged > 0;
}

export async function removeUserSessions(conn: DuckDBConnection, userId: string, keep: string | undefined): Promise<number> {
  const result =
    keep === undefined
      ? await conn.run('DELETE FROM sessions WHERE user_id = $1', [userId])
      : await conn.run('DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2', [userId, keep]);
  return Number(result.rowsChanged);
}

export async function removeExpiredSessions(conn: DuckDBConnection, now: number, idleSince: number): Promise<number> {
  const result = await conn.run('DELETE FROM sessions WHERE expires <= $1 OR last_seen < $2', [BigInt(now), BigInt(idleSince)]);
  return Number(result.rowsChanged);
}

// ---- audit trail ----------------------------------------------------------------------------

export async function insertAudit(conn: DuckDBConnection, entries: readonly AuditEntry[]): Promise<void> {
  const appender = await conn.createAppender('audit_log');
  try {
    for (const e of entries) {
      appender.appendVarchar(e.id);
      appender.appendBigInt(BigInt(e.time));
      appender.appendVarchar(e.tenant);
      appender.appendVarchar(e.actor);
      appender.appendVarchar(e.actorKind);
      appender.appendVarchar(e.role);
      appender.appendVarchar(e.action);
      if (e.target === null) appender.appendNull();
      else appender.appendVarchar(e.target);
      appender.appendVarchar(e.outcome);
      if (e.remote === null) appender.appendNull();
      else appender.appendVarchar(e.remote);
      appender.appendVarchar(JSON.stringify(e.details));
      appender.endRow();
    }
    appender.closeSync();
  } catch (e) {
    try {
      appender.clear();
      appender.closeSync();
    } catch {
      // already closed or poisoned by the error being reported; the transaction rolls back
    }
    throw e;
  }
}

export async function selectAudit(conn: DuckDBConnection, query: AuditQuery, limit: number): Promise<AuditEntry[]> {
  const where = ['tenant = $1'];
  const params: (string | bigint)[] = [query.tenant];
  if (query.before !== undefined) {
    const t = `$${params.push(BigInt(query.before))}`;
    if (query.beforeId === undefined) where.push(`time < ${t}`);
    else where.push(`(time < ${t} OR (time = ${t} AND id < $${params.push(query.beforeId)}))`);
  }
  if (query.action !== undefined) where.push(`action = $${params.push(query.action)}`);
  if (query.actor !== undefined) where.push(`actor = $${params.push(query.actor)}`);
  const reader = await conn.runAndReadAll(`SELECT ${AUDIT_COLUMNS} FROM audit_log WHERE ${where.join(' AND ')} ORDER BY time DESC, id DESC LIMIT ${limit}`, params);
  return reader.getRowsJS().map(auditFromRow);
}
