/**
 * An in-memory Store for the HTTP tests: tokens and events in arrays, search by tenant and time
 * only (the query tree is recorded, not evaluated: compiling queries is the store's job and is
 * tested there). Not for production.
 */
import type { Event } from '../core/event.js';
import type { SearchRequest } from '../core/query.js';
import type { AlertRecord, Checkpoint, EventShape, SearchResult, Store, TokenRecord } from '../core/store.js';

export class MemoryStore implements Store {
  readonly tokens: TokenRecord[] = [];
  readonly events: Event[] = [];
  readonly alerts: AlertRecord[] = [];
  readonly searches: SearchRequest[] = [];
  tokenLookups = 0;
  private readonly checkpoints = new Map<string, Checkpoint>();

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
  async appendAlerts(alerts: readonly AlertRecord[]): Promise<void> {
    this.alerts.push(...alerts);
  }
  async listAlerts(tenant: string, limit: number): Promise<readonly AlertRecord[]> {
    return this.alerts.filter((alert) => alert.tenant === tenant).slice(0, limit);
  }
  async appendEvents(batch: readonly Event[], checkpoint?: Checkpoint): Promise<void> {
    this.events.push(...batch);
    if (checkpoint) this.checkpoints.set(checkpoint.consumer, checkpoint);
  }
  async readCheckpoint(consumer: string): Promise<Checkpoint | undefined> {
    return this.checkpoints.get(consumer);
  }
  async search(request: SearchRequest): Promise<SearchResult> {
    this.searches.push(request);
    const matching = this.events
      .filter((event) => event.tenant === request.tenant)
      .filter((event) => (request.from === undefined || event.time >= request.from) && (request.to === undefined || event.time < request.to))
      .sort((a, b) => b.time - a.time);
    return { hits: matching.slice(0, request.limit), total: matching.length, tookMs: 0 };
  }
  async countEvents(tenant: string): Promise<number> {
    return this.events.filter((event) => event.tenant === tenant).length;
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
  async close(): Promise<void> {}
}
