/**
 * A Sigma correlation rule (sigma-correlation-rules-specification.md, v2.1.0) checked and typed:
 * `readCorrelationRule` takes one parsed YAML document (plain data, as `yaml`'s
 * `parseAllDocuments(text)[i].toJS()` gives it) and returns a `CorrelationRule`, or throws one
 * `CorrelationError` listing every problem found, each as `place: what to change`.
 *
 * Beyond the letter of v2.1.0, and said so in the messages and docs:
 * - `timespan` also takes weeks (`2w`); months and years are refused (not fixed durations).
 * - `rules` and `group-by` may be a single text instead of a one-item list.
 * - the value field may sit in `correlation.field` (as the v2.0.1 schema placed it) or in
 *   `condition.field` (as the prose and examples do).
 * - temporal types take the v2.2-draft string condition (`a and not b`); temporal_ordered only a
 *   conjunction (`a and b`), whose rules must then occur in the order `rules` lists them.
 * - value_percentile takes an optional `condition.percentile` (pySigma's form); the header of
 *   correlation-engine.ts says what each form computes.
 */
import { createHash } from 'node:crypto';
import type { SigmaLevel, SigmaStatus } from '../sigma/sigma-types.js';
import {
  checkComparisons,
  COMPARISON_OPS,
  conjunctionRefs,
  expressionRefs,
  parseRuleExpression,
  type Comparison,
  type ComparisonOp,
  type CorrelationCondition,
} from './correlation-condition.js';

export type { Comparison, ComparisonOp, CorrelationCondition, RuleExpression } from './correlation-condition.js';

export const CORRELATION_TYPES = [
  'event_count',
  'value_count',
  'temporal',
  'temporal_ordered',
  'value_sum',
  'value_avg',
  'value_percentile',
] as const;
export type CorrelationType = (typeof CORRELATION_TYPES)[number];

export interface Timespan {
  /** As written, e.g. `90m`. */
  readonly text: string;
  readonly ms: number;
}

export interface CorrelationSpec {
  readonly type: CorrelationType;
  /** Ids or names of base rules or of other correlations, as written. */
  readonly rules: readonly string[];
  /** Field names or alias names; empty: one group for everything. */
  readonly groupBy: readonly string[];
  readonly timespan: Timespan;
  /** Undefined only for temporal types without a condition (all rules must match). */
  readonly condition: CorrelationCondition | undefined;
  /** value_count: the fields whose distinct (combined) values are counted; value_sum/avg/percentile: the one numeric field. */
  readonly field: readonly string[] | undefined;
  /** value_percentile with pySigma's `percentile: P` (0–100); undefined for the v2.1.0 form. */
  readonly percentile: number | undefined;
  /** alias → (rule name or id → field name in that rule's events). */
  readonly aliases: ReadonlyMap<string, ReadonlyMap<string, string>>;
}

export interface CorrelationRule extends Omit<RuleHeader, 'id'> {
  /** `id`, else `name`, else a stable id derived from the file and title. */
  readonly id: string;
  /** True when the document gave no `id`. */
  readonly idDerived: boolean;
  readonly correlation: CorrelationSpec;
  readonly file: string | undefined;
}

/** A document that is not a valid correlation rule. `reason` lists every problem, `place: what to change`. */
export class CorrelationError extends Error {
  readonly reason: string;
  readonly problems: readonly string[];
  readonly file: string | undefined;
  constructor(problems: readonly string[], file?: string) {
    const reason = problems.join('; ');
    super(file ? `${file}: ${reason}` : reason);
    this.name = 'CorrelationError';
    this.reason = reason;
    this.problems = problems;
    this.file = file;
  }
}

const LEVELS: readonly SigmaLevel[] = ['informational', 'low', 'medium', 'high', 'critical'];
const STATUSES: readonly SigmaStatus[] = ['stable', 'test', 'experimental', 'deprecated', 'unsupported'];
const VALUE_TYPES: readonly CorrelationType[] = ['value_count', 'value_sum', 'value_avg', 'value_percentile'];
const TEMPORAL_TYPES: readonly CorrelationType[] = ['temporal', 'temporal_ordered'];
const CORRELATION_KEYS = new Set(['type', 'rules', 'group-by', 'timespan', 'condition', 'aliases', 'field']);
const CONDITION_KEYS = new Set<string>([...COMPARISON_OPS, 'field', 'percentile']);

/** Misspellings and old draft keys, with what to write instead. */
const KEY_HINTS: Readonly<Record<string, string>> = {
  group_by: "write 'group-by'",
  groupby: "write 'group-by'",
  timeframe: "write 'timespan' (timeframe is Sigma 1)",
  window: "write 'timespan'",
  rule: "write 'rules' (a list)",
  alias: "write 'aliases'",
  conditions: "write 'condition'",
  generate: "'generate' belongs at the top level of the document, beside 'correlation'",
  ordered: "an old draft key: write 'type: temporal_ordered' instead",
  fields: "write 'field'",
  ne: "write 'neq'",
  ge: "write 'gte'",
  le: "write 'lte'",
};

const DATE = /^\d{4}-(0[1-9]|1[012])-(0[1-9]|[12][0-9]|3[01])$/;

/** Validates one correlation document. Throws CorrelationError with every problem found. */
export function readCorrelationRule(doc: unknown, file?: string): CorrelationRule {
  const problems: string[] = [];
  const add = (where: string, what: string) => problems.push(`${where}: ${what}`);
  if (!isMap(doc)) throw new CorrelationError([`a Sigma correlation is a YAML map, not ${kindOf(doc)}`], file);

  const header = readRuleHeader(doc, add);
  const correlation = readSpec(doc['correlation'], add);
  if (problems.length > 0 || correlation === undefined) throw new CorrelationError(problems, file);
  const h = header as RuleHeader;
  return {
    ...h,
    id: h.id ?? h.name ?? derivedId(h.title, file),
    idDerived: h.id === undefined,
    correlation,
    file,
  };
}

/** The metadata every Sigma correlation (and Vigil behaviour rule) document shares. */
export interface RuleHeader {
  readonly id: string | undefined;
  readonly name: string | undefined;
  readonly title: string;
  readonly status: SigmaStatus | undefined;
  /** Undefined when the document sets none: a correlation then uses the highest level of the matches it saw. */
  readonly level: SigmaLevel | undefined;
  readonly author: string;
  readonly description: string | undefined;
  readonly references: readonly string[];
  readonly tags: readonly string[];
  readonly falsepositives: readonly string[];
  readonly date: string | undefined;
  readonly modified: string | undefined;
  readonly taxonomy: string | undefined;
  /** True: the referenced rules also alert on their own. False (the default): they only feed this rule. */
  readonly generate: boolean;
}

/** What a hit shows of the rule that fired: every view of it names id, title and author (the DRL asks for it). */
export function hitMeta<L extends SigmaLevel>(
  rule: Pick<RuleHeader, 'name' | 'title' | 'status' | 'author' | 'description' | 'tags' | 'references' | 'falsepositives'> & { readonly id: string; readonly file: string | undefined },
  level: L,
) {
  return {
    id: rule.id,
    name: rule.name,
    title: rule.title,
    level,
    status: rule.status,
    author: rule.author,
    description: rule.description,
    tags: rule.tags,
    references: rule.references,
    falsepositives: rule.falsepositives,
    file: rule.file,
  };
}

/** Reads the header fields; problems go to `add`. The result is only complete when none were added. */
export function readRuleHeader(doc: Record<string, unknown>, add: Add): RuleHeader | undefined {
  const title = doc['title'];
  if (typeof title !== 'string' || title.trim() === '') add('title', 'required, a short text saying what the rule detects');
  else if (title.length > 256) add('title', `at most 256 characters (it has ${title.length})`);
  const id = optionalText(doc, 'id', add);
  const name = optionalText(doc, 'name', add);
  const status = oneOf(doc, 'status', STATUSES, add);
  const level = oneOf(doc, 'level', LEVELS, add);
  const description = optionalText(doc, 'description', add);
  if (description !== undefined && description.length > 65535) add('description', 'at most 65,535 characters');
  const generate = doc['generate'];
  if (generate !== undefined && generate !== null && typeof generate !== 'boolean') {
    add('generate', `must be true or false, not ${kindOf(generate)}`);
  }
  const header = {
    id,
    name,
    title: typeof title === 'string' ? title : '',
    status,
    level,
    author: readAuthor(doc['author'], add),
    description,
    references: textList(doc, 'references', add),
    tags: textList(doc, 'tags', add),
    falsepositives: textList(doc, 'falsepositives', add),
    date: readDate(doc, 'date', add),
    modified: readDate(doc, 'modified', add),
    taxonomy: optionalText(doc, 'taxonomy', add),
    generate: generate === true,
  };
  return typeof title === 'string' && title.trim() !== '' ? header : undefined;
}

/** True for a document with a `correlation` section (and no `detection` or `filter`). */
export function isCorrelationDocument(doc: unknown): boolean {
  return isMap(doc) && 'correlation' in doc && !('detection' in doc) && !('filter' in doc);
}

const TIMESPAN = /^([0-9]+)([smhdw])$/;
const UNIT_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `90m` → 5,400,000 ms; a message saying what to write instead when it is not a timespan. */
export function parseTimespan(value: unknown): Timespan | string {
  if (typeof value === 'number') return `needs a unit: write ${value}s, ${value}m, ${value}h or ${value}d`;
  if (typeof value !== 'string') return `must be a number and a unit such as 5m or 1h, not ${kindOf(value)}`;
  const text = value.trim();
  const m = TIMESPAN.exec(text);
  if (m) {
    const n = Number(m[1]);
    const ms = n * UNIT_MS[m[2]!]!;
    if (n === 0) return 'must be longer than zero';
    if (!Number.isSafeInteger(ms)) return `'${text}' is too long`;
    return { text, ms };
  }
  if (/^[0-9]+M$/.test(text)) return `'${text}': months are not a fixed duration, write days, e.g. 30d`;
  if (/^[0-9]+[yY]$/.test(text)) return `'${text}': years are not a fixed duration, write days, e.g. 365d`;
  if (/^[0-9]+[SHDW]$/.test(text)) return `'${text}': units are lower-case: '${text.toLowerCase()}'`;
  if (/^[0-9]+[smhdw][0-9]/.test(text)) return `'${text}': use one unit, e.g. 90m for an hour and a half`;
  if (/^[0-9]+\s+[a-z]+$/i.test(text)) return `'${text}': write the number and the unit together, e.g. 5m`;
  return `'${text}' is not a timespan: write a number and one of s, m, h, d (or w), e.g. 5m`;
}

export type Add = (where: string, what: string) => void;

function readSpec(raw: unknown, add: Add): CorrelationSpec | undefined {
  if (raw === undefined || raw === null) {
    add('correlation', 'required: a map with type, rules, group-by, timespan and (for most types) condition');
    return undefined;
  }
  if (!isMap(raw)) {
    add('correlation', `must be a map with type, rules, group-by, timespan and condition, not ${kindOf(raw)}`);
    return undefined;
  }
  for (const key of Object.keys(raw)) {
    if (!CORRELATION_KEYS.has(key)) {
      add(`correlation.${key}`, `is not a correlation key${hint(key, CORRELATION_KEYS)}`);
    }
  }
  const type = raw['type'];
  const knownType = typeof type === 'string' && (CORRELATION_TYPES as readonly string[]).includes(type);
  if (type === undefined || type === null) add('correlation.type', `required, one of ${CORRELATION_TYPES.join(', ')}`);
  else if (!knownType) {
    const lower = typeof type === 'string' ? type.toLowerCase() : '';
    const caseHint = (CORRELATION_TYPES as readonly string[]).includes(lower) ? ` (types are lower-case: '${lower}')` : '';
    add('correlation.type', `${kindOf(type)} is not a correlation type${caseHint}, use one of ${CORRELATION_TYPES.join(', ')}`);
  }

  const rules = readTextList(raw['rules'], 'correlation.rules', 'the ids or names of the rules or correlations to correlate', add);
  const groupBy = readTextList(raw['group-by'], 'correlation.group-by', 'the fields (or aliases) that define a group, e.g. [User, ComputerName]', add, true);
  const timespanRaw = raw['timespan'];
  let timespan: Timespan | undefined;
  if (timespanRaw === undefined || timespanRaw === null) add('correlation.timespan', 'required, e.g. 5m, 1h or 1d');
  else {
    const t = parseTimespan(timespanRaw);
    if (typeof t === 'string') add('correlation.timespan', t);
    else timespan = t;
  }
  const aliases = readAliases(raw['aliases'], rules, add);
  if (!knownType) return undefined;
  const correlationType = type as CorrelationType;
  if (rules && TEMPORAL_TYPES.includes(correlationType) && rules.length < 2) {
    add('correlation.rules', `a ${correlationType} correlation relates at least two rules`);
  }
  const { condition, field, percentile } = readCondition(raw, correlationType, rules, add);
  if (!rules || !groupBy || !timespan) return undefined;
  return { type: correlationType, rules, groupBy, timespan, condition, field, percentile, aliases };
}

function readCondition(
  raw: Record<string, unknown>,
  type: CorrelationType,
  rules: readonly string[] | undefined,
  add: Add,
): { condition: CorrelationCondition | undefined; field: readonly string[] | undefined; percentile: number | undefined } {
  const where = 'correlation.condition';
  const c = raw['condition'];
  const temporal = TEMPORAL_TYPES.includes(type);
  const valueType = VALUE_TYPES.includes(type);
  let condition: CorrelationCondition | undefined;
  let conditionField: unknown;
  let percentile: number | undefined;

  if (c === undefined || c === null) {
    if (!temporal) add(where, `required for ${type}, e.g. ${valueType ? '{ field: User, gte: 10 }' : '{ gte: 10 }'}`);
  } else if (typeof c === 'string') {
    if (!temporal) add(where, `for ${type} it is a map such as { gte: 10 }, not a text`);
    else condition = readExpression(c, type, rules, add);
  } else if (!isMap(c)) {
    add(where, `must be a map such as { gte: 10 }, not ${kindOf(c)}`);
  } else {
    const comparisons: Comparison[] = [];
    for (const [key, value] of Object.entries(c)) {
      if (!CONDITION_KEYS.has(key)) {
        add(`${where}.${key}`, `is not a condition key${hint(key, CONDITION_KEYS)}`);
      } else if ((COMPARISON_OPS as readonly string[]).includes(key)) {
        if (typeof value !== 'number' || !Number.isFinite(value)) add(`${where}.${key}`, `must be a number, not ${kindOf(value)}`);
        else comparisons.push({ op: key as ComparisonOp, value });
      }
    }
    const problem = checkComparisons(comparisons);
    if (problem) add(where, problem);
    else if (temporal && rules) {
      const lowest = Math.max(...comparisons.map((x) => (x.op === 'lt' || x.op === 'lte' ? -Infinity : x.value)));
      if (lowest > rules.length) add(where, `counts distinct rules, and only ${rules.length} are listed, so it can never hold`);
    }
    condition = { kind: 'compare', comparisons };
    conditionField = c['field'];
    if (c['percentile'] !== undefined) {
      const p = c['percentile'];
      if (type !== 'value_percentile') add(`${where}.percentile`, 'is only used by value_percentile');
      else if (typeof p !== 'number' || !(p >= 0 && p <= 100)) add(`${where}.percentile`, `must be a number from 0 to 100, not ${kindOf(p)}`);
      else percentile = p;
    }
  }

  const outerField = raw['field'];
  if (outerField !== undefined && conditionField !== undefined && JSON.stringify(outerField) !== JSON.stringify(conditionField)) {
    add('correlation.field', 'conflicts with correlation.condition.field: keep one (condition.field is the usual place)');
  }
  const rawField = conditionField ?? outerField;
  const fieldWhere = conditionField !== undefined ? `${where}.field` : 'correlation.field';
  let field: string[] | undefined;
  if (rawField !== undefined && rawField !== null) {
    if (!valueType) add(fieldWhere, `is not used by ${type}, remove it`);
    else field = readTextList(rawField, fieldWhere, 'the field to aggregate', add);
    if (field && type !== 'value_count' && field.length !== 1) add(fieldWhere, `${type} aggregates exactly one numeric field`);
  } else if (valueType) {
    add(`${where}.field`, `required for ${type}: the field whose ${type === 'value_count' ? 'distinct values are counted' : 'values are aggregated'}`);
  }
  return { condition, field, percentile };
}

function readExpression(text: string, type: CorrelationType, rules: readonly string[] | undefined, add: Add): CorrelationCondition | undefined {
  const where = 'correlation.condition';
  let expression;
  try {
    expression = parseRuleExpression(text);
  } catch (err) {
    add(where, (err as Error).message);
    return undefined;
  }
  if (rules) {
    for (const ref of expressionRefs(expression)) {
      if (!rules.includes(ref)) add(where, `'${ref}' is not one of correlation.rules (${rules.join(', ')})`);
    }
  }
  if (type === 'temporal_ordered' && conjunctionRefs(expression) === undefined) {
    add(where, "for temporal_ordered only 'a and b and …' is supported (the order is the order of correlation.rules)");
  }
  return { kind: 'expression', text, expression };
}

function readAliases(raw: unknown, rules: readonly string[] | undefined, add: Add): ReadonlyMap<string, ReadonlyMap<string, string>> {
  const out = new Map<string, Map<string, string>>();
  if (raw === undefined || raw === null) return out;
  if (!isMap(raw)) {
    add('correlation.aliases', `must be a map of alias → { rule name: field }, not ${kindOf(raw)}`);
    return out;
  }
  for (const [alias, mapping] of Object.entries(raw)) {
    const where = `correlation.aliases.${alias}`;
    if (!isMap(mapping)) {
      add(where, `must map rule names to field names (e.g. { internal_error: destination.ip }), not ${kindOf(mapping)}`);
      continue;
    }
    const fields = new Map<string, string>();
    for (const [rule, field] of Object.entries(mapping)) {
      if (typeof field !== 'string' || field === '') add(`${where}.${rule}`, `must be a field name, not ${kindOf(field)}`);
      else fields.set(rule, field);
      if (rules && !rules.includes(rule)) add(`${where}.${rule}`, `'${rule}' is not one of correlation.rules (${rules.join(', ')})`);
    }
    out.set(alias, fields);
  }
  return out;
}

export function readTextList(raw: unknown, where: string, what: string, add: Add, allowEmpty = false): string[] | undefined {
  if (raw === undefined || raw === null) {
    add(where, `required: ${what}`);
    return undefined;
  }
  const list = typeof raw === 'string' ? [raw] : raw;
  if (!Array.isArray(list)) {
    add(where, `must be a list of texts (${what}), not ${kindOf(raw)}`);
    return undefined;
  }
  if (list.length === 0 && !allowEmpty) {
    add(where, `is empty, list ${what}`);
    return undefined;
  }
  const out: string[] = [];
  list.forEach((item, i) => {
    if (typeof item !== 'string' || item.trim() === '') add(`${where}[${i}]`, `must be a non-empty text, not ${kindOf(item)}`);
    else if (out.includes(item)) add(`${where}[${i}]`, `'${item}' is listed twice`);
    else out.push(item);
  });
  return out.length === list.length ? out : undefined;
}

export function hint(key: string, valid: ReadonlySet<string>): string {
  const lower = key.toLowerCase();
  if (valid.has(lower)) return ` (keys are lower-case: '${lower}')`;
  const h = KEY_HINTS[key] ?? KEY_HINTS[lower];
  return h ? ` (${h})` : ` (valid: ${[...valid].join(', ')})`;
}

function optionalText(doc: Record<string, unknown>, key: string, add: Add): string | undefined {
  const v = doc[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v === '') {
    add(key, `must be a non-empty text, not ${kindOf(v)}`);
    return undefined;
  }
  return v;
}

function oneOf<T extends string>(doc: Record<string, unknown>, key: string, allowed: readonly T[], add: Add): T | undefined {
  const v = doc[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string' && allowed.includes(v as T)) return v as T;
  const lower = typeof v === 'string' ? v.toLowerCase() : '';
  const caseHint = allowed.includes(lower as T) ? ` (write it lower-case: '${lower}')` : '';
  add(key, `${kindOf(v)} is not one of ${allowed.join(', ')}${caseHint}`);
  return undefined;
}

function readAuthor(value: unknown, add: Add): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((a) => typeof a === 'string')) return value.join(', ');
  add('author', 'must be a text or a list of texts');
  return '';
}

function textList(doc: Record<string, unknown>, key: string, add: Add): string[] {
  const v = doc[key];
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  add(key, `must be a list of texts, not ${kindOf(v)}`);
  return [];
}

function readDate(doc: Record<string, unknown>, key: string, add: Add): string | undefined {
  const v = doc[key];
  if (v === undefined || v === null) return undefined;
  const text = v instanceof Date && !Number.isNaN(v.getTime()) ? v.toISOString().slice(0, 10) : v;
  if (typeof text !== 'string' || !DATE.test(text)) {
    add(key, `must be a date written YYYY-MM-DD, not ${kindOf(v)}`);
    return undefined;
  }
  return text;
}

/** A stable id for a correlation that has neither `id` nor `name`, so its alerts can be grouped. */
function derivedId(title: string, file: string | undefined): string {
  return `correlation-${createHash('sha256').update(`${file ?? ''}\0${title}`).digest('hex').slice(0, 16)}`;
}

export function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

export function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (v instanceof Date) return 'a date';
  if (typeof v === 'object') return 'a map';
  if (typeof v === 'string') return `'${v}'`;
  return `the ${typeof v} ${String(v)}`;
}
