/**
 * The DuckDB store on its own thread. Building DuckDB data chunks costs ~25 µs of CPU per event
 * (measured; most of it per-value crossings into the native library), which on the ingest
 * thread capped what one process could parse and make durable. Here that work runs on the
 * second core: the calling thread pays one `JSON.stringify` per batch. Same `Store` contract,
 * proved by running the conformance suite against it.
 */
import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Event } from '../../core/event.js';
import { VigilError } from '../../core/errors.js';
import type { SearchRequest, AggregateRequest, TableResult } from '../../core/query.js';
import type { Alert, AlertBatch, AlertChange, AlertFilter, AlertGroup, Case, RuleDay, Suppression } from '../../core/alert.js';
import type { RuleState } from '../../core/rule-state.js';
import type { AlertRecord, AlertSummary, AlertSummaryRequest, SourceActivity, SourceActivityRequest, Checkpoint, EventShape, ScanPage, ScanRequest, SearchResult, Store, TokenRecord } from '../../core/store.js';
import type { DuckDbOpenOptions } from '../duckdb/duckdb-store.js';
import type { ChainReport, RetentionRequest, RetentionRun } from '../../core/history.js';
import type { SessionRecord, UserChange, UserRecord } from '../../core/accounts.js';
import type { AuditEntry, AuditQuery } from '../../core/audit.js';
import type { SerializedError, StoreCall, StoreMethod, StoreReady, StoreReply } from './store-worker-protocol.js';

// Built, the worker is the .js file beside this one. Running from sources (tests, `npm run
// bench`) it is a .ts file, and Node 20 does not carry `--import tsx` into worker threads, so a
// small bootstrap registers tsx's loader in the worker first.
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const WORKER_URL = new URL(FROM_SOURCE ? './store-worker-main.ts' : './store-worker-main.js', import.meta.url);

function startWorker(workerData: DuckDbOpenOptions): Worker {
  if (!FROM_SOURCE) return new Worker(WORKER_URL, { workerData });
  const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(WORKER_URL.href)}); });`;
  return new Worker(bootstrap, { eval: true, workerData });
}

function revive(error: SerializedError): VigilError {
  return new VigilError(error.code, error.message, error.where === undefined ? {} : { where: error.where });
}

/**
 * Files open through a WorkerStore in this process. DuckDB's file lock is per process, and each
 * worker has its own copy of the in-process guard in `duckdb-open.ts`, so two workers could
 * otherwise open one file twice and corrupt it.
 */
const openPaths = new Set<string>();

export class WorkerStore implements Store {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve(v: unknown): void; reject(e: unknown): void }>();
  #nextId = 1;
  #failure: VigilError | undefined;
  #closing: Promise<void> | undefined;
  #path = '';

  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.on('message', (reply: StoreReply) => {
      const waiter = this.#pending.get(reply.id);
      if (!waiter) return;
      this.#pending.delete(reply.id);
      if (reply.ok) waiter.resolve(reply.value);
      else waiter.reject(revive(reply.error));
    });
    const fail = (error: VigilError) => {
      this.#failure ??= error;
      for (const waiter of this.#pending.values()) waiter.reject(this.#failure);
      this.#pending.clear();
    };
    worker.on('error', (e) => fail(new VigilError('store-unavailable', `the store thread failed: ${e.message}`, { cause: e })));
    worker.on('exit', (code) => fail(new VigilError('store-unavailable', `the store thread stopped (exit code ${code})`)));
  }

  /** Starts the worker and opens the store there; rejects with the store's own error (e.g. `data-locked`). */
  static async open(options: DuckDbOpenOptions): Promise<WorkerStore> {
    const path = resolve(options.path);
    if (openPaths.has(path)) {
      throw new VigilError('data-locked', `the event store ${path} is already open in this process; close it first`, { where: path });
    }
    openPaths.add(path);
    try {
      const store = await WorkerStore.start(options);
      store.#path = path;
      return store;
    } catch (error) {
      openPaths.delete(path);
      throw error;
    }
  }

  private static async start(options: DuckDbOpenOptions): Promise<WorkerStore> {
    const worker = startWorker(options);
    const ready = await new Promise<StoreReady>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    if (!ready.ready) {
      await worker.terminate();
      throw revive(ready.error);
    }
    return new WorkerStore(worker);
  }

  #call<T>(method: StoreMethod, args: readonly unknown[], eventsJson?: string): Promise<T> {
    if (this.#failure) return Promise.reject(this.#failure);
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      const call: StoreCall = eventsJson === undefined ? { id, method, args } : { id, method, args, eventsJson };
      this.#worker.postMessage(call);
    });
  }

  appendEvents(batch: readonly Event[], checkpoint?: Checkpoint): Promise<void> {
    return this.#call('appendEvents', [undefined, checkpoint], JSON.stringify(batch));
  }
  appendAlerts(alerts: readonly AlertRecord[]): Promise<void> {
    return this.#call('appendAlerts', [alerts]);
  }
  readCheckpoint(consumer: string): Promise<Checkpoint | undefined> {
    return this.#call('readCheckpoint', [consumer]);
  }
  search(request: SearchRequest): Promise<SearchResult> {
    return this.#call('search', [request]);
  }
  aggregate(request: AggregateRequest): Promise<TableResult> {
    return this.#call('aggregate', [request]);
  }
  entityStats(tenant: string, field: string, value: string): Promise<{ events: number; first: number; last: number } | undefined> {
    return this.#call('entityStats', [tenant, field, value]);
  }
  profileEvents(tenant: string, valueFields: readonly string[]): Promise<readonly EventShape[]> {
    return this.#call('profileEvents', [tenant, valueFields]);
  }
  scanEvents(request: ScanRequest): Promise<ScanPage> {
    return this.#call('scanEvents', [request]);
  }
  countEvents(tenant: string): Promise<number> {
    return this.#call('countEvents', [tenant]);
  }
  setRuleState(state: RuleState): Promise<void> {
    return this.#call('setRuleState', [state]);
  }
  listRuleStates(tenant: string): Promise<readonly RuleState[]> {
    return this.#call('listRuleStates', [tenant]);
  }
  listAllRuleStates(): Promise<readonly RuleState[]> {
    return this.#call('listAllRuleStates', []);
  }
  createToken(record: TokenRecord): Promise<void> {
    return this.#call('createToken', [record]);
  }
  findTokenByHash(hash: string): Promise<TokenRecord | undefined> {
    return this.#call('findTokenByHash', [hash]);
  }
  listTokens(): Promise<readonly TokenRecord[]> {
    return this.#call('listTokens', []);
  }
  revokeToken(id: string): Promise<boolean> {
    return this.#call('revokeToken', [id]);
  }
  listAlerts(tenant: string, limit: number, filter?: AlertFilter): Promise<readonly Alert[]> {
    return this.#call('listAlerts', filter === undefined ? [tenant, limit] : [tenant, limit, filter]);
  }
  getAlert(tenant: string, id: string): Promise<Alert | undefined> {
    return this.#call('getAlert', [tenant, id]);
  }
  applyAlertBatch(batch: AlertBatch): Promise<void> {
    return this.#call('applyAlertBatch', [batch]);
  }
  updateAlert(tenant: string, id: string, change: AlertChange): Promise<Alert | undefined> {
    return this.#call('updateAlert', [tenant, id, change]);
  }
  openAlertGroups(since: number): Promise<readonly AlertGroup[]> {
    return this.#call('openAlertGroups', [since]);
  }
  saveSuppression(suppression: Suppression): Promise<void> {
    return this.#call('saveSuppression', [suppression]);
  }
  listSuppressions(tenant: string): Promise<readonly Suppression[]> {
    return this.#call('listSuppressions', [tenant]);
  }
  deleteSuppression(tenant: string, id: string): Promise<boolean> {
    return this.#call('deleteSuppression', [tenant, id]);
  }
  activeSuppressions(now: number): Promise<readonly Suppression[]> {
    return this.#call('activeSuppressions', [now]);
  }
  saveCase(c: Case): Promise<void> {
    return this.#call('saveCase', [c]);
  }
  getCase(tenant: string, id: string): Promise<Case | undefined> {
    return this.#call('getCase', [tenant, id]);
  }
  listCases(tenant: string, limit: number): Promise<readonly Case[]> {
    return this.#call('listCases', [tenant, limit]);
  }
  ruleDays(tenant: string | undefined, fromDay: number): Promise<readonly RuleDay[]> {
    return this.#call('ruleDays', [tenant, fromDay]);
  }
  alertSummary(request: AlertSummaryRequest): Promise<AlertSummary> {
    return this.#call('alertSummary', [request]);
  }
  sourceActivity(request: SourceActivityRequest): Promise<readonly SourceActivity[]> {
    return this.#call('sourceActivity', [request]);
  }

  verifyChain(): Promise<ChainReport> {
    return this.#call('verifyChain', []);
  }
  enforceRetention(request: RetentionRequest): Promise<RetentionRun> {
    return this.#call('enforceRetention', [request]);
  }
  listRetentionRuns(limit: number): Promise<readonly RetentionRun[]> {
    return this.#call('listRetentionRuns', [limit]);
  }

  createUser(record: UserRecord): Promise<void> {
    return this.#call('createUser', [record]);
  }
  getUser(id: string): Promise<UserRecord | undefined> {
    return this.#call('getUser', [id]);
  }
  findUserByName(username: string): Promise<UserRecord | undefined> {
    return this.#call('findUserByName', [username]);
  }
  listUsers(): Promise<readonly UserRecord[]> {
    return this.#call('listUsers', []);
  }
  updateUser(id: string, change: UserChange): Promise<UserRecord | undefined> {
    return this.#call('updateUser', [id, change]);
  }
  deleteUser(id: string): Promise<boolean> {
    return this.#call('deleteUser', [id]);
  }
  createSession(record: SessionRecord): Promise<void> {
    return this.#call('createSession', [record]);
  }
  findSession(idHash: string): Promise<SessionRecord | undefined> {
    return this.#call('findSession', [idHash]);
  }
  touchSession(idHash: string, lastSeen: number): Promise<void> {
    return this.#call('touchSession', [idHash, lastSeen]);
  }
  deleteSession(idHash: string): Promise<boolean> {
    return this.#call('deleteSession', [idHash]);
  }
  deleteUserSessions(userId: string, keep?: string): Promise<number> {
    return this.#call('deleteUserSessions', keep === undefined ? [userId] : [userId, keep]);
  }
  deleteExpiredSessions(now: number, idleSince: number): Promise<number> {
    return this.#call('deleteExpiredSessions', [now, idleSince]);
  }
  appendAudit(entries: readonly AuditEntry[]): Promise<void> {
    return this.#call('appendAudit', [entries]);
  }
  listAudit(query: AuditQuery): Promise<readonly AuditEntry[]> {
    return this.#call('listAudit', [query]);
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      if (!this.#failure) await this.#call('close', []).catch(() => {});
      await new Promise<void>((resolve) => {
        if (this.#failure) return resolve();
        this.#worker.once('exit', () => resolve());
      });
      openPaths.delete(this.#path);
    })();
    return this.#closing;
  }
}
