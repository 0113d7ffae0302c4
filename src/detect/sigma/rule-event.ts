/**
 * The `RuleEvent` every compiled rule reads: an event's fields under the names its log source
 * gives them (a Security 4688 event answers `Image` from `NewProcessName`), with each field
 * lower-cased at most once per event however many rules ask for it. One is built per event and
 * log-source mapping, and thrown away after the event.
 */
import type { Event, FieldValue } from '../../core/event.js';
import type { RuleEvent } from './sigma-types.js';

/** Where a Sigma field name reads from: another field, or one element of an array field. */
export type FieldSource = string | { readonly field: string; readonly index: number };

export type FieldRenames = ReadonlyMap<string, readonly FieldSource[]>;

const NO_RENAMES: FieldRenames = new Map();
const TEXT_FORMATS = new Set<string>(['rfc3164', 'rfc5424', 'web-access', 'web-error', 'auditd', 'zeek', 'device', 'raw']);

function lowerOf(value: FieldValue): string | readonly string[] | undefined {
  if (value === null) return undefined;
  if (typeof value === 'string') return value.toLowerCase();
  if (Array.isArray(value)) return value.map((v) => (v === null ? '' : typeof v === 'string' ? v.toLowerCase() : String(v).toLowerCase()));
  return String(value).toLowerCase();
}

export class MappedRuleEvent implements RuleEvent {
  readonly #lowered = new Map<string, string | readonly string[] | undefined>();
  #keywords: readonly string[] | undefined;

  constructor(
    readonly event: Event,
    private readonly renames: FieldRenames = NO_RENAMES,
  ) {}

  value(field: string): FieldValue | undefined {
    const sources = this.renames.get(field);
    if (sources) {
      for (const source of sources) {
        const v = typeof source === 'string' ? this.event.fields[source] : elementOf(this.event.fields[source.field], source.index);
        if (v !== undefined) return v;
      }
    }
    return this.event.fields[field];
  }

  lowered(field: string): string | readonly string[] | undefined {
    if (this.#lowered.has(field)) return this.#lowered.get(field);
    const v = this.value(field);
    const lowered = v === undefined ? undefined : lowerOf(v);
    this.#lowered.set(field, lowered);
    return lowered;
  }

  keywordTexts(): readonly string[] {
    if (this.#keywords) return this.#keywords;
    // A text record (a syslog line, an audit record) is searched as written; a JSON one by its
    // values, since JSON escaping would hide `C:\\Windows` behind `C:\\\\Windows`. The values are
    // joined into one text, lower-cased in one call (a rule's keyword list is one native scan).
    const texts: string[] = [];
    if (TEXT_FORMATS.has(this.event.format)) texts.push(this.event.original.toLowerCase());
    else {
      const parts: string[] = [];
      // Windows native names are never dotted, so there the dotted ECS copies are safe to skip;
      // other sources (Suricata's `http.hostname`) have dotted native names of their own.
      const module = this.event.fields['event.module'];
      const skipEcs = module === 'windows' || module === 'sysmon';
      for (const key in this.event.fields) {
        if (skipEcs && isEcsCopy(key)) continue;
        const v = this.event.fields[key];
        if (typeof v === 'string') parts.push(v);
        else if (Array.isArray(v)) for (const x of v) if (typeof x === 'string') parts.push(x);
      }
      texts.push(parts.join('\n').toLowerCase());
    }
    this.#keywords = texts;
    return texts;
  }
}

/** ECS field sets Vigil's parsers add beside a record's own fields. */
const ECS_PREFIXES = ['event.', 'process.', 'source.', 'destination.', 'user.', 'host.', 'winlog.', 'file.', 'registry.', 'network.', 'dns.', 'url.', 'http.', 'related.', 'cloud.', 'service.', 'dll.', 'powershell.', 'log.', 'observer.', 'rule.', 'user_agent.', 'group.', 'error.', 'tls.', 'sysmon.'];
const ecsCopy = new Map<string, boolean>();

function isEcsCopy(key: string): boolean {
  let known = ecsCopy.get(key);
  if (known === undefined) {
    known = ECS_PREFIXES.some((p) => key.startsWith(p));
    // Bounded: field names come from events, so the cache must not grow without end.
    if (ecsCopy.size < 50_000) ecsCopy.set(key, known);
  }
  return known;
}

function elementOf(value: FieldValue | undefined, index: number): FieldValue | undefined {
  return Array.isArray(value) ? value[index] : index === 0 ? value : undefined;
}
