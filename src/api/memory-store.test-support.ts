/**
 * An in-memory Store for the HTTP tests: tokens and events in arrays, search by tenant and time
 * only (the query tree is recorded, not evaluated: compiling queries is the store's job and is
 * tested there). Not for production.
 */
import { alertOf, withChange, type Alert, type AlertBatch, type AlertChange, type AlertFilter, type AlertGroup, type Case, type RuleDay, type Suppression } from '../core/alert.js';
import type { Event } from '../core/event.js';
import type { AggregateRequest, SearchRequest, TableResult } from '../core/query.js';
import type { ChainReport, RetentionRequest, RetentionRun, RetentionSelector } from '../core/history.js';
import { newId } from '../core/ids.js';
import type { RuleState } from '../core/rule-state.js';
import { VigilError } from '../core/errors.js';
import type { SessionRecord, UserChange, UserRecord } from '../core/accounts.js';
import type { AuditEntry, AuditQuery } from '../core/audit.js';
import type { AlertRecord, AlertSummary, AlertSummaryRequest, SourceActivity, SourceActivityRequest, Checkpoint, EventShape, ScanPage, ScanRequest, SearchResult, Store, TokenRecord } from '../core/store.js';

export class MemoryStore implements Store {
  readonly tokens: TokenRecord[] = [];
  readonly events: Event[] = [];
  readonly alerts: Alert[] = [];
  readonly searches: SearchRequest[] = [];
  tokenLookups = 0;
  private readonly checkpoints = new Map<string, Checkpoint>();

  readonly ruleStates = new Map<string, RuleState>();
  async setRuleState(state: RuleState): Promise<void> {
    this.ruleStates.set(`${state.tenant}\u0000${state.ruleId}`, state);
  }
  async listRuleStates(tenant: string): Promise<readonly RuleState[]> {
    return [...this.ruleStates.values()].filter((s) => s.tenant === tenant).sort((a, b) => (a.ruleId < b.ruleId ? -1 : 1));
  }
  async listAllRuleStates(): Promise<readonly RuleState[]> {
    return [...this.ruleStates.values()];
  }
  async createToken(record: TokenRecord): Promise<void> {
    this.tokens.push(record);
  }
  async findTokenByHash(hash: string): Promise<TokenRecord | undefined> {
    this.tokenLookups++;
    return this.tokens.find((token) => token.hash === hash);
  }
  async listTokens(): Promise<readonly TokenRecord[]> {
    return [...this.tokens];
  }
  async revokeToken(id: string): Promise<boolean> {
    const index = this.tokens.findIndex((token) => token.id === id);
    const token = this.tokens[index];
    if (!token) return false;
    this.tokens[index] = { ...token, revoked: true };
    return true;
  }
  readonly suppressions: Suppression[] = [];
  readonly days: RuleDay[] = [];

  async appendAlerts(alerts: readonly AlertRecord[]): Promise<void> {
    this.alerts.push(...alerts.map(alertOf));
  }
  async listAlerts(tenant: string, limit: number, filter: AlertFilter = {}): Promise<readonly Alert[]> {
    return this.alerts
      .filter((a) => a.tenant === tenant)
      .filter((a) => (filter.state === undefined ? true : filter.state === 'open' ? a.state !== 'closed' : a.state === filter.state))
      .filter((a) => filter.ruleId === undefined || a.ruleId === filter.ruleId)
      .filter((a) => filter.levels === undefined || filter.levels.includes(a.level))
      .filter((a) => filter.text === undefined || a.ruleTitle.toLowerCase().includes(filter.text.toLowerCase()) || a.ruleId.toLowerCase().includes(filter.text.toLowerCase()))
      .filter((a) => filter.assignee === undefined || a.assignee === filter.assignee)
      .filter((a) => (filter.from === undefined || a.lastSeen >= filter.from) && (filter.to === undefined || a.firstSeen < filter.to))
      .sort((a, b) => b.lastSeen - a.lastSeen || b.created - a.created)
      .slice(0, limit);
  }
  async getAlert(tenant: string, id: string): Promise<Alert | undefined> {
    return this.alerts.find((a) => a.tenant === tenant && a.id === id);
  }
  async applyAlertBatch(batch: AlertBatch): Promise<void> {
    this.alerts.push(...batch.inserts);
    for (const m of batch.merges) {
      const i = this.alerts.findIndex((a) => a.tenant === m.tenant && a.id === m.id);
      const a = this.alerts[i];
      if (a) this.alerts[i] = { ...a, count: a.count + m.add, lastSeen: Math.max(a.lastSeen, m.lastSeen), eventIds: [...a.eventIds, ...m.eventIds].slice(-1000) };
    }
    this.days.push(...batch.days);
  }
  async updateAlert(tenant: string, id: string, change: AlertChange): Promise<Alert | undefined> {
    const i = this.alerts.findIndex((a) => a.tenant === tenant && a.id === id);
    const a = this.alerts[i];
    if (!a) return undefined;
    const next = withChange(a, change);
    this.alerts[i] = next;
    return next;
  }
  async openAlertGroups(since: number): Promise<readonly AlertGroup[]> {
    return this.alerts.filter((a) => a.state !== 'closed' && a.groupKey !== '' && a.lastSeen >= since).map((a) => ({ tenant: a.tenant, groupKey: a.groupKey, id: a.id, lastSeen: a.lastSeen, eventIds: a.eventIds.length }));
  }
  async saveSuppression(suppression: Suppression): Promise<void> {
    this.suppressions.push(suppression);
  }
  async listSuppressions(tenant: string): Promise<readonly Suppression[]> {
    return this.suppressions.filter((x) => x.tenant === tenant);
  }
  async deleteSuppression(tenant: string, id: string): Promise<boolean> {
    const i = this.suppressions.findIndex((x) => x.tenant === tenant && x.id === id);
    if (i < 0) return false;
    this.suppressions.splice(i, 1);
    return true;
  }
  async activeSuppressions(now: number): Promise<readonly Suppression[]> {
    return this.suppressions.filter((x) => x.expires === undefined || x.expires > now);
  }
  readonly cases = new Map<string, Case>();
  async saveCase(c: Case): Promise<void> {
    this.cases.set(c.id, c);
  }
  async getCase(tenant: string, id: string): Promise<Case | undefined> {
    const c = this.cases.get(id);
    return c && c.tenant === tenant ? c : undefined;
  }
  async listCases(tenant: string, limit: number): Promise<readonly Case[]> {
    return [...this.cases.values()].filter((c) => c.tenant === tenant).sort((a, b) => b.updated - a.updated).slice(0, limit);
  }
  async ruleDays(tenant: string | undefined, fromDay: number): Promise<readonly RuleDay[]> {
    return this.days.filter((d) => (tenant === undefined || d.tenant === tenant) && d.day >= fromDay);
  }
  /** The DuckDB store's figures, computed over the arrays (the conformance suite proves those). */
  async alertSummary(request: AlertSummaryRequest): Promise<AlertSummary> {
    const inRange = this.alerts.filter((a) => a.tenant === request.tenant && a.created >= request.from && a.created < request.to);
    const levels = new Map<string, { time: number; level: string; alerts: number }>();
    const rules = new Map<string, { ruleId: string; ruleTitle: string; ruleAuthor: string; level: string; alerts: number; detections: number; latest: number }>();
    const entities = new Map<string, { field: string; value: string; ids: Set<string> }>();
    for (const a of inRange) {
      const time = Math.floor(a.created / request.bucketMs) * request.bucketMs;
      const l = levels.get(`${time}\u0000${a.level}`) ?? { time, level: a.level, alerts: 0 };
      l.alerts++;
      levels.set(`${time}\u0000${a.level}`, l);
      const r = rules.get(a.ruleId) ?? { ruleId: a.ruleId, ruleTitle: a.ruleTitle, ruleAuthor: a.ruleAuthor, level: a.level, alerts: 0, detections: 0, latest: -Infinity };
      r.alerts++;
      r.detections += a.count;
      if (a.created >= r.latest) Object.assign(r, { ruleTitle: a.ruleTitle, ruleAuthor: a.ruleAuthor, level: a.level, latest: a.created });
      rules.set(a.ruleId, r);
      const named = a.details['entities'];
      if (named === null || typeof named !== 'object' || Array.isArray(named)) continue;
      for (const [field, raw] of Object.entries(named)) {
        for (const v of Array.isArray(raw) ? raw : [raw]) {
          if (v === null || typeof v === 'object' || v === undefined || String(v) === '') continue;
          const key = `${field}\u0000${String(v).toLowerCase()}`;
          const e = entities.get(key) ?? { field, value: String(v), ids: new Set<string>() };
          if (String(v) < e.value) e.value = String(v);
          e.ids.add(a.id);
          entities.set(key, e);
        }
      }
    }
    return {
      byLevel: [...levels.values()].sort((a, b) => a.time - b.time || (a.level < b.level ? -1 : 1)),
      topRules: [...rules.values()]
        .sort((a, b) => b.alerts - a.alerts || (a.ruleId < b.ruleId ? -1 : 1))
        .slice(0, request.topRules)
        .map(({ latest: _latest, ...r }) => r),
      topEntities: [...entities.values()]
        .map((e) => ({ field: e.field, value: e.value, alerts: e.ids.size }))
        .sort((a, b) => b.alerts - a.alerts || (a.field < b.field ? -1 : a.field > b.field ? 1 : a.value < b.value ? -1 : 1))
        .slice(0, request.topEntities),
      open: this.alerts.filter((a) => a.tenant === request.tenant && a.state !== 'closed').length,
    };
  }
  async sourceActivity(request: SourceActivityRequest): Promise<readonly SourceActivity[]> {
    const bySource = new Map<string, { input: string; kind: string; lastEvent: number; events: number; unparsed: number; firstInWindow: number | null; recentEvents: number; recentUnparsed: number; hosts: Map<string, { host: string; lastEvent: number; events: number }> }>();
    for (const e of this.events) {
      if (e.tenant !== request.tenant || e.received < request.lookbackFrom) continue;
      const key = `${e.source.input}\u0000${e.source.kind}`;
      const s = bySource.get(key) ?? { input: e.source.input, kind: e.source.kind, lastEvent: 0, events: 0, unparsed: 0, firstInWindow: null, recentEvents: 0, recentUnparsed: 0, hosts: new Map() };
      bySource.set(key, s);
      s.lastEvent = Math.max(s.lastEvent, e.received);
      if (e.received < request.windowFrom) continue;
      const unparsed = e.flags.includes('unparsed');
      s.events++;
      if (unparsed) s.unparsed++;
      s.firstInWindow = Math.min(s.firstInWindow ?? e.received, e.received);
      if (e.received >= request.recentFrom) {
        s.recentEvents++;
        if (unparsed) s.recentUnparsed++;
      }
      const named = e.fields['host.name'];
      const address = e.source.kind === 'file' || e.source.address === undefined ? undefined : e.source.address.startsWith('[') ? e.source.address.slice(1, e.source.address.indexOf(']')) : e.source.address.replace(/:[0-9]+$/, '');
      const names = named === undefined || named === null ? (address === undefined ? [] : [address]) : (Array.isArray(named) ? named : [named]).map(String);
      for (const name of names.map((n) => n.toLowerCase()).filter((n) => n !== '')) {
        const h = s.hosts.get(name) ?? { host: name, lastEvent: 0, events: 0 };
        h.events++;
        h.lastEvent = Math.max(h.lastEvent, e.received);
        s.hosts.set(name, h);
      }
    }
    return [...bySource.values()]
      .sort((a, b) => (a.input < b.input ? -1 : a.input > b.input ? 1 : a.kind < b.kind ? -1 : 1))
      .map((s) => ({ ...s, hosts: [...s.hosts.values()].sort((a, b) => b.events - a.events || (a.host < b.host ? -1 : 1)).slice(0, request.hostsPerSource) }));
  }
  async appendEvents(batch: readonly Event[], checkpoint?: Checkpoint): Promise<void> {
    if (batch.length > 0) this.batches++;
    this.events.push(...batch);
    if (checkpoint) this.checkpoints.set(checkpoint.consumer, checkpoint);
  }
  async readCheckpoint(consumer: string): Promise<Checkpoint | undefined> {
    return this.checkpoints.get(consumer);
  }
  readonly aggregations: AggregateRequest[] = [];

  /** Records the request; answers an empty table (aggregating is the real stores' job). */
  async aggregate(request: AggregateRequest): Promise<TableResult> {
    this.aggregations.push(request);
    return { columns: [], rows: [], truncated: false, tookMs: 0 };
  }

  async search(request: SearchRequest): Promise<SearchResult> {
    this.searches.push(request);
    const matching = this.events
      .filter((event) => event.tenant === request.tenant)
      .filter((event) => (request.from === undefined || event.time >= request.from) && (request.to === undefined || event.time < request.to))
      .sort((a, b) => b.time - a.time);
    return { hits: matching.slice(0, request.limit), total: matching.length, tookMs: 0 };
  }
  async scanEvents(request: ScanRequest): Promise<ScanPage> {
    const start = request.cursor === undefined ? 0 : Number(request.cursor);
    const matching = this.events
      .map((e, i) => ({ e, i }))
      .filter(({ e, i }) => i >= start && e.tenant === request.tenant && (request.from === undefined || e.time >= request.from) && (request.to === undefined || e.time < request.to));
    const page = matching.slice(0, request.limit);
    return { events: page.map((x) => x.e), cursor: page.length === request.limit ? String(page.at(-1)!.i + 1) : undefined };
  }
  async eventsByIds(tenant: string, ids: readonly string[]): Promise<readonly Event[]> {
    return [...new Set(ids)].flatMap((id) => this.events.filter((e) => e.tenant === tenant && e.id === id));
  }
  async countEvents(tenant: string): Promise<number> {
    return this.events.filter((event) => event.tenant === tenant).length;
  }
  async entityStats(tenant: string, field: string, value: string): Promise<{ events: number; first: number; last: number } | undefined> {
    const times = this.events.filter((e) => e.tenant === tenant && String(e.fields[field] ?? '').toLowerCase() === value.toLowerCase()).map((e) => e.time);
    return { events: times.length, first: times.length ? Math.min(...times) : 0, last: times.length ? Math.max(...times) : 0 };
  }
  async profileEvents(tenant: string, valueFields: readonly string[]): Promise<readonly EventShape[]> {
    const shapes = new Map<string, EventShape & { count: number; first: number; last: number }>();
    for (const e of this.events.filter((x) => x.tenant === tenant)) {
      const fields = Object.keys(e.fields).sort();
      const values = Object.fromEntries(valueFields.map((f) => [f, e.fields[f] === undefined || e.fields[f] === null ? null : String(e.fields[f])]));
      const key = JSON.stringify([e.format, e.source.kind, fields, values]);
      const s = shapes.get(key);
      if (s) shapes.set(key, { ...s, count: s.count + 1, first: Math.min(s.first, e.time), last: Math.max(s.last, e.time) });
      else shapes.set(key, { format: e.format, sourceKind: e.source.kind, fields, values, count: 1, first: e.time, last: e.time });
    }
    return [...shapes.values()];
  }
  readonly retentionRuns: RetentionRun[] = [];
  private batches = 0;
  /**
   * No chain to check: these arrays live only in this process, where nothing but the code under
   * test can change them. The report has the same shape as a real store's, and is always clean.
   */
  async verifyChain(): Promise<ChainReport> {
    return {
      ok: true,
      checkedAt: Date.now(),
      tookMs: 0,
      batches: this.batches,
      events: this.events.length,
      legacyEvents: 0,
      tombstones: this.retentionRuns.reduce((n, r) => n + r.deleted, 0),
      retentionRuns: this.retentionRuns.length,
      checkpoints: 0,
      signaturesChecked: false,
      head: undefined,
      lastSignedCheckpoint: undefined,
      unsignedBatches: this.batches,
      problems: [],
      problemCounts: {},
      problemsTruncated: false,
    };
  }
  /** The same selection as the DuckDB store: received before the cutoff, selector and no exception. */
  async enforceRetention(request: RetentionRequest): Promise<RetentionRun> {
    const matches = (e: Event, s: RetentionSelector) =>
      (s.tenant === undefined || e.tenant === s.tenant) && (s.sourceKind === undefined || e.source.kind === s.sourceKind) && (s.format === undefined || e.format === s.format);
    const keep = this.events.filter((e) => !(e.received < request.cutoff && matches(e, request.selector) && !request.except.some((x) => matches(e, x))));
    const deleted = this.events.length - keep.length;
    this.events.splice(0, this.events.length, ...keep);
    const run: RetentionRun = {
      id: newId(),
      rule: request.rule,
      selector: JSON.stringify({ selector: request.selector, except: request.except }),
      cutoff: request.cutoff,
      started: request.now,
      finished: request.now,
      deleted,
      legacyDeleted: 0,
      signed: false,
    };
    this.retentionRuns.push(run);
    return run;
  }
  async listRetentionRuns(limit: number): Promise<readonly RetentionRun[]> {
    return [...this.retentionRuns].reverse().slice(0, limit);
  }
  readonly users: UserRecord[] = [];
  readonly sessions = new Map<string, SessionRecord>();
  readonly audit: AuditEntry[] = [];
  sessionLookups = 0;

  async createUser(record: UserRecord): Promise<void> {
    if (this.users.some((u) => u.id === record.id || u.username === record.username)) throw new VigilError('bad-request', 'a user with this id or username exists');
    this.users.push(record);
  }
  async getUser(id: string): Promise<UserRecord | undefined> {
    return this.users.find((u) => u.id === id);
  }
  async findUserByName(username: string): Promise<UserRecord | undefined> {
    return this.users.find((u) => u.username === username);
  }
  async listUsers(): Promise<readonly UserRecord[]> {
    return [...this.users];
  }
  async updateUser(id: string, change: UserChange): Promise<UserRecord | undefined> {
    const i = this.users.findIndex((u) => u.id === id);
    const u = this.users[i];
    if (!u) return undefined;
    const next = { ...u, ...change };
    this.users[i] = next;
    return next;
  }
  async deleteUser(id: string): Promise<boolean> {
    const i = this.users.findIndex((u) => u.id === id);
    if (i < 0) return false;
    this.users.splice(i, 1);
    for (const [hash, s] of this.sessions) if (s.userId === id) this.sessions.delete(hash);
    return true;
  }
  async createSession(record: SessionRecord): Promise<void> {
    this.sessions.set(record.idHash, record);
  }
  async findSession(idHash: string): Promise<SessionRecord | undefined> {
    this.sessionLookups++;
    return this.sessions.get(idHash);
  }
  async touchSession(idHash: string, lastSeen: number): Promise<void> {
    const s = this.sessions.get(idHash);
    if (s) this.sessions.set(idHash, { ...s, lastSeen: Math.max(s.lastSeen, lastSeen) });
  }
  async deleteSession(idHash: string): Promise<boolean> {
    return this.sessions.delete(idHash);
  }
  async deleteUserSessions(userId: string, keep?: string): Promise<number> {
    let n = 0;
    for (const [hash, s] of this.sessions) if (s.userId === userId && hash !== keep && this.sessions.delete(hash)) n++;
    return n;
  }
  async deleteExpiredSessions(now: number, idleSince: number): Promise<number> {
    let n = 0;
    for (const [hash, s] of this.sessions) if ((s.expires <= now || s.lastSeen < idleSince) && this.sessions.delete(hash)) n++;
    return n;
  }
  async appendAudit(entries: readonly AuditEntry[]): Promise<void> {
    this.audit.push(...entries);
  }
  async listAudit(query: AuditQuery): Promise<readonly AuditEntry[]> {
    return this.audit
      .filter((e) => e.tenant === query.tenant)
      .filter((e) => query.before === undefined || e.time < query.before || (query.beforeId !== undefined && e.time === query.before && e.id < query.beforeId))
      .filter((e) => (query.action === undefined || e.action === query.action) && (query.actor === undefined || e.actor === query.actor))
      .sort((a, b) => b.time - a.time || (b.id < a.id ? -1 : b.id > a.id ? 1 : 0))
      .slice(0, query.limit);
  }
  async close(): Promise<void> {}
}
