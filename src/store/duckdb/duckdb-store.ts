/**
 * The embedded store: one DuckDB file holding events, alerts, tokens and checkpoints.
 *
 * Connections: one writer connection, used by one write at a time (WriteQueue), so a batch's
 * BEGIN … COMMIT never interleaves with another write; every read gets its own short-lived
 * connection, so it sees only committed data and never runs inside a write's transaction.
 * DuckDB allows one writing process per file; a second process gets `data-locked`.
 */
import { resolve } from 'node:path';
import { listValue, type DuckDBAppender, type DuckDBValue, type DuckDBConnection, type DuckDBInstance, type JS } from '@duckdb/node-api';
import { errorMessage, isVigilError, VigilError } from '../../core/errors.js';
import type { Event } from '../../core/event.js';
import type { AggregateRequest, SearchRequest, TableCell, TableResult } from '../../core/query.js';
import { alertOf, withChange, type Alert, type AlertBatch, type AlertChange, type AlertFilter, type AlertGroup, type Case, type RuleDay, type Suppression } from '../../core/alert.js';
import type { RuleState } from '../../core/rule-state.js';
import type { AlertRecord, AlertSummary, AlertSummaryRequest, SourceActivity, SourceActivityRequest, Checkpoint, EventShape, ScanPage, ScanRequest, SearchResult, Store, TokenRecord } from '../../core/store.js';
import { checkEventColumns, checkSchema, createInstance, lockedError, migrate, type DuckDbOpenOptions } from './duckdb-open.js';
import { eventChunks, stampBatch, type EventRows } from './event-rows.js';
import { eventFromHitRow } from '../sql/hit-row.js';
import { ChainWriter } from './event-chain.js';
import { verifyDuckDbChain } from './chain-verifier.js';
import { deleteExpired, listRuns } from './retention-delete.js';
import type { ChainReport, RetentionRequest, RetentionRun } from '../../core/history.js';
import { newId } from '../../core/ids.js';
import { SqlParams, compileFilter } from './query-sql.js';
import { compileAggregate, eventOrder } from '../sql/aggregate-compiler.js';
import { duckdbDialect } from './duckdb-dialect.js';
import { ALERT_COLUMNS, SUPPRESSION_COLUMNS, TOKEN_COLUMNS, alertFromRow, appendAlertRow, suppressionFromRow, tokenFromRow } from './record-rows.js';
import { HIT_COLUMNS, PROMOTED_BY_FIELD } from './schema.js';
import { WriteQueue } from '../write-queue.js';
import { readAlertSummary, readSourceActivity } from './console-queries.js';
import type { SessionRecord, UserChange, UserRecord } from '../../core/accounts.js';
import type { AuditEntry, AuditQuery } from '../../core/audit.js';
import * as accounts from './account-rows.js';
import { checkLimit, checkTime, MAX_RESULT_LIMIT } from '../query-arguments.js';

export type { DuckDbOpenOptions } from './duckdb-open.js';


/** Files open in this process. DuckDB's file lock is per process, so it cannot catch these. */
const openInThisProcess = new Set<string>();

/** Drops what an appender buffered after a failure; the transaction is rolled back anyway. */
function discard(appender: DuckDBAppender): void {
  try {
    appender.clear();
    appender.closeSync();
  } catch {
    // The appender may already be closed or poisoned by the error being reported.
  }
}

const MAX_EVENTS_BY_ID = 1000;

const RULE_STATE_COLUMNS = 'tenant, rule_id, enabled, changed, changed_by';

function ruleStateFromRow(row: readonly unknown[]): RuleState {
  return { tenant: String(row[0]), ruleId: String(row[1]), enabled: Boolean(row[2]), changed: Number(row[3]), changedBy: String(row[4]) };
}

export class DuckDbStore implements Store {
  private readonly queue = new WriteQueue();
  private readonly reads = new Set<Promise<unknown>>();
  private closing: Promise<void> | undefined;
  /** Signs the chain's head when ingest goes quiet (checkpoints otherwise come with batches). */
  private signTimer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly writer: DuckDBConnection | undefined,
    /** Absolute path of the DuckDB file. */
    readonly path: string,
    /** The head of the event chain; only a writable store extends it. */
    private readonly chain: ChainWriter | undefined,
    private readonly chainKey: Uint8Array | undefined,
  ) {
    if (chain !== undefined) {
      // Without it, the last batches before a quiet spell would stay unsigned until the next batch.
      this.signTimer = setInterval(() => void this.signQuietHead(), Math.max(1000, chain.everyMs / 2));
      this.signTimer.unref();
    }
  }

  private signQuietHead(): Promise<void> {
    const chain = this.chain;
    if (chain === undefined || this.closing || !chain.headUnsignedSince(Date.now())) return Promise.resolve();
    return this.write('sign the event chain', (conn) => chain.checkpointHead(conn, Date.now()), (signed) => signed?.())
      .then(() => undefined)
      .catch(() => undefined);
  }

  static async open(options: DuckDbOpenOptions): Promise<DuckDbStore> {
    const path = resolve(options.path);
    if (openInThisProcess.has(path)) throw lockedError(path, 'another store opened by this same process');
    // Claimed before the first await, so two opens racing in one process cannot both pass.
    openInThisProcess.add(path);
    let instance: DuckDBInstance;
    try {
      instance = await createInstance(path, options);
    } catch (e) {
      openInThisProcess.delete(path);
      throw e;
    }
    let conn: DuckDBConnection | undefined;
    try {
      conn = await instance.connect();
      if (options.readOnly) await checkSchema(conn, path);
      else await migrate(conn, path);
      await checkEventColumns(conn, path);
      const chain = options.readOnly ? undefined : await ChainWriter.load(conn, options);
      if (options.readOnly) {
        conn.closeSync();
        conn = undefined;
      }
      // A worker thread receives the key as a plain Uint8Array: either works with node:crypto.
      return new DuckDbStore(instance, conn, path, chain, options.chainKey === undefined ? undefined : Uint8Array.from(options.chainKey));
    } catch (e) {
      conn?.closeSync();
      instance.closeSync();
      openInThisProcess.delete(path);
      if (isVigilError(e)) throw e;
      throw new VigilError('store-unavailable', `cannot prepare the event store ${path}: ${errorMessage(e)}`, { where: path, cause: e });
    }
  }

  get readOnly(): boolean {
    return this.writer === undefined;
  }

  // ---- writes -------------------------------------------------------------------------------

  appendEvents(batch: readonly Event[], checkpoint?: Checkpoint): Promise<void> {
    if (batch.length === 0 && checkpoint === undefined) return Promise.resolve();
    let rows: EventRows;
    try {
      // Built (and validated, and digested) before queueing: the CPU work does not hold up other writers.
      rows = eventChunks(batch);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.write(
      `store ${batch.length} events`,
      async (conn) => {
        const link = rows.chunks.length > 0 && this.chain ? this.chain.link(rows, Date.now()) : undefined;
        if (link !== undefined) {
          // Only now, in the write's turn, is the batch's place in the chain known.
          stampBatch(rows, link.seq);
          const appender = await conn.createAppender('events');
          try {
            for (const chunk of rows.chunks) appender.appendDataChunk(chunk);
            appender.closeSync();
          } catch (e) {
            discard(appender);
            throw e;
          }
          await this.chain?.insert(conn, link);
        }
        if (checkpoint !== undefined) {
          await conn.run(
            'INSERT INTO checkpoints (consumer, position) VALUES ($1, $2) ON CONFLICT (consumer) DO UPDATE SET position = excluded.position',
            [checkpoint.consumer, checkpoint.position],
          );
        }
        return link;
      },
      (link) => {
        if (link !== undefined) this.chain?.advance(link);
      },
    ).then(() => undefined);
  }

  enforceRetention(request: RetentionRequest): Promise<RetentionRun> {
    const id = newId();
    return this.write(`delete events under retention rule ${request.rule}`, (conn) => deleteExpired(conn, request, id, this.chainKey), undefined, async (conn) => {
      // Folds the deletion into the file now, so its blocks are free for the next appends
      // instead of waiting for the WAL to reach checkpoint_threshold.
      await conn.run('CHECKPOINT').catch(() => undefined);
    });
  }

  listRetentionRuns(limit: number): Promise<readonly RetentionRun[]> {
    const checked = checkLimit(limit, 'limit');
    return this.read('list retention runs', (conn) => listRuns(conn, checked));
  }

  verifyChain(): Promise<ChainReport> {
    return this.read('verify the event chain', (conn) => verifyDuckDbChain(conn, this.chainKey));
  }

  appendAlerts(alerts: readonly AlertRecord[]): Promise<void> {
    if (alerts.length === 0) return Promise.resolve();
    return this.write(`store ${alerts.length} alerts`, (conn) => insertAlerts(conn, alerts.map(alertOf)));
  }

  applyAlertBatch(batch: AlertBatch): Promise<void> {
    if (batch.inserts.length + batch.merges.length + batch.days.length + batch.suppressionHits.length === 0) return Promise.resolve();
    return this.write(`store ${batch.inserts.length} alerts and ${batch.merges.length} grouped detections`, async (conn) => {
      await insertAlerts(conn, batch.inserts);
      for (const m of batch.merges) {
        // Event ids of a long-running group are capped: the newest 1,000 are kept.
        await conn.run(
          `UPDATE alerts SET count = count + $3, last_seen = greatest(last_seen, $4), event_ids = list_slice(list_concat(event_ids, $5::VARCHAR[]), -1000, -1)
           WHERE tenant = $1 AND id = $2`,
          [m.tenant, m.id, BigInt(m.add), BigInt(m.lastSeen), listValue([...m.eventIds])],
        );
      }
      for (const d of batch.days) {
        await conn.run(
          `INSERT INTO rule_days (tenant, rule_id, day, raised, grouped, suppressed, throttled) VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (tenant, rule_id, day) DO UPDATE SET raised = raised + excluded.raised, grouped = grouped + excluded.grouped,
             suppressed = suppressed + excluded.suppressed, throttled = throttled + excluded.throttled`,
          [d.tenant, d.ruleId, BigInt(d.day), BigInt(d.raised), BigInt(d.grouped), BigInt(d.suppressed), BigInt(d.throttled)],
        );
      }
      for (const h of batch.suppressionHits) {
        await conn.run('UPDATE suppressions SET hits = hits + $3 WHERE tenant = $1 AND id = $2', [h.tenant, h.id, BigInt(h.add)]);
      }
    });
  }

  updateAlert(tenant: string, id: string, change: AlertChange): Promise<Alert | undefined> {
    return this.write('update an alert', async (conn) => {
      const found = await conn.runAndReadAll(`SELECT ${ALERT_COLUMNS} FROM alerts WHERE tenant = $1 AND id = $2`, [tenant, id]);
      const row = found.getRowsJS()[0];
      if (row === undefined) return undefined;
      const next = withChange(alertFromRow(row), change);
      await conn.run('UPDATE alerts SET state = $3, assignee = $4, verdict = $5, updated = $6, history = $7 WHERE tenant = $1 AND id = $2', [
        tenant,
        id,
        next.state,
        next.assignee,
        next.verdict,
        BigInt(next.updated),
        JSON.stringify(next.history),
      ]);
      return next;
    });
  }

  getAlert(tenant: string, id: string): Promise<Alert | undefined> {
    return this.read('read an alert', async (conn) => {
      const reader = await conn.runAndReadAll(`SELECT ${ALERT_COLUMNS} FROM alerts WHERE tenant = $1 AND id = $2`, [tenant, id]);
      const row = reader.getRowsJS()[0];
      return row === undefined ? undefined : alertFromRow(row);
    });
  }

  openAlertGroups(since: number): Promise<readonly AlertGroup[]> {
    return this.read('read open alert groups', async (conn) => {
      const reader = await conn.runAndReadAll(
        `SELECT tenant, group_key, id, last_seen, len(event_ids) FROM alerts WHERE state <> 'closed' AND group_key <> '' AND last_seen >= $1`,
        [BigInt(since)],
      );
      return reader.getRowsJS().map(([tenant, groupKey, id, lastSeen, n]) => ({ tenant: String(tenant), groupKey: String(groupKey), id: String(id), lastSeen: Number(lastSeen), eventIds: Number(n) }));
    });
  }

  saveSuppression(s: Suppression): Promise<void> {
    return this.write('save a suppression', async (conn) => {
      await conn.run(`INSERT OR REPLACE INTO suppressions (${SUPPRESSION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, [
        s.id,
        s.tenant,
        BigInt(s.created),
        s.author,
        s.reason,
        s.ruleId ?? null,
        JSON.stringify(s.fields),
        s.expires === undefined ? null : BigInt(s.expires),
        BigInt(s.hits),
      ]);
    });
  }

  listSuppressions(tenant: string): Promise<readonly Suppression[]> {
    return this.read('list suppressions', async (conn) => {
      const reader = await conn.runAndReadAll(`SELECT ${SUPPRESSION_COLUMNS} FROM suppressions WHERE tenant = $1 ORDER BY created DESC, id`, [tenant]);
      return reader.getRowsJS().map(suppressionFromRow);
    });
  }

  activeSuppressions(now: number): Promise<readonly Suppression[]> {
    return this.read('read suppressions', async (conn) => {
      const reader = await conn.runAndReadAll(`SELECT ${SUPPRESSION_COLUMNS} FROM suppressions WHERE expires IS NULL OR expires > $1`, [BigInt(now)]);
      return reader.getRowsJS().map(suppressionFromRow);
    });
  }

  deleteSuppression(tenant: string, id: string): Promise<boolean> {
    return this.write('delete a suppression', async (conn) => {
      const result = await conn.run('DELETE FROM suppressions WHERE tenant = $1 AND id = $2', [tenant, id]);
      return result.rowsChanged > 0;
    });
  }

  saveCase(c: Case): Promise<void> {
    return this.write('save a case', async (conn) => {
      await conn.run('INSERT OR REPLACE INTO cases (id, tenant, updated, record) VALUES ($1, $2, $3, $4)', [c.id, c.tenant, BigInt(c.updated), JSON.stringify(c)]);
    });
  }

  getCase(tenant: string, id: string): Promise<Case | undefined> {
    return this.read('read a case', async (conn) => {
      const reader = await conn.runAndReadAll('SELECT record FROM cases WHERE tenant = $1 AND id = $2', [tenant, id]);
      const row = reader.getRowsJS()[0];
      return row === undefined ? undefined : (JSON.parse(String(row[0])) as Case);
    });
  }

  listCases(tenant: string, limit: number): Promise<readonly Case[]> {
    const checked = checkLimit(limit, 'limit');
    return this.read('list cases', async (conn) => {
      const reader = await conn.runAndReadAll(`SELECT record FROM cases WHERE tenant = $1 ORDER BY updated DESC, id DESC LIMIT ${checked}`, [tenant]);
      return reader.getRowsJS().map((row) => JSON.parse(String(row[0])) as Case);
    });
  }

  ruleDays(tenant: string | undefined, fromDay: number): Promise<readonly RuleDay[]> {
    return this.read('read rule figures', async (conn) => {
      const reader = await conn.runAndReadAll(
        `SELECT tenant, rule_id, day, raised, grouped, suppressed, throttled FROM rule_days WHERE day >= $1 ${tenant === undefined ? '' : 'AND tenant = $2'} ORDER BY day, rule_id`,
        tenant === undefined ? [BigInt(fromDay)] : [BigInt(fromDay), tenant],
      );
      return reader.getRowsJS().map(([t, ruleId, day, raised, grouped, suppressed, throttled]) => ({
        tenant: String(t),
        ruleId: String(ruleId),
        day: Number(day),
        raised: Number(raised),
        grouped: Number(grouped),
        suppressed: Number(suppressed),
        throttled: Number(throttled),
      }));
    });
  }

  alertSummary(request: AlertSummaryRequest): Promise<AlertSummary> {
    return this.read('sum up alerts', (conn) => readAlertSummary(conn, request));
  }

  sourceActivity(request: SourceActivityRequest): Promise<readonly SourceActivity[]> {
    return this.read('sum up sources', (conn) => readSourceActivity(conn, request));
  }

  setRuleState(state: RuleState): Promise<void> {
    return this.write('switch a rule', async (conn) => {
      await conn.run(
        `INSERT INTO rule_states (tenant, rule_id, enabled, changed, changed_by) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (tenant, rule_id) DO UPDATE SET enabled = excluded.enabled, changed = excluded.changed, changed_by = excluded.changed_by`,
        [state.tenant, state.ruleId, state.enabled, BigInt(state.changed), state.changedBy],
      );
    });
  }

  listRuleStates(tenant: string): Promise<readonly RuleState[]> {
    return this.read('list rule switches', async (conn) => {
      const reader = await conn.runAndReadAll(`SELECT ${RULE_STATE_COLUMNS} FROM rule_states WHERE tenant = $1 ORDER BY rule_id`, [tenant]);
      return reader.getRowsJS().map(ruleStateFromRow);
    });
  }

  listAllRuleStates(): Promise<readonly RuleState[]> {
    return this.read('list rule switches', async (conn) => {
      const reader = await conn.runAndReadAll(`SELECT ${RULE_STATE_COLUMNS} FROM rule_states ORDER BY tenant, rule_id`);
      return reader.getRowsJS().map(ruleStateFromRow);
    });
  }

  createToken(record: TokenRecord): Promise<void> {
    return this.write('create a token', async (conn) => {
      await conn.run(`INSERT INTO tokens (${TOKEN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)`, [
        record.id,
        record.name,
        record.role,
        record.tenant,
        record.hash,
        BigInt(record.created),
        record.revoked,
      ]);
    });
  }

  /** Marks the token revoked; false when no token has this id. Revoking twice is not an error. */
  revokeToken(id: string): Promise<boolean> {
    return this.write('revoke a token', async (conn) => {
      const result = await conn.run('UPDATE tokens SET revoked = true WHERE id = $1', [id]);
      return result.rowsChanged > 0;
    });
  }

  // ---- users, sessions, audit trail (account-rows.ts) --------------------------------------

  createUser(record: UserRecord): Promise<void> {
    return this.write('create a user', (conn) => accounts.insertUser(conn, record));
  }
  getUser(id: string): Promise<UserRecord | undefined> {
    return this.read('read a user', (conn) => accounts.selectUser(conn, 'id', id));
  }
  findUserByName(username: string): Promise<UserRecord | undefined> {
    return this.read('look up a user', (conn) => accounts.selectUser(conn, 'username', username));
  }
  listUsers(): Promise<readonly UserRecord[]> {
    return this.read('list users', (conn) => accounts.selectUsers(conn));
  }
  updateUser(id: string, change: UserChange): Promise<UserRecord | undefined> {
    return this.write('update a user', (conn) => accounts.changeUser(conn, id, change));
  }
  deleteUser(id: string): Promise<boolean> {
    return this.write('delete a user', (conn) => accounts.removeUser(conn, id));
  }
  createSession(record: SessionRecord): Promise<void> {
    return this.write('create a session', (conn) => accounts.insertSession(conn, record));
  }
  findSession(idHash: string): Promise<SessionRecord | undefined> {
    return this.read('look up a session', (conn) => accounts.selectSession(conn, idHash));
  }
  touchSession(idHash: string, lastSeen: number): Promise<void> {
    return this.write('note session activity', (conn) => accounts.touch(conn, idHash, lastSeen));
  }
  deleteSession(idHash: string): Promise<boolean> {
    return this.write('end a session', (conn) => accounts.removeSession(conn, idHash));
  }
  deleteUserSessions(userId: string, keep?: string): Promise<number> {
    return this.write("end a user's sessions", (conn) => accounts.removeUserSessions(conn, userId, keep));
  }
  deleteExpiredSessions(now: number, idleSince: number): Promise<number> {
    return this.write('end expired sessions', (conn) => accounts.removeExpiredSessions(conn, now, idleSince));
  }
  appendAudit(entries: readonly AuditEntry[]): Promise<void> {
    if (entries.length === 0) return Promise.resolve();
    return this.write(`record ${entries.length} audit entries`, (conn) => accounts.insertAudit(conn, entries));
  }
  listAudit(query: AuditQuery): Promise<readonly AuditEntry[]> {
    const limit = checkLimit(query.limit, 'limit');
    checkTime(query.before, 'before');
    return this.read('read the audit trail', (conn) => accounts.selectAudit(conn, query, limit));
  }

  /**
   * Runs `task` in one transaction on the writer connection, after every earlier write.
   * `committed` runs right after the COMMIT, before the next write starts (in-memory state that
   * must follow the file, such as the chain's head); `after` then runs outside the transaction.
   */
  private write<T>(what: string, task: (conn: DuckDBConnection) => Promise<T>, committed?: (result: T) => void, after?: (conn: DuckDBConnection) => Promise<void>): Promise<T> {
    const writer = this.writer;
    if (writer === undefined) {
      return Promise.reject(
        new VigilError('store-unavailable', `cannot ${what}: the event store ${this.path} was opened read-only`, { where: this.path }),
      );
    }
    if (this.closing) return Promise.reject(this.closedError(what));
    return this.queue.run(async () => {
      await writer.run('BEGIN TRANSACTION');
      try {
        const result = await task(writer);
        await writer.run('COMMIT');
        committed?.(result);
        await after?.(writer);
        return result;
      } catch (e) {
        // After a failed COMMIT DuckDB has already rolled back; this ROLLBACK then fails harmlessly.
        await writer.run('ROLLBACK').catch(() => undefined);
        throw this.failure(what, e);
      }
    });
  }

  private failure(what: string, e: unknown): VigilError {
    if (isVigilError(e)) return e;
    const message = errorMessage(e);
    if (/Constraint Error|Duplicate key/i.test(message)) {
      return new VigilError('bad-request', `cannot ${what}: a record with the same id${what.includes('token') ? ' or secret' : ''} already exists (${message})`, {
        cause: e,
      });
    }
    return new VigilError('store-unavailable', `cannot ${what} in ${this.path}: ${message}; nothing of this write was kept`, {
      where: this.path,
      cause: e,
    });
  }

  private closedError(what: string): VigilError {
    return new VigilError('store-unavailable', `cannot ${what}: the event store ${this.path} is closed`, { where: this.path });
  }

  // ---- reads --------------------------------------------------------------------------------

  /** Runs `task` on a fresh connection, which sees only committed data. */
  private read<T>(what: string, task: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    if (this.closing) return Promise.reject(this.closedError(what));
    const run = (async () => {
      const conn = await this.instance.connect();
      try {
        return await task(conn);
      } catch (e) {
        if (isVigilError(e)) throw e;
        throw new VigilError('store-unavailable', `cannot ${what} in ${this.path}: ${errorMessage(e)}`, { where: this.path, cause: e });
      } finally {
        conn.closeSync();
      }
    })();
    this.reads.add(run);
    void run.catch(() => undefined).finally(() => this.reads.delete(run));
    return run;
  }

  readCheckpoint(consumer: string): Promise<Checkpoint | undefined> {
    return this.read('read a checkpoint', async (conn) => {
      const reader = await conn.runAndReadAll('SELECT position FROM checkpoints WHERE consumer = $1', [consumer]);
      const row = reader.getRowsJS()[0];
      return row === undefined ? undefined : { consumer, position: String(row[0]) };
    });
  }

  /** The WHERE clause shared by searches and aggregations: tenant, time range, query. */
  private eventCondition(request: { tenant: string; from?: number | undefined; to?: number | undefined; query: SearchRequest['query'] }, params: SqlParams): string {
    const from = checkTime(request.from, 'from');
    const to = checkTime(request.to, 'to');
    const where = [`tenant = ${params.add(request.tenant)}`];
    if (from !== undefined) where.push(`time >= CAST(${params.add(from)} AS BIGINT)`);
    if (to !== undefined) where.push(`time < CAST(${params.add(to)} AS BIGINT)`);
    if (request.query.kind !== 'all') where.push(compileFilter(request.query, params));
    return where.join(' AND ');
  }

  async search(request: SearchRequest): Promise<SearchResult> {
    const started = performance.now();
    const limit = checkLimit(request.limit, 'limit');
    const params = new SqlParams();
    let condition = this.eventCondition(request, params);
    if (request.after !== undefined) {
      if (request.sort !== undefined) throw new VigilError('query-invalid', 'paging with "after" works in the default order only; remove the sort', { where: 'after' });
      const time = checkTime(request.after.time, 'after.time') as bigint;
      const t = params.add(time);
      condition += ` AND (time < CAST(${t} AS BIGINT) OR (time = CAST(${t} AS BIGINT) AND id < ${params.add(String(request.after.id))}))`;
    }
    const order = eventOrder(duckdbDialect, request.sort);
    return this.read('search events', async (conn) => {
      // One snapshot for the statements below (top rowids, their columns, the count).
      await conn.run('BEGIN TRANSACTION');
      try {
        let hits: Event[] = [];
        if (limit > 0 && request.sort === undefined && request.query.kind !== 'all') {
          // A filter that must read text or JSON costs a full scan, and the top rows and the
          // count were two of them. One pass keeps the count and the newest `limit` rowids
          // (by time, then id, as the default order): a free-text search on 10M events went
          // from two scans to one (bench/history-bench.ts).
          const reader = await conn.runAndReadAll(
            `SELECT count(*), max_by(rowid, struct_pack(t := time, i := id), ${limit}) FROM events WHERE ${condition}`,
            params.values,
          );
          const [count, rowids] = reader.getRowsJS()[0] ?? [0, null];
          const top = Array.isArray(rowids) ? rowids.map((rowid) => [rowid]) : [];
          hits = await fetchHits(conn, top);
          return { hits, total: Number(count ?? 0), tookMs: performance.now() - started };
        }
        if (limit > 0) {
          // Late materialisation by hand: pick the top rows reading only the filter and sort
          // columns, then fetch the wide columns for those rows alone (measured 2-3x faster).
          const top = await conn.runAndReadAll(`SELECT rowid FROM events WHERE ${condition} ORDER BY ${order} LIMIT ${limit}`, params.values);
          hits = await fetchHits(conn, top.getRowsJS());
        }
        // Fewer hits than the limit are all the matches: the second scan is only needed otherwise.
        let total = hits.length;
        if (hits.length === limit) {
          const countReader = await conn.runAndReadAll(`SELECT count(*) FROM events WHERE ${condition}`, params.values);
          total = Number(countReader.getRowsJS()[0]?.[0] ?? 0);
        }
        return { hits, total, tookMs: performance.now() - started };
      } finally {
        await conn.run('COMMIT').catch(() => undefined);
      }
    });
  }

  async aggregate(request: AggregateRequest): Promise<TableResult> {
    const started = performance.now();
    const params = new SqlParams();
    const condition = this.eventCondition(request, params);
    const compiled = compileAggregate(duckdbDialect, request, condition, params);
    return this.read('aggregate events', async (conn) => {
      const reader = await conn.runAndReadAll(compiled.sql, params.values);
      const raw = reader.getRowsJS();
      const truncated = raw.length > request.limit;
      const rows = raw.slice(0, request.limit).map((row) =>
        row.map((value, i): TableCell => {
          if (value === null || value === undefined) return null;
          const kind = compiled.kinds[i];
          if (kind === 'time') return new Date(Number(value)).toISOString();
          if (kind === 'number') return typeof value === 'bigint' || typeof value === 'number' ? Number(value) : Number(String(value));
          return String(value);
        }),
      );
      return { columns: compiled.columns, rows, truncated, tookMs: performance.now() - started };
    });
  }

  countEvents(tenant: string): Promise<number> {
    return this.read('count events', async (conn) => {
      const reader = await conn.runAndReadAll('SELECT count(*) FROM events WHERE tenant = $1', [tenant]);
      return Number(reader.getRowsJS()[0]?.[0] ?? 0);
    });
  }

  eventsByIds(tenant: string, ids: readonly string[]): Promise<readonly Event[]> {
    if (ids.length > MAX_EVENTS_BY_ID) throw new VigilError('bad-request', `at most ${MAX_EVENTS_BY_ID} event ids at once`, { where: 'ids' });
    const wanted = [...new Set(ids)];
    if (wanted.length === 0) return Promise.resolve([]);
    return this.read('read events by id', async (conn) => {
      // Ids are bound as one list parameter: never spliced into SQL.
      const reader = await conn.runAndReadAll(`SELECT ${HIT_COLUMNS} FROM events WHERE tenant = $1 AND list_contains($2::VARCHAR[], id)`, [tenant, listValue(wanted)]);
      const byId = new Map(reader.getRowsJS().map((row) => {
        const event = eventFromHitRow(row);
        return [event.id, event] as const;
      }));
      return ids.flatMap((id, i) => (ids.indexOf(id) === i && byId.has(id) ? [byId.get(id)!] : []));
    });
  }

  scanEvents(request: ScanRequest): Promise<ScanPage> {
    const limit = checkLimit(request.limit, 'limit');
    const after = request.cursor === undefined ? -1n : BigInt(/^\d{1,19}$/.test(request.cursor) ? request.cursor : '-1');
    return this.read('read events in stored order', async (conn) => {
      // rowid is the insertion order of this append-only table: the order the pipeline stored,
      // and detected, the events in.
      const where = ['tenant = $1', 'rowid > $2'];
      const params: (string | bigint)[] = [request.tenant, after];
      if (request.from !== undefined) where.push(`time >= $${params.push(BigInt(request.from))}`);
      if (request.to !== undefined) where.push(`time < $${params.push(BigInt(request.to))}`);
      const reader = await conn.runAndReadAll(`SELECT rowid, ${HIT_COLUMNS} FROM events WHERE ${where.join(' AND ')} ORDER BY rowid LIMIT ${limit}`, params);
      const rows = reader.getRowsJS();
      const events = rows.map((row) => eventFromHitRow(row.slice(1)));
      const last = rows.at(-1);
      return { events, cursor: rows.length === limit && last ? String(last[0]) : undefined };
    });
  }

  entityStats(tenant: string, field: string, value: string): Promise<{ events: number; first: number; last: number } | undefined> {
    const promoted = PROMOTED_BY_FIELD.get(field);
    if (!promoted) return Promise.resolve(undefined);
    return this.read('count an entity', async (conn) => {
      // Promoted columns hold lower-cased values (schema.ts): one list_contains scan.
      const reader = await conn.runAndReadAll(`SELECT count(*), min(time), max(time) FROM events WHERE tenant = $1 AND list_contains(${promoted.column}, $2)`, [tenant, value.toLowerCase()]);
      const [n, first, last] = reader.getRowsJS()[0] ?? [0, null, null];
      return { events: Number(n), first: first === null ? 0 : Number(first), last: last === null ? 0 : Number(last) };
    });
  }

  profileEvents(tenant: string, valueFields: readonly string[]): Promise<readonly EventShape[]> {
    return this.read('profile events', async (conn) => {
      // One pass: events grouped by their set of field names and the values that decide their
      // log sources. A text message lives in its own column, not the JSON: counted as a field. Measured: 0.2 s for 100,000 events of 50 shapes on this 2-core machine.
      const paths = valueFields.map((f) => `$."${f.replace(/["\\]/g, (c) => `\\${c}`)}"`);
      const values = paths.length === 0 ? `[]::VARCHAR[]` : `json_extract_string(fields, $2::VARCHAR[])`;
      const reader = await conn.runAndReadAll(
        `SELECT format, source_kind, list_sort(list_distinct(json_keys(fields) || CASE WHEN message IS NULL THEN []::VARCHAR[] ELSE ['message'] END)) AS keys, ${values} AS vals, count(*) AS n, min(time) AS first, max(time) AS last
         FROM events WHERE tenant = $1 GROUP BY ALL ORDER BY n DESC`,
        paths.length === 0 ? [tenant] : [tenant, listValue(paths)],
      );
      return reader.getRowsJS().map((row) => {
        const vals = (row[3] as (string | null)[] | null) ?? [];
        return {
          format: String(row[0]),
          sourceKind: String(row[1]),
          fields: ((row[2] as string[] | null) ?? []).map(String),
          values: Object.fromEntries(valueFields.map((f, i) => [f, vals[i] ?? null])),
          count: Number(row[4]),
          first: Number(row[5]),
          last: Number(row[6]),
        };
      });
    });
  }

  findTokenByHash(hash: string): Promise<TokenRecord | undefined> {
    return this.read('look up a token', async (conn) => {
      const reader = await conn.runAndReadAll(`SELECT ${TOKEN_COLUMNS} FROM tokens WHERE hash = $1`, [hash]);
      const row = reader.getRowsJS()[0];
      return row === undefined ? undefined : tokenFromRow(row);
    });
  }

  listTokens(): Promise<readonly TokenRecord[]> {
    return this.read('list tokens', async (conn) => {
      const reader = await conn.runAndReadAll(`SELECT ${TOKEN_COLUMNS} FROM tokens ORDER BY created, id`);
      return reader.getRowsJS().map(tokenFromRow);
    });
  }

  async listAlerts(tenant: string, limit: number, filter: AlertFilter = {}): Promise<readonly Alert[]> {
    const checked = checkLimit(limit, 'limit');
    const where = ['tenant = $1'];
    const params: DuckDBValue[] = [tenant];
    if (filter.state === 'open') where.push("state <> 'closed'");
    else if (filter.state !== undefined) where.push(`state = $${params.push(filter.state)}`);
    if (filter.ruleId !== undefined) where.push(`rule_id = $${params.push(filter.ruleId)}`);
    if (filter.levels !== undefined) {
      // An empty list would be bound without an element type; no level is "none match" anyway.
      where.push(filter.levels.length === 0 ? 'false' : `list_contains($${params.push(listValue([...filter.levels]))}::VARCHAR[], level)`);
    }
    if (filter.text !== undefined) {
      const text = `$${params.push(filter.text.toLowerCase())}`;
      where.push(`(contains(lower(rule_title), ${text}) OR contains(lower(rule_id), ${text}))`);
    }
    if (filter.assignee === null) where.push('assignee IS NULL');
    else if (filter.assignee !== undefined) where.push(`assignee = $${params.push(filter.assignee)}`);
    if (filter.from !== undefined) where.push(`last_seen >= $${params.push(checkTime(filter.from, 'from') as bigint)}`);
    if (filter.to !== undefined) where.push(`first_seen < $${params.push(checkTime(filter.to, 'to') as bigint)}`);
    return this.read('list alerts', async (conn) => {
      const reader = await conn.runAndReadAll(`SELECT ${ALERT_COLUMNS} FROM alerts WHERE ${where.join(' AND ')} ORDER BY last_seen DESC, created DESC, id DESC LIMIT ${checked}`, params);
      return reader.getRowsJS().map(alertFromRow);
    });
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  /** Signs the head of the chain on the way out, so a clean shutdown leaves nothing unsigned. */
  private async checkpointAtClose(): Promise<void> {
    const writer = this.writer;
    if (writer === undefined || this.chain === undefined) return;
    try {
      await writer.run('BEGIN TRANSACTION');
      const signed = await this.chain.checkpointHead(writer, Date.now());
      await writer.run('COMMIT');
      signed?.();
    } catch {
      // Closing must not fail over a checkpoint: the next checkpoint covers these batches too.
      await writer.run('ROLLBACK').catch(() => undefined);
    }
  }

  /** Waits for queued writes and running reads, then closes the file. Safe to call twice. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.signTimer);
      await this.queue.drain();
      await this.checkpointAtClose();
      await Promise.allSettled([...this.reads]);
      this.writer?.closeSync();
      this.instance.closeSync();
      openInThisProcess.delete(this.path);
    })();
    return this.closing;
  }
}

/** Rowids per fetch statement: a whole answer in one. */
const FETCH_ROWIDS_PER_STATEMENT = MAX_RESULT_LIMIT;

/**
 * The hit rows' columns, in the order of `top` (rows of one rowid, best first).
 *
 * `WHERE rowid IN (top query)` is planned as a semi-join whose scan reads the wide columns
 * (original, message, fields) of every row between the first and last hit's rowid; hits spread
 * over a month make that most of the table. On 10M stored events (bench/history-bench.ts, 2
 * cores) that fetch took 2.7-6 s for 100 hits. A constant rowid range plus a constant rowid
 * list is pushed into the scan, which then skips every vector without a hit: 10-30 ms for
 * 100 hits, spread over the month or not. The values are BIGINTs read back from DuckDB,
 * written as integer literals: no user text reaches the SQL.
 */
async function fetchHits(conn: DuckDBConnection, top: readonly (readonly JS[])[]): Promise<Event[]> {
  const byRowid = new Map<bigint, Event>();
  for (let start = 0; start < top.length; start += FETCH_ROWIDS_PER_STATEMENT) {
    const rowids = top.slice(start, start + FETCH_ROWIDS_PER_STATEMENT).map(([rowid]) => BigInt(rowid as bigint));
    const lo = rowids.reduce((a, b) => (a < b ? a : b));
    const hi = rowids.reduce((a, b) => (a > b ? a : b));
    const reader = await conn.runAndReadAll(`SELECT rowid, ${HIT_COLUMNS} FROM events WHERE rowid BETWEEN ${lo} AND ${hi} AND rowid IN (${rowids.join(', ')})`);
    for (const row of reader.getRowsJS()) byRowid.set(BigInt(row[0] as bigint), eventFromHitRow(row.slice(1)));
  }
  return top.flatMap(([rowid]) => byRowid.get(BigInt(rowid as bigint)) ?? []);
}

async function insertAlerts(conn: DuckDBConnection, alerts: readonly Alert[]): Promise<void> {
  if (alerts.length === 0) return;
  const appender = await conn.createAppender('alerts');
  try {
    for (const alert of alerts) appendAlertRow(appender, alert);
    appender.closeSync();
  } catch (e) {
    discard(appender);
    throw e;
  }
}
