/**
 * The rules a server runs, as the console and the API see them: every Sigma rule, correlation
 * and behaviour rule of the live set with its metadata (author, id and title travel with every
 * view of a rule, as the Detection Rule License asks), whether it is switched on for a tenant,
 * its source text, a retro-hunt of one rule over stored history before it is switched on, and
 * the import of a folder of rule files into `<data>/rules/imported`.
 */
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import type { Event } from '../core/event.js';
import type { RuleState, RuleStateStore } from '../core/rule-state.js';
import type { Store } from '../core/store.js';
import { VigilError } from '../core/errors.js';
import { DetectionRun, type Detection } from './detection.js';
import { huntOver } from './retro-hunt.js';
import { loadRules, type RuleSet } from './sigma/rule-loader.js';
import type { LogsourceMap } from './sigma/logsource-map.js';
import type { CompiledRule, RuleMeta } from './sigma/sigma-types.js';
import type { CorrelationRule } from './correlate/correlation-rule.js';
import type { BehaviourRule } from './behaviour/behaviour-rule.js';
import type { RuleSwitches } from './rule-switches.js';

export type CatalogRuleKind = 'sigma' | 'correlation' | 'behaviour';

export interface CatalogRule {
  readonly id: string;
  readonly title: string;
  readonly author: string;
  readonly level: string;
  readonly status: string | null;
  readonly description: string | null;
  readonly references: readonly string[];
  readonly tags: readonly string[];
  readonly falsepositives: readonly string[];
  readonly logsource: Readonly<Record<string, string>> | null;
  readonly kind: CatalogRuleKind;
  /** The file, relative to its rule folder (`builtin/…`, `imported/…`, or the configured folder's name). */
  readonly file: string | null;
  readonly builtin: boolean;
}

/** What the catalog needs of the live detector. */
export interface LiveRules {
  readonly ruleSet: RuleSet;
  readonly logsources: LogsourceMap;
  reload(force?: boolean): Promise<boolean>;
  /** Whether a match of the rule is an alert of its own in the live set (a base rule of a correlation is not). */
  raisesOnItsOwn(rule: RuleMeta): boolean;
}

export interface RuleRoot {
  readonly path: string;
  /** Shown instead of the server's own path. */
  readonly label: string;
  readonly builtin: boolean;
}

export interface RuleCatalogOptions {
  readonly live: LiveRules;
  /** The rule folders the detector loads, in order; `importFolder` among them. */
  readonly roots: readonly RuleRoot[];
  readonly importFolder: string;
  readonly placeholders?: Readonly<Record<string, readonly string[]>> | undefined;
  readonly switches: RuleSwitches;
  readonly store: RuleStateStore & Pick<Store, 'scanEvents'>;
  /**
   * Why rule files cannot be imported here, and where to import them instead: a catalog that only
   * shows what detection elsewhere runs (the scale-out api role) would write files no detector reads.
   */
  readonly importRefused?: string | undefined;
}

export interface HuntRequest {
  readonly from?: number | undefined;
  readonly to?: number | undefined;
  /** Matching events returned (all are counted). */
  readonly limit: number;
  /** How long the hunt may read before it answers with what it found. */
  readonly budgetMs: number;
}

export interface HuntDetection {
  readonly time: number;
  readonly eventIds: readonly string[];
  /** Correlation or behaviour group values; absent for a single-event match. */
  readonly group?: Readonly<Record<string, string | number>>;
}

export interface RuleHuntReport {
  readonly rule: { readonly id: string; readonly title: string; readonly author: string; readonly level: string };
  /** Events the rule matched (a Sigma rule), or hits (a correlation's windows, a behaviour's findings). */
  readonly matches: number;
  /** Alerts live detection would have raised from them, before grouping: 0 for a rule that only feeds correlations. */
  readonly alerts: number;
  /** False for a Sigma rule whose matches only feed correlations or behaviour rules (Sigma's `generate: false`). */
  readonly raisesOnItsOwn: boolean;
  readonly detections: readonly HuntDetection[];
  /** The matching events of a Sigma rule, newest match last, up to the limit. */
  readonly events: readonly Event[];
  readonly byHost: readonly { readonly host: string; readonly count: number }[];
  readonly scanned: number;
  /** False when the time budget ran out before the end of the range. */
  readonly complete: boolean;
  readonly tookMs: number;
}

export interface ImportFile {
  readonly path: string;
  readonly content: string;
}

export interface ImportReport {
  /** Files written to the import folder. */
  readonly written: readonly string[];
  readonly loaded: { readonly rules: number; readonly correlations: number; readonly behaviours: number; readonly filters: number };
  /** Rules not loaded by design (deprecated, unsupported). */
  readonly skipped: readonly { readonly file: string; readonly reason: string }[];
  readonly failed: readonly { readonly file: string; readonly reason: string }[];
  /** Files that are not rule files (README.md, images…): not written. */
  readonly ignored: readonly string[];
}

export const MAX_IMPORT_FILES = 2_000;
export const MAX_RULE_SOURCE_BYTES = 1024 * 1024;
const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._ ()+-]{0,127}$/;

export class RuleCatalog {
  constructor(private readonly options: RuleCatalogOptions) {}

  list(): CatalogRule[] {
    const set = this.options.live.ruleSet;
    return [...set.rules.map((r) => this.#sigmaView(r)), ...set.correlations.map((c) => this.#correlationView(c)), ...set.behaviours.map((b) => this.#behaviourView(b))];
  }

  /** One rule by id, without building the views of the others. */
  find(id: string): CatalogRule | undefined {
    const set = this.options.live.ruleSet;
    const rule = set.rules.find((r) => r.meta.id === id);
    if (rule) return this.#sigmaView(rule);
    const correlation = set.correlations.find((c) => c.id === id);
    if (correlation) return this.#correlationView(correlation);
    const behaviour = set.behaviours.find((b) => b.id === id);
    return behaviour ? this.#behaviourView(behaviour) : undefined;
  }

  #sigmaView(r: CompiledRule): CatalogRule {
    const m = r.meta;
    return this.#view(m.id, 'sigma', m.title, m.author, m.level, m.status, m.description, m.references, m.tags, m.falsepositives, { ...m.logsource }, m.file);
  }

  #correlationView(c: CorrelationRule): CatalogRule {
    return this.#view(c.id, 'correlation', c.title, c.author, c.level ?? 'informational', c.status, c.description, c.references, c.tags, c.falsepositives, null, c.file);
  }

  #behaviourView(b: BehaviourRule): CatalogRule {
    return this.#view(b.id, 'behaviour', b.title, b.author, b.level, b.status, b.description, b.references, b.tags, b.falsepositives, null, b.file);
  }

  /** The file a rule was loaded from, as text (it may hold other documents too). */
  source(id: string): string | undefined {
    const file = this.#fileOf(id);
    if (file === undefined) return undefined;
    try {
      if (statSync(file).size > MAX_RULE_SOURCE_BYTES) return `# the rule file is larger than ${MAX_RULE_SOURCE_BYTES} bytes; read it on the server`;
      return readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
  }

  enabled(tenant: string, id: string): boolean {
    return this.options.switches.enabled(tenant, id);
  }

  /** Switches a rule on or off for the tenant: stored first, then applied to live detection. */
  async setEnabled(tenant: string, id: string, enabled: boolean, by: string, now = Date.now()): Promise<RuleState> {
    const state: RuleState = { tenant, ruleId: id, enabled, changed: now, changedBy: by };
    await this.options.store.setRuleState(state);
    this.options.switches.set(tenant, id, enabled);
    return state;
  }

  /**
   * One rule over the tenant's stored history, through the same DetectionRun as live detection
   * (so it finds what it would have raised), raising nothing. A plain Sigma rule runs alone; a
   * correlation or behaviour rule runs with the rules it reads, and only its own hits count.
   */
  async hunt(tenant: string, id: string, request: HuntRequest): Promise<RuleHuntReport> {
    const started = Date.now();
    const set = this.options.live.ruleSet;
    const rule = this.find(id);
    if (!rule) throw new VigilError('not-found', `no rule with id ${id} is loaded; list them with GET /api/v1/rules`, { where: 'path id' });
    const compiled = set.rules.find((r) => r.meta.id === id);
    const subset: RuleSet = compiled ? { ...set, rules: [compiled], correlations: [], behaviours: [] } : set;
    const run = new DetectionRun(subset, this.options.live.logsources);
    let matches = 0;
    const detections: HuntDetection[] = [];
    const events: Event[] = [];
    const hosts = new Map<string, number>();
    const emit = (d: Detection) => {
      if (d.rule.id !== id) return;
      matches++;
      if (detections.length < request.limit) detections.push(d.kind === 'rule' ? { time: d.time, eventIds: d.eventIds } : { time: d.time, eventIds: d.eventIds.slice(0, 100), group: d.hit.group });
      if (d.kind === 'rule') {
        if (events.length < request.limit) events.push(d.event);
        const host = d.event.fields['host.name'];
        const name = typeof host === 'string' ? host : '(no host)';
        hosts.set(name, (hosts.get(name) ?? 0) + 1);
      }
    };
    const raisesOnItsOwn = compiled ? this.options.live.raisesOnItsOwn(compiled.meta) : true;
    const progress = await huntOver(this.options.store, tenant, run, emit, { from: request.from, to: request.to, deadline: started + request.budgetMs });
    const byHost = [...hosts].map(([host, count]) => ({ host, count })).sort((a, b) => b.count - a.count || (a.host < b.host ? -1 : 1)).slice(0, 50);
    return {
      rule: { id: rule.id, title: rule.title, author: rule.author, level: rule.level },
      matches,
      alerts: raisesOnItsOwn ? matches : 0,
      raisesOnItsOwn,
      detections,
      events,
      byHost,
      scanned: progress.events,
      complete: progress.complete,
      tookMs: Date.now() - started,
    };
  }

  /**
   * Checks every YAML file by loading it on its own, then writes the files that load into the
   * import folder and reloads live detection. A file fails when it is not valid Sigma, or when
   * it holds a rule id already loaded from another file (two rules with one id would make
   * alerts, switches and figures ambiguous).
   */
  async import(files: readonly ImportFile[]): Promise<ImportReport> {
    if (this.options.importRefused !== undefined) throw new VigilError('conflict', this.options.importRefused, { where: 'rule import' });
    if (files.length > MAX_IMPORT_FILES) throw new VigilError('bad-request', `at most ${MAX_IMPORT_FILES} files per import; import the folder in parts`, { where: 'body files' });
    const ignored: string[] = [];
    const failed: { file: string; reason: string }[] = [];
    const candidates: { target: string; shown: string; content: string }[] = [];
    const seenTargets = new Set<string>();
    for (const file of files) {
      const shown = file.path;
      if (!/\.ya?ml$/i.test(shown)) {
        ignored.push(shown);
        continue;
      }
      if (/\.tests\.ya?ml$/i.test(shown)) {
        ignored.push(shown);
        continue;
      }
      const target = safeRelativePath(shown);
      if (target === undefined) {
        failed.push({ file: shown, reason: 'the path must be folder and file names of letters, digits, "._-+() " (no "..", no hidden files)' });
        continue;
      }
      if (seenTargets.has(target)) {
        failed.push({ file: shown, reason: 'the same path appears twice in this import' });
        continue;
      }
      seenTargets.add(target);
      candidates.push({ target, shown, content: file.content });
    }

    const live = this.options.live.ruleSet;
    const importRoot = this.options.importFolder;
    const owners = new Map<string, string>();
    for (const r of live.rules) if (r.meta.file) owners.set(r.meta.id, r.meta.file);
    for (const c of live.correlations) if (c.file) owners.set(c.id, c.file);
    for (const b of live.behaviours) if (b.file) owners.set(b.id, b.file);

    const staging = mkdtempSync(join(dirname(importRoot), '.rule-import-'));
    const written: string[] = [];
    const skipped: { file: string; reason: string }[] = [];
    const loaded = { rules: 0, correlations: 0, behaviours: 0, filters: 0 };
    try {
      for (const c of candidates) {
        const staged = join(staging, c.target);
        mkdirSync(dirname(staged), { recursive: true });
        writeFileSync(staged, c.content, { mode: 0o600 });
        const set = loadRules([staged], { placeholders: this.options.placeholders });
        const reasons = set.failed.map((f) => f.reason);
        const destination = join(importRoot, c.target);
        for (const id of [...set.rules.map((r) => r.meta.id), ...set.correlations.map((r) => r.id), ...set.behaviours.map((r) => r.id)]) {
          const owner = owners.get(id);
          if (owner !== undefined && owner !== destination) reasons.push(`rule id ${id} is already loaded from ${this.#display(owner)}`);
        }
        if (reasons.length > 0) {
          failed.push({ file: c.shown, reason: reasons.join('; ') });
          continue;
        }
        const usable = set.rules.length + set.correlations.length + set.behaviours.length + set.filters.length;
        for (const s of set.skipped) skipped.push({ file: c.shown, reason: s.reason });
        if (usable === 0) {
          if (set.skipped.length === 0) failed.push({ file: c.shown, reason: 'the file holds no rule, correlation, behaviour rule or filter' });
          continue;
        }
        loaded.rules += set.rules.length;
        loaded.correlations += set.correlations.length;
        loaded.behaviours += set.behaviours.length;
        loaded.filters += set.filters.length;
        mkdirSync(dirname(destination), { recursive: true });
        renameSync(staged, destination);
        written.push(`imported/${c.target.split(sep).join('/')}`);
      }
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
    if (written.length > 0) await this.options.live.reload(true);
    return { written, loaded, skipped, failed, ignored };
  }

  #fileOf(id: string): string | undefined {
    const set = this.options.live.ruleSet;
    return set.rules.find((r) => r.meta.id === id)?.meta.file ?? set.correlations.find((c) => c.id === id)?.file ?? set.behaviours.find((b) => b.id === id)?.file;
  }

  #rootOf(file: string): RuleRoot | undefined {
    return rootOf(this.options.roots, file);
  }

  #display(file: string): string {
    return ruleFileLabel(this.options.roots, file);
  }

  #view(
    id: string,
    kind: CatalogRuleKind,
    title: string,
    author: string,
    level: string,
    status: string | undefined,
    description: string | undefined,
    references: readonly string[],
    tags: readonly string[],
    falsepositives: readonly string[],
    logsource: Record<string, string | undefined> | null,
    file: string | undefined,
  ): CatalogRule {
    const clean = logsource === null ? null : Object.fromEntries(Object.entries(logsource).filter((e): e is [string, string] => typeof e[1] === 'string'));
    return {
      id,
      title,
      author,
      level,
      status: status ?? null,
      description: description ?? null,
      references,
      tags,
      falsepositives,
      logsource: clean,
      kind,
      file: file === undefined ? null : this.#display(file),
      builtin: file !== undefined && this.#rootOf(file)?.builtin === true,
    };
  }
}

function rootOf(roots: readonly RuleRoot[], file: string): RuleRoot | undefined {
  return roots.find((root) => file === root.path || file.startsWith(root.path.endsWith(sep) ? root.path : root.path + sep));
}

/**
 * A rule file as alerts and the API show it: relative to its rule folder, under the folder's
 * label (`builtin/linux/x.yml`, `imported/team/y.yml`), never the server's own path.
 */
export function ruleFileLabel(roots: readonly RuleRoot[], file: string): string {
  const root = rootOf(roots, file);
  if (!root) return file.split(sep).at(-1) ?? file;
  const rest = relative(root.path, file).split(sep).join('/');
  return rest === '' ? root.label : `${root.label}/${rest}`;
}

/**
 * A client-given path made safe to write under the import folder: every segment a plain name,
 * no `..`, no hidden files, no absolute paths (a leading `/` or drive is dropped with the
 * folder the browser prefixes). Undefined when a segment is not a plain name.
 */
export function safeRelativePath(path: string): string | undefined {
  const segments = path.split(/[\\/]+/).filter((s) => s !== '' && s !== '.');
  if (segments.length === 0 || segments.length > 16) return undefined;
  if (/^[A-Za-z]:$/.test(segments[0]!)) segments.shift();
  for (const s of segments) if (!SEGMENT.test(s) || s === '..') return undefined;
  return segments.join(sep);
}
