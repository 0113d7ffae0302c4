/**
 * The scale-out event store: events, their chain and retention, and the consumer checkpoints,
 * in ClickHouse (docs/scaling.md, "ClickHouse events"). It runs on any ClickHouseEngine: a
 * server over HTTP in production, chdb embedded in the tests.
 *
 * Writing. ClickHouse has no transaction across statements or tables, so `appendEvents` is made
 * idempotent instead of atomic. One process writes (the store role), one batch at a time:
 * 1. Events already stored (same tenant and id) are dropped from the batch before it is
 *    linked. A batch delivered again after a crash (JetStream redelivers what was not acked) is
 *    stored once, whatever happened to its first delivery and however the redelivery is cut
 *    into batches. The lookup reads the batch's time range of the primary key and the bloom
 *    filter on `id`: ~30 ms per 5,000-event batch on 50,000 stored events (chdb, docs/scaling.md).
 * 2. The remaining events are inserted with the batch's chain number, then the batch's record,
 *    then the consumer checkpoint. A failure in 2 leaves a batch without its record; before the
 *    next write (and on open) the store removes the rows after the newest record and reloads
 *    the chain's head, so the redelivered batch is stored whole.
 * 3. Each insert carries `insert_deduplication_token` (writer session, batch number, table):
 *    a transport-level resend of the same insert is dropped by ClickHouse itself.
 * Why not ReplacingMergeTree keyed by id: duplicates would stay visible until a merge (reads
 * would need FINAL, 2-10x slower), and a merge dropping one copy would delete a chained row:
 * `verify` would report the batch it came from as tampered with. Why not the deduplication
 * token alone: a redelivery cut into different batches carries different tokens.
 *
 * Reading. Every read is one or two statements; searches and aggregations compile through
 * src/store/sql with the ClickHouse dialect, every user value a bound parameter.
 */
import { randomUUID } from 'node:crypto';
import { errorMessage, isVigilError, VigilError } from '../../core/errors.js';
import type { Event } from '../../core/event.js';
import type { ChainReport, RetentionRequest, RetentionRun } from '../../core/history.js';
import { newId } from '../../core/ids.js';
import type { AggregateRequest, SearchRequest, TableCell, TableResult } from '../../core/query.js';
import type { Checkpoint, EventShape, EventStore, ScanPage, ScanRequest, SearchResult, SourceActivity, SourceActivityRequest } from '../../core/store.js';
import { ChainWriter, type ChainOptions } from '../chain/chain-writer.js';
import { compileAggregate, eventOrder } from '../sql/aggregate-compiler.js';
import { compileFilter } from '../sql/filter-compiler.js';
import { PROMOTED_BY_FIELD } from '../sql/promoted-fields.js';
import type { SqlParams } from '../sql/sql-dialect.js';
import { WriteQueue } from '../write-queue.js';
import { clickhouseChainSink, readStoredHead, verifyClickHouseChain, type ChainTarget } from './clickhouse-chain.js';
import { byName, clickhouseDialect, clickhouseParams } from './clickhouse-dialect.js';
import type { ClickHouseEngine, QuerySettings } from './clickhouse-engine.js';
import { deleteExpired, listRuns } from './clickhouse-retention.js';
import { readEventShapes, readSourceActivity } from './console-queries.js';
import { eventRow, type EventRow } from './event-rows.js';
import { eventFromHitRow } from '../sql/hit-row.js';
import { HIT_COLUMNS, MIGRATIONS, SCHEMA_VERSION, SCHEMA_VERSION_DDL } from './schema.js';
import { checkLimit, checkTime } from '../query-arguments.js';

export interface ClickHouseEventStoreOptions extends ChainOptions {
  /**
   * A reader (the API, the CLI beside a running deployment): no migrations, no repair, every
   * write refused. Exactly one process opens a given ClickHouse database as the writer: the
   * writer's repair on open removes the rows of a batch it finds without its record, which from
   * a second writer would be the first one's batch in flight.
   */
  readonly readOnly?: boolean | undefined;
  /**
   * A backstop for retention: ClickHouse drops events received more than this many days ago
   * (table TTL), even if `enforceRetention` never ran. Those deletions leave no tombstone, so
   * `verify` reports them: set it above the longest retention rule. Undefined or 0: no TTL.
   */
  readonly ttlDays?: number | undefined;
}

const MAX_EVENTS_BY_ID = 1000;

/**
 * Every insert of events: a batch whose events span more than 100 days (a device with a wrong
 * clock) would otherwise be refused as "too many partitions" (one per day).
 */
const EVENT_INSERT_SETTINGS: QuerySettings = { throw_on_max_partitions_per_insert_block: 0 };

function checkCheckpoint(checkpoint: Checkpoint | undefined): void {
  if (checkpoint === undefined) return;
  if (typeof checkpoint.consumer !== 'string' || checkpoint.consumer.length === 0 || typeof checkpoint.position !== 'string') {
    throw new VigilError('internal', `a checkpoint needs a consumer name and a text position, got ${JSON.stringify(checkpoint)}; this is a bug in the stage that built it, please report it`);
  }
}

export class ClickHouseEventStore implements EventStore {
  private readonly queue = new WriteQueue();
  /** Retention runs and verifies, one at a time (see verifyChain). */
  private readonly history = new WriteQueue();
  private readonly reads = new Set<Promise<unknown>>();
  private closing: Promise<void> | undefined;
  private signTimer: NodeJS.Timeout | undefined;
  /** Set when a write failed midway: the next write first removes what it left (`repair`). */
  private dirty = false;
  /** Names this writer session in insert deduplication tokens; renewed by every repair. */
  private epoch = randomUUID();
  private lastVersion = 0;

  private constructor(
    private readonly engine: ClickHouseEngine,
    private chain: ChainWriter<ChainTarget>,
    private readonly options: ClickHouseEventStoreOptions,
  ) {
    if (options.readOnly) return;
    // Without it, the last batches before a quiet spell would stay unsigned until the next batch.
    this.signTimer = setInterval(() => void this.signQuietHead(), Math.max(1000, chain.everyMs / 2));
    this.signTimer.unref();
  }

  get readOnly(): boolean {
    return this.options.readOnly === true;
  }

  /** Prepares the schema (migrations, TTL), completes what a crash left, and continues the chain. */
  static async open(engine: ClickHouseEngine, options: ClickHouseEventStoreOptions = {}): Promise<ClickHouseEventStore> {
    try {
      if (options.readOnly) await checkSchema(engine);
      else {
        await migrate(engine);
        await applyTtl(engine, options.ttlDays);
      }
      const store = new ClickHouseEventStore(engine, new ChainWriter(clickhouseChainSink, await readStoredHead(engine), options), options);
      if (!options.readOnly) await store.repair();
      const [version] = await engine.rows('SELECT max(version) FROM checkpoints');
      store.lastVersion = Number(version?.[0] ?? 0);
      return store;
    } catch (e) {
      await engine.close().catch(() => undefined);
      if (isVigilError(e)) throw e;
      throw new VigilError('store-unavailable', `cannot prepare the ClickHouse event store at ${engine.where}: ${errorMessage(e)}`, { where: engine.where, cause: e });
    }
  }

  /**
   * Removes the rows of a batch whose record was never written (a write cut short), reloads the
   * chain's head from what is stored and starts a new deduplication epoch, so the batch's next
   * delivery is neither refused as a duplicate insert nor stored twice.
   */
  private async repair(): Promise<void> {
    const head = await readStoredHead(this.engine);
    await this.engine.command('DELETE FROM events WHERE batch_seq > {head:UInt64}', { head: head.batch?.seq ?? 0 });
    this.chain = new ChainWriter(clickhouseChainSink, head, this.options);
    this.epoch = randomUUID();
    this.dirty = false;
  }

  private signQuietHead(): Promise<void> {
    if (this.closing || !this.chain.headUnsignedSince(Date.now())) return Promise.resolve();
    return this.write('sign the event chain', async () => {
      const signed = await this.chain.checkpointHead(this.target(`sign-${Date.now()}`), Date.now());
      signed?.();
    }).catch(() => undefined);
  }

  private target(suffix: string | number): ChainTarget {
    return { engine: this.engine, token: `${this.epoch}:${suffix}` };
  }

  // ---- writes -------------------------------------------------------------------------------

  appendEvents(batch: readonly Event[], checkpoint?: Checkpoint): Promise<void> {
    if (batch.length === 0 && checkpoint === undefined) return Promise.resolve();
    let rows: EventRow[];
    try {
      checkCheckpoint(checkpoint);
      // Built (validated, digested) before queueing: the CPU work does not hold up other writes.
      rows = batch.map(eventRow);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.write(`store ${batch.length} events`, async () => {
      if (this.dirty) await this.repair();
      const fresh = await this.unseen(rows);
      if (fresh.length > 0) await this.appendBatch(fresh);
      if (checkpoint !== undefined) {
        this.lastVersion = Math.max(Date.now() * 1000, this.lastVersion + 1);
        await this.engine.insert('checkpoints', [{ consumer: checkpoint.consumer, position: checkpoint.position, version: this.lastVersion }]);
      }
    });
  }

  /** The rows whose event (tenant and id) is not stored yet, nor earlier in the batch. */
  private async unseen(rows: readonly EventRow[]): Promise<EventRow[]> {
    if (rows.length === 0) return [];
    let lo = Infinity;
    let hi = -Infinity;
    for (const r of rows) {
      if (r.time < lo) lo = r.time;
      if (r.time > hi) hi = r.time;
    }
    const stored = await this.engine.rows(
      'SELECT tenant, id FROM events WHERE tenant IN {tenants:Array(String)} AND time BETWEEN {lo:Int64} AND {hi:Int64} AND id IN {ids:Array(String)}',
      { tenants: [...new Set(rows.map((r) => r.tenant))], lo: BigInt(lo), hi: BigInt(hi), ids: rows.map((r) => r.id) },
    );
    const seen = new Set(stored.map(([tenant, id]) => `${String(tenant)}\u0000${String(id)}`));
    const fresh: EventRow[] = [];
    for (const r of rows) {
      const key = `${r.tenant}\u0000${r.id}`;
      if (seen.has(key)) continue;
      seen.add(key);
      fresh.push(r);
    }
    return fresh;
  }

  private async appendBatch(rows: readonly EventRow[]): Promise<void> {
    let firstTime = Infinity;
    let lastTime = -Infinity;
    for (const r of rows) {
      if (r.time < firstTime) firstTime = r.time;
      if (r.time > lastTime) lastTime = r.time;
    }
    const link = this.chain.link({ digests: rows.map((r) => r.digest), firstTime, lastTime }, Date.now());
    const target = this.target(link.seq);
    const values = rows.map((r, pos) => ({ ...r.values, batch_seq: link.seq, batch_pos: pos }));
    try {
      await this.engine.insert('events', values, { ...EVENT_INSERT_SETTINGS, insert_deduplication_token: `${target.token}:events` });
      await this.chain.insert(target, link);
    } catch (e) {
      this.dirty = true;
      throw e;
    }
    this.chain.advance(link);
  }

  enforceRetention(request: RetentionRequest): Promise<RetentionRun> {
    const id = newId();
    return this.write(`delete events under retention rule ${request.rule}`, () => this.history.run(() => deleteExpired(this.engine, request, id, this.options.chainKey)));
  }

  listRetentionRuns(limit: number): Promise<readonly RetentionRun[]> {
    const checked = checkLimit(limit, 'limit');
    return this.read('list retention runs', () => listRuns(this.engine, checked));
  }

  /**
   * Never beside a retention run of this store: without a snapshot, a run between its tombstones
   * and its record would show as tampering. Appends go on meanwhile (clickhouse-chain.ts says
   * how a batch in flight is told apart).
   */
  verifyChain(): Promise<ChainReport> {
    return this.read('verify the event chain', () => this.history.run(() => verifyClickHouseChain(this.engine, this.options.chainKey)));
  }

  // ---- reads --------------------------------------------------------------------------------

  readCheckpoint(consumer: string): Promise<Checkpoint | undefined> {
    return this.read('read a checkpoint', async () => {
      const [row] = await this.engine.rows('SELECT argMax(position, version) FROM checkpoints WHERE consumer = {consumer:String} HAVING count() > 0', { consumer });
      return row === undefined ? undefined : { consumer, position: String(row[0]) };
    });
  }

  /** The WHERE clause shared by searches and aggregations: tenant, time range, query. */
  private eventCondition(request: { tenant: string; from?: number | undefined; to?: number | undefined; query: SearchRequest['query'] }, params: SqlParams): string {
    const from = checkTime(request.from, 'from');
    const to = checkTime(request.to, 'to');
    const where = [`tenant = ${params.add(request.tenant)}`];
    if (from !== undefined) where.push(`time >= ${params.add(from)}`);
    if (to !== undefined) where.push(`time < ${params.add(to)}`);
    if (request.query.kind !== 'all') where.push(compileFilter(clickhouseDialect, request.query, params));
    return where.join(' AND ');
  }

  async search(request: SearchRequest): Promise<SearchResult> {
    const started = performance.now();
    const limit = checkLimit(request.limit, 'limit');
    const params = clickhouseParams();
    let condition = this.eventCondition(request, params);
    if (request.after !== undefined) {
      if (request.sort !== undefined) throw new VigilError('query-invalid', 'paging with "after" works in the default order only; remove the sort', { where: 'after' });
      const time = checkTime(request.after.time, 'after.time') as bigint;
      const t = params.add(time);
      condition += ` AND (time < ${t} OR (time = ${t} AND id < ${params.add(String(request.after.id))}))`;
    }
    const order = eventOrder(clickhouseDialect, request.sort);
    return this.read('search events', async () => {
      let hits: Event[] = [];
      if (limit > 0) {
        // ClickHouse reads the wide columns of the top rows only (lazy materialisation).
        const rows = await this.engine.rows(`SELECT ${HIT_COLUMNS} FROM events WHERE ${condition} ORDER BY ${order} LIMIT ${limit}`, byName(params));
        hits = rows.map(eventFromHitRow);
      }
      // Fewer hits than the limit are all the matches: the count is only needed otherwise.
      let total = hits.length;
      if (hits.length === limit) {
        const [row] = await this.engine.rows(`SELECT count() FROM events WHERE ${condition}`, byName(params));
        total = Number(row?.[0] ?? 0);
      }
      return { hits, total, tookMs: performance.now() - started };
    });
  }

  async aggregate(request: AggregateRequest): Promise<TableResult> {
    const started = performance.now();
    const params = clickhouseParams();
    const condition = this.eventCondition(request, params);
    const compiled = compileAggregate(clickhouseDialect, request, condition, params);
    return this.read('aggregate events', async () => {
      // join_use_nulls: a group without values for a metric gets NULL from its LEFT JOIN, as in
      // standard SQL (ClickHouse would give the type's default, 0 or '').
      const raw = await this.engine.rows(compiled.sql, byName(params), { join_use_nulls: 1 });
      const truncated = raw.length > request.limit;
      const rows = raw.slice(0, request.limit).map((row) =>
        row.map((value, i): TableCell => {
          if (value === null || value === undefined) return null;
          const kind = compiled.kinds[i];
          if (kind === 'time') return new Date(Number(value)).toISOString();
          if (kind === 'number') return Number(value);
          return String(value);
        }),
      );
      return { columns: compiled.columns, rows, truncated, tookMs: performance.now() - started };
    });
  }

  countEvents(tenant: string): Promise<number> {
    return this.read('count events', async () => {
      const [row] = await this.engine.rows('SELECT count() FROM events WHERE tenant = {tenant:String}', { tenant });
      return Number(row?.[0] ?? 0);
    });
  }

  eventsByIds(tenant: string, ids: readonly string[]): Promise<readonly Event[]> {
    if (ids.length > MAX_EVENTS_BY_ID) return Promise.reject(new VigilError('bad-request', `at most ${MAX_EVENTS_BY_ID} event ids at once`, { where: 'ids' }));
    const wanted = [...new Set(ids)];
    if (wanted.length === 0) return Promise.resolve([]);
    return this.read('read events by id', async () => {
      // Ids are bound as one array parameter, never spliced into SQL; the bloom filter on id finds their granules.
      const rows = await this.engine.rows(`SELECT ${HIT_COLUMNS} FROM events WHERE tenant = {tenant:String} AND id IN {ids:Array(String)}`, { tenant, ids: wanted });
      const byId = new Map(rows.map((row) => {
        const event = eventFromHitRow(row);
        return [event.id, event] as const;
      }));
      return wanted.flatMap((id) => byId.get(id) ?? []);
    });
  }

  scanEvents(request: ScanRequest): Promise<ScanPage> {
    const limit = checkLimit(request.limit, 'limit');
    // The cursor is the last event's place in the chain (batch, position): the order of storing.
    const match = /^(\d{1,15}):(\d{1,9})$/.exec(request.cursor ?? '');
    const params: Record<string, unknown> = { tenant: request.tenant, seq: match ? Number(match[1]) : 0, pos: match ? Number(match[2]) : -1 };
    const where = ['tenant = {tenant:String}', '(batch_seq, batch_pos) > ({seq:Int64}, {pos:Int64})'];
    const from = checkTime(request.from, 'from');
    const to = checkTime(request.to, 'to');
    if (from !== undefined) {
      where.push('time >= {from:Int64}');
      params['from'] = from;
    }
    if (to !== undefined) {
      where.push('time < {to:Int64}');
      params['to'] = to;
    }
    return this.read('read events in stored order', async () => {
      const rows = await this.engine.rows(`SELECT batch_seq, batch_pos, ${HIT_COLUMNS} FROM events WHERE ${where.join(' AND ')} ORDER BY batch_seq, batch_pos LIMIT ${limit}`, params);
      const last = rows.at(-1);
      return { events: rows.map((row) => eventFromHitRow(row.slice(2))), cursor: rows.length === limit && last ? `${Number(last[0])}:${Number(last[1])}` : undefined };
    });
  }

  entityStats(tenant: string, field: string, value: string): Promise<{ events: number; first: number; last: number } | undefined> {
    const promoted = PROMOTED_BY_FIELD.get(field);
    if (!promoted) return Promise.resolve(undefined);
    return this.read('count an entity', async () => {
      // Promoted columns hold lower-cased values; `has` is answered by the column's bloom filter where it has one.
      const [row] = await this.engine.rows(`SELECT count(), min(time), max(time) FROM events WHERE tenant = {tenant:String} AND has(${promoted.column}, {value:String})`, {
        tenant,
        value: value.toLowerCase(),
      });
      const n = Number(row?.[0] ?? 0);
      return { events: n, first: n === 0 ? 0 : Number(row?.[1]), last: n === 0 ? 0 : Number(row?.[2]) };
    });
  }

  profileEvents(tenant: string, valueFields: readonly string[]): Promise<readonly EventShape[]> {
    return this.read('profile events', () => readEventShapes(this.engine, tenant, valueFields));
  }

  sourceActivity(request: SourceActivityRequest): Promise<readonly SourceActivity[]> {
    return this.read('sum up sources', () => readSourceActivity(this.engine, request));
  }

  // ---- plumbing -----------------------------------------------------------------------------

  private write<T>(what: string, task: () => Promise<T>): Promise<T> {
    if (this.closing) return Promise.reject(this.closedError(what));
    if (this.readOnly) {
      return Promise.reject(new VigilError('store-unavailable', `cannot ${what}: the ClickHouse event store at ${this.engine.where} was opened read-only`, { where: this.engine.where }));
    }
    return this.queue.run(async () => {
      try {
        return await task();
      } catch (e) {
        throw this.failure(what, e);
      }
    });
  }

  private read<T>(what: string, task: () => Promise<T>): Promise<T> {
    if (this.closing) return Promise.reject(this.closedError(what));
    const run = task().catch((e: unknown) => {
      throw this.failure(what, e);
    });
    this.reads.add(run);
    void run.catch(() => undefined).finally(() => this.reads.delete(run));
    return run;
  }

  private failure(what: string, e: unknown): VigilError {
    if (isVigilError(e)) return e;
    return new VigilError('store-unavailable', `cannot ${what} in ClickHouse at ${this.engine.where}: ${errorMessage(e)}`, { where: this.engine.where, cause: e });
  }

  private closedError(what: string): VigilError {
    return new VigilError('store-unavailable', `cannot ${what}: the ClickHouse event store at ${this.engine.where} is closed`, { where: this.engine.where });
  }

  /** Waits for queued writes and running reads, signs the chain's head, then closes the engine. Safe to call twice. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.signTimer);
      await this.queue.drain();
      try {
        if (this.readOnly) throw new Error('a reader signs nothing');
        const signed = await this.chain.checkpointHead(this.target('close'), Date.now());
        signed?.();
      } catch {
        // Closing must not fail over a checkpoint: the next checkpoint covers these batches too.
      }
      await Promise.allSettled([...this.reads]);
      await this.engine.close();
    })();
    return this.closing;
  }
}

async function migrate(engine: ClickHouseEngine): Promise<void> {
  await engine.command(SCHEMA_VERSION_DDL);
  const [row] = await engine.rows('SELECT max(version) FROM schema_version');
  const current = Number(row?.[0] ?? 0);
  if (current > SCHEMA_VERSION) {
    throw new VigilError('store-unavailable', `the ClickHouse event store at ${engine.where} has schema version ${current}, newer than this Vigil knows (${SCHEMA_VERSION}); upgrade Vigil`, { where: engine.where });
  }
  for (const migration of MIGRATIONS) {
    if (migration.version <= current) continue;
    for (const statement of migration.statements) await engine.command(statement);
    await engine.insert('schema_version', [{ version: migration.version, applied: Date.now() }]);
  }
}

async function checkSchema(engine: ClickHouseEngine): Promise<void> {
  const [row] = await engine.rows(`SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = 'schema_version'`);
  const version = Number(row?.[0] ?? 0) === 0 ? 0 : Number((await engine.rows('SELECT max(version) FROM schema_version'))[0]?.[0] ?? 0);
  if (version !== SCHEMA_VERSION) {
    throw new VigilError(
      'store-unavailable',
      version === 0
        ? `the ClickHouse database at ${engine.where} holds no Vigil events yet: start the store role (the writer) first, it creates the tables`
        : `the ClickHouse event store at ${engine.where} has schema version ${version}, this Vigil reads version ${SCHEMA_VERSION}; run the same Vigil version everywhere`,
      { where: engine.where },
    );
  }
}

async function applyTtl(engine: ClickHouseEngine, days: number | undefined): Promise<void> {
  if (days === undefined || days === 0) {
    const [row] = await engine.rows(`SELECT engine_full LIKE '% TTL %' FROM system.tables WHERE database = currentDatabase() AND name = 'events'`);
    if (row?.[0] === true || row?.[0] === 1) await engine.command('ALTER TABLE events REMOVE TTL');
    return;
  }
  if (!Number.isSafeInteger(days) || days < 1) throw new VigilError('config-invalid', `the ClickHouse TTL must be a whole number of days, got ${String(days)}`, { where: 'ttlDays' });
  // Whole parts go when all their rows have expired: no rewriting of parts.
  await engine.command(`ALTER TABLE events MODIFY TTL toDateTime(intDiv(received, 1000)) + toIntervalDay(${days})`);
  await engine.command('ALTER TABLE events MODIFY SETTING ttl_only_drop_parts = 1');
}
