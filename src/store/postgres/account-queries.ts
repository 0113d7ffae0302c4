/**
 * Tokens, rule switches, users, sessions and the audit trail in PostgreSQL: the SQL of the state
 * store's account and configuration methods. Each is one statement (atomic on its own) except
 * deleting a user, which the store runs in a transaction.
 */
import type { SessionRecord, UserChange, UserRecord } from '../../core/accounts.js';
import type { AuditEntry, AuditQuery } from '../../core/audit.js';
import type { RuleState } from '../../core/rule-state.js';
import type { TokenRecord } from '../../core/store.js';
import { Params, run, valuesList, type Queryable } from './pg-query.js';
import { json } from './pg-text.js';

// ---- tokens ---------------------------------------------------------------------------------

const TOKEN_COLUMNS = 'id, name, role, tenant, hash, created, revoked';

export async function insertToken(db: Queryable, t: TokenRecord): Promise<void> {
  await run(db, `INSERT INTO tokens (${TOKEN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)`, [t.id, t.name, t.role, t.tenant, t.hash, t.created, t.revoked]);
}

export async function selectTokenByHash(db: Queryable, hash: string): Promise<TokenRecord | undefined> {
  const result = await run<TokenRecord>(db, `SELECT ${TOKEN_COLUMNS} FROM tokens WHERE hash = $1`, [hash]);
  return result.rows[0] === undefined ? undefined : { ...result.rows[0] };
}

export async function selectTokens(db: Queryable): Promise<TokenRecord[]> {
  const result = await run<TokenRecord>(db, `SELECT ${TOKEN_COLUMNS} FROM tokens ORDER BY created, id`);
  return result.rows.map((r) => ({ ...r }));
}

/** True when a token has this id, revoked before or not. */
export async function revoke(db: Queryable, id: string): Promise<boolean> {
  const result = await run(db, 'UPDATE tokens SET revoked = true WHERE id = $1', [id]);
  return (result.rowCount ?? 0) > 0;
}

// ---- rule switches --------------------------------------------------------------------------

const RULE_STATE_SELECT = 'SELECT tenant, rule_id AS "ruleId", enabled, changed, changed_by AS "changedBy" FROM rule_states';

/**
 * One upsert, atomic under READ COMMITTED: two roles switching the same rule at once serialise
 * on the row, and the later commit wins, as the later write did in DuckDB.
 */
export async function upsertRuleState(db: Queryable, s: RuleState): Promise<void> {
  await run(
    db,
    `INSERT INTO rule_states (tenant, rule_id, enabled, changed, changed_by) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (tenant, rule_id) DO UPDATE SET enabled = excluded.enabled, changed = excluded.changed, changed_by = excluded.changed_by`,
    [s.tenant, s.ruleId, s.enabled, s.changed, s.changedBy],
  );
}

export async function selectRuleStates(db: Queryable, tenant: string | undefined): Promise<RuleState[]> {
  const result =
    tenant === undefined
      ? await run<RuleState>(db, `${RULE_STATE_SELECT} ORDER BY tenant, rule_id`)
      : await run<RuleState>(db, `${RULE_STATE_SELECT} WHERE tenant = $1 ORDER BY rule_id`, [tenant]);
  return result.rows.map((r) => ({ ...r }));
}

// ---- users ----------------------------------------------------------------------------------

const USER_SELECT = `SELECT id, username, role, tenant, password_hash AS "passwordHash", must_change_password AS "mustChangePassword",
  created, last_login AS "lastLogin", disabled FROM users`;

export async function insertUser(db: Queryable, u: UserRecord): Promise<void> {
  await run(
    db,
    'INSERT INTO users (id, username, role, tenant, password_hash, must_change_password, created, last_login, disabled) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)',
    [u.id, u.username, u.role, u.tenant, u.passwordHash, u.mustChangePassword, u.created, u.lastLogin, u.disabled],
  );
}

export async function selectUser(db: Queryable, by: 'id' | 'username', value: string): Promise<UserRecord | undefined> {
  const result = await run<UserRecord>(db, `${USER_SELECT} WHERE ${by} = $1`, [value]);
  return result.rows[0] === undefined ? undefined : { ...result.rows[0] };
}

export async function selectUsers(db: Queryable): Promise<UserRecord[]> {
  const result = await run<UserRecord>(db, `${USER_SELECT} ORDER BY created, id`);
  return result.rows.map((r) => ({ ...r }));
}

/**
 * Changes what `change` names in one UPDATE … RETURNING: atomic under READ COMMITTED, so two
 * roles changing different parts of a user at once (a login's last_login, an admin's role)
 * both land; the DuckDB store read, merged and wrote under its single writer instead.
 */
export async function changeUser(db: Queryable, id: string, change: UserChange): Promise<UserRecord | undefined> {
  const p = new Params();
  const sets: string[] = [];
  if (change.role !== undefined) sets.push(`role = ${p.add(change.role)}`);
  if (change.disabled !== undefined) sets.push(`disabled = ${p.add(change.disabled)}`);
  if (change.passwordHash !== undefined) sets.push(`password_hash = ${p.add(change.passwordHash)}`);
  if (change.mustChangePassword !== undefined) sets.push(`must_change_password = ${p.add(change.mustChangePassword)}`);
  if (change.lastLogin !== undefined) sets.push(`last_login = ${p.add(change.lastLogin)}`);
  if (sets.length === 0) return selectUser(db, 'id', id);
  const result = await run<UserRecord>(
    db,
    `UPDATE users SET ${sets.join(', ')} WHERE id = ${p.add(id)}
     RETURNING id, username, role, tenant, password_hash AS "passwordHash", must_change_password AS "mustChangePassword", created, last_login AS "lastLogin", disabled`,
    p.values,
  );
  return result.rows[0] === undefined ? undefined : { ...result.rows[0] };
}

/** Deletes the user's sessions, then the user; the store runs both in one transaction. */
export async function removeUser(db: Queryable, id: string): Promise<boolean> {
  await run(db, 'DELETE FROM sessions WHERE user_id = $1', [id]);
  const result = await run(db, 'DELETE FROM users WHERE id = $1', [id]);
  return (result.rowCount ?? 0) > 0;
}

// ---- sessions -------------------------------------------------------------------------------

const SESSION_SELECT = 'SELECT id_hash AS "idHash", user_id AS "userId", created, last_seen AS "lastSeen", expires, remote FROM sessions';

export async function insertSession(db: Queryable, s: SessionRecord): Promise<void> {
  await run(db, 'INSERT INTO sessions (id_hash, user_id, created, last_seen, expires, remote) VALUES ($1, $2, $3, $4, $5, $6)', [
    s.idHash,
    s.userId,
    s.created,
    s.lastSeen,
    s.expires,
    s.remote,
  ]);
}

export async function selectSession(db: Queryable, idHash: string): Promise<SessionRecord | undefined> {
  const result = await run<SessionRecord>(db, `${SESSION_SELECT} WHERE id_hash = $1`, [idHash]);
  return result.rows[0] === undefined ? undefined : { ...result.rows[0] };
}

/** Never moves last_seen backwards, whichever role's touch commits last. */
export async function touch(db: Queryable, idHash: string, lastSeen: number): Promise<void> {
  await run(db, 'UPDATE sessions SET last_seen = greatest(last_seen, $2) WHERE id_hash = $1', [idHash, lastSeen]);
}

export async function removeSession(db: Queryable, idHash: string): Promise<boolean> {
  const result = await run(db, 'DELETE FROM sessions WHERE id_hash = $1', [idHash]);
  return (result.rowCount ?? 0) > 0;
}

export async function removeUserSessions(db: Queryable, userId: string, keep: string | undefined): Promise<number> {
  const result =
    keep === undefined
      ? await run(db, 'DELETE FROM sessions WHERE user_id = $1', [userId])
      : await run(db, 'DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2', [userId, keep]);
  return result.rowCount ?? 0;
}

export async function removeExpiredSessions(db: Queryable, now: number, idleSince: number): Promise<number> {
  const result = await run(db, 'DELETE FROM sessions WHERE expires <= $1 OR last_seen < $2', [now, idleSince]);
  return result.rowCount ?? 0;
}

// ---- audit trail ----------------------------------------------------------------------------

const AUDIT_WIDTH = 11;
/** 11 parameters a row: 1,000 rows stay far under the protocol's 65,535 parameters. */
const AUDIT_ROWS_PER_INSERT = 1000;

/** Inserts the entries; more than one statement only past 1,000 entries, then inside the caller's transaction. */
export async function insertAudit(db: Queryable, entries: readonly AuditEntry[]): Promise<void> {
  for (let start = 0; start < entries.length; start += AUDIT_ROWS_PER_INSERT) {
    const chunk = entries.slice(start, start + AUDIT_ROWS_PER_INSERT);
    await run(
      db,
      `INSERT INTO audit_log (id, time, tenant, actor, actor_kind, role, action, target, outcome, remote, details) VALUES ${valuesList(chunk.length, AUDIT_WIDTH)}`,
      chunk.flatMap((e) => [e.id, e.time, e.tenant, e.actor, e.actorKind, e.role, e.action, e.target, e.outcome, e.remote, json(e.details)]),
    );
  }
}

export async function selectAudit(db: Queryable, query: AuditQuery, limit: number): Promise<AuditEntry[]> {
  const p = new Params();
  const where = [`tenant = ${p.add(query.tenant)}`];
  if (query.before !== undefined) {
    const t = p.add(query.before);
    if (query.beforeId === undefined) where.push(`time < ${t}`);
    // A row comparison, which the (tenant, time DESC, id DESC) index serves as one range.
    else where.push(`(time, id) < (${t}, ${p.add(query.beforeId)})`);
  }
  if (query.action !== undefined) where.push(`action = ${p.add(query.action)}`);
  if (query.actor !== undefined) where.push(`actor = ${p.add(query.actor)}`);
  const result = await run<AuditEntry>(
    db,
    `SELECT id, time, tenant, actor, actor_kind AS "actorKind", role, action, target, outcome, remote, details FROM audit_log
     WHERE ${where.join(' AND ')} ORDER BY time DESC, id DESC LIMIT ${limit}`,
    p.values,
  );
  return result.rows.map((r) => ({ ...r }));
}
