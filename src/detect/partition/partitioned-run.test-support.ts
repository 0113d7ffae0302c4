/**
 * Test support: the same events through one `DetectionRun` and through the two stages of
 * partitioned detection, reduced to comparable text. A detection's text holds what an alert
 * shows of it: rule, level, tenant, group, window, value, what was observed and the event ids.
 */
import type { Event } from '../../core/event.js';
import { DetectionRun, type Detection } from '../detection.js';
import type { RuleSet } from '../sigma/rule-loader.js';
import type { LogsourceRouting } from '../sigma/sigma-engine.js';
import type { PartitionRecord } from './keyed-input.js';
import { PartitionState } from './partition-state.js';
import { StatelessStage, type StatelessOutput } from './stateless-stage.js';

export function canonical(d: Detection): string {
  switch (d.kind) {
    case 'rule':
      return JSON.stringify([d.kind, d.event.tenant, d.rule.id, d.time, d.eventIds]);
    case 'correlation': {
      const h = d.hit;
      return JSON.stringify([d.kind, d.tenant, d.rule.id, d.rule.level, h.type, h.group, h.windowStart, d.time, h.value, d.eventIds, h.eventIdsTruncated, h.suppressed]);
    }
    case 'behaviour': {
      const h = d.hit;
      return JSON.stringify([d.kind, d.tenant, d.rule.id, d.rule.level, h.type, h.group, d.time, h.value, h.observed, d.eventIds]);
    }
  }
}

/** One process: every detection of the events, then of the flush at the end, as text. */
export function singleProcess(ruleSet: RuleSet, routing: LogsourceRouting, events: readonly Event[]): string[] {
  const run = new DetectionRun(ruleSet, routing);
  const out: string[] = [];
  for (const e of events) for (const d of run.process(e)) out.push(canonical(d));
  for (const d of run.flush()) out.push(canonical(d));
  return out;
}

export interface PartitionedRun {
  readonly detections: string[];
  /** Every record each partition received, in order (to replay it elsewhere). */
  readonly records: PartitionRecord[][];
}

/**
 * Partitioned: the stateless stage over the events in order, each partition's records applied
 * in the order they were produced (per-partition FIFO), watermark marks after the events for
 * which `markAfter` says so, a flush at the end. With `restoreEvery`, each partition's state is
 * replaced by a restore of its own checkpoint (as text) every that many records.
 */
export function partitionedRun(
  ruleSet: RuleSet,
  routing: LogsourceRouting,
  events: readonly Event[],
  partitions: number,
  markAfter: (index: number) => boolean = () => false,
  restoreEvery = 0,
): PartitionedRun {
  const stage = new StatelessStage(ruleSet, routing, partitions);
  const states = Array.from({ length: partitions }, (_, p) => new PartitionState(stage.routes, p, partitions));
  const records: PartitionRecord[][] = Array.from({ length: partitions }, () => []);
  const detections: string[] = [];
  const deliver = (list: readonly PartitionRecord[]): void => {
    for (const r of list) {
      const log = records[r.partition]!;
      log.push(r);
      for (const d of states[r.partition]!.apply(log.length, r)) detections.push(canonical(d));
      if (restoreEvery > 0 && log.length % restoreEvery === 0) states[r.partition] = PartitionState.restore(stage.routes, states[r.partition]!.encodeCheckpoint());
    }
  };
  const out: StatelessOutput = { detections: [], inputs: [] };
  events.forEach((event, i) => {
    stage.process(event, out);
    deliver(out.inputs);
    out.inputs.length = 0;
    if (markAfter(i)) deliver(stage.watermarkMarks());
  });
  for (const d of out.detections) detections.push(canonical(d));
  deliver(stage.flushMarks());
  return { detections, records };
}

export interface SharedTenantRun extends PartitionedRun {
  /** The events in the order the stages read them: batch by batch, stages taking turns. */
  readonly readOrder: Event[];
}

/**
 * Several stateless stages sharing one tenant's events, as scaled-out detect workers share the
 * events partitions: event i goes to stage `stageOf(event)`, each stage reads its share in order
 * in batches of `batch`, the stages take turns (batch k of every stage before batch k + 1 of
 * any), and after each batch the stage's inputs then, if its watermark moved, its watermark
 * marks reach the partitions, as `statelessLoop` sends them. A flush at the end.
 */
export function sharedTenantRun(
  ruleSet: RuleSet,
  routing: LogsourceRouting,
  events: readonly Event[],
  partitions: number,
  stages: number,
  stageOf: (event: Event) => number,
  batch: number,
): SharedTenantRun {
  const stateless = Array.from({ length: stages }, () => new StatelessStage(ruleSet, routing, partitions));
  const states = Array.from({ length: partitions }, (_, p) => new PartitionState(stateless[0]!.routes, p, partitions));
  const records: PartitionRecord[][] = Array.from({ length: partitions }, () => []);
  const detections: string[] = [];
  const deliver = (list: readonly PartitionRecord[]): void => {
    for (const r of list) {
      const log = records[r.partition]!;
      log.push(r);
      for (const d of states[r.partition]!.apply(log.length, r)) detections.push(canonical(d));
    }
  };
  const shares: Event[][] = Array.from({ length: stages }, () => []);
  for (const e of events) shares[stageOf(e)]!.push(e);
  const readOrder: Event[] = [];
  const marked = new Array<string>(stages).fill('');
  for (let at = 0; shares.some((s) => s.length > at); at += batch) {
    for (let w = 0; w < stages; w++) {
      const slice = shares[w]!.slice(at, at + batch);
      if (slice.length === 0) continue;
      readOrder.push(...slice);
      const out: StatelessOutput = { detections: [], inputs: [] };
      for (const e of slice) stateless[w]!.process(e, out);
      for (const d of out.detections) detections.push(canonical(d));
      deliver(out.inputs);
      const marks = stateless[w]!.watermarkMarks();
      const now = marks.filter((m) => m.partition === 0).map((m) => `${m.tenant}=${m.watermark}`).join(',');
      if (now !== marked[w]) {
        deliver(marks);
        marked[w] = now;
      }
    }
  }
  for (const stage of stateless) deliver(stage.flushMarks());
  return { detections, records, readOrder };
}

/** Multiset difference, for a readable failure: what only `a` has and what only `b` has. */
export function difference(a: readonly string[], b: readonly string[]): { onlyFirst: string[]; onlySecond: string[] } {
  const count = new Map<string, number>();
  for (const x of a) count.set(x, (count.get(x) ?? 0) + 1);
  const onlySecond: string[] = [];
  for (const x of b) {
    const n = count.get(x) ?? 0;
    if (n > 0) count.set(x, n - 1);
    else onlySecond.push(x);
  }
  const onlyFirst = [...count].flatMap(([x, n]) => Array<string>(n).fill(x));
  return { onlyFirst, onlySecond };
}
