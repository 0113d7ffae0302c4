/**
 * What each input has done since the server started, per tenant: events accepted (durable in the
 * event log), stored, and flagged unparsed, with the latest receive time; and each input's
 * refusals per minute over the last quarter hour. The console's sources page reads it beside the
 * store (which knows the past, but only of what it stored) and the Prometheus counters (which are
 * per input across all tenants).
 *
 * Fed by the pipeline (accepted, stored) and `Metrics.drop` (refusals). Bounded: at most
 * `maxKeys` tenant/input/kind tallies (the oldest is forgotten first) and 16 minutes of refusals.
 */
import type { Event } from './event.js';

export interface InputTally {
  readonly tenant: string;
  readonly input: string;
  readonly kind: string;
  /** Accepted: durable in the event log. */
  readonly received: number;
  readonly stored: number;
  /** Accepted with the `unparsed` flag: no parser understood them (stored raw). */
  readonly parseFailed: number;
  /** Latest receive time of an accepted event, epoch ms. */
  readonly lastEvent: number;
}

type MutableTally = { -readonly [K in keyof InputTally]: InputTally[K] };

const MINUTE = 60_000;
const DROP_MINUTES = 16;

export class InputActivity {
  readonly #tallies = new Map<string, MutableTally>();
  /** input → [minute, refusals] pairs, oldest first. */
  readonly #drops = new Map<string, [number, number][]>();

  constructor(private readonly maxKeys = 10_000) {}

  #tally(event: Event): MutableTally {
    const key = `${event.tenant}\u0000${event.source.input}\u0000${event.source.kind}`;
    let tally = this.#tallies.get(key);
    if (!tally) {
      if (this.#tallies.size >= this.maxKeys) this.#tallies.delete(this.#tallies.keys().next().value!);
      tally = { tenant: event.tenant, input: event.source.input, kind: event.source.kind, received: 0, stored: 0, parseFailed: 0, lastEvent: 0 };
      this.#tallies.set(key, tally);
    }
    return tally;
  }

  /** Events the event log accepted. */
  accepted(events: readonly Event[]): void {
    for (const event of events) {
      const tally = this.#tally(event);
      tally.received++;
      if (event.flags.includes('unparsed')) tally.parseFailed++;
      if (event.received > tally.lastEvent) tally.lastEvent = event.received;
    }
  }

  /** Events committed to the store. */
  stored(events: readonly Event[]): void {
    for (const event of events) this.#tally(event).stored++;
  }

  dropped(input: string, count: number, now: number = Date.now()): void {
    const minute = Math.floor(now / MINUTE);
    const buckets = this.#drops.get(input) ?? [];
    const last = buckets.at(-1);
    if (last && last[0] === minute) last[1] += count;
    else buckets.push([minute, count]);
    while (buckets.length > 0 && buckets[0]![0] <= minute - DROP_MINUTES) buckets.shift();
    this.#drops.set(input, buckets);
  }

  /** The tenant's tallies. */
  tallies(tenant: string): InputTally[] {
    return [...this.#tallies.values()].filter((t) => t.tenant === tenant).map((t) => ({ ...t }));
  }

  /** Refusals of an input in the last `windowMs` (whole minutes, up to 15). */
  recentDrops(input: string, windowMs: number, now: number = Date.now()): number {
    const from = Math.floor((now - Math.min(windowMs, 15 * MINUTE)) / MINUTE);
    return (this.#drops.get(input) ?? []).reduce((n, [minute, count]) => (minute >= from ? n + count : n), 0);
  }
}
