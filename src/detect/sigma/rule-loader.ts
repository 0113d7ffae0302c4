/**
 * Loading a rule set: any mix of folders (searched recursively, as a checkout of SigmaHQ/sigma
 * is laid out) and files of `.yml`/`.yaml`, each holding one or more YAML documents: detection
 * rules, correlation rules, filters and Vigil behaviour rules (behaviour/behaviour-rule.ts). Every document that cannot be used is reported with its
 * file and a reason; deprecated and unsupported rules are skipped and counted, not failed.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { CorrelationError, readCorrelationRule, type CorrelationRule } from '../correlate/correlation-rule.js';
import { readBehaviourRule, type BehaviourRule } from '../behaviour/behaviour-rule.js';
import { RuleError, documentKind } from './rule-document.js';
import { applyFilter, compileFilter, compileRule, type CompiledFilter } from './rule-compiler.js';
import type { CompiledRule } from './sigma-types.js';

export interface RuleProblem {
  readonly file: string;
  readonly reason: string;
}

export interface RuleSet {
  readonly rules: readonly CompiledRule[];
  readonly correlations: readonly CorrelationRule[];
  /** Vigil behaviour rules: first-seen, rare, unusual hour, impossible travel, periodic, volume spike. */
  readonly behaviours: readonly BehaviourRule[];
  readonly filters: readonly CompiledFilter[];
  /** Deprecated or unsupported rules: not loaded, by design. */
  readonly skipped: readonly RuleProblem[];
  /** Documents that are not valid Sigma, with the reason. */
  readonly failed: readonly RuleProblem[];
  /** YAML files read. */
  readonly files: number;
}

/** No rules at all (detection switched off). */
export const EMPTY_RULE_SET: RuleSet = { rules: [], correlations: [], behaviours: [], filters: [], skipped: [], failed: [], files: 0 };

export interface LoadOptions {
  readonly placeholders?: Readonly<Record<string, readonly string[]>> | undefined;
}

/** Rule files under `path`: the path itself when it is a file; hidden folders are skipped. */
export function ruleFiles(path: string, out: string[] = []): string[] {
  const stat = statSync(path);
  if (stat.isFile()) {
    out.push(path);
    return out;
  }
  for (const name of readdirSync(path).sort()) {
    if (name.startsWith('.')) continue;
    const child = join(path, name);
    const s = statSync(child);
    if (s.isDirectory()) ruleFiles(child, out);
    else if (name.endsWith('.yml') || name.endsWith('.yaml')) out.push(child);
  }
  return out;
}

const SKIPPED_STATUS = new Set(['deprecated', 'unsupported']);

/** `<rule>.tests.yml`: a rule's example events (see rule-tests.ts), not a rule. */
export function isExampleFile(file: string): boolean {
  return file.endsWith('.tests.yml') || file.endsWith('.tests.yaml');
}

export function loadRules(paths: readonly string[], options: LoadOptions = {}): RuleSet {
  const builder = new RuleSetBuilder(options);
  for (const file of listRuleFiles(paths, builder)) builder.addFile(file);
  return builder.finish();
}

/**
 * As `loadRules`, but yields to the event loop between files: a server reloading thousands of
 * rules (seconds of YAML parsing) keeps answering its inputs meanwhile.
 */
export async function loadRulesAsync(paths: readonly string[], options: LoadOptions = {}): Promise<RuleSet> {
  const builder = new RuleSetBuilder(options);
  let n = 0;
  for (const file of listRuleFiles(paths, builder)) {
    builder.addFile(file);
    if (++n % 25 === 0) await new Promise((r) => setImmediate(r));
  }
  return builder.finish();
}

function listRuleFiles(paths: readonly string[], builder: RuleSetBuilder): string[] {
  const out: string[] = [];
  for (const root of paths) {
    try {
      for (const file of ruleFiles(root)) if (!isExampleFile(file)) out.push(file);
    } catch (error) {
      builder.failed.push({ file: root, reason: `cannot read: ${(error as Error).message}` });
    }
  }
  return out;
}

class RuleSetBuilder {
  readonly rules: CompiledRule[] = [];
  readonly correlations: CorrelationRule[] = [];
  readonly behaviours: BehaviourRule[] = [];
  readonly filters: CompiledFilter[] = [];
  readonly skipped: RuleProblem[] = [];
  readonly failed: RuleProblem[] = [];
  readonly #seen = new Map<string, string>();
  #files = 0;

  constructor(private readonly options: LoadOptions) {}

  addFile(file: string): void {
    this.#files++;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      this.failed.push({ file, reason: `cannot read: ${(error as Error).message}` });
      return;
    }
    const docs = parseAllDocuments(text, { prettyErrors: false });
    // `parseAllDocuments` returns an EmptyStream (not an array) for a file with no documents.
    const list = Array.isArray(docs) ? docs : [];
    for (const [i, doc] of list.entries()) {
      const where = list.length > 1 ? `${file} (document ${i + 1})` : file;
      if (doc.errors.length > 0) {
        this.failed.push({ file: where, reason: `YAML: ${doc.errors[0]!.message.split('\n')[0]}` });
        continue;
      }
      let value: unknown;
      try {
        value = doc.toJS({ maxAliasCount: 100 });
      } catch (error) {
        // An alias to an anchor that is not there, or too many aliases (a "billion laughs"):
        // the YAML library throws here, not in `doc.errors`. One bad file must not stop a reload.
        this.failed.push({ file: where, reason: `YAML: ${(error as Error).message.split('\n')[0]}` });
        continue;
      }
      if (value === null || value === undefined) continue;
      try {
        this.#addDocument(value, file, where);
      } catch (error) {
        if (error instanceof RuleError || error instanceof CorrelationError) this.failed.push({ file: where, reason: error.reason });
        else this.failed.push({ file: where, reason: `internal error: ${(error as Error).message}` });
      }
    }
  }

  #addDocument(value: unknown, file: string, where: string): void {
    const status = (value as { status?: unknown }).status;
    switch (documentKind(value)) {
      case 'rule': {
        if (typeof status === 'string' && SKIPPED_STATUS.has(status)) {
          this.skipped.push({ file: where, reason: `status: ${status}` });
          return;
        }
        const rule = compileRule(value, { placeholders: this.options.placeholders, file });
        const first = this.#seen.get(rule.meta.id);
        if (first !== undefined) {
          this.failed.push({ file: where, reason: `id ${rule.meta.id} is already used by ${first}` });
          return;
        }
        this.#seen.set(rule.meta.id, where);
        this.rules.push(rule);
        return;
      }
      case 'correlation':
        this.correlations.push(readCorrelationRule(value, file));
        return;
      case 'behaviour': {
        const rule = readBehaviourRule(value, file, this.options.placeholders ?? {});
        if (typeof status === 'string' && SKIPPED_STATUS.has(status)) {
          this.skipped.push({ file: where, reason: `status: ${status}` });
          return;
        }
        this.behaviours.push(rule);
        return;
      }
      case 'filter':
        this.filters.push(compileFilter(value, { placeholders: this.options.placeholders, file }));
        return;
      case 'unknown':
        this.failed.push({ file: where, reason: 'not a Sigma rule, correlation or filter: a document needs exactly one of detection, correlation, filter or behaviour' });
    }
  }

  finish(): RuleSet {
    const { rules, filters } = this;
    // Filters tune the rules they name (or every rule of their log source): AND NOT, once each.
    const filtered = filters.length === 0 ? rules : rules.map((rule) => filters.reduce((r, f) => (f.appliesTo(r.meta) ? applyFilter(r, f) : r), rule));
    return { rules: filtered, correlations: this.correlations, behaviours: this.behaviours, filters, skipped: this.skipped, failed: this.failed, files: this.#files };
  }
}
