/**
 * `vigil rules test`: detection content under CI. Each rule is run, exactly as live detection
 * and `vigil scan` run it (log-source routing and field mappings included), against:
 * - SigmaHQ's regression tests: the rule's `regression_tests_path` names an `info.yml` whose
 *   `regression_tests_info` list sample logs (`.evtx`; the `.json` export beside it when the
 *   `.evtx` is absent) and optionally `match_count`. The rule must match at least that many
 *   events (at least one without a count). SigmaHQ's own runner only checks that the rule
 *   fires, and some samples hold more qualifying events than their author counted (the
 *   AnyDesk sample has three `user.conf` writes for a count of one), so more is reported, not
 *   failed.
 * - Vigil's example files: `<rule>.tests.yml` beside `<rule>.yml`, with `positive:` (events the
 *   rule must match) and `negative:` (events it must not). An example is a map of fields (read
 *   as a JSON record would be, so `{"Event": {...}}`, Winlogbeat or flat fields all work), or
 *   `{line: "<a log line>"}` read as any input reads a line. A `placeholders:` map in the file
 *   gives `%name%` values for the examples (a rule over configured resources, such as the
 *   sensitive buckets, has nothing to match until some are configured).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { createEvent, type Event } from '../../core/event.js';
import type { RecordMapping } from '../../sources/http/record-mapping.js';
import { checkFile } from '../../sources/file/file-check.js';
import { parseLine } from '../../parsers/line/line-parser.js';
import { DetectionRun } from '../detection.js';
import { RuleError, documentKind } from './rule-document.js';
import { compileRule } from './rule-compiler.js';
import { isExampleFile, ruleFiles } from './rule-loader.js';
import type { LogsourceRouting } from './sigma-engine.js';
import type { CompiledRule } from './sigma-types.js';

export interface RuleTestResult {
  readonly file: string;
  readonly ruleId: string | undefined;
  readonly title: string | undefined;
  /** `regression: <name>`, `positive 2`, `negative 1`, or `compile`. */
  readonly test: string;
  readonly passed: boolean;
  /** What went wrong, or what was seen when it passed. */
  readonly detail: string;
}

export interface RuleTestOptions {
  readonly routing: LogsourceRouting;
  readonly mapping: RecordMapping;
  readonly placeholders?: Readonly<Record<string, readonly string[]>> | undefined;
}

export async function runRuleTests(paths: readonly string[], options: RuleTestOptions): Promise<RuleTestResult[]> {
  const results: RuleTestResult[] = [];
  for (const root of paths) {
    for (const file of ruleFiles(root)) {
      if (isExampleFile(file)) continue;
      const docs = parseAllDocuments(readFileSync(file, 'utf8'));
      for (const doc of Array.isArray(docs) ? docs : []) {
        const value: unknown = doc.errors.length > 0 ? undefined : doc.toJS({ maxAliasCount: 100 });
        if (documentKind(value) !== 'rule') continue;
        const meta = value as { id?: unknown; title?: unknown; regression_tests_path?: unknown; status?: unknown };
        if (meta.status === 'deprecated' || meta.status === 'unsupported') continue;
        const base = { file, ruleId: typeof meta.id === 'string' ? meta.id : undefined, title: typeof meta.title === 'string' ? meta.title : undefined };
        let rule: CompiledRule;
        try {
          rule = compileRule(value, { placeholders: { ...options.placeholders, ...examplePlaceholders(examplesFile(file)) }, file });
        } catch (error) {
          const reason = error instanceof RuleError ? error.reason : (error as Error).message;
          if (typeof meta.regression_tests_path === 'string' || existsSync(examplesFile(file))) results.push({ ...base, test: 'compile', passed: false, detail: reason });
          continue;
        }
        if (typeof meta.regression_tests_path === 'string') results.push(...(await regressionTests(rule, file, meta.regression_tests_path, options)).map((r) => ({ ...base, ...r })));
        const examples = examplesFile(file);
        if (existsSync(examples)) results.push(...exampleTests(rule, examples, options).map((r) => ({ ...base, ...r })));
      }
    }
  }
  return results;
}

/** The `placeholders:` map of an examples file, if it has one (any problem is reported by exampleTests). */
function examplePlaceholders(file: string): Record<string, string[]> {
  if (!existsSync(file)) return {};
  try {
    const doc = parseYaml(readFileSync(file, 'utf8')) as { placeholders?: unknown } | null;
    const p = doc?.placeholders;
    if (typeof p !== 'object' || p === null || Array.isArray(p)) return {};
    const out: Record<string, string[]> = {};
    for (const [k, v] of Object.entries(p)) if (Array.isArray(v)) out[k] = v.map(String);
    return out;
  } catch {
    return {};
  }
}

function examplesFile(ruleFile: string): string {
  return ruleFile.replace(/\.ya?ml$/, '.tests.yml');
}

/** `regression_data/…` is relative to the rule repository's root: the nearest ancestor that has it. */
function findUp(from: string, relative: string): string | undefined {
  let dir = resolve(dirname(from));
  for (;;) {
    const candidate = join(dir, relative);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

interface Outcome {
  readonly test: string;
  readonly passed: boolean;
  readonly detail: string;
}

async function regressionTests(rule: CompiledRule, file: string, infoPath: string, options: RuleTestOptions): Promise<Outcome[]> {
  const info = findUp(file, infoPath);
  if (!info) return [{ test: 'regression', passed: false, detail: `${infoPath} not found above ${dirname(file)}` }];
  const doc = parseYaml(readFileSync(info, 'utf8')) as { regression_tests_info?: unknown } | null;
  const entries = Array.isArray(doc?.regression_tests_info) ? (doc.regression_tests_info as Record<string, unknown>[]) : [];
  if (entries.length === 0) return [{ test: 'regression', passed: false, detail: `${info}: regression_tests_info lists no test` }];
  const out: Outcome[] = [];
  for (const entry of entries) {
    const name = `regression: ${typeof entry['name'] === 'string' ? entry['name'] : 'unnamed'}`;
    const logPath = typeof entry['path'] === 'string' ? entry['path'] : undefined;
    const expected = typeof entry['match_count'] === 'number' ? entry['match_count'] : undefined;
    const found = logPath === undefined ? undefined : (findUp(file, logPath) ?? findUp(file, logPath.replace(/\.evtx$/, '.json')));
    if (!found) {
      out.push({ test: name, passed: false, detail: `sample ${logPath ?? '(no path)'} not found (nor its .json export)` });
      continue;
    }
    const run = new DetectionRun(single(rule), options.routing);
    let matched = 0;
    let events = 0;
    await checkFile(found, 'auto', options.mapping, (event) => {
      events++;
      matched += run.process(event).filter((d) => d.kind === 'rule' && d.rule.id === rule.meta.id).length;
    });
    const passed = matched >= (expected ?? 1);
    const more = expected !== undefined && matched > expected ? ` (more than the ${expected} counted in info.yml)` : '';
    out.push({ test: name, passed, detail: `${matched} of ${events} events matched, ${expected === undefined ? 'at least 1' : `at least ${expected}`} expected${more} (${found})` });
  }
  return out;
}

function exampleTests(rule: CompiledRule, file: string, options: RuleTestOptions): Outcome[] {
  let doc: { positive?: unknown; negative?: unknown } | null;
  try {
    doc = parseYaml(readFileSync(file, 'utf8')) as typeof doc;
  } catch (error) {
    return [{ test: 'examples', passed: false, detail: `${file}: ${(error as Error).message.split('\n')[0]}` }];
  }
  const out: Outcome[] = [];
  for (const kind of ['positive', 'negative'] as const) {
    const list = doc?.[kind];
    if (list === undefined) continue;
    if (!Array.isArray(list)) {
      out.push({ test: kind, passed: false, detail: `${file}: ${kind} must be a list of events` });
      continue;
    }
    list.forEach((example: unknown, i) => {
      const event = exampleEvent(example);
      const test = `${kind} ${i + 1}`;
      if (!event) {
        out.push({ test, passed: false, detail: `${file}: ${kind}[${i}] is neither a map of fields nor {line: "…"}` });
        return;
      }
      const run = new DetectionRun(single(rule), options.routing);
      const matched = run.process(event).some((d) => d.kind === 'rule' && d.rule.id === rule.meta.id);
      const passed = kind === 'positive' ? matched : !matched;
      out.push({ test, passed, detail: passed ? (matched ? 'matched' : 'did not match') : matched ? 'matched, but it is a negative example' : 'did not match a positive example' });
    });
  }
  return out;
}

function exampleEvent(example: unknown): Event | undefined {
  if (typeof example !== 'object' || example === null || Array.isArray(example)) return undefined;
  const line = (example as { line?: unknown }).line;
  const received = Date.now();
  const source = { input: 'rules-test', kind: 'file' as const };
  if (typeof line === 'string' && Object.keys(example).length === 1) {
    const parsed = parseLine(line, 'auto', received);
    return createEvent({ tenant: 'test', received, time: parsed.time, source, format: parsed.format, original: line, fields: parsed.fields, flags: parsed.flags });
  }
  const text = JSON.stringify(example);
  const parsed = parseLine(text, 'json', received, { limits: { maxJsonDepth: 64, maxFieldsPerEvent: 4096 } });
  return createEvent({ tenant: 'test', received, time: parsed.time, source, format: parsed.format, original: text, fields: parsed.fields, flags: parsed.flags });
}

function single(rule: CompiledRule) {
  return { rules: [rule], correlations: [], behaviours: [], filters: [], skipped: [], failed: [], files: 1 };
}
