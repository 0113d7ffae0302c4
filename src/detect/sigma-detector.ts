/**
 * Live detection: the pipeline's detector stage. Every event the pipeline stores first meets
 * the loaded Sigma rules and correlations; each detection becomes an alert that carries the
 * rule's id, title, level and author (the Detection Rule License requires the author wherever
 * a match is shown), its tags (ATT&CK), references, and the ids of the events that matched.
 *
 * Rule folders are checked every `reloadSeconds`; when a file changed, the set is loaded again
 * (yielding to the event loop, so inputs keep flowing) and swapped in whole. A reload that
 * fails to load anything keeps the previous set. Correlation windows start afresh after a swap;
 * what behaviour rules learned (baselines of days) is carried over to unchanged rules, and saved
 * to `stateFile` every minute and at close, so a restart does not start learning again.
 */
import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import type { Event, FieldValue } from '../core/event.js';
import { newId } from '../core/ids.js';
import type { Metrics } from '../core/metrics.js';
import type { Detector } from '../core/stage.js';
import type { AlertRecord } from '../core/store.js';
import { DetectionRun, type BehaviourState, type Detection } from './detection.js';
import { LogsourceMap } from './sigma/logsource-map.js';
import { loadRulesAsync, ruleFiles, type RuleSet } from './sigma/rule-loader.js';
import type { RuleMeta } from './sigma/sigma-types.js';

export interface SigmaDetectorOptions {
  readonly rules: readonly string[];
  readonly placeholders?: Readonly<Record<string, readonly string[]>>;
  /** Extra log-source mapping files. */
  readonly logsources?: readonly string[];
  /** 0: never reload. */
  readonly reloadSeconds: number;
  /** Where behaviour baselines are kept across restarts (JSON); none: in memory only. */
  readonly stateFile?: string | undefined;
  readonly metrics?: Metrics;
  /** How an alert names its rule's file (relative to its folder); the file's own path by default. */
  readonly fileLabel?: ((file: string) => string) | undefined;
  readonly log?: { info(o: object, m: string): void; warn(o: object, m: string): void };
}

export class SigmaDetector implements Detector {
  readonly name = 'sigma';
  #run: DetectionRun;
  #fingerprint: string;
  #timer: NodeJS.Timeout | undefined;
  #saveTimer: NodeJS.Timeout | undefined;
  #reloading = false;

  private constructor(
    private readonly options: SigmaDetectorOptions,
    private readonly routing: LogsourceMap,
    run: DetectionRun,
    fingerprint: string,
  ) {
    this.#run = run;
    this.#fingerprint = fingerprint;
  }

  static async open(options: SigmaDetectorOptions): Promise<SigmaDetector> {
    const routing = LogsourceMap.load(options.logsources ?? []);
    const fingerprint = fingerprintOf(options.rules);
    const set = await loadRulesAsync(options.rules, { placeholders: options.placeholders });
    const behaviourState = options.stateFile ? readState(options.stateFile, options.log) : undefined;
    const detector = new SigmaDetector(options, routing, new DetectionRun(set, routing, { behaviourState }), fingerprint);
    detector.#report(set, 'rules loaded');
    if (options.reloadSeconds > 0) {
      detector.#timer = setInterval(() => void detector.reload(), options.reloadSeconds * 1000);
      detector.#timer.unref();
    }
    if (options.stateFile && set.behaviours.length > 0) {
      detector.#saveTimer = setInterval(() => detector.saveState(), 60_000);
      detector.#saveTimer.unref();
    }
    return detector;
  }

  get ruleSet(): RuleSet {
    return this.#run.ruleSet;
  }

  /** Whether a match of this rule becomes an alert of its own in the live set (not when it only feeds correlations). */
  raisesOnItsOwn(rule: RuleMeta): boolean {
    return this.#run.raisesOnItsOwn(rule);
  }

  /** The log-source mappings the rules run with. */
  get logsources(): LogsourceMap {
    return this.routing;
  }

  detect(batch: readonly Event[]): AlertRecord[] {
    const started = performance.now();
    const alerts: AlertRecord[] = [];
    for (const event of batch) for (const d of this.#run.process(event)) alerts.push(this.alertOf(d));
    this.options.metrics?.detectSeconds.observe((performance.now() - started) / 1000);
    return alerts;
  }

  /** Loads the rule folders again if a file was added, removed or changed. Returns whether it swapped. */
  async reload(force = false): Promise<boolean> {
    if (this.#reloading) return false;
    this.#reloading = true;
    try {
      const fingerprint = fingerprintOf(this.options.rules);
      if (!force && fingerprint === this.#fingerprint) return false;
      const set = await loadRulesAsync(this.options.rules, { placeholders: this.options.placeholders });
      if (set.rules.length === 0 && this.#run.ruleSet.rules.length > 0) {
        this.options.log?.warn({ failed: set.failed.length }, 'rule reload loaded no rules; keeping the previous set');
        return false;
      }
      this.#run = new DetectionRun(set, this.routing, { behaviourState: this.#run.behaviourSnapshot() });
      this.#fingerprint = fingerprint;
      this.#report(set, 'rules reloaded');
      return true;
    } catch (error) {
      this.options.log?.warn({ err: error }, 'rule reload failed; keeping the previous set');
      return false;
    } finally {
      this.#reloading = false;
    }
  }

  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    if (this.#saveTimer) clearInterval(this.#saveTimer);
    this.saveState();
  }

  /** Writes the behaviour baselines to `stateFile` (whole file, then renamed: never half-written). */
  saveState(): void {
    const file = this.options.stateFile;
    if (!file || this.#run.ruleSet.behaviours.length === 0) return;
    try {
      writeFileSync(`${file}.tmp`, JSON.stringify(this.#run.behaviourSnapshot()), { mode: 0o600 });
      renameSync(`${file}.tmp`, file);
    } catch (error) {
      this.options.log?.warn({ err: error, file }, 'could not save behaviour baselines; they will be learned again after a restart');
    }
  }

  #report(set: RuleSet, message: string): void {
    const unmapped = this.#run.engine.unrouted.length;
    const m = this.options.metrics?.rulesLoaded;
    m?.set({ state: 'loaded' }, set.rules.length);
    m?.set({ state: 'failed' }, set.failed.length);
    m?.set({ state: 'skipped' }, set.skipped.length);
    m?.set({ state: 'unmapped' }, unmapped);
    m?.set({ state: 'correlations' }, set.correlations.length);
    this.options.log?.info({ rules: set.rules.length, correlations: set.correlations.length, behaviours: set.behaviours.length, filters: set.filters.length, failed: set.failed.length, skipped: set.skipped.length, unmapped }, message);
    for (const f of set.failed.slice(0, 20)) this.options.log?.warn({ file: f.file }, `rule not loaded: ${f.reason}`);
  }

  /** The alert a detection becomes (also for detections made elsewhere: partitioned detection). */
  alertOf(d: Detection): AlertRecord {
    this.options.metrics?.detections.inc({ kind: d.kind, level: d.rule.level });
    const rule = d.rule;
    const details: Record<string, unknown> = {
      kind: d.kind === 'rule' ? 'sigma' : d.kind,
      tags: rule.tags,
      references: rule.references,
      description: rule.description,
      falsepositives: rule.falsepositives,
      file: rule.file === undefined || !this.options.fileLabel ? rule.file : this.options.fileLabel(rule.file),
      time: new Date(d.time).toISOString(),
    };
    if (d.kind === 'rule') Object.assign(details, { logsource: d.rule.logsource, host: text(d.event.fields['host.name']), user: text(d.event.fields['user.name']), entities: entitiesOf(d.event.fields) });
    else if (d.kind === 'behaviour') {
      Object.assign(details, { entities: groupEntities(d.hit.group), type: d.hit.type, group: d.hit.group, value: d.hit.value, observed: d.hit.observed });
    } else {
      Object.assign(details, {
        entities: groupEntities(d.hit.group),
        type: d.hit.type,
        group: d.hit.group,
        value: d.hit.value,
        window: { start: new Date(d.hit.windowStart).toISOString(), end: new Date(d.hit.windowEnd).toISOString() },
        eventIdsTruncated: d.hit.eventIdsTruncated,
      });
    }
    return {
      id: newId(),
      tenant: d.kind === 'rule' ? d.event.tenant : d.tenant,
      created: Date.now(),
      ruleId: rule.id,
      ruleTitle: rule.title,
      ruleAuthor: rule.author,
      level: rule.level,
      eventIds: d.eventIds,
      state: 'new',
      details,
    };
  }
}

/** The ECS fields that name who and what an alert is about, for triage and pivoting. */
const ENTITY_FIELDS = [
  'host.name', 'host.ip', 'user.name', 'user.target.name', 'source.ip', 'destination.ip', 'destination.port',
  'process.executable', 'process.command_line', 'file.path', 'registry.path', 'url.original', 'dns.question.name',
  'cloud.account.id', 'service.name',
];

export function entitiesOf(fields: Readonly<Record<string, FieldValue>>): Record<string, FieldValue> {
  const out: Record<string, FieldValue> = {};
  for (const k of ENTITY_FIELDS) {
    const v = fields[k];
    if (v !== undefined && v !== null && v !== '') out[k] = v;
  }
  return out;
}

/** A correlation's group values, named by ECS field where the group-by is a native name for one. */
function groupEntities(group: Readonly<Record<string, string | number>>): Record<string, string | number> {
  const NATIVE: Record<string, string> = { IpAddress: 'source.ip', TargetUserName: 'user.name', SubjectUserName: 'user.name', Computer: 'host.name', Hostname: 'host.name' };
  const out: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(group)) out[NATIVE[k] ?? k] = v;
  return out;
}

function text(v: FieldValue | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function readState(file: string, log: SigmaDetectorOptions['log']): BehaviourState | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const state = JSON.parse(text) as unknown;
    if (typeof state === 'object' && state !== null && !Array.isArray(state)) return state as BehaviourState;
  } catch {
    // Reported below.
  }
  log?.warn({ file }, 'behaviour baselines file is damaged; starting to learn again');
  return undefined;
}

/** Paths, sizes and modification times of every rule file: a change in any means reload. */
function fingerprintOf(paths: readonly string[]): string {
  const parts: string[] = [];
  for (const root of paths) {
    try {
      for (const file of ruleFiles(root)) {
        const s = statSync(file);
        parts.push(`${file}:${s.size}:${s.mtimeMs}`);
      }
    } catch {
      parts.push(`${root}:missing`);
    }
  }
  return parts.join('\n');
}
