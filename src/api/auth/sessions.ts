/**
 * Console sessions: opened at login, found by the hash of the cookie's id, ended by logout,
 * by the idle timeout, by the absolute lifetime, or when the user is disabled or deleted.
 *
 * Like tokens (token-cache.ts), a session and its user are cached for a short time so a page
 * that fires a dozen API calls is not a dozen pairs of store queries; misses are cached more
 * briefly, concurrent lookups of one hash share one query, the map is bounded. Everything that
 * ends a session or changes a user on this server calls `forget`/`forgetUser`, so it takes
 * effect at once. Activity is written to the store at most once per `touchEveryMs`: the idle
 * timeout is measured in minutes, so a write per request would only cost.
 */
import type { SessionRecord, SessionStore, UserRecord, UserStore } from '../../core/accounts.js';
import { hashSessionId, newSessionId } from './session-cookie.js';

export interface SessionOptions {
  /** A session unused this long ends (default 8 h). */
  readonly idleMs?: number;
  /** A session ends this long after login, used or not (default 24 h). */
  readonly lifetimeMs?: number;
  readonly cacheTtlMs?: number;
  readonly missTtlMs?: number;
  readonly maxCached?: number;
  readonly touchEveryMs?: number;
  readonly now?: () => number;
  /** Called when writing activity fails (the session still works; the write is retried later). */
  readonly onError?: (message: string, error: unknown) => void;
}

export interface LiveSession {
  readonly idHash: string;
  readonly session: SessionRecord;
  readonly user: UserRecord;
}

interface Entry {
  readonly expires: number;
  readonly found: Promise<LiveSession | undefined>;
  /** Whose session this is, once the lookup has settled with one. */
  userId?: string;
}

export class Sessions {
  readonly idleMs: number;
  readonly lifetimeMs: number;
  private readonly cacheTtlMs: number;
  private readonly missTtlMs: number;
  private readonly maxCached: number;
  private readonly touchEveryMs: number;
  private readonly now: () => number;
  private readonly onError: (message: string, error: unknown) => void;
  private readonly cache = new Map<string, Entry>();
  /** Last activity seen on this server (ahead of the store), and when it was last written there. */
  private readonly activity = new Map<string, { readonly seen: number; readonly written: number }>();
  private lastPurge = 0;

  constructor(
    private readonly store: SessionStore & Pick<UserStore, 'getUser'>,
    options: SessionOptions = {},
  ) {
    this.idleMs = options.idleMs ?? 8 * 3_600_000;
    this.lifetimeMs = options.lifetimeMs ?? 24 * 3_600_000;
    this.cacheTtlMs = options.cacheTtlMs ?? 30_000;
    this.missTtlMs = options.missTtlMs ?? 5_000;
    this.maxCached = options.maxCached ?? 10_000;
    this.touchEveryMs = options.touchEveryMs ?? 60_000;
    this.now = options.now ?? Date.now;
    this.onError = options.onError ?? (() => {});
  }

  /** Opens a session for `user`; the id goes into the cookie and nowhere else. */
  async open(user: UserRecord, remote: string | null): Promise<{ id: string; idHash: string; record: SessionRecord }> {
    const now = this.now();
    await this.purgeExpired(now);
    const { id, idHash } = newSessionId();
    const record: SessionRecord = { idHash, userId: user.id, created: now, lastSeen: now, expires: now + this.lifetimeMs, remote };
    await this.store.createSession(record);
    this.cache.delete(idHash);
    return { id, idHash, record };
  }

  /** The live session of a cookie's id: undefined when unknown, expired, idle too long, or its user is gone or disabled. */
  async resolve(id: string): Promise<LiveSession | undefined> {
    const idHash = hashSessionId(id);
    const live = await this.lookup(idHash);
    if (live === undefined) return undefined;
    const now = this.now();
    const lastSeen = Math.max(live.session.lastSeen, this.activity.get(idHash)?.seen ?? 0);
    if (now >= live.session.expires || now - lastSeen >= this.idleMs || live.user.disabled) {
      await this.end(idHash).catch((error: unknown) => this.onError('cannot delete an expired session', error));
      return undefined;
    }
    return live;
  }

  /** Notes a request on the session; writes it to the store when the stored time is old enough. */
  noteActivity(live: LiveSession): void {
    const now = this.now();
    const known = this.activity.get(live.idHash);
    const written = Math.max(known?.written ?? 0, live.session.lastSeen);
    this.activity.delete(live.idHash);
    const due = now - written >= this.touchEveryMs;
    this.activity.set(live.idHash, { seen: Math.max(known?.seen ?? 0, now), written: due ? now : written });
    this.trimActivity();
    if (due) this.store.touchSession(live.idHash, now).catch((error: unknown) => this.onError('cannot record session activity', error));
  }

  /** Ends one session (logout). */
  async end(idHash: string): Promise<boolean> {
    this.forget(idHash);
    return this.store.deleteSession(idHash);
  }

  /** Ends every session of the user but `keep`, and drops what this server cached of the user. */
  async endUserSessions(userId: string, keep?: string): Promise<number> {
    this.forgetUser(userId);
    return this.store.deleteUserSessions(userId, keep);
  }

  forget(idHash: string): void {
    this.cache.delete(idHash);
    this.activity.delete(idHash);
  }

  /** After a change to the user (role, password, disabled, deleted): its sessions are read afresh. */
  forgetUser(userId: string): void {
    // Entries still pending may be this user's too: dropped as well, they are cheap to redo.
    for (const [idHash, entry] of [...this.cache]) {
      if (entry.userId === undefined || entry.userId === userId) this.cache.delete(idHash);
    }
  }

  get cached(): number {
    return this.cache.size;
  }

  private async lookup(idHash: string): Promise<LiveSession | undefined> {
    const now = this.now();
    const cached = this.cache.get(idHash);
    if (cached && cached.expires > now) return cached.found;
    if (cached) this.cache.delete(idHash);
    const found = this.read(idHash);
    const entry: Entry = { expires: now + this.cacheTtlMs, found };
    this.remember(idHash, entry);
    try {
      const live = await found;
      if (live === undefined) {
        if (this.cache.get(idHash) === entry) this.remember(idHash, { expires: now + this.missTtlMs, found });
      } else {
        entry.userId = live.user.id;
      }
      return live;
    } catch (error) {
      // A failing store is not cached: the next request tries again.
      if (this.cache.get(idHash) === entry) this.cache.delete(idHash);
      throw error;
    }
  }

  private async read(idHash: string): Promise<LiveSession | undefined> {
    const session = await this.store.findSession(idHash);
    if (session === undefined) return undefined;
    const user = await this.store.getUser(session.userId);
    return user === undefined ? undefined : { idHash, session, user };
  }

  private remember(idHash: string, entry: Entry): void {
    this.cache.delete(idHash);
    if (this.cache.size >= this.maxCached) {
      const oldest = this.cache.keys().next();
      if (!oldest.done) this.cache.delete(oldest.value);
    }
    this.cache.set(idHash, entry);
  }

  private trimActivity(): void {
    while (this.activity.size > this.maxCached) {
      const oldest = this.activity.keys().next();
      if (oldest.done) break;
      this.activity.delete(oldest.value);
    }
  }

  /** Expired sessions are deleted at most every ten minutes, when someone logs in: no timer to stop. */
  private async purgeExpired(now: number): Promise<void> {
    if (now - this.lastPurge < 600_000) return;
    this.lastPurge = now;
    try {
      await this.store.deleteExpiredSessions(now, now - this.idleMs);
    } catch (error) {
      this.onError('cannot delete expired sessions', error);
    }
  }
}
