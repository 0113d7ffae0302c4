/**
 * The scale-out state store: tokens, alerts, suppressions, cases, rule switches and figures,
 * users, sessions and the audit trail in PostgreSQL (docs/scaling.md, "PostgreSQL state").
 * Events stay in an EventStore (ClickHouse); `splitStore` (../split-store.ts) joins the two.
 *
 * Several Vigil roles share the database, each with its own pool. The DuckDB store got its
 * safety from one writer doing one write at a time; here each method is either one statement
 * (atomic on its own, under PostgreSQL's default READ COMMITTED) or one transaction whose
 * isolation is named where it is opened, below. Transactions that lose a lock race to another
 * role (deadlock, serialization failure) are retried whole, at most three times: they have no
 * effect outside the database, so running one again is safe.
 */
import pg from 'pg';
import type { Pool, PoolClient } from 'pg';
import { VigilError } from '../../core/errors.js';
import { alertOf, type Alert, type AlertBatch, type AlertChange, type AlertFilter, type AlertGroup, type Case, type RuleDay, type Suppression } from '../../core/alert.js';
import type { SessionRecord, UserChange, UserRecord } from '../../core/accounts.js';
import type { AuditEntry, AuditQuery } from '../../core/audit.js';
import type { RuleState } from '../../core/rule-state.js';
import type { AlertRecord, AlertSummary, AlertSummaryRequest, StateStore, TokenRecord } from '../../core/store.js';
import * as accounts from './account-queries.js';
import * as alerts from './alert-queries.js';
import * as detections from './detect-queries.js';
import { checkSummaryRequest, readAlertSummary } from './alert-summary.js';
import { migrate } from './migrate.js';
import { release, type Queryable } from './pg-query.js';
import { describeServer, failure, isRetryable, resolveOptions, type PostgresStateOptions, type ServerAddress } from './postgres-connection.js';
import { checkLimit, checkTime } from '../query-arguments.js';

export type { PostgresStateOptions } from './postgres-connection.js';

const ATTEMPTS = 3;

/**
 * Collations under which `lower()` folds all of Unicode, most preferred first: glibc's C.UTF-8
 * (simple case mapping, as DuckDB's lower(); on 155,000 entity values 4-5x cheaper than ICU),
 * then ICU's root locale. Under "C" lower() folds ASCII only.
 */
const LOWER_COLLATIONS = ['C.utf8', 'C.UTF-8', 'und-x-icu'] as const;

type Isolation = 'READ COMMITTED' | 'REPEATABLE READ READ ONLY';

export class PostgresStateStore implements StateStore {
  private closing: Promise<void> | undefined;
  private readonly running = new Set<Promise<unknown>>();
  private retried = 0;

  private constructor(
    private readonly pool: Pool,
    /** Where the store is, for messages (no password). */
    readonly server: ServerAddress,
    readonly schema: string | undefined,
    /** The collation `lower()` runs under (one of LOWER_COLLATIONS, or "default"). */
    readonly lowerCollation: string,
  ) {}

  /**
   * Connects, checks the database and migrates the schema (safe when several processes open at
   * once, see migrate.ts). Fails with `store-unavailable` and what to check when the server
   * cannot be reached within `connectTimeoutMs`.
   */
  static async open(options: PostgresStateOptions): Promise<PostgresStateStore> {
    const resolved = resolveOptions(options);
    const pool = new pg.Pool(resolved.pool);
    // An idle connection the server closed (restart, failover) is reported here and dropped by
    // the pool; the next query opens a new one. Without a listener it would crash the process.
    pool.on('error', () => undefined);
    try {
      const db = await pool.query<{ encoding: string; collation: string | null }>(
        `SELECT pg_encoding_to_char(encoding) AS encoding,
           (SELECT collname FROM pg_collation WHERE collname = ANY($1::text[]) AND collencoding IN (-1, d.encoding)
            ORDER BY array_position($1::text[], collname::text) LIMIT 1) AS collation
         FROM pg_database AS d WHERE datname = current_database()`,
        [[...LOWER_COLLATIONS]],
      );
      const info = db.rows[0];
      if (info?.encoding !== 'UTF8') {
        throw new VigilError(
          'store-unavailable',
          `${describeServer(resolved.address)} has encoding ${info?.encoding ?? 'unknown'}; Vigil needs a UTF8 database (CREATE DATABASE … ENCODING 'UTF8' TEMPLATE template0)`,
          { where: describeServer(resolved.address) },
        );
      }
      await migrate(pool, resolved.schema);
      return new PostgresStateStore(pool, resolved.address, resolved.schema, info.collation ?? 'default');
    } catch (e) {
      await pool.end().catch(() => undefined);
      throw failure('open the PostgreSQL state store', e, resolved.address);
    }
  }

  /**
   * Transactions run again since open because the server aborted them for a deadlock or a
   * serialization failure. Rows are locked in a fixed order, so this stays 0 unless something
   * outside Vigil holds locks on its tables.
   */
  get transactionRetries(): number {
    return this.retried;
  }

  // ---- tokens -------------------------------------------------------------------------------

  createToken(record: TokenRecord): Promise<void> {
    return this.statement('create a token', (db) => accounts.insertToken(db, record));
  }
  findTokenByHash(hash: string): Promise<TokenRecord | undefined> {
    return this.statement('look up a token', (db) => accounts.selectTokenByHash(db, hash));
  }
  listTokens(): Promise<readonly TokenRecord[]> {
    return this.statement('list tokens', (db) => accounts.selectTokens(db));
  }
  /** Marks the token revoked; false when no token has this id. Revoking twice is not an error. */
  revokeToken(id: string): Promise<boolean> {
    return this.statement('revoke a token', (db) => accounts.revoke(db, id));
  }

  // ---- alerts -------------------------------------------------------------------------------

  appendAlerts(records: readonly AlertRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    // One transaction: a batch with a duplicate id keeps none of its alerts.
    return this.transaction(`store ${records.length} alerts`, 'READ COMMITTED', (db) => alerts.insertAlerts(db, records.map(alertOf)));
  }

  async listAlerts(tenant: string, limit: number, filter: AlertFilter = {}): Promise<readonly Alert[]> {
    const checked = checkLimit(limit, 'limit');
    checkTime(filter.from, 'from');
    checkTime(filter.to, 'to');
    return this.statement('list alerts', (db) => alerts.selectAlerts(db, tenant, checked, filter, this.lowerCollation));
  }

  getAlert(tenant: string, id: string): Promise<Alert | undefined> {
    return this.statement('read an alert', (db) => alerts.selectAlert(db, tenant, id));
  }

  /**
   * READ COMMITTED suffices: every change is an insert, an increment or an upsert evaluated by
   * the server on the latest committed row under its row lock, so two intake processes adding
   * to one alert or one day's counters both count. Rows are locked in key order (alert-queries.ts),
   * so concurrent batches queue rather than deadlock; all of a batch or none of it is kept.
   */
  applyAlertBatch(batch: AlertBatch): Promise<void> {
    const deliveries = batch.deliveries ?? [];
    if (batch.inserts.length + batch.merges.length + batch.days.length + batch.suppressionHits.length + deliveries.length === 0) return Promise.resolve();
    return this.transaction(`store ${batch.inserts.length} alerts and ${batch.merges.length} grouped detections`, 'READ COMMITTED', async (db) => {
      await alerts.insertAlerts(db, batch.inserts);
      await alerts.applyBatchUpdates(db, batch);
      if (deliveries.length > 0) await detections.insertDeliveries(db, deliveries, Date.now());
    });
  }

  // ---- partitioned detection ------------------------------------------------------------------

  /** Of these detection ids, those an earlier alert batch recorded (delivered before). */
  deliveredDetections(ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return Promise.resolve(new Set());
    return this.statement('look up delivered detections', (db) => detections.selectDelivered(db, ids));
  }

  /** Forgets delivery ids older than `before` (epoch ms); returns how many. */
  pruneDeliveries(before: number): Promise<number> {
    return this.statement('prune delivered detection ids', (db) => detections.deleteDeliveries(db, before));
  }

  loadDetectCheckpoint(partition: number): Promise<string | undefined> {
    return this.statement(`read the checkpoint of detection partition ${partition}`, (db) => detections.selectCheckpoint(db, partition));
  }

  saveDetectCheckpoint(partition: number, checkpoint: string): Promise<void> {
    return this.statement(`save the checkpoint of detection partition ${partition}`, (db) => detections.upsertCheckpoint(db, partition, checkpoint, Date.now()));
  }

  /**
   * READ COMMITTED with the alert's row locked (SELECT … FOR UPDATE) from read to write: two
   * analysts triaging one alert at once both have their history entries kept, in commit order,
   * and an intake merge waits for the triage instead of being overwritten by it.
   */
  updateAlert(tenant: string, id: string, change: AlertChange): Promise<Alert | undefined> {
    return this.transaction('update an alert', 'READ COMMITTED', (db) => alerts.changeAlert(db, tenant, id, change));
  }

  openAlertGroups(since: number): Promise<readonly AlertGroup[]> {
    return this.statement('read open alert groups', (db) => alerts.selectOpenGroups(db, since));
  }

  saveSuppression(suppression: Suppression): Promise<void> {
    return this.statement('save a suppression', (db) => alerts.upsertSuppression(db, suppression));
  }
  listSuppressions(tenant: string): Promise<readonly Suppression[]> {
    return this.statement('list suppressions', (db) => alerts.selectSuppressions(db, tenant));
  }
  deleteSuppression(tenant: string, id: string): Promise<boolean> {
    return this.statement('delete a suppression', (db) => alerts.removeSuppression(db, tenant, id));
  }
  activeSuppressions(now: number): Promise<readonly Suppression[]> {
    return this.statement('read suppressions', (db) => alerts.selectActiveSuppressions(db, now));
  }

  /** One upsert: the whole record replaces the stored one, whichever role saves last wins. */
  saveCase(c: Case): Promise<void> {
    return this.statement('save a case', (db) => alerts.upsertCase(db, c));
  }
  getCase(tenant: string, id: string): Promise<Case | undefined> {
    return this.statement('read a case', (db) => alerts.selectCase(db, tenant, id));
  }
  async listCases(tenant: string, limit: number): Promise<readonly Case[]> {
    const checked = checkLimit(limit, 'limit');
    return this.statement('list cases', (db) => alerts.selectCases(db, tenant, checked));
  }

  ruleDays(tenant: string | undefined, fromDay: number): Promise<readonly RuleDay[]> {
    return this.statement('read rule figures', (db) => alerts.selectRuleDays(db, tenant, fromDay));
  }

  /** REPEATABLE READ, read only: the four figures are read from one snapshot. */
  async alertSummary(request: AlertSummaryRequest): Promise<AlertSummary> {
    checkSummaryRequest(request);
    return this.transaction('sum up alerts', 'REPEATABLE READ READ ONLY', (db) => readAlertSummary(db, request, this.lowerCollation));
  }

  // ---- rule switches ------------------------------------------------------------------------

  listRuleStates(tenant: string): Promise<readonly RuleState[]> {
    return this.statement('list rule switches', (db) => accounts.selectRuleStates(db, tenant));
  }
  listAllRuleStates(): Promise<readonly RuleState[]> {
    return this.statement('list rule switches', (db) => accounts.selectRuleStates(db, undefined));
  }
  /** One upsert, atomic on its own (account-queries.ts): no transaction around it is needed. */
  setRuleState(state: RuleState): Promise<void> {
    return this.statement('switch a rule', (db) => accounts.upsertRuleState(db, state));
  }

  // ---- users and sessions -------------------------------------------------------------------

  createUser(record: UserRecord): Promise<void> {
    return this.statement('create a user', (db) => accounts.insertUser(db, record));
  }
  getUser(id: string): Promise<UserRecord | undefined> {
    return this.statement('read a user', (db) => accounts.selectUser(db, 'id', id));
  }
  findUserByName(username: string): Promise<UserRecord | undefined> {
    return this.statement('look up a user', (db) => accounts.selectUser(db, 'username', username));
  }
  listUsers(): Promise<readonly UserRecord[]> {
    return this.statement('list users', (db) => accounts.selectUsers(db));
  }
  updateUser(id: string, change: UserChange): Promise<UserRecord | undefined> {
    return this.statement('update a user', (db) => accounts.changeUser(db, id, change));
  }
  /**
   * READ COMMITTED, both deletes in one transaction: no moment where the user is gone but its
   * sessions still open the console. A session created concurrently by a login that already
   * passed its password check may survive, as with DuckDB's writer; its lookups then find no user.
   */
  deleteUser(id: string): Promise<boolean> {
    return this.transaction('delete a user', 'READ COMMITTED', (db) => accounts.removeUser(db, id));
  }
  createSession(record: SessionRecord): Promise<void> {
    return this.statement('create a session', (db) => accounts.insertSession(db, record));
  }
  findSession(idHash: string): Promise<SessionRecord | undefined> {
    return this.statement('look up a session', (db) => accounts.selectSession(db, idHash));
  }
  touchSession(idHash: string, lastSeen: number): Promise<void> {
    return this.statement('note session activity', (db) => accounts.touch(db, idHash, lastSeen));
  }
  deleteSession(idHash: string): Promise<boolean> {
    return this.statement('end a session', (db) => accounts.removeSession(db, idHash));
  }
  deleteUserSessions(userId: string, keep?: string): Promise<number> {
    return this.statement("end a user's sessions", (db) => accounts.removeUserSessions(db, userId, keep));
  }
  deleteExpiredSessions(now: number, idleSince: number): Promise<number> {
    return this.statement('end expired sessions', (db) => accounts.removeExpiredSessions(db, now, idleSince));
  }

  /**
   * Holds a session advisory lock on each partition this process owns (detection partitions,
   * events partitions), on one connection of its own for as long as the process runs: a second
   * process given the same worker number (or an overlapping split) cannot start, instead of
   * applying a partition's records twice. The connection sends TCP keepalives every few seconds,
   * so the locks of a process whose machine died are freed within about half a minute; a process
   * that exits frees them at once. Waits up to `waitMs` for locks still held, then fails naming them.
   */
  async holdPartitions(locks: readonly { readonly kind: string; readonly partition: number }[], waitMs: number): Promise<{ release(): Promise<void> }> {
    const client = await this.pool.connect();
    client.on('error', () => undefined);
    const namespace = (kind: string) => `vigil:${this.schema ?? ''}:${kind}`;
    const held = new Set<number>();
    try {
      await client.query('SET tcp_keepalives_idle = 10');
      await client.query('SET tcp_keepalives_interval = 5');
      await client.query('SET tcp_keepalives_count = 3');
      const deadline = Date.now() + waitMs;
      for (;;) {
        for (const [i, lock] of locks.entries()) {
          if (held.has(i)) continue;
          const r = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(hashtext($1), $2) AS ok', [namespace(lock.kind), lock.partition]);
          if (r.rows[0]?.ok) held.add(i);
        }
        if (held.size === locks.length) break;
        if (Date.now() >= deadline) {
          const busy = locks.filter((_, i) => !held.has(i)).map((l) => `${l.kind} ${l.partition}`);
          throw new VigilError(
            'config-invalid',
            `${busy.join(', ')} ${busy.length === 1 ? 'is' : 'are'} held by another running detect process (PostgreSQL advisory locks in ${describeServer(this.server)}): ` +
              'give each detect process its own scaleOut.detect.worker, and every one the same workers and partitions',
            { where: 'vigil.yaml: scaleOut.detect.worker' },
          );
        }
        await new Promise((r) => setTimeout(r, 500));
      }
    } catch (e) {
      await client.query('SELECT pg_advisory_unlock_all()').catch(() => undefined);
      release(client, e);
      throw e;
    }
    let released = false;
    return {
      release: async () => {
        if (released) return;
        released = true;
        let failed: unknown;
        await client.query('SELECT pg_advisory_unlock_all()').catch((e: unknown) => (failed = e));
        release(client, failed);
      },
    };
  }

  // ---- audit trail --------------------------------------------------------------------------

  appendAudit(entries: readonly AuditEntry[]): Promise<void> {
    if (entries.length === 0) return Promise.resolve();
    return this.transaction(`record ${entries.length} audit entries`, 'READ COMMITTED', (db) => accounts.insertAudit(db, entries));
  }
  async listAudit(query: AuditQuery): Promise<readonly AuditEntry[]> {
    const limit = checkLimit(query.limit, 'limit');
    checkTime(query.before, 'before');
    return this.statement('read the audit trail', (db) => accounts.selectAudit(db, query, limit));
  }

  // ---- plumbing -----------------------------------------------------------------------------

  /** Waits for the calls under way, then closes every connection. Safe to call twice. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.allSettled([...this.running]);
      await this.pool.end();
    })();
    return this.closing;
  }

  /** Runs `task` on the pool: each statement is its own transaction (autocommit). */
  private statement<T>(what: string, task: (db: Queryable) => Promise<T>): Promise<T> {
    return this.track(what, () => task(this.pool));
  }

  /**
   * Runs `task` in one transaction on one connection; retried whole when the server aborted it
   * for a deadlock or a serialization failure (another role won the race).
   */
  private transaction<T>(what: string, isolation: Isolation, task: (db: PoolClient) => Promise<T>): Promise<T> {
    return this.track(what, async () => {
      for (let attempt = 1; ; attempt++) {
        const client = await this.pool.connect();
        let failed: unknown;
        try {
          await client.query(`BEGIN ISOLATION LEVEL ${isolation}`);
          const result = await task(client);
          await client.query('COMMIT');
          return result;
        } catch (e) {
          failed = e;
          const rolledBack = await client.query('ROLLBACK').then(
            () => true,
            () => false,
          );
          if (!rolledBack) failed = new Error('ROLLBACK failed');
          if (rolledBack && isRetryable(e) && attempt < ATTEMPTS) {
            this.retried++;
            continue;
          }
          throw e;
        } finally {
          release(client, failed);
        }
      }
    });
  }

  private track<T>(what: string, operation: () => Promise<T>): Promise<T> {
    if (this.closing) {
      return Promise.reject(new VigilError('store-unavailable', `cannot ${what}: the PostgreSQL state store is closed`, { where: describeServer(this.server) }));
    }
    const run = Promise.resolve().then(operation).catch((e: unknown) => {
      throw failure(what, e, this.server);
    });
    this.running.add(run);
    void run.catch(() => undefined).finally(() => this.running.delete(run));
    return run;
  }
}
