/**
 * A Sigma rule document → a `CompiledRule`: the detection's search identifiers compiled once
 * into closures (value-matchers.ts), combined as the condition says, with the witness set
 * the candidate index uses. Filters (sigma-filters-specification.md) are applied as
 * `original condition and not (filter condition)`, as pySigma and rsigma do.
 */
import type { ConditionNode } from './condition-parser.js';
import { RuleError, readFilterDocument, readRuleDocument, type RawDetection } from './rule-document.js';
import type { CompiledRule, RuleEvent, RuleMeta, SigmaLogsource, Witness } from './sigma-types.js';
import { andPredicates, compileSearchIdentifier, notPredicate, orPredicates, type MatcherOptions, type Predicate } from './value-matchers.js';
import { ruleFieldNeeds, type RuleFieldNeeds } from './rule-fields.js';

export interface CompileOptions {
  /** Values of `%name%` placeholders for `|expand` items; a rule using one that is absent is rejected. */
  readonly placeholders?: Readonly<Record<string, readonly string[]>> | undefined;
  /** Where the document was read from: kept in `RuleMeta.file` and prefixed to errors. */
  readonly file?: string | undefined;
}

/** Compiles a parsed Sigma rule document. Throws RuleError with a reason the author can act on. */
export function compileRule(doc: unknown, options: CompileOptions = {}): CompiledRule {
  const { meta, detection } = readRuleDocument(doc, options.file);
  const predicate = withFile(() => compileDetection(detection, options), options.file);
  return makeRule(meta, predicate.test, predicate.witnesses ?? [], ruleFieldNeeds(detection));
}

function withFile<T>(build: () => T, file: string | undefined): T {
  try {
    return build();
  } catch (err) {
    if (err instanceof RuleError && file !== undefined && err.file === undefined) throw new RuleError(err.reason, file);
    throw err;
  }
}

/** Compiles every search identifier (unused ones too, so their mistakes are reported) and the condition. */
function compileDetection(detection: RawDetection, options: MatcherOptions): Predicate {
  const compiled = new Map<string, Predicate>();
  for (const [name, definition] of detection.identifiers) {
    compiled.set(name, compileSearchIdentifier(definition, `${detection.path}.${name}`, options));
  }
  return build(detection.condition, compiled);
}

function build(node: ConditionNode, identifiers: ReadonlyMap<string, Predicate>): Predicate {
  switch (node.kind) {
    case 'id': {
      const p = identifiers.get(node.name);
      if (p === undefined) throw new RuleError(`condition: unknown identifier '${node.name}'`);
      return p;
    }
    case 'not':
      return notPredicate(build(node.operand, identifiers));
    case 'and':
      return andPredicates(node.operands.map((o) => build(o, identifiers)));
    case 'or':
      return orPredicates(node.operands.map((o) => build(o, identifiers)));
    case 'of':
      // resolveCondition has replaced every 'x of' by identifiers.
      throw new RuleError(`condition: unresolved '${node.quantifier === 'all' ? 'all' : '1'} of ${node.target}'`);
  }
}

function makeRule(meta: RuleMeta, test: (event: RuleEvent) => boolean, witnesses: readonly Witness[], needs: RuleFieldNeeds): CompiledRule {
  return {
    meta,
    needs,
    matches(event: RuleEvent): boolean {
      try {
        return test(event);
      } catch {
        return false;
      }
    },
    witnesses: Object.freeze(witnesses.map((w) => Object.freeze({ field: w.field, literal: w.literal }))),
  };
}

/** A compiled Sigma filter: which rules it tunes, and its condition. */
export interface CompiledFilter {
  readonly id: string;
  readonly title: string;
  readonly logsource: SigmaLogsource;
  /** Ids or names of the rules it applies to, or `any` for every rule of its log source. */
  readonly rules: readonly string[] | 'any';
  readonly file: string | undefined;
  /** True when the event satisfies the filter's condition (so a rule's match is suppressed). */
  matches(event: RuleEvent): boolean;
  /**
   * True when the filter names the rule (by id or name, or `rules: any`) and the rule's log
   * source is the filter's or narrower (each of category, product, service the filter gives,
   * the rule gives too, with the same value).
   */
  appliesTo(meta: RuleMeta): boolean;
}

/** Compiles a filter document. Throws RuleError. */
export function compileFilter(doc: unknown, options: CompileOptions = {}): CompiledFilter {
  const filter = readFilterDocument(doc, options.file);
  const predicate = withFile(() => compileDetection(filter.detection, options), options.file);
  const test = predicate.test;
  const { logsource, rules } = filter;
  return {
    id: filter.id,
    title: filter.title,
    logsource,
    rules,
    file: filter.file,
    matches(event: RuleEvent): boolean {
      try {
        return test(event);
      } catch {
        return false;
      }
    },
    appliesTo(meta: RuleMeta): boolean {
      const named = rules === 'any' || rules.includes(meta.id) || (meta.name !== undefined && rules.includes(meta.name));
      if (!named) return false;
      for (const key of ['category', 'product', 'service'] as const) {
        const want = logsource[key];
        if (want !== undefined && meta.logsource[key] !== want) return false;
      }
      return true;
    },
  };
}

/**
 * The rule with a filter applied: it matches when the rule matches and the filter does not.
 * `filter` is a compiled filter or a filter document. The filter is applied whatever rules it
 * names: choose the rules with `CompiledFilter.appliesTo`. Witnesses stay the rule's (nothing
 * under `not` adds a guarantee).
 */
export function applyFilter(rule: CompiledRule, filter: CompiledFilter | unknown, options: CompileOptions = {}): CompiledRule {
  const compiled = isCompiledFilter(filter) ? filter : compileFilter(filter, options);
  const ruleMatches = rule.matches.bind(rule);
  return makeRule(rule.meta, (event) => ruleMatches(event) && !compiled.matches(event), rule.witnesses, rule.needs);
}

function isCompiledFilter(v: unknown): v is CompiledFilter {
  return typeof v === 'object' && v !== null && typeof (v as CompiledFilter).matches === 'function' && typeof (v as CompiledFilter).appliesTo === 'function';
}
