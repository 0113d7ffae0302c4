/**
 * Token lookups, cached by hash for a short time so a request flood (good or bad tokens) does
 * not turn into a store query per request. Concurrent lookups of one hash share one query.
 * Misses are cached too, more briefly; the map is bounded, oldest entries go first. Revoking
 * or creating a token through the API calls `clear()`, so a revocation takes effect at once on
 * this server (other servers within `ttlMs`).
 */
import type { TokenRecord, TokenStore } from '../../core/store.js';

export interface TokenCacheOptions {
  readonly ttlMs?: number;
  readonly missTtlMs?: number;
  readonly maxEntries?: number;
  readonly now?: () => number;
}

interface Entry {
  readonly expires: number;
  readonly record: Promise<TokenRecord | undefined>;
}

export class TokenCache {
  private readonly entries = new Map<string, Entry>();
  private readonly ttlMs: number;
  private readonly missTtlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(
    private readonly store: TokenStore,
    options: TokenCacheOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 30_000;
    this.missTtlMs = options.missTtlMs ?? 5_000;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  /** The token with this hash, revoked or not; undefined when there is none. */
  async lookup(hash: string): Promise<TokenRecord | undefined> {
    const now = this.now();
    const cached = this.entries.get(hash);
    if (cached && cached.expires > now) return cached.record;
    if (cached) this.entries.delete(hash);

    const record = this.store.findTokenByHash(hash);
    // Cached while in flight with the hit TTL; shortened or dropped once the answer is known.
    this.remember(hash, { expires: now + this.ttlMs, record });
    try {
      const found = await record;
      if (found === undefined) this.remember(hash, { expires: now + this.missTtlMs, record });
      return found;
    } catch (error) {
      // A failing store must not be cached: the next request tries again.
      if (this.entries.get(hash)?.record === record) this.entries.delete(hash);
      throw error;
    }
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  private remember(hash: string, entry: Entry): void {
    this.entries.delete(hash);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(hash, entry);
  }
}
