/**
 * A parsed Sigma YAML document (a plain object, as `yaml`'s `parseAllDocuments(...)[i].toJS()`
 * returns it) checked against the Sigma specification v2.1.0 and split into what a rule says
 * about itself (`RuleMeta`) and its detection (search identifiers plus the resolved condition).
 * Every problem is a `RuleError` whose `reason` names the place (`detection.selection`,
 * `condition`, `level`…) and says what to change. What the values mean is checked when they
 * are compiled (value-matchers.ts), with the same kind of error.
 */
import { createHash } from 'node:crypto';
import {
  ConditionReferenceError,
  ConditionSyntaxError,
  parseConditions,
  resolveCondition,
  type ConditionNode,
} from './condition-parser.js';
import type { RuleMeta, SigmaLevel, SigmaLogsource, SigmaStatus } from './sigma-types.js';

/** A document that is not a valid Sigma rule or filter, with a reason a rule author can act on. */
export class RuleError extends Error {
  /** What is wrong and where in the document, e.g. `detection.selection: modifier 'foo' is not a Sigma modifier`. */
  readonly reason: string;
  /** The file the document came from, when known. */
  readonly file: string | undefined;
  constructor(reason: string, file?: string) {
    super(file ? `${file}: ${reason}` : reason);
    this.name = 'RuleError';
    this.reason = reason;
    this.file = file;
  }
}

export type DocumentKind = 'rule' | 'correlation' | 'filter' | 'behaviour' | 'unknown';

/**
 * What a Sigma document is: a detection rule (has `detection`), a correlation rule (has
 * `correlation`) or a filter (has `filter`); `unknown` for anything else, including a
 * document with more than one of them or a Sigma 1 `action: global` collection part.
 */
export function documentKind(doc: unknown): DocumentKind {
  if (!isMap(doc)) return 'unknown';
  const kinds: DocumentKind[] = [];
  if ('detection' in doc) kinds.push('rule');
  if ('correlation' in doc) kinds.push('correlation');
  if ('filter' in doc) kinds.push('filter');
  if ('behaviour' in doc) kinds.push('behaviour');
  return kinds.length === 1 ? kinds[0]! : 'unknown';
}

const LEVELS: readonly SigmaLevel[] = ['informational', 'low', 'medium', 'high', 'critical'];
const STATUSES: readonly SigmaStatus[] = ['stable', 'test', 'experimental', 'deprecated', 'unsupported'];

/**
 * Every value modifier of Sigma v2.1.0, plus the long names pySigma accepts for the regular
 * expression flags (`ignorecase`, `multiline`, `dotall`).
 */
export const SIGMA_MODIFIERS: ReadonlySet<string> = new Set([
  'contains', 'startswith', 'endswith', 'all', 'exists', 'cased', 'neq', 'windash',
  're', 'i', 'm', 's', 'ignorecase', 'multiline', 'dotall',
  'base64', 'base64offset', 'utf16le', 'wide', 'utf16be', 'utf16',
  'lt', 'lte', 'gt', 'gte',
  'minute', 'hour', 'day', 'week', 'month', 'year',
  'cidr', 'expand', 'fieldref',
]);

export interface DetectionItemKey {
  /** The field name; undefined for a keyword item (`'|all':`). */
  readonly field: string | undefined;
  readonly modifiers: readonly string[];
}

/** `Field|mod1|mod2` → field and modifiers; throws RuleError (at `path`) for an unknown modifier. */
export function splitItemKey(key: string, path: string): DetectionItemKey {
  const parts = key.split('|');
  const field = parts[0]!.trim();
  const modifiers = parts.slice(1).map((m) => m.trim());
  for (const modifier of modifiers) {
    if (modifier === '') throw new RuleError(`${path}: '${key}' has an empty modifier (two '|' in a row, or a trailing '|')`);
    if (!SIGMA_MODIFIERS.has(modifier)) {
      const lower = modifier.toLowerCase();
      const hint = SIGMA_MODIFIERS.has(lower) ? ` (modifiers are lower-case: '${lower}')` : '';
      throw new RuleError(`${path}: modifier '${modifier}' is not a Sigma modifier${hint}`);
    }
  }
  return { field: field === '' ? undefined : field, modifiers };
}

export interface RawDetection {
  /** Search identifiers and their definitions, in document order. */
  readonly identifiers: ReadonlyMap<string, unknown>;
  /** The condition with every `x of` replaced by the identifiers it stands for. */
  readonly condition: ConditionNode;
  /** Where the detection sits in the document, for messages (`detection`, `filter`). */
  readonly path: string;
}

export interface RuleDocument {
  readonly meta: RuleMeta;
  readonly detection: RawDetection;
}

/** Validates a rule document and splits it into meta and detection. Throws RuleError. */
export function readRuleDocument(doc: unknown, file?: string): RuleDocument {
  try {
    if (!isMap(doc)) throw new RuleError(`a Sigma rule is a YAML map, not ${kindOf(doc)}`);
    const kind = documentKind(doc);
    if (kind !== 'rule') {
      if (kind === 'unknown' && !('detection' in doc)) throw new RuleError("not a Sigma rule: it has no 'detection'");
      if (kind === 'unknown') throw new RuleError("a document has exactly one of 'detection', 'correlation' and 'filter'");
      throw new RuleError(`this is a Sigma ${kind} document, not a detection rule`);
    }
    const meta = readMeta(doc, file);
    const detection = readDetection(doc['detection'], 'detection');
    return { meta, detection };
  } catch (err) {
    throw withFile(err, file);
  }
}

/** A Sigma filter (sigma-filters-specification.md): suppresses matches of the rules it names. */
export interface FilterDocument {
  readonly id: string;
  readonly title: string;
  readonly description: string | undefined;
  readonly logsource: SigmaLogsource;
  /** Ids or names of the rules it applies to; `any` (Sigma 2.2 draft) for every rule of its log source. */
  readonly rules: readonly string[] | 'any';
  readonly detection: RawDetection;
  readonly file: string | undefined;
}

/** Validates a filter document. Throws RuleError. */
export function readFilterDocument(doc: unknown, file?: string): FilterDocument {
  try {
    if (!isMap(doc)) throw new RuleError(`a Sigma filter is a YAML map, not ${kindOf(doc)}`);
    if (documentKind(doc) !== 'filter') throw new RuleError("not a Sigma filter: it needs a 'filter' section and no 'detection' or 'correlation'");
    const title = readTitle(doc);
    const logsource = readLogsource(doc['logsource']);
    const filter = doc['filter'];
    if (!isMap(filter)) throw new RuleError(`filter: must be a map with 'rules', search identifiers and 'condition', not ${kindOf(filter)}`);
    const rawRules = filter['rules'];
    let rules: readonly string[] | 'any';
    if (rawRules === 'any') rules = 'any';
    else if (typeof rawRules === 'string' && rawRules !== '') rules = [rawRules];
    else if (Array.isArray(rawRules) && rawRules.length > 0 && rawRules.every((r) => typeof r === 'string' && r !== '')) rules = rawRules as string[];
    else throw new RuleError('filter.rules: must list the ids or names of the rules to filter (a non-empty list of strings)');
    const body: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(filter)) if (k !== 'rules') body[k] = v;
    const detection = readDetection(body, 'filter');
    const id = optionalString(doc, 'id') ?? syntheticId('filter', title, file);
    return { id, title, description: optionalString(doc, 'description'), logsource, rules, detection, file };
  } catch (err) {
    throw withFile(err, file);
  }
}

function withFile(err: unknown, file: string | undefined): unknown {
  if (err instanceof RuleError && file !== undefined && err.file === undefined) return new RuleError(err.reason, file);
  return err;
}

function readMeta(doc: Record<string, unknown>, file: string | undefined): RuleMeta {
  const title = readTitle(doc);
  const name = optionalString(doc, 'name');
  const status = doc['status'];
  if (status !== undefined && status !== null && !STATUSES.includes(status as SigmaStatus)) {
    throw new RuleError(`status: '${String(status)}' is not one of ${STATUSES.join(', ')}`);
  }
  const level = doc['level'];
  if (level !== undefined && level !== null && !LEVELS.includes(level as SigmaLevel)) {
    throw new RuleError(`level: '${String(level)}' is not one of ${LEVELS.join(', ')}`);
  }
  return {
    id: optionalString(doc, 'id') ?? name ?? syntheticId('rule', title, file),
    name,
    title,
    // `level` is optional in the specification; a rule without one is treated as 'medium'.
    level: (level as SigmaLevel | undefined | null) ?? 'medium',
    status: (status as SigmaStatus | undefined | null) ?? undefined,
    author: readAuthor(doc['author']),
    description: optionalString(doc, 'description'),
    tags: stringList(doc, 'tags'),
    references: stringList(doc, 'references'),
    falsepositives: stringList(doc, 'falsepositives'),
    logsource: readLogsource(doc['logsource']),
    fields: stringList(doc, 'fields'),
    file,
  };
}

function readTitle(doc: Record<string, unknown>): string {
  const title = doc['title'];
  if (typeof title !== 'string' || title.trim() === '') throw new RuleError("title: required, a short text saying what the rule detects");
  if (title.length > 256) throw new RuleError(`title: at most 256 characters (it has ${title.length})`);
  return title;
}

/** A stable id for a document that has none, so matches can still be grouped and suppressed. */
function syntheticId(kind: string, title: string, file: string | undefined): string {
  return `${kind}-${createHash('sha256').update(`${file ?? ''}\0${title}`).digest('hex').slice(0, 16)}`;
}

function readAuthor(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((a) => typeof a === 'string')) return value.join(', ');
  throw new RuleError('author: a text or a list of texts');
}

function readLogsource(value: unknown): SigmaLogsource {
  if (!isMap(value)) throw new RuleError(`logsource: required, a map with category, product and/or service, not ${kindOf(value)}`);
  const out: { category?: string; product?: string; service?: string } = {};
  for (const key of ['category', 'product', 'service'] as const) {
    const v = value[key];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string') throw new RuleError(`logsource.${key}: must be a text, not ${kindOf(v)}`);
    out[key] = v;
  }
  return out;
}

function optionalString(doc: Record<string, unknown>, key: string): string | undefined {
  const v = doc[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new RuleError(`${key}: must be a text, not ${kindOf(v)}`);
  return v;
}

function stringList(doc: Record<string, unknown>, key: string): string[] {
  const v = doc[key];
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) {
    return v.map((item, i) => {
      if (typeof item === 'string') return item;
      if (typeof item === 'number' || typeof item === 'boolean') return String(item);
      throw new RuleError(`${key}[${i}]: must be a text, not ${kindOf(item)}`);
    });
  }
  throw new RuleError(`${key}: must be a list of texts, not ${kindOf(v)}`);
}

/** Reserved keys of a detection besides search identifiers. `timeframe` belongs to Sigma 1 aggregations and is ignored. */
const DETECTION_RESERVED = new Set(['condition', 'timeframe']);

function readDetection(value: unknown, path: string): RawDetection {
  if (!isMap(value)) throw new RuleError(`${path}: must be a map of search identifiers and a condition, not ${kindOf(value)}`);
  const identifiers = new Map<string, unknown>();
  for (const [name, definition] of Object.entries(value)) {
    if (DETECTION_RESERVED.has(name)) continue;
    const where = `${path}.${name}`;
    // A name the condition can't spell (SigmaHQ has `select_tree_execution|endswith:`) is
    // still reachable through `1 of select*` or `them`, as in pySigma: keep it.
    checkDefinition(definition, where);
    identifiers.set(name, definition);
  }
  const rawCondition = value['condition'];
  if (rawCondition === undefined || rawCondition === null) throw new RuleError(`${path}.condition: required (e.g. 'selection and not filter')`);
  let conditions: string | string[];
  if (typeof rawCondition === 'string') conditions = rawCondition;
  else if (Array.isArray(rawCondition) && rawCondition.length > 0 && rawCondition.every((c) => typeof c === 'string')) conditions = rawCondition as string[];
  else throw new RuleError(`${path}.condition: must be a text or a list of texts, not ${kindOf(rawCondition)}`);
  if (identifiers.size === 0) throw new RuleError(`${path}: defines no search identifier for the condition to use`);
  let condition: ConditionNode;
  const label = path === 'detection' ? 'condition' : `${path}.condition`;
  try {
    condition = resolveCondition(parseConditions(conditions), [...identifiers.keys()]);
  } catch (err) {
    if (err instanceof ConditionSyntaxError) throw new RuleError(`${label}: ${err.detail} at column ${err.column} of '${err.condition}'`);
    if (err instanceof ConditionReferenceError) throw new RuleError(`${label}: ${err.detail}`);
    throw err;
  }
  return { identifiers, condition, path };
}

function isScalar(v: unknown): v is string | number | boolean {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

/** Structure of a search identifier: a map, a list of maps, or keywords (a text or a list of texts). */
function checkDefinition(definition: unknown, where: string): void {
  if (definition === null || definition === undefined) throw new RuleError(`${where}: is empty; give it a map of fields, a list of maps or a list of keywords`);
  if (isScalar(definition)) return;
  if (Array.isArray(definition)) {
    if (definition.length === 0) throw new RuleError(`${where}: is an empty list`);
    const maps = definition.filter(isMap).length;
    if (maps > 0 && maps < definition.length) {
      throw new RuleError(`${where}: mixes field maps and keywords in one list; put the keywords under their own search identifier`);
    }
    definition.forEach((item, i) => {
      if (isMap(item)) checkMap(item, `${where}[${i}]`);
      else if (!isScalar(item)) throw new RuleError(`${where}[${i}]: a keyword must be a text or a number, not ${kindOf(item)}`);
    });
    return;
  }
  if (isMap(definition)) return checkMap(definition, where);
  throw new RuleError(`${where}: must be a map, a list of maps or a list of keywords, not ${kindOf(definition)}`);
}

function checkMap(map: Record<string, unknown>, where: string): void {
  const keys = Object.keys(map);
  if (keys.length === 0) throw new RuleError(`${where}: is an empty map`);
  for (const key of keys) {
    const itemPath = `${where}.${key}`;
    splitItemKey(key, itemPath);
    const v = map[key];
    if (Array.isArray(v)) {
      if (v.length === 0) throw new RuleError(`${itemPath}: is an empty list of values`);
      v.forEach((x, i) => {
        if (x !== null && !isScalar(x)) throw new RuleError(`${itemPath}[${i}]: a value must be a text, a number, a boolean or null, not ${kindOf(x)}`);
      });
    } else if (v !== null && !isScalar(v)) {
      throw new RuleError(`${itemPath}: a value must be a text, a number, a boolean, null or a list of those, not ${kindOf(v)}`);
    }
  }
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
  if (typeof v === 'string') return `the text '${v}'`;
  return `the ${typeof v} ${String(v)}`;
}
