/**
 * Runs behaviour rules (behaviour-rule.ts) over base-rule matches, one engine per tenant.
 *
 * Everything is judged in event time, never the clock, so `vigil scan` over last month's files
 * and the live stream give the same hits (a rule has one meaning). What each type learns per
 * group, and when it alerts:
 * - first_seen: the values seen and when each was last seen. Alerts for a value the group has
 *   not shown within `retention`, once the group has been known for `learning`.
 * - rare: the last N times each value was seen. Alerts while a value has been seen fewer than
 *   N times within `retention` (learning as above).
 * - unusual_hour: events per hour of day, per day kept for `retention`. Alerts when the hour
 *   and its two neighbours hold less than `share` of the group's events, once it has `min-events`.
 * - impossible_travel: the last located observation. Alerts when the next one is at least
 *   `min-distance` km away and reaching it needed more than `max-speed` km/h.
 * - periodic: the times (and sizes) within `retention`, scored as RITA scores beacons
 *   (beacon-score.ts) each time the count grows by a tenth; alerts once per `retention` per group.
 * - outside_window: nothing learned. Alerts for a match whose time falls outside every
 *   configured window (a change outside the change window); no windows, no alerts.
 * - volume_spike: counts per `bucket`. Alerts once per bucket when the count reaches `factor`
 *   times the group's busiest earlier bucket within `retention`, and at least `min-count`.
 *
 * Memory is bounded: at most `maxGroupsPerRule` groups per rule (the least recently updated go
 * first) and bounded lists within a group. `snapshot()`/`restore()` carry the learned state
 * across restarts and rule reloads; state is only restored into a rule whose spec is unchanged.
 */
import type { FieldValue } from '../../core/event.js';
import type { CorrelationMatch } from '../correlate/correlation-engine.js';
import { hitMeta } from '../correlate/correlation-rule.js';
import type { SigmaLevel } from '../sigma/sigma-types.js';
import { scoreBeacon } from './beacon-score.js';
import type { BehaviourRule, BehaviourType, TimeWindow } from './behaviour-rule.js';

export interface BehaviourMeta {
  readonly id: string;
  readonly name?: string | undefined;
  readonly title: string;
  readonly level: SigmaLevel;
  readonly author: string;
  readonly description?: string | undefined;
  readonly tags: readonly string[];
  readonly references: readonly string[];
  readonly falsepositives: readonly string[];
  readonly file?: string | undefined;
}

export interface BehaviourHit {
  readonly rule: BehaviourMeta;
  readonly type: BehaviourType;
  /** group-by field → value. */
  readonly group: Readonly<Record<string, string | number>>;
  readonly time: number;
  /** What was unusual: the new value, the speed (km/h), the score, the count. */
  readonly value: string | number;
  /** What it was compared with (known values, the earlier location, the usual volume…). */
  readonly observed: Readonly<Record<string, unknown>>;
  readonly eventIds: readonly string[];
}

export interface BehaviourEngineOptions {
  /** Groups kept per rule. Default 100,000. */
  readonly maxGroupsPerRule?: number;
  /** Values kept per first_seen/rare group. Default 1,000. */
  readonly maxValuesPerGroup?: number;
}

const KNOWN_SHOWN = 10;
const PERIODIC_MAX_EVENTS = 5000;
const PERIODIC_IDS = 20;
const DAY = 86_400_000;

type GroupState = Record<string, unknown>;

interface RuleState {
  readonly rule: BehaviourRule;
  readonly groups: Map<string, GroupState>;
}

export type BehaviourSnapshot = Record<string, { fingerprint: string; groups: [string, GroupState][] }>;

export class BehaviourEngine {
  readonly #byRef = new Map<string, RuleState[]>();
  readonly #states: RuleState[] = [];
  readonly #maxGroups: number;
  readonly #maxValues: number;

  constructor(rules: readonly BehaviourRule[], options: BehaviourEngineOptions = {}) {
    this.#maxGroups = options.maxGroupsPerRule ?? 100_000;
    this.#maxValues = options.maxValuesPerGroup ?? 1000;
    for (const rule of rules) {
      const state: RuleState = { rule, groups: new Map() };
      this.#states.push(state);
      for (const ref of rule.behaviour.rules) {
        const list = this.#byRef.get(ref) ?? [];
        list.push(state);
        this.#byRef.set(ref, list);
      }
    }
  }

  /** The ids and names behaviour rules refer to, to check each names a loaded rule. */
  references(): string[] {
    return [...this.#byRef.keys()];
  }

  observe(match: CorrelationMatch): BehaviourHit[] {
    const states = new Set<RuleState>();
    for (const ref of match.rule.name === undefined ? [match.rule.id] : [match.rule.id, match.rule.name]) for (const s of this.#byRef.get(ref) ?? []) states.add(s);
    if (states.size === 0) return [];
    const out: BehaviourHit[] = [];
    for (const state of states) {
      const group = groupOf(state.rule.behaviour.groupBy, match);
      if (!group) continue;
      const hit = this.#observeOne(state, group, match);
      if (hit) out.push(hit);
    }
    return out;
  }

  snapshot(): BehaviourSnapshot {
    const out: BehaviourSnapshot = {};
    for (const s of this.#states) out[s.rule.id] = { fingerprint: s.rule.fingerprint, groups: [...s.groups] };
    return out;
  }

  /** Takes over learned state for rules whose id and spec are unchanged; returns how many groups. */
  restore(snapshot: BehaviourSnapshot): number {
    let restored = 0;
    for (const s of this.#states) {
      const saved = snapshot[s.rule.id];
      if (!saved || saved.fingerprint !== s.rule.fingerprint || !Array.isArray(saved.groups)) continue;
      for (const [key, state] of saved.groups.slice(-this.#maxGroups)) {
        s.groups.set(key, state);
        restored++;
      }
    }
    return restored;
  }

  #observeOne(state: RuleState, group: Group, match: CorrelationMatch): BehaviourHit | undefined {
    const spec = state.rule.behaviour;
    const t = match.time;
    let g = state.groups.get(group.key);
    if (g && (g['last'] as number) < t - spec.retention.ms) g = undefined;
    if (!g) g = { first: t, last: t };
    // Re-inserted on every update, so the Map's order is least recently updated first.
    state.groups.delete(group.key);
    state.groups.set(group.key, g);
    if (state.groups.size > this.#maxGroups) state.groups.delete(state.groups.keys().next().value!);
    const learned = t - (g['first'] as number) >= spec.learning.ms;
    g['last'] = Math.max(g['last'] as number, t);
    const hit = (value: string | number, observed: Record<string, unknown>, eventIds: readonly string[] = [match.eventId]): BehaviourHit => ({
      rule: metaOf(state.rule),
      type: spec.type,
      group: group.values,
      time: t,
      value,
      observed,
      eventIds,
    });

    switch (spec.type) {
      case 'outside_window': {
        if (spec.windows.length === 0 || spec.windows.some((w) => insideWindow(w, t))) return undefined;
        return hit(iso(t), { windows: spec.windows.map((w) => w.text) });
      }
      case 'first_seen': {
        const value = combined(spec.field, match);
        if (value === undefined) return undefined;
        const values = (g['values'] ??= {}) as Record<string, number>;
        const seen = values[value];
        const fresh = seen === undefined || seen < t - spec.retention.ms;
        const known = fresh ? knownValues(values, t - spec.retention.ms) : [];
        remember(values, value, Math.max(seen ?? 0, t), this.#maxValues);
        if (!fresh || !learned || known.length === 0) return undefined;
        return hit(value, { field: spec.field.join(','), known: known.slice(0, KNOWN_SHOWN), knownCount: known.length, groupSince: iso(g['first'] as number) });
      }
      case 'rare': {
        const value = combined(spec.field, match);
        if (value === undefined) return undefined;
        const values = (g['values'] ??= {}) as Record<string, number[]>;
        const times = (values[value] ?? []).filter((x) => x >= t - spec.retention.ms);
        const count = times.length;
        times.push(t);
        delete values[value];
        values[value] = times.slice(-spec.below);
        const keys = Object.keys(values);
        if (keys.length > this.#maxValues) delete values[keys[0]!];
        if (!learned || count >= spec.below) return undefined;
        return hit(value, { field: spec.field.join(','), seenBefore: count, below: spec.below, within: spec.retention.text });
      }
      case 'unusual_hour': {
        const days = (g['days'] ??= {}) as Record<string, number[]>;
        const today = Math.floor(t / DAY);
        for (const d of Object.keys(days)) if (Number(d) <= today - spec.retention.ms / DAY) delete days[d];
        const hours = new Array<number>(24).fill(0);
        let total = 0;
        for (const counts of Object.values(days)) for (let h = 0; h < 24; h++) {
          hours[h]! += counts[h]!;
          total += counts[h]!;
        }
        const local = t + spec.utcOffsetMinutes * 60_000;
        const hour = Math.floor((((local % DAY) + DAY) % DAY) / 3_600_000);
        const around = hours[(hour + 23) % 24]! + hours[hour]! + hours[(hour + 1) % 24]!;
        const day = (days[today] ??= new Array<number>(24).fill(0));
        day[hour]!++;
        if (!learned || total < spec.minEvents || around / total >= spec.share) return undefined;
        const usual = hours.map((n, h) => ({ h, n })).filter((x) => x.n / total >= 0.05).map((x) => x.h);
        return hit(hour, { hour, share: round(around / total, 4), events: total, usualHours: usual, utcOffsetMinutes: spec.utcOffsetMinutes });
      }
      case 'impossible_travel': {
        const lat = coordinate(match.field(spec.latitude), 90);
        const lon = coordinate(match.field(spec.longitude), 180);
        if (lat === undefined || lon === undefined) return undefined;
        const here = { time: t, lat, lon, eventId: match.eventId, place: placeOf(spec.place, match) };
        const before = g['at'] as typeof here | undefined;
        g['at'] = here;
        if (!before || t < before.time) return undefined;
        const km = haversineKm(before.lat, before.lon, lat, lon);
        if (km < spec.minDistanceKm) return undefined;
        const hours = (t - before.time) / 3_600_000;
        const speed = hours === 0 ? Infinity : km / hours;
        if (speed <= spec.maxSpeedKmh) return undefined;
        return hit(
          Number.isFinite(speed) ? Math.round(speed) : 'simultaneous',
          { distanceKm: Math.round(km), minutes: round(hours * 60, 1), from: { ...before.place, time: iso(before.time) }, to: { ...here.place, time: iso(t) }, maxSpeedKmh: spec.maxSpeedKmh },
          [before.eventId, match.eventId],
        );
      }
      case 'periodic': {
        const times = ((g['times'] ??= []) as number[]);
        const sizes = ((g['sizes'] ??= []) as number[]);
        const ids = ((g['ids'] ??= []) as string[]);
        times.push(t);
        const size = spec.size === undefined ? undefined : Number(match.field(spec.size));
        sizes.push(size !== undefined && Number.isFinite(size) ? size : NaN);
        ids.push(match.eventId);
        let drop = 0;
        while (drop < times.length && times[drop]! < t - spec.retention.ms) drop++;
        drop = Math.max(drop, times.length - PERIODIC_MAX_EVENTS);
        if (drop > 0) {
          times.splice(0, drop);
          sizes.splice(0, drop);
        }
        if (ids.length > PERIODIC_IDS) ids.splice(0, ids.length - PERIODIC_IDS);
        const scoredAt = (g['scoredAt'] as number | undefined) ?? 0;
        if (times.length < spec.minEvents || times.length < scoredAt * 1.1) return undefined;
        if ((g['alerted'] as number | undefined) !== undefined && t - (g['alerted'] as number) < spec.retention.ms) return undefined;
        g['scoredAt'] = times.length;
        const known = sizes.every((s) => Number.isFinite(s));
        const sorted = times.map((x, i) => [x, sizes[i]!] as const).sort((a, b) => a[0] - b[0]);
        const score = scoreBeacon(sorted.map((x) => x[0]), known && spec.size !== undefined ? sorted.map((x) => x[1]) : undefined, { minConnections: spec.minEvents });
        if (!score.scored || score.score < spec.threshold) return undefined;
        g['alerted'] = t;
        return hit(round(score.score, 3), { events: score.connections, medianIntervalSeconds: round(score.intervals.median / 1000, 1), parts: score.parts, first: iso(score.first), last: iso(score.last) }, [...ids]);
      }
      case 'volume_spike': {
        const buckets = ((g['buckets'] ??= {}) as Record<string, number>);
        const b = Math.floor(t / spec.bucket.ms);
        const oldest = b - Math.floor(spec.retention.ms / spec.bucket.ms);
        let busiest = 0;
        for (const [k, n] of Object.entries(buckets)) {
          const kb = Number(k);
          if (kb < oldest) delete buckets[k];
          else if (kb !== b && n > busiest) busiest = n;
        }
        const count = (buckets[b] ?? 0) + 1;
        buckets[b] = count;
        const needed = Math.max(spec.minCount, Math.ceil(spec.factor * busiest));
        // Alert exactly when the count reaches the bar: once per bucket, and never in the learning period.
        if (!learned || busiest === 0 || count !== needed) return undefined;
        return hit(count, { bucket: spec.bucket.text, busiestBefore: busiest, factor: spec.factor, since: iso(b * spec.bucket.ms) });
      }
    }
  }
}

interface Group {
  readonly key: string;
  readonly values: Record<string, string | number>;
}

function groupOf(fields: readonly string[], match: CorrelationMatch): Group | undefined {
  const values: Record<string, string | number> = {};
  const parts: string[] = [];
  for (const f of fields) {
    const v = match.field(f);
    // An event without the group's fields belongs to no group (as in Sigma correlations).
    if (v === undefined || v === '') return undefined;
    values[f] = v;
    parts.push(String(v));
  }
  return { key: parts.join('\u0000'), values };
}

function combined(fields: readonly string[], match: CorrelationMatch): string | undefined {
  const parts: string[] = [];
  for (const f of fields) {
    const v = match.field(f);
    if (v === undefined || v === '') return undefined;
    parts.push(String(v));
  }
  return parts.join(' | ');
}

function remember(values: Record<string, number>, value: string, time: number, max: number): void {
  delete values[value];
  values[value] = time;
  const keys = Object.keys(values);
  if (keys.length > max) delete values[keys[0]!];
}

/** Values seen since `after`, most recent first. */
function knownValues(values: Record<string, number>, after: number): string[] {
  return Object.entries(values)
    .filter(([, t]) => t >= after)
    .sort((a, b) => b[1] - a[1])
    .map(([v]) => v);
}

function placeOf(fields: readonly string[], match: CorrelationMatch): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const f of fields) {
    const v = match.field(f);
    if (v !== undefined && v !== '') out[f] = v;
  }
  return out;
}

function coordinate(v: FieldValue | string | number | undefined, limit: number): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) && Math.abs(n) <= limit ? n : undefined;
}

const EARTH_RADIUS_KM = 6371.0088;

/** Great-circle distance; good to a fraction of a percent, far better than IP geolocation. */
export function haversineKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLon = (lon2 - lon1) * rad;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(a)));
}

function metaOf(rule: BehaviourRule): BehaviourMeta {
  return hitMeta(rule, rule.level);
}

const zoneFormats = new Map<string, Intl.DateTimeFormat>();
const WEEKDAYS: Readonly<Record<string, number>> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

/** Weekday and minute of the day of `t` in the window's zone. */
function wallClock(t: number, zone: number | string): { day: number; minute: number } {
  if (typeof zone === 'number') {
    const local = new Date(t + zone * 60_000);
    return { day: local.getUTCDay(), minute: local.getUTCHours() * 60 + local.getUTCMinutes() };
  }
  let format = zoneFormats.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone: zone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    zoneFormats.set(zone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(t).map((p) => [p.type, p.value]));
  return { day: WEEKDAYS[parts['weekday'] ?? 'Sun'] ?? 0, minute: Number(parts['hour']) * 60 + Number(parts['minute']) };
}

export function insideWindow(w: TimeWindow, t: number): boolean {
  const { day, minute } = wallClock(t, w.zone);
  if (w.fromMinute <= w.toMinute) return w.days.has(day) && minute >= w.fromMinute && minute < w.toMinute;
  // Across midnight: the evening belongs to the listed day, the early morning to the day before.
  if (minute >= w.fromMinute) return w.days.has(day);
  return minute < w.toMinute && w.days.has((day + 6) % 7);
}

function iso(t: number): string {
  return new Date(t).toISOString();
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
