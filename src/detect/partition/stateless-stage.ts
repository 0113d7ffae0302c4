/**
 * The stateless half of partitioned detection: any worker can run it on any event. It matches
 * the Sigma rules, reports the matches that alert on their own (exactly as `DetectionRun`
 * decides: not those that only feed correlations or behaviour rules), and turns every match a
 * stateful rule reads into a `KeyedInput` for the partition that owns its group.
 *
 * The one thing it remembers is a number per tenant: the newest event time on any match (the
 * watermark a single `DetectionRun` keeps). Each input carries the watermark as it stood before
 * its match, and `watermarkMarks()` sends it to every partition, so partitions close windows
 * as one process would. Losing it (a restart) only delays closing until newer events arrive:
 * partitions never move their watermark back.
 */
import type { Event } from '../../core/event.js';
import { correlationMatch } from '../correlate/correlation-input.js';
import { DetectionRun, type RuleDetection } from '../detection.js';
import type { RuleSet } from '../sigma/rule-loader.js';
import type { LogsourceRouting } from '../sigma/sigma-engine.js';
import { InputRoutes } from './input-routes.js';
import { partitionOf, type FlushMark, type KeyedInput, type WatermarkMark } from './keyed-input.js';

export interface StatelessOutput {
  readonly detections: RuleDetection[];
  readonly inputs: KeyedInput[];
}

export class StatelessStage {
  /** Sigma matching and the own-alert policy, shared with the single-process path. */
  readonly run: DetectionRun;
  readonly routes: InputRoutes;
  readonly #watermarks = new Map<string, number>();
  readonly #correlations: boolean;

  constructor(
    ruleSet: RuleSet,
    routing: LogsourceRouting,
    readonly partitions: number,
  ) {
    if (!Number.isInteger(partitions) || partitions < 1) throw new Error(`detection partitions must be a whole number from 1, not ${partitions}`);
    this.run = new DetectionRun(ruleSet, routing);
    this.routes = new InputRoutes(ruleSet);
    this.#correlations = ruleSet.correlations.length > 0;
  }

  /** Appends what one event sets off to `out`. Never throws for an event's content. */
  process(event: Event, out: StatelessOutput): void {
    const matches = this.run.engine.match(event);
    if (matches.length === 0) return;
    const tenant = event.tenant;
    let watermark = this.#watermarks.get(tenant) ?? -Infinity;
    for (const m of matches) {
      if (this.run.raisesOnItsOwn(m.rule)) out.detections.push({ kind: 'rule', rule: m.rule, event, time: event.time, eventIds: [event.id] });
      const before = watermark;
      // As CorrelationEngine.observe: every match moves event time on, whatever it feeds.
      if (this.#correlations && event.time > watermark) watermark = event.time;
      const routes = this.routes.of(m.rule);
      if (routes.length === 0) continue;
      const match = correlationMatch(m.rule, m.view);
      for (const route of routes) {
        let key = '';
        let complete = true;
        for (let i = 0; i < route.keyFields.length; i++) {
          const v = match.field(route.keyFields[i]!);
          // Without its group the match changes no state (a correlation counts it as incomplete).
          if (v === undefined || (route.kind === 'behaviour' && v === '')) {
            complete = false;
            break;
          }
          key = i === 0 ? String(v) : `${key}\u0000${String(v)}`;
        }
        if (!complete) continue;
        const fields: Record<string, string | number> = {};
        for (const name of route.carry) {
          const v = match.field(name);
          if (v !== undefined) fields[name] = v;
        }
        out.inputs.push({
          kind: 'input',
          tenant,
          target: route.target,
          key,
          partition: partitionOf(tenant, route.target, key, this.partitions),
          rule: { id: m.rule.id, name: m.rule.name, level: m.rule.level },
          time: match.time,
          eventId: match.eventId,
          fields,
          watermark: before,
        });
      }
    }
    this.#watermarks.set(tenant, watermark);
  }

  /** One mark per partition and tenant seen: how far event time has got (send every few seconds). */
  watermarkMarks(): WatermarkMark[] {
    const out: WatermarkMark[] = [];
    for (const [tenant, watermark] of this.#watermarks) {
      if (watermark === -Infinity) continue;
      for (let partition = 0; partition < this.partitions; partition++) out.push({ kind: 'watermark', tenant, partition, watermark });
    }
    return out;
  }

  /** One flush per partition and tenant seen: the end of a replay. */
  flushMarks(): FlushMark[] {
    const out: FlushMark[] = [];
    for (const tenant of this.#watermarks.keys()) for (let partition = 0; partition < this.partitions; partition++) out.push({ kind: 'flush', tenant, partition });
    return out;
  }
}
