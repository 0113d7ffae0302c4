/**
 * Login rate limiting: failed logins are counted per (client address, username) and per
 * address, in fixed windows that start at the first failure. Past either limit, logins from
 * that address (for that user, or at all) are refused with 429 until the window ends, before
 * any password is hashed, so a guessing run costs the server nothing.
 *
 * Memory is bounded: at most `maxEntries` counters, least recently touched dropped first. An
 * attacker spreading over more addresses than that can push its own counters out; the
 * per-address limit then still holds per address, and every refusal is counted in metrics.
 */

export interface LoginLimits {
  /** Failures per (address, username) in a window (default 5). */
  readonly perUser?: number;
  /** Failures per address in a window, any username (default 30). */
  readonly perAddress?: number;
  readonly windowMs?: number;
  readonly maxEntries?: number;
  readonly now?: () => number;
}

interface Counter {
  count: number;
  readonly resetAt: number;
}

export type LoginCheck = { readonly allowed: true } | { readonly allowed: false; readonly retryAfterSeconds: number };

export class LoginRateLimiter {
  private readonly perUser: number;
  private readonly perAddress: number;
  private readonly windowMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  private readonly counters = new Map<string, Counter>();

  constructor(limits: LoginLimits = {}) {
    this.perUser = limits.perUser ?? 5;
    this.perAddress = limits.perAddress ?? 30;
    this.windowMs = limits.windowMs ?? 15 * 60_000;
    this.maxEntries = limits.maxEntries ?? 50_000;
    this.now = limits.now ?? Date.now;
  }

  check(address: string, username: string): LoginCheck {
    const now = this.now();
    let until = 0;
    for (const [key, limit] of this.keys(address, username)) {
      const counter = this.live(key, now);
      if (counter !== undefined && counter.count >= limit) until = Math.max(until, counter.resetAt);
    }
    return until === 0 ? { allowed: true } : { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((until - now) / 1000)) };
  }

  fail(address: string, username: string): void {
    const now = this.now();
    for (const [key] of this.keys(address, username)) {
      const counter = this.live(key, now) ?? { count: 0, resetAt: now + this.windowMs };
      counter.count++;
      this.counters.delete(key);
      this.counters.set(key, counter);
    }
    while (this.counters.size > this.maxEntries) {
      const oldest = this.counters.keys().next();
      if (oldest.done) break;
      this.counters.delete(oldest.value);
    }
  }

  /** A good login clears that user's failures from that address (not the address's own count). */
  succeed(address: string, username: string): void {
    this.counters.delete(pairKey(address, username));
  }

  get size(): number {
    return this.counters.size;
  }

  private keys(address: string, username: string): [string, number][] {
    return [
      [pairKey(address, username), this.perUser],
      [`a\u0000${address}`, this.perAddress],
    ];
  }

  private live(key: string, now: number): Counter | undefined {
    const counter = this.counters.get(key);
    if (counter === undefined) return undefined;
    if (counter.resetAt <= now) {
      this.counters.delete(key);
      return undefined;
    }
    return counter;
  }
}

function pairKey(address: string, username: string): string {
  return `u\u0000${address}\u0000${username}`;
}
