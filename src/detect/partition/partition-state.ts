/**
 * The stateful half of partitioned detection: the correlation windows and behaviour baselines
 * of one partition's keys, fed the partition's records in order, reporting correlation and
 * behaviour detections identical to those of one `DetectionRun` over the whole stream.
 *
 * Why identical: every group's state depends only on its own inputs and the tenant's
 * watermark (CorrelationEngine closes windows in order of their ends and forgets a group from
 * the group's own history, BehaviourEngine groups are independent), each input carries the
 * watermark the whole stream had reached before it, and all inputs of one group are on this
 * partition in stream order. The exceptions are the memory caps: `maxGroupsPerRule` applies
 * per partition (up to P times as many groups in all), and evicting at a cap is decided
 * among the partition's groups only.
 *
 * Records must be applied in the partition's order (per-partition FIFO); each carries its
 * position in the partition's log. A record at or below the last applied position is skipped,
 * so a worker restored from a checkpoint can be sent everything after its last commit.
 */
import { BehaviourEngine, type BehaviourSnapshot } from '../behaviour/behaviour-engine.js';
import { CorrelationEngine, type CorrelationHit, type CorrelationMatch, type CorrelationSnapshot } from '../correlate/correlation-engine.js';
import type { BehaviourDetection, CorrelationDetection } from '../detection.js';
import type { InputRoutes } from './input-routes.js';
import type { KeyedInput, PartitionRecord } from './keyed-input.js';
import { decodePartitionData, encodePartitionData } from './partition-codec.js';

export type StatefulDetection = CorrelationDetection | BehaviourDetection;

export interface PartitionStateOptions {
  /** Groups kept per correlation, tenant and partition (DetectionRun's option of that name). */
  readonly maxGroupsPerRule?: number;
}

/** A partition's state and the position of the last record applied, as saved. */
export interface PartitionCheckpoint {
  readonly version: 1;
  readonly partition: number;
  readonly partitions: number;
  readonly position: number;
  /** [tenant, target, family fingerprint, windows]. */
  readonly correlations: readonly (readonly [string, string, string, CorrelationSnapshot])[];
  /** [tenant, target, baselines] (each rule's fingerprint is inside). */
  readonly behaviours: readonly (readonly [string, string, BehaviourSnapshot])[];
  /** [tenant, watermark]: the highest each tenant's marks and inputs reported (absent in checkpoints of older versions). */
  readonly watermarks?: readonly (readonly [string, number])[];
}

export class PartitionState {
  #position = 0;
  /** tenant → target → engine. */
  readonly #correlations = new Map<string, Map<string, CorrelationEngine>>();
  readonly #behaviours = new Map<string, Map<string, BehaviourEngine>>();
  /**
   * Per tenant, the highest watermark any mark or input reported. A correlation engine created
   * later starts from it: with several stateless stages, another stage's marks may have come
   * before this target's first input, and that input carries only its own stage's watermark.
   */
  readonly #watermarks = new Map<string, number>();

  constructor(
    readonly routes: InputRoutes,
    readonly partition: number,
    readonly partitions: number,
    private readonly options: PartitionStateOptions = {},
  ) {}

  /** Position of the last record applied (0: none). */
  get position(): number {
    return this.#position;
  }

  /**
   * Applies the record at `position` and returns what fires. A position at or below the last
   * applied is a re-delivery: skipped, nothing returned.
   */
  apply(position: number, record: PartitionRecord): StatefulDetection[] {
    if (position <= this.#position) return [];
    if (record.partition !== this.partition) throw new Error(`record for partition ${record.partition} delivered to partition ${this.partition}: the transport must keep partitions apart`);
    this.#position = position;
    const out: StatefulDetection[] = [];
    const tenant = record.tenant;
    if (record.kind !== 'flush' && record.watermark > (this.#watermarks.get(tenant) ?? -Infinity)) this.#watermarks.set(tenant, record.watermark);
    switch (record.kind) {
      case 'input':
        if (record.target.startsWith('c:')) this.#correlate(record, out);
        else this.#behave(record, out);
        break;
      case 'watermark':
        for (const engine of this.#correlations.get(tenant)?.values() ?? []) pushHits(out, engine.advance(record.watermark), tenant);
        break;
      case 'flush':
        for (const engine of this.#correlations.get(tenant)?.values() ?? []) pushHits(out, engine.flush(), tenant);
        break;
    }
    return out;
  }

  #correlate(input: KeyedInput, out: StatefulDetection[]): void {
    let engines = this.#correlations.get(input.tenant);
    if (!engines) this.#correlations.set(input.tenant, (engines = new Map()));
    let engine = engines.get(input.target);
    if (!engine) {
      engine = this.#newEngine(input.target);
      engines.set(input.target, engine);
    }
    // A new engine has seen none of the tenant's marks: it starts where they had got to (never
    // above what this input carries or an earlier record reported, so it closes nothing early).
    pushHits(out, engine.advance(this.#watermarks.get(input.tenant) ?? -Infinity), input.tenant);
    // What one engine would have closed after the previous match, before this one is seen.
    pushHits(out, engine.advance(input.watermark), input.tenant);
    pushHits(out, engine.observe(matchOf(input)), input.tenant);
  }

  #behave(input: KeyedInput, out: StatefulDetection[]): void {
    let engines = this.#behaviours.get(input.tenant);
    if (!engines) this.#behaviours.set(input.tenant, (engines = new Map()));
    let engine = engines.get(input.target);
    if (!engine) {
      const rule = this.routes.behaviours.get(input.target);
      if (!rule) throw new Error(`no behaviour rule ${input.target.slice(2)} in this rule set: stateless and stateful workers must run the same rules`);
      engine = new BehaviourEngine([rule], this.#behaviourOptions());
      engines.set(input.target, engine);
    }
    for (const hit of engine.observe(matchOf(input))) out.push({ kind: 'behaviour', rule: hit.rule, hit, tenant: input.tenant, time: hit.time, eventIds: hit.eventIds });
  }

  #newEngine(target: string): CorrelationEngine {
    const family = this.routes.families.get(target);
    if (!family) throw new Error(`no correlation ${target.slice(2)} in this rule set: stateless and stateful workers must run the same rules`);
    return new CorrelationEngine(family.rules, undefined, {
      baseRules: this.routes.ruleSet.rules.map((r) => r.meta),
      ...(this.options.maxGroupsPerRule === undefined ? {} : { maxGroupsPerRule: this.options.maxGroupsPerRule }),
    });
  }

  #behaviourOptions(): { maxGroupsPerRule?: number } {
    return this.options.maxGroupsPerRule === undefined ? {} : { maxGroupsPerRule: this.options.maxGroupsPerRule };
  }

  /** Everything this partition holds, with the position it covers. */
  checkpoint(): PartitionCheckpoint {
    const correlations: [string, string, string, CorrelationSnapshot][] = [];
    for (const [tenant, engines] of this.#correlations) {
      for (const [target, engine] of engines) correlations.push([tenant, target, this.routes.families.get(target)!.fingerprint, engine.snapshot()]);
    }
    const behaviours: [string, string, BehaviourSnapshot][] = [];
    for (const [tenant, engines] of this.#behaviours) for (const [target, engine] of engines) behaviours.push([tenant, target, engine.snapshot()]);
    return { version: 1, partition: this.partition, partitions: this.partitions, position: this.#position, correlations, behaviours, watermarks: [...this.#watermarks] };
  }

  /** The checkpoint as text, for a checkpoint store. */
  encodeCheckpoint(): string {
    return encodePartitionData(this.checkpoint());
  }

  /**
   * A partition's state from its checkpoint, under the rules in force now: windows of a
   * correlation family whose rules changed start afresh (as after a rule reload in one
   * process), baselines are kept for behaviour rules whose spec is unchanged.
   */
  static restore(routes: InputRoutes, checkpoint: PartitionCheckpoint | string, options: PartitionStateOptions = {}): PartitionState {
    const saved = typeof checkpoint === 'string' ? decodePartitionData<PartitionCheckpoint>(checkpoint) : checkpoint;
    if (saved.version !== 1) throw new Error(`detection checkpoint version ${String(saved.version)} is not one this Vigil reads (1)`);
    const state = new PartitionState(routes, saved.partition, saved.partitions, options);
    state.#position = saved.position;
    for (const [tenant, watermark] of saved.watermarks ?? []) state.#watermarks.set(tenant, watermark);
    for (const [tenant, target, fingerprint, snapshot] of saved.correlations) {
      const family = routes.families.get(target);
      if (!family || family.fingerprint !== fingerprint) continue;
      const engine = state.#newEngine(target);
      engine.restore(snapshot);
      let engines = state.#correlations.get(tenant);
      if (!engines) state.#correlations.set(tenant, (engines = new Map()));
      engines.set(target, engine);
    }
    for (const [tenant, target, snapshot] of saved.behaviours) {
      const rule = routes.behaviours.get(target);
      if (!rule) continue;
      const engine = new BehaviourEngine([rule], state.#behaviourOptions());
      engine.restore(snapshot);
      let engines = state.#behaviours.get(tenant);
      if (!engines) state.#behaviours.set(tenant, (engines = new Map()));
      engines.set(target, engine);
    }
    return state;
  }
}

function matchOf(input: KeyedInput): CorrelationMatch {
  const fields = input.fields;
  return { rule: input.rule, time: input.time, eventId: input.eventId, field: (name) => (Object.hasOwn(fields, name) ? fields[name] : undefined) };
}

function pushHits(out: StatefulDetection[], hits: readonly CorrelationHit[], tenant: string): void {
  for (const hit of hits) out.push({ kind: 'correlation', rule: hit.rule, hit, tenant, time: hit.windowEnd, eventIds: hit.eventIds });
}
