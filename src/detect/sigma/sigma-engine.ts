/**
 * Runs a rule set on events, fast: each rule sits in the bucket of its log source, so an event
 * meets only the rules of the log sources it belongs to; within a bucket, rules with witnesses
 * (literals one of which must occur for a match) are found by one Aho-Corasick pass per field
 * over the event, and only those candidates, plus the rules without witnesses, are evaluated.
 * The same engine serves live detection, `vigil scan` and retro-hunts, so a rule means the same
 * everywhere.
 */
import type { Event } from '../../core/event.js';
import { AhoCorasick } from './aho-corasick.js';
import { MappedRuleEvent, type FieldRenames } from './rule-event.js';
import type { CompiledRule, SigmaLogsource, SigmaMatch } from './sigma-types.js';

/** Which events a rule's log source covers, and under which field names (see logsource-map.ts). */
export interface LogsourceRouting {
  /** The key of the log source a rule targets; undefined when no mapping covers it. */
  ruleKey(logsource: SigmaLogsource): string | undefined;
  /** Every log source the event belongs to, with the field renames each implies. */
  sourcesOf(event: Event): readonly { readonly key: string; readonly renames: FieldRenames }[];
}

/** A field's automaton: pattern number → rule number (within the bucket's indexed rules). */
interface FieldIndex {
  readonly field: string | undefined;
  readonly automaton: AhoCorasick;
  readonly ruleOf: readonly number[];
}

class Bucket {
  readonly always: CompiledRule[] = [];
  readonly indexed: CompiledRule[] = [];
  fields: FieldIndex[] = [];
  marks = new Uint32Array(0);

  seal(): void {
    const byField = new Map<string | undefined, { automaton: AhoCorasick; ruleOf: number[] }>();
    this.indexed.forEach((rule, r) => {
      for (const w of rule.witnesses) {
        let entry = byField.get(w.field);
        if (!entry) byField.set(w.field, (entry = { automaton: new AhoCorasick(), ruleOf: [] }));
        entry.automaton.add(w.literal, entry.ruleOf.length);
        entry.ruleOf.push(r);
      }
    });
    this.fields = [...byField].map(([field, e]) => ({ field, automaton: e.automaton.build(), ruleOf: e.ruleOf }));
    this.marks = new Uint32Array(this.indexed.length);
  }
}

export interface EngineStats {
  events: number;
  /** Rule evaluations done (candidates plus rules without witnesses). */
  evaluated: number;
  matches: number;
}

export class SigmaEngine {
  readonly #buckets = new Map<string, Bucket>();
  /** Rules no log-source mapping covers: they can never match (lint reports them). */
  readonly unrouted: readonly CompiledRule[];
  readonly rules: readonly CompiledRule[];
  readonly stats: EngineStats = { events: 0, evaluated: 0, matches: 0 };
  /** Rule evaluations of the last event (for the share-of-rules figure). */
  lastEvaluated = 0;
  #epoch = 0;

  constructor(
    rules: readonly CompiledRule[],
    private readonly routing: LogsourceRouting,
  ) {
    const unrouted: CompiledRule[] = [];
    for (const rule of rules) {
      const key = routing.ruleKey(rule.meta.logsource);
      if (key === undefined) {
        unrouted.push(rule);
        continue;
      }
      let bucket = this.#buckets.get(key);
      if (!bucket) this.#buckets.set(key, (bucket = new Bucket()));
      // A keyword witness would mean scanning every value of every event in JS before the rule
      // scans them again with its own (native) pattern: such rules are cheaper evaluated directly.
      const indexable = rule.witnesses.length > 0 && rule.witnesses.every((w) => w.literal.length > 0 && w.field !== undefined);
      (indexable ? bucket.indexed : bucket.always).push(rule);
    }
    for (const bucket of this.#buckets.values()) bucket.seal();
    this.unrouted = unrouted;
    this.rules = rules;
  }

  /** The rules that match the event, in rule-set order within each log source. Never throws. */
  match(event: Event): SigmaMatch[] {
    const matches: SigmaMatch[] = [];
    let evaluated = 0;
    this.stats.events++;
    for (const source of this.routing.sourcesOf(event)) {
      const bucket = this.#buckets.get(source.key);
      if (!bucket) continue;
      const view = new MappedRuleEvent(event, source.renames);
      for (const rule of bucket.always) {
        evaluated++;
        if (rule.matches(view)) matches.push({ rule: rule.meta, event, view });
      }
      if (bucket.indexed.length === 0) continue;
      const candidates = this.#candidates(bucket, view);
      for (const r of candidates) {
        evaluated++;
        const rule = bucket.indexed[r]!;
        if (rule.matches(view)) matches.push({ rule: rule.meta, event, view });
      }
    }
    this.lastEvaluated = evaluated;
    this.stats.evaluated += evaluated;
    this.stats.matches += matches.length;
    return matches;
  }

  // Scan state, kept on the engine so the per-hit callback is one bound method, not a closure
  // allocated per field and event.
  #scanMarks = new Uint32Array(0);
  #scanRuleOf: readonly number[] = [];
  #scanFound: number[] = [];
  readonly #hit = (pattern: number): void => {
    const r = this.#scanRuleOf[pattern]!;
    if (this.#scanMarks[r] !== this.#epoch) {
      this.#scanMarks[r] = this.#epoch;
      this.#scanFound.push(r);
    }
  };

  #candidates(bucket: Bucket, view: MappedRuleEvent): number[] {
    // A fresh epoch marks "already a candidate" without clearing the array per event.
    if (++this.#epoch === 0xffffffff) {
      for (const b of this.#buckets.values()) b.marks.fill(0);
      this.#epoch = 1;
    }
    this.#scanMarks = bucket.marks;
    const found: number[] = (this.#scanFound = []);
    for (const index of bucket.fields) {
      this.#scanRuleOf = index.ruleOf;
      const values = view.lowered(index.field!);
      if (values === undefined) continue;
      if (typeof values === 'string') index.automaton.scan(values, this.#hit);
      else for (const v of values) index.automaton.scan(v, this.#hit);
    }
    return found.length > 1 ? found.sort((a, b) => a - b) : found;
  }

  /** Number of rules per log-source key (for lint and the benchmark). */
  bucketSizes(): Map<string, number> {
    return new Map([...this.#buckets].map(([k, b]) => [k, b.always.length + b.indexed.length]));
  }
}
