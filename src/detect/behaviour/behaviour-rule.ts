/**
 * Vigil behaviour rules: the building blocks Sigma cannot express, in a document shaped like a
 * Sigma correlation so it reads the same way. Where a correlation counts matches in a window,
 * a behaviour rule compares a match with what was learned about its group over days:
 *
 * ```yaml
 * title: SSH Login From a Country New for the User
 * behaviour:
 *   type: first_seen            # first_seen | rare | unusual_hour | impossible_travel | periodic | volume_spike
 *   rules: [vigil_linux_sshd_login_success]
 *   group-by: [user.name]
 *   field: source.geo.country_iso_code
 *   retention: 90d              # values not seen for this long are forgotten
 *   learning: 7d                # a group alerts only once it has been known this long
 * ```
 *
 * Threshold and sequence are not here on purpose: Sigma's own `event_count`/`value_count` and
 * `temporal_ordered` correlations say them, and docs/detections.md shows how.
 *
 * `readBehaviourRule` returns a typed `BehaviourRule` or throws one `CorrelationError` listing
 * every problem as `place: what to change`, like correlations.
 */
import { createHash } from 'node:crypto';
import type { SigmaLevel } from '../sigma/sigma-types.js';
import {
  CorrelationError,
  hint,
  isMap,
  kindOf,
  parseTimespan,
  readRuleHeader,
  readTextList,
  type Add,
  type RuleHeader,
  type Timespan,
} from '../correlate/correlation-rule.js';

export const BEHAVIOUR_TYPES = ['first_seen', 'rare', 'unusual_hour', 'impossible_travel', 'periodic', 'volume_spike', 'outside_window'] as const;
export type BehaviourType = (typeof BEHAVIOUR_TYPES)[number];

interface SpecBase {
  /** Ids or names of the base rules whose matches are observed. */
  readonly rules: readonly string[];
  /** Fields whose values make the group (the "who"); empty: one group for everything. */
  readonly groupBy: readonly string[];
  /** How long a group must have been observed before it may alert (event time). */
  readonly learning: Timespan;
  /** Observations older than this are forgotten. */
  readonly retention: Timespan;
}

export interface FirstSeenSpec extends SpecBase {
  readonly type: 'first_seen';
  /** The value(s) whose first appearance for the group alerts; several fields combine into one value. */
  readonly field: readonly string[];
}

export interface RareSpec extends SpecBase {
  readonly type: 'rare';
  readonly field: readonly string[];
  /** Alert while the value has been seen fewer than this many times for the group within `retention`. */
  readonly below: number;
}

export interface UnusualHourSpec extends SpecBase {
  readonly type: 'unusual_hour';
  /** Observations a group needs before its hours are judged. */
  readonly minEvents: number;
  /** An hour (with its two neighbours) holding less than this share of the group's events is unusual. */
  readonly share: number;
  /** Offset from UTC, minutes, in which hours are counted. */
  readonly utcOffsetMinutes: number;
}

export interface ImpossibleTravelSpec extends SpecBase {
  readonly type: 'impossible_travel';
  readonly latitude: string;
  readonly longitude: string;
  /** Fields reported with each location (country, city, address). */
  readonly place: readonly string[];
  /** Faster than this between two observations is impossible, km/h. */
  readonly maxSpeedKmh: number;
  /** Shorter jumps are ignored: city-level geolocation of one address is often hundreds of km off. */
  readonly minDistanceKm: number;
}

export interface PeriodicSpec extends SpecBase {
  readonly type: 'periodic';
  /** Optional size field (bytes) scored beside the intervals. */
  readonly size: string | undefined;
  readonly minEvents: number;
  /** Score (0..1) from which a group alerts. */
  readonly threshold: number;
}

export interface VolumeSpikeSpec extends SpecBase {
  readonly type: 'volume_spike';
  /** Length of one counting bucket. */
  readonly bucket: Timespan;
  /** A bucket alerts at this many times the group's usual (median) bucket… */
  readonly factor: number;
  /** …and at least this many events. */
  readonly minCount: number;
}

/** One allowed period: weekdays (0 = Sunday) and minutes of the day, in a time zone. */
export interface TimeWindow {
  readonly text: string;
  readonly days: ReadonlySet<number>;
  readonly fromMinute: number;
  /** Exclusive; may be below `fromMinute` for a window across midnight. */
  readonly toMinute: number;
  /** A fixed offset in minutes, or an IANA zone name. */
  readonly zone: number | string;
}

export interface OutsideWindowSpec extends SpecBase {
  readonly type: 'outside_window';
  /** Matches outside every window alert; no windows (none configured): the rule never alerts. */
  readonly windows: readonly TimeWindow[];
}

export type BehaviourSpec = FirstSeenSpec | RareSpec | UnusualHourSpec | ImpossibleTravelSpec | PeriodicSpec | VolumeSpikeSpec | OutsideWindowSpec;

export interface BehaviourRule extends Omit<RuleHeader, 'id' | 'level'> {
  readonly id: string;
  readonly idDerived: boolean;
  readonly level: SigmaLevel;
  readonly behaviour: BehaviourSpec;
  /** Changes whenever the spec changes: learned state is only carried over to an identical spec. */
  readonly fingerprint: string;
  readonly file: string | undefined;
}

const COMMON_KEYS = ['type', 'rules', 'group-by', 'learning', 'retention'];
const TYPE_KEYS: Readonly<Record<BehaviourType, readonly string[]>> = {
  first_seen: ['field'],
  rare: ['field', 'condition'],
  unusual_hour: ['min-events', 'share', 'utc-offset'],
  impossible_travel: ['latitude', 'longitude', 'place', 'max-speed', 'min-distance'],
  periodic: ['size', 'min-events', 'threshold'],
  volume_spike: ['bucket', 'factor', 'min-count'],
  outside_window: ['windows'],
};
const DEFAULT_RETENTION: Readonly<Record<BehaviourType, string>> = {
  first_seen: '90d',
  rare: '30d',
  unusual_hour: '30d',
  impossible_travel: '1d',
  periodic: '1d',
  volume_spike: '14d',
  outside_window: '1s',
};
const DEFAULT_LEARNING: Readonly<Record<BehaviourType, string>> = {
  first_seen: '7d',
  rare: '7d',
  unusual_hour: '7d',
  impossible_travel: '1s',
  periodic: '1s',
  volume_spike: '3d',
  outside_window: '1s',
};

/** True for a document with a `behaviour` section (and no `detection`, `correlation` or `filter`). */
export function isBehaviourDocument(doc: unknown): boolean {
  return isMap(doc) && 'behaviour' in doc && !('detection' in doc) && !('correlation' in doc) && !('filter' in doc);
}

/** `placeholders`: values for `%name%` entries in `windows` (as Sigma's `expand` modifier uses them). */
export function readBehaviourRule(doc: unknown, file?: string, placeholders: Readonly<Record<string, readonly string[]>> = {}): BehaviourRule {
  const problems: string[] = [];
  const add: Add = (where, what) => problems.push(`${where}: ${what}`);
  if (!isMap(doc)) throw new CorrelationError([`a behaviour rule is a YAML map, not ${kindOf(doc)}`], file);
  const header = readRuleHeader(doc, add);
  const spec = readSpec(doc['behaviour'], add, placeholders);
  if (header && header.level === undefined) add('level', 'required: informational, low, medium, high or critical');
  if (problems.length > 0 || !header || !spec) throw new CorrelationError(problems, file);
  return {
    ...header,
    id: header.id ?? header.name ?? `behaviour-${createHash('sha256').update(`${file ?? ''}\0${header.title}`).digest('hex').slice(0, 16)}`,
    idDerived: header.id === undefined,
    level: header.level!,
    behaviour: spec,
    fingerprint: createHash('sha256').update(JSON.stringify(spec)).digest('hex').slice(0, 16),
    file,
  };
}

function readSpec(raw: unknown, add: Add, placeholders: Readonly<Record<string, readonly string[]>>): BehaviourSpec | undefined {
  if (!isMap(raw)) {
    add('behaviour', `required: a map with type, rules and group-by, not ${kindOf(raw)}`);
    return undefined;
  }
  const type = raw['type'];
  if (typeof type !== 'string' || !(BEHAVIOUR_TYPES as readonly string[]).includes(type)) {
    add('behaviour.type', `${kindOf(type)} is not a behaviour type: use one of ${BEHAVIOUR_TYPES.join(', ')} (for thresholds and sequences write a Sigma correlation: event_count, value_count, temporal_ordered)`);
    return undefined;
  }
  const t = type as BehaviourType;
  const valid = new Set([...COMMON_KEYS, ...TYPE_KEYS[t]]);
  for (const key of Object.keys(raw)) if (!valid.has(key)) add(`behaviour.${key}`, `is not a key of a ${t} rule${hint(key, valid)}`);
  const rules = readTextList(raw['rules'], 'behaviour.rules', 'the ids or names of the rules whose matches are observed', add);
  const groupBy = readTextList(raw['group-by'] ?? [], 'behaviour.group-by', 'the fields that make a group, e.g. [user.name]', add, true);
  const span = (key: string, fallback: string): Timespan | undefined => {
    const parsed = parseTimespan(raw[key] ?? fallback);
    if (typeof parsed === 'string') {
      add(`behaviour.${key}`, parsed);
      return undefined;
    }
    return parsed;
  };
  const learning = span('learning', DEFAULT_LEARNING[t]);
  const retention = span('retention', DEFAULT_RETENTION[t]);
  const num = (key: string, fallback: number, min: number, max: number): number => {
    const v = raw[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
      add(`behaviour.${key}`, `must be a number from ${min} to ${max}, not ${kindOf(v)}`);
      return fallback;
    }
    return v;
  };
  const text = (key: string, fallback: string | undefined): string | undefined => {
    const v = raw[key] ?? fallback;
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v === '') {
      add(`behaviour.${key}`, `must be a field name, not ${kindOf(v)}`);
      return undefined;
    }
    return v;
  };
  if (!rules || !groupBy || !learning || !retention) return undefined;
  const base = { rules, groupBy, learning, retention };
  switch (t) {
    case 'first_seen':
    case 'rare': {
      const field = readTextList(raw['field'], 'behaviour.field', 'the field whose values are remembered per group', add);
      if (!field) return undefined;
      if (t === 'first_seen') return { type: t, ...base, field };
      const c = raw['condition'];
      let below = 3;
      if (c !== undefined) {
        if (!isMap(c) || Object.keys(c).length !== 1 || typeof c['lt'] !== 'number' || !Number.isInteger(c['lt']) || c['lt'] < 1 || c['lt'] > 1000) {
          add('behaviour.condition', 'must be { lt: N }, N a whole number from 1 to 1000: alert while the value has been seen fewer than N times');
        } else below = c['lt'];
      }
      return { type: t, ...base, field, below };
    }
    case 'unusual_hour': {
      const offset = raw['utc-offset'] ?? '+00:00';
      const m = typeof offset === 'string' ? /^([+-])(\d{2}):(\d{2})$/.exec(offset) : null;
      if (!m || Number(m[2]) > 14 || Number(m[3]) > 59) add('behaviour.utc-offset', `must be an offset such as +02:00 or -05:00, not ${kindOf(offset)}`);
      const minutes = m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
      return { type: t, ...base, minEvents: num('min-events', 50, 10, 1_000_000), share: num('share', 0.01, 0.0001, 0.5), utcOffsetMinutes: minutes };
    }
    case 'impossible_travel': {
      const place = raw['place'] === undefined ? ['source.geo.country_iso_code', 'source.geo.city_name', 'source.ip'] : readTextList(raw['place'], 'behaviour.place', 'fields shown for each location', add);
      if (!place) return undefined;
      return {
        type: t,
        ...base,
        latitude: text('latitude', 'source.geo.location.lat')!,
        longitude: text('longitude', 'source.geo.location.lon')!,
        place,
        maxSpeedKmh: num('max-speed', 1000, 100, 100_000),
        minDistanceKm: num('min-distance', 500, 0, 20_000),
      };
    }
    case 'periodic':
      return { type: t, ...base, size: text('size', undefined), minEvents: num('min-events', 20, 5, 100_000), threshold: num('threshold', 0.8, 0, 1) };
    case 'volume_spike': {
      const bucket = span('bucket', '1h');
      if (!bucket) return undefined;
      if (bucket.ms * 3 > retention.ms) add('behaviour.retention', `must hold at least three buckets (${bucket.text} each) to have a usual volume to compare with`);
      return { type: t, ...base, bucket, factor: num('factor', 10, 1.5, 10_000), minCount: num('min-count', 100, 1, 100_000_000) };
    }
    case 'outside_window': {
      const texts = readTextList(raw['windows'], 'behaviour.windows', "allowed periods such as 'mon-fri 08:00-18:00 Europe/Berlin', or a %placeholder%", add, true);
      if (!texts) return undefined;
      const windows: TimeWindow[] = [];
      for (const [i, text] of texts.entries()) {
        const name = /^%([A-Za-z0-9_.-]+)%$/.exec(text)?.[1];
        const expanded = name === undefined ? [text] : placeholders[name];
        if (expanded === undefined) {
          add(`behaviour.windows[${i}]`, `placeholder %${name}% has no values: set detection.placeholders.${name} (an empty list switches the rule off)`);
          continue;
        }
        for (const w of expanded) {
          const parsed = parseTimeWindow(w);
          if (typeof parsed === 'string') add(`behaviour.windows[${i}]`, parsed);
          else windows.push(parsed);
        }
      }
      return { type: t, ...base, windows };
    }
  }
}

const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

/** `mon-fri 08:00-18:00 Europe/Berlin`, `sat,sun 10:00-12:00 +01:00`, `daily 22:00-02:00 UTC`. */
export function parseTimeWindow(text: string): TimeWindow | string {
  const usage = `'${text}' is not a window: write days, hours and a zone, e.g. 'mon-fri 08:00-18:00 Europe/Berlin' or 'daily 22:00-02:00 +01:00'`;
  const m = /^\s*([a-z,-]+)\s+(\d{2}):(\d{2})-(\d{2}):(\d{2})\s+(\S+)\s*$/i.exec(text);
  if (!m) return usage;
  const days = new Set<number>();
  for (const part of m[1]!.toLowerCase().split(',')) {
    if (part === 'daily') {
      for (let d = 0; d < 7; d++) days.add(d);
      continue;
    }
    const [a, b] = part.split('-');
    const from = DAY_NAMES.indexOf(a ?? '');
    const to = b === undefined ? from : DAY_NAMES.indexOf(b);
    if (from < 0 || to < 0) return `'${part}' in '${text}' is not a day: use mon, tue, wed, thu, fri, sat, sun, ranges such as mon-fri, or daily`;
    for (let d = from; ; d = (d + 1) % 7) {
      days.add(d);
      if (d === to) break;
    }
  }
  const [h1, m1, h2, m2] = [m[2], m[3], m[4], m[5]].map(Number) as [number, number, number, number];
  if (h1 > 24 || h2 > 24 || m1 > 59 || m2 > 59) return usage;
  const zoneText = m[6]!;
  let zone: number | string;
  const offset = /^([+-])(\d{2}):(\d{2})$/.exec(zoneText);
  if (offset) zone = (offset[1] === '-' ? -1 : 1) * (Number(offset[2]) * 60 + Number(offset[3]));
  else if (zoneText.toUpperCase() === 'UTC' || zoneText === 'Z') zone = 0;
  else {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: zoneText });
    } catch {
      return `'${zoneText}' in '${text}' is not a time zone: write UTC, an offset such as +01:00, or a zone name such as Europe/Berlin`;
    }
    zone = zoneText;
  }
  return { text, days, fromMinute: h1 * 60 + m1, toMinute: h2 * 60 + m2, zone };
}
