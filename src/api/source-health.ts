/**
 * The health of each input, for one tenant: the sources page and the overview's silent sources.
 *
 * Three witnesses, each for what it alone knows: the store (what was stored lately, from which
 * hosts, when the last event came: it survives restarts), the input tallies of `Metrics.inputs`
 * (accepted, stored and unparsed per tenant since start) and the Prometheus drop counters (per
 * input across tenants: a refusal often happens before any tenant is known).
 *
 * Status:
 * - `idle`: nothing ever came (within 30 days);
 * - `silent`: it used to send and has gone quiet: its last event is older than ten times its
 *   usual interval (the mean gap between its events over the last 24 h), and at least 15 minutes
 *   old (so batch shippers that push every few minutes do not flap); with fewer than two events
 *   in 24 h, older than 24 h;
 * - `failing`: over the last 5 minutes most events were unparsed (of at least 5), or more were
 *   lost (dropped, for any reason but a refused token, which says nothing of the source) than
 *   stored;
 * - `ok` otherwise.
 */
import type { Metrics } from '../core/metrics.js';
import type { SourceActivity, Store } from '../core/store.js';

export type SourceStatus = 'ok' | 'silent' | 'failing' | 'idle';

/** An input as configured: what listens, and where. */
export interface ConfiguredInput {
  readonly input: string;
  readonly kind: string;
  /** `HOST:PORT`, the API's URL, or the followed file patterns; null when it listens nowhere. */
  readonly listen: string | null;
}

export interface SourceHealth {
  readonly input: string;
  readonly kind: string;
  readonly listen: string | null;
  readonly status: SourceStatus;
  /** Latest receive time, epoch ms; null: nothing within 30 days. */
  readonly lastEvent: number | null;
  /** Events per second received over the last 5 minutes. */
  readonly ratePerSecond: number;
  /** Since the server started, this tenant: accepted, stored, unparsed among the accepted. */
  readonly received: number;
  readonly stored: number;
  readonly parseFailed: number;
  /** Since the server started, every tenant: refusals and losses of this input by reason. */
  readonly dropped: Readonly<Record<string, number>>;
  /** Stored in the last 24 h, and unparsed among them. */
  readonly events24h: number;
  readonly parseFailed24h: number;
  /** The mean gap between its events over the last 24 h, seconds; null with fewer than two. */
  readonly expectedEverySeconds: number | null;
  /** Who sent through it in the last 24 h, most events first (at most 50). */
  readonly hosts: readonly { readonly host: string; readonly lastEvent: number; readonly events24h: number }[];
}

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
export const RECENT_MS = 5 * MINUTE;
const LOOKBACK_MS = 30 * DAY;
const HOSTS_PER_SOURCE = 50;
const SILENT_FACTOR = 10;
const SILENT_FLOOR_MS = 15 * MINUTE;
const MIN_RECENT_FOR_FAILING = 5;

/** Drop counts of every input by reason, from the Prometheus counter. */
async function dropsByInput(metrics: Metrics): Promise<Map<string, Record<string, number>>> {
  const out = new Map<string, Record<string, number>>();
  for (const sample of (await metrics.dropped.get()).values) {
    const input = String(sample.labels['input'] ?? '');
    const reason = String(sample.labels['reason'] ?? '');
    const byReason = out.get(input) ?? {};
    byReason[reason] = (byReason[reason] ?? 0) + sample.value;
    out.set(input, byReason);
  }
  return out;
}

export function statusOf(activity: SourceActivity | undefined, lastEvent: number | null, recentDrops: number, now: number): { status: SourceStatus; expectedEverySeconds: number | null } {
  if (lastEvent === null) return { status: 'idle', expectedEverySeconds: null };
  const expectedMs =
    activity && activity.events >= 2 && activity.firstInWindow !== null ? Math.max(0, activity.lastEvent - activity.firstInWindow) / (activity.events - 1) : null;
  const expectedEverySeconds = expectedMs === null ? null : Math.round(expectedMs / 100) / 10;
  const quietFor = now - lastEvent;
  const threshold = expectedMs === null ? DAY : Math.max(SILENT_FACTOR * expectedMs, SILENT_FLOOR_MS);
  if (quietFor > threshold) return { status: 'silent', expectedEverySeconds };
  const recent = activity?.recentEvents ?? 0;
  const unparsed = activity?.recentUnparsed ?? 0;
  if ((recent >= MIN_RECENT_FOR_FAILING && unparsed * 2 > recent) || recentDrops > recent) return { status: 'failing', expectedEverySeconds };
  return { status: 'ok', expectedEverySeconds };
}

export async function sourceHealth(
  store: Pick<Store, 'sourceActivity'>,
  metrics: Metrics,
  tenant: string,
  configured: readonly ConfiguredInput[],
  now: number = Date.now(),
  options: { readonly hosts?: boolean } = {},
): Promise<SourceHealth[]> {
  const hostsPerSource = options.hosts === false ? 0 : HOSTS_PER_SOURCE;
  const [activity, drops] = await Promise.all([
    store.sourceActivity({ tenant, lookbackFrom: now - LOOKBACK_MS, windowFrom: now - DAY, recentFrom: now - RECENT_MS, hostsPerSource }),
    dropsByInput(metrics),
  ]);
  const key = (input: string, kind: string) => `${input}\u0000${kind}`;
  const stored = new Map(activity.map((a) => [key(a.input, a.kind), a]));
  const tallies = new Map(metrics.inputs.tallies(tenant).map((t) => [key(t.input, t.kind), t]));
  // Configured inputs first, in their order; then whatever else sent (inputs since removed, imports).
  const rows = new Map<string, ConfiguredInput>();
  for (const c of configured) rows.set(key(c.input, c.kind), c);
  const others = [...new Set([...stored.keys(), ...tallies.keys()])].filter((k) => !rows.has(k)).sort();
  for (const k of others) {
    const [input, kind] = k.split('\u0000') as [string, string];
    rows.set(k, { input, kind, listen: null });
  }
  return [...rows.entries()].map(([k, c]) => {
    const a = stored.get(k);
    const t = tallies.get(k);
    const last = Math.max(a?.lastEvent ?? 0, t?.lastEvent ?? 0);
    const lastEvent = last > 0 ? last : null;
    const { status, expectedEverySeconds } = statusOf(a, lastEvent, metrics.inputs.recentDrops(c.input, RECENT_MS, now), now);
    return {
      input: c.input,
      kind: c.kind,
      listen: c.listen,
      status,
      lastEvent,
      ratePerSecond: Math.round(((a?.recentEvents ?? 0) / (RECENT_MS / 1000)) * 1000) / 1000,
      received: t?.received ?? 0,
      stored: t?.stored ?? 0,
      parseFailed: t?.parseFailed ?? 0,
      dropped: drops.get(c.input) ?? {},
      events24h: a?.events ?? 0,
      parseFailed24h: a?.unparsed ?? 0,
      expectedEverySeconds,
      hosts: (a?.hosts ?? []).map((h) => ({ host: h.host, lastEvent: h.lastEvent, events24h: h.events })),
    };
  });
}
