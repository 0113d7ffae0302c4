import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { corpusHas, corpusPath } from '../../../test/support/corpus.js';
import type { Fields } from '../../core/event.js';
import { windowsEventFields } from '../../parsers/windows/windows-event-ecs.js';
import type { JsonTree } from '../../parsers/evtx/index.js';
import { applyFilter, compileFilter, compileRule } from './rule-compiler.js';
import { RuleError, documentKind, readRuleDocument } from './rule-document.js';
import type { CompiledRule, RuleEvent } from './sigma-types.js';
import { ruleEvent } from './rule-event.test-support.js';


function yamlDoc(text: string): unknown {
  return parseAllDocuments(text)[0]!.toJS();
}

function ruleError(build: () => unknown, reason: string | RegExp): void {
  assert.throws(build, (err: unknown) => {
    assert.ok(err instanceof RuleError, `expected a RuleError, got ${String(err)}`);
    if (typeof reason === 'string') assert.equal(err.reason, reason);
    else assert.match(err.reason, reason);
    return true;
  });
}

const WHOAMI = `
title: Whoami Execution
description: Detects a whoami.exe execution
references:
      - https://speakerdeck.com/heirhabarov/hunting-for-privilege-escalation-in-windows-environment
author: Florian Roth
date: 2019-10-23
logsource:
    category: process_creation
    product: windows
detection:
    selection:
        Image: 'C:\\Windows\\System32\\whoami.exe'
    condition: selection
level: high
`;

describe('compiling Sigma rules', () => {
  describe('the specification examples', () => {
    it('the Whoami Execution rule matches whoami.exe, in any case, and nothing else', () => {
      const rule = compileRule(yamlDoc(WHOAMI), { file: 'whoami.yml' });
      assert.equal(rule.matches(ruleEvent({ Image: 'C:\\Windows\\System32\\WHOAMI.exe' })), true);
      assert.equal(rule.matches(ruleEvent({ Image: 'C:\\Windows\\System32\\cmd.exe' })), false);
      assert.equal(rule.meta.title, 'Whoami Execution');
      assert.equal(rule.meta.level, 'high');
      assert.equal(rule.meta.author, 'Florian Roth');
      assert.equal(rule.meta.file, 'whoami.yml');
      assert.deepEqual(rule.meta.logsource, { category: 'process_creation', product: 'windows' });
      assert.deepEqual(rule.witnesses, [{ field: 'Image', literal: 'c:\\windows\\system32\\whoami.exe' }]);
    });
    it('maps AND their fields and OR a field\'s values: EventLog Security and (517 or 1102)', () => {
      const rule = compileRule({ title: 't', logsource: { product: 'windows' }, detection: { selection: { EventLog: 'Security', EventID: [517, 1102] }, condition: 'selection' } });
      assert.equal(rule.matches(ruleEvent({ EventLog: 'Security', EventID: 1102 })), true);
      assert.equal(rule.matches(ruleEvent({ EventLog: 'Security', EventID: 4624 })), false);
      assert.equal(rule.matches(ruleEvent({ EventLog: 'System', EventID: 517 })), false);
    });
    it('a list of maps ORs them: Image ends with \\example.exe or Description contains Test executable', () => {
      const rule = compileRule({
        title: 't',
        logsource: {},
        detection: { selection: [{ 'Image|endswith': '\\example.exe' }, { 'Description|contains': 'Test executable' }], condition: 'selection' },
      });
      assert.equal(rule.matches(ruleEvent({ Image: 'C:\\x\\example.exe' })), true);
      assert.equal(rule.matches(ruleEvent({ Description: 'A test executable here' })), true);
      assert.equal(rule.matches(ruleEvent({ Image: 'C:\\x\\other.exe' })), false);
    });
    it("null selects an absent field, and 'not' of it a present one: EventID 4738 and not PasswordLastSet null", () => {
      const rule = compileRule({
        title: 't',
        logsource: {},
        detection: { selection: { EventID: 4738 }, filter: { PasswordLastSet: null }, condition: 'selection and not filter' },
      });
      assert.equal(rule.matches(ruleEvent({ EventID: 4738, PasswordLastSet: '%%1794' })), true);
      assert.equal(rule.matches(ruleEvent({ EventID: 4738 })), false);
    });
    it("keywords: 'event::clear' or 'event::drop', and '|all' for AND", () => {
      const any = compileRule({ title: 't', logsource: {}, detection: { mimikatz_keywords: ['event::clear', 'event::drop'], condition: 'mimikatz_keywords' } });
      assert.equal(any.matches(ruleEvent({ msg: 'mimikatz # event::drop' })), true);
      assert.equal(any.matches(ruleEvent({ msg: 'mimikatz # sekurlsa' })), false);
      const all = compileRule({ title: 't', logsource: {}, detection: { keywords_cmdlet: { '|all': ['OabVirtualDirectory', ' -ExternalUrl '] }, condition: 'keywords_cmdlet' } });
      assert.equal(all.matches(ruleEvent({ msg: 'Set-OabVirtualDirectory -ExternalUrl x' })), true);
      assert.equal(all.matches(ruleEvent({ msg: 'Set-OabVirtualDirectory' })), false);
      assert.deepEqual(all.witnesses, [{ field: undefined, literal: 'oabvirtualdirectory' }]);
    });
    it("'1 of them' leaves out identifiers starting with '_'", () => {
      const rule = compileRule({ title: 't', logsource: {}, detection: { a: { F: 'x' }, _b: { F: 'y' }, condition: '1 of them' } });
      assert.equal(rule.matches(ruleEvent({ F: 'x' })), true);
      assert.equal(rule.matches(ruleEvent({ F: 'y' })), false);
    });
    it('a list of conditions is OR-ed', () => {
      const rule = compileRule({ title: 't', logsource: {}, detection: { a: { F: 'x' }, b: { G: 'y' }, condition: ['a', 'b'] } });
      assert.equal(rule.matches(ruleEvent({ G: 'y' })), true);
      assert.equal(rule.matches(ruleEvent({ G: 'z' })), false);
    });
    it('a condition mixing and, or, not, x of and parentheses is evaluated with Sigma precedence', () => {
      const rule = compileRule({
        title: 't',
        logsource: {},
        detection: {
          selection_img: { 'Image|endswith': '\\cmd.exe' },
          selection_cli: { 'CommandLine|contains': '/c' },
          filter_a: { User: 'SYSTEM' },
          filter_b: { ParentImage: 'C:\\ok.exe' },
          extra: { Flag: 1 },
          condition: 'all of selection_* and not 1 of filter_* or extra',
        },
      });
      assert.equal(rule.matches(ruleEvent({ Image: 'C:\\cmd.exe', CommandLine: 'cmd /c x', User: 'bob' })), true);
      assert.equal(rule.matches(ruleEvent({ Image: 'C:\\cmd.exe', CommandLine: 'cmd /c x', User: 'system' })), false);
      assert.equal(rule.matches(ruleEvent({ Image: 'C:\\cmd.exe', CommandLine: 'cmd /c x', ParentImage: 'c:\\OK.exe' })), false);
      assert.equal(rule.matches(ruleEvent({ Flag: '1' })), true);
      assert.deepEqual(
        [...rule.witnesses].sort((a, b) => (a.literal < b.literal ? -1 : 1)),
        [{ field: 'Flag', literal: '1' }, { field: 'Image', literal: '\\cmd.exe' }],
        'OR: the union of the most selective literal of the AND and the literal of extra',
      );
    });
  });

  describe('rule documents', () => {
    it('tells rules, correlations and filters apart', () => {
      assert.equal(documentKind({ title: 't', detection: {} }), 'rule');
      assert.equal(documentKind({ title: 't', correlation: {} }), 'correlation');
      assert.equal(documentKind({ title: 't', filter: {} }), 'filter');
      assert.equal(documentKind({ title: 't', action: 'global' }), 'unknown');
      assert.equal(documentKind({ detection: {}, filter: {} }), 'unknown');
      assert.equal(documentKind('text'), 'unknown');
    });
    it('builds RuleMeta: author lists joined, level medium when absent, lists kept', () => {
      const { meta } = readRuleDocument({
        title: 't',
        id: '929a690e-bef0-4204-a928-ef5e620d6fcc',
        name: 'rule_t',
        status: 'test',
        author: ['Alice', 'Bob'],
        tags: ['attack.t1059'],
        references: 'https://example.org',
        falsepositives: ['Admins'],
        fields: ['CommandLine'],
        logsource: { product: 'windows', service: 'security' },
        detection: { s: { F: 1 }, condition: 's' },
      });
      assert.equal(meta.id, '929a690e-bef0-4204-a928-ef5e620d6fcc');
      assert.equal(meta.name, 'rule_t');
      assert.equal(meta.status, 'test');
      assert.equal(meta.author, 'Alice, Bob');
      assert.equal(meta.level, 'medium');
      assert.deepEqual(meta.tags, ['attack.t1059']);
      assert.deepEqual(meta.references, ['https://example.org']);
      assert.deepEqual(meta.falsepositives, ['Admins']);
      assert.deepEqual(meta.fields, ['CommandLine']);
      assert.deepEqual(meta.logsource, { product: 'windows', service: 'security' });
      const anonymous = readRuleDocument({ title: 't', logsource: {}, detection: { s: { F: 1 }, condition: 's' } }).meta;
      assert.match(anonymous.id, /^rule-[0-9a-f]{16}$/, 'a rule without id gets a stable one');
      assert.equal(anonymous.author, '', 'no author is an empty string');
    });
    it('reports what is wrong, where, and what to do', () => {
      const base = { title: 't', logsource: { product: 'windows' } };
      ruleError(() => compileRule({ ...base, detection: { selection: { Image: 'x' }, filter: { User: 'y' }, condition: 'selectoin and not filter' } }), "condition: unknown identifier 'selectoin' (did you mean 'selection'?) (defined: selection, filter)");
      ruleError(() => compileRule({ ...base, detection: { selection: { 'Image|foo': 'x' }, condition: 'selection' } }), "detection.selection.Image|foo: modifier 'foo' is not a Sigma modifier");
      ruleError(() => compileRule({ ...base, detection: { selection: { Image: 'x' }, condition: 'selection and' } }), /^condition: expected an identifier.* at column 14 of 'selection and'$/);
      ruleError(() => compileRule({ ...base, detection: { selection: { Image: 'x' } } }), "detection.condition: required (e.g. 'selection and not filter')");
      ruleError(() => compileRule({ logsource: {}, detection: { s: { F: 1 }, condition: 's' } }), /^title: required/);
      ruleError(() => compileRule({ ...base, level: 'severe', detection: { s: { F: 1 }, condition: 's' } }), "level: 'severe' is not one of informational, low, medium, high, critical");
      ruleError(() => compileRule({ ...base, status: 'beta', detection: { s: { F: 1 }, condition: 's' } }), /^status: 'beta' is not one of/);
      ruleError(() => compileRule({ title: 't', detection: { s: { F: 1 }, condition: 's' } }), /^logsource: required/);
      ruleError(() => compileRule({ ...base, detection: { s: [], condition: 's' } }), 'detection.s: is an empty list');
      ruleError(() => compileRule({ ...base, detection: { s: [{ F: 1 }, 'kw'], condition: 's' } }), /detection\.s: mixes field maps and keywords/);
      ruleError(() => compileRule({ ...base, detection: { s: { F: { nested: 1 } }, condition: 's' } }), /detection\.s\.F: a value must be a text, a number, a boolean, null or a list of those, not a map/);
      ruleError(() => compileRule({ ...base, correlation: {} }), 'this is a Sigma correlation document, not a detection rule');
    });
    it("keeps a search identifier the condition can't spell, reachable through a pattern (as SigmaHQ's select_tree_execution|endswith)", () => {
      const rule = compileRule({ title: 't', logsource: {}, detection: { select_a: { Image: '/bin/ls' }, 'select_b|endswith': { Image: '/tree' }, condition: '1 of select*' } });
      assert.equal(rule.matches(ruleEvent({ Image: '/tree' })), true, 'the key is a name: its |endswith is not a modifier');
      assert.equal(rule.matches(ruleEvent({ Image: '/usr/bin/tree' })), false);
    });
    it('prefixes errors with the file', () => {
      assert.throws(
        () => compileRule({ title: 't', logsource: {}, detection: { s: { 'F|re': '(?=x)' }, condition: 's' } }, { file: 'rules/x.yml' }),
        (err: unknown) => err instanceof RuleError && err.file === 'rules/x.yml' && err.message.startsWith("rules/x.yml: detection.s.F|re: the regular expression '(?=x)'"),
      );
    });
    it('never throws while matching', () => {
      const rule = compileRule(yamlDoc(WHOAMI));
      const broken = { ...ruleEvent({}), lowered: () => { throw new Error('boom'); } } as RuleEvent;
      assert.equal(rule.matches(broken), false);
    });
  });

  describe('witnesses', () => {
    const rule = (detection: Record<string, unknown>) => compileRule({ title: 't', logsource: {}, detection });
    it("Image|endswith: '\\cmd.exe' gives {Image, '\\cmd.exe'}", () => {
      assert.deepEqual(rule({ s: { 'Image|endswith': '\\cmd.exe' }, condition: 's' }).witnesses, [{ field: 'Image', literal: '\\cmd.exe' }]);
    });
    it('OR of selections gives the union', () => {
      assert.deepEqual(rule({ a: { 'Image|endswith': '\\cmd.exe' }, b: { 'CommandLine|contains': 'whoami' }, condition: 'a or b' }).witnesses, [
        { field: 'Image', literal: '\\cmd.exe' },
        { field: 'CommandLine', literal: 'whoami' },
      ]);
    });
    it('AND picks the most selective operand', () => {
      assert.deepEqual(rule({ a: { EventID: 1 }, b: { 'CommandLine|contains': 'mimikatz' }, condition: 'a and b' }).witnesses, [{ field: 'CommandLine', literal: 'mimikatz' }]);
    });
    it("nothing under 'not', and none when an OR branch has none", () => {
      assert.deepEqual(rule({ a: { 'Image|endswith': '\\cmd.exe' }, f: { User: 'SYSTEM' }, condition: 'a and not f' }).witnesses, [{ field: 'Image', literal: '\\cmd.exe' }]);
      assert.deepEqual(rule({ f: { User: 'SYSTEM' }, condition: 'not f' }).witnesses, []);
      assert.deepEqual(rule({ a: { 'Image|endswith': '\\cmd.exe' }, b: { 'Size|gt': 3 }, condition: 'a or b' }).witnesses, []);
    });
  });

  describe('filters', () => {
    const target = compileRule({
      title: 'Data Compressed - rar.exe',
      id: '6f3e2987-db24-4c78-a860-b4f4095a7095',
      logsource: { category: 'process_creation', product: 'windows' },
      detection: { selection: { 'Image|endswith': '\\rar.exe' }, condition: 'selection' },
    });
    const filterDoc = yamlDoc(`
title: Filter Administrator account
description: The valid administrator account start with adm_
logsource:
    category: process_creation
    product: windows
filter:
    rules:
        - 6f3e2987-db24-4c78-a860-b4f4095a7095 # Data Compressed - rar.exe
        - df0841c0-9846-4e9f-ad8a-7df91571771b # Login on jump host
    selection:
        User|startswith: 'adm_'
    condition: selection
`);
    it('the specification example suppresses matches of the rules it names: original and not filter', () => {
      assert.equal(documentKind(filterDoc), 'filter');
      const filtered = applyFilter(target, filterDoc);
      assert.equal(filtered.matches(ruleEvent({ Image: 'C:\\rar.exe', User: 'bob' })), true);
      assert.equal(filtered.matches(ruleEvent({ Image: 'C:\\rar.exe', User: 'ADM_bob' })), false);
      assert.equal(filtered.matches(ruleEvent({ Image: 'C:\\zip.exe', User: 'bob' })), false);
      assert.equal(target.matches(ruleEvent({ Image: 'C:\\rar.exe', User: 'ADM_bob' })), true, 'the original rule is unchanged');
      assert.deepEqual(filtered.witnesses, target.witnesses);
      assert.equal(filtered.meta, target.meta);
    });
    it('appliesTo: the rule is named (by id or name) and its log source is the filter\'s or narrower', () => {
      const filter = compileFilter(filterDoc);
      assert.equal(filter.appliesTo(target.meta), true);
      assert.equal(filter.appliesTo({ ...target.meta, id: 'other' }), false);
      assert.equal(filter.appliesTo({ ...target.meta, logsource: { category: 'file_event', product: 'windows' } }), false);
      const byName = compileFilter({ title: 'f', logsource: { product: 'windows' }, filter: { rules: ['rar_rule'], s: { User: 'x' }, condition: 's' } });
      assert.equal(byName.appliesTo({ ...target.meta, name: 'rar_rule' }), true);
    });
    it('filter documents are validated like rules', () => {
      ruleError(() => compileFilter({ title: 'f', logsource: {}, filter: { s: { User: 'x' }, condition: 's' } }), /^filter\.rules: must list the ids or names/);
      ruleError(() => compileFilter({ title: 'f', logsource: {}, filter: { rules: ['x'], s: { User: 'x' }, condition: 'z' } }), "filter.condition: unknown identifier 'z' (defined: s)");
      ruleError(() => compileFilter({ title: 'f', filter: { rules: ['x'], s: { User: 'x' }, condition: 's' } }), /^logsource: required/);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// The SigmaHQ corpus

const RULE_DIRS = ['rules', 'rules-emerging-threats', 'rules-threat-hunting'] as const;

function ymlFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.yml') || name.endsWith('.yaml')) out.push(p);
    }
  };
  walk(dir);
  return out;
}

interface CorpusRule {
  readonly path: string;
  readonly rule: CompiledRule;
}

let corpusRules: CorpusRule[] | undefined;
/** Every corpus rule that compiles (expand rules with sample placeholder values). */
function loadCorpusRules(): CorpusRule[] {
  if (corpusRules) return corpusRules;
  corpusRules = [];
  for (const dir of RULE_DIRS) {
    if (!corpusHas('sigma', dir)) continue;
    for (const file of ymlFiles(corpusPath('sigma', dir))) {
      const path = relative(corpusPath('sigma'), file);
      for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
        const parsed = doc.toJS() as Record<string, unknown>;
        if (documentKind(parsed) !== 'rule' || parsed['status'] === 'deprecated' || parsed['status'] === 'unsupported') continue;
        try {
          corpusRules.push({ path, rule: compileRule(parsed, { file: path, placeholders: SAMPLE_PLACEHOLDERS }) });
        } catch {
          // reported by the compile test
        }
      }
    }
  }
  return corpusRules;
}

/** Values a deployment would configure for the placeholders SigmaHQ rules use. */
const SAMPLE_PLACEHOLDERS = { known_cdcs: ['dc01.corp.local', '10.0.0.10'] };

describe('the SigmaHQ corpus', () => {
  it('compiles every rule that is not deprecated or unsupported', (t) => {
    const root = corpusPath('sigma');
    if (!corpusHas('sigma', 'rules')) return t.skip(`corpus absent: ${corpusPath('sigma', 'rules')}`);
    const report: string[] = [];
    for (const dir of RULE_DIRS) {
      if (!corpusHas('sigma', dir)) continue;
      let loaded = 0;
      let skipped = 0;
      const failures: string[] = [];
      const needPlaceholders: string[] = [];
      for (const file of ymlFiles(corpusPath('sigma', dir))) {
        const path = relative(root, file);
        for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
          if (doc.errors.length > 0) {
            failures.push(`${path}: YAML: ${doc.errors[0]!.message}`);
            continue;
          }
          const parsed = doc.toJS() as Record<string, unknown>;
          const kind = documentKind(parsed);
          if (kind === 'correlation' || kind === 'filter' || parsed['status'] === 'deprecated' || parsed['status'] === 'unsupported') {
            skipped++;
            continue;
          }
          try {
            compileRule(parsed, { file: path });
            loaded++;
          } catch (err) {
            const reason = err instanceof RuleError ? err.message : `crash: ${String(err)}`;
            // The specification: a tool that can't resolve a placeholder must reject the rule.
            if (/placeholder '%\w+%' has no values/.test(reason)) {
              compileRule(parsed, { file: path, placeholders: SAMPLE_PLACEHOLDERS });
              needPlaceholders.push(path);
            } else failures.push(reason);
          }
        }
      }
      report.push(`${dir}: ${loaded} loaded, ${skipped} skipped (deprecated, unsupported, correlation, filter), ${needPlaceholders.length} rejected until their placeholders are configured, ${failures.length} failed`);
      assert.deepEqual(failures, [], `${dir}: rules that do not compile:\n${failures.join('\n')}`);
      if (dir === 'rules') assert.deepEqual(needPlaceholders, [], 'rules/ has no placeholder rule');
    }
    for (const line of report) t.diagnostic(line);
  });

  it('never matches an event without one of its witnesses (every rule × every regression event)', (t) => {
    if (!corpusHas('sigma', 'regression_data')) return t.skip(`corpus absent: ${corpusPath('sigma', 'regression_data')}`);
    const rules = loadCorpusRules();
    const events = regressionEvents().flatMap((r) => r.events);
    let checked = 0;
    let matched = 0;
    const violations: string[] = [];
    for (const { path, rule } of rules) {
      if (rule.witnesses.length === 0) continue;
      for (const event of events) {
        checked++;
        if (!rule.matches(event)) continue;
        matched++;
        const present = rule.witnesses.some((w) => {
          const texts = w.field === undefined ? event.keywordTexts() : event.lowered(w.field);
          if (texts === undefined) return false;
          return typeof texts === 'string' ? texts.includes(w.literal) : texts.some((x) => x.includes(w.literal));
        });
        if (!present) violations.push(`${path} matched record ${String(event.value('EventRecordID'))} without any of ${JSON.stringify(rule.witnesses.slice(0, 5))}`);
      }
    }
    const withWitnesses = rules.filter((r) => r.rule.witnesses.length > 0).length;
    t.diagnostic(`${withWitnesses} of ${rules.length} rules have witnesses; ${checked} rule×event pairs, ${matched} matches checked`);
    assert.ok(matched > 150, `expected the regression events to match their rules (got ${matched})`);
    assert.deepEqual(violations, []);
  });

  it('matches the SigmaHQ regression events (Windows evtx_dump JSON) the expected number of times', (t) => {
    if (!corpusHas('sigma', 'regression_mapping.jsonl')) return t.skip(`corpus absent: ${corpusPath('sigma', 'regression_mapping.jsonl')}`);
    const failures: string[] = [];
    let passed = 0;
    const tests = regressionEvents();
    for (const test of tests) {
      const rule = compileRule(yamlDoc(readFileSync(corpusPath('sigma', test.rulePath), 'utf8')), { file: test.rulePath });
      const inSource = test.events.filter((e) => inLogsource(e, rule.meta.logsource));
      const count = inSource.filter((e) => rule.matches(e)).length;
      const expected = REVIEWED_COUNTS[test.rulePath]?.count ?? test.expected ?? 1;
      if (count === expected) passed++;
      else failures.push(`${test.rulePath}: ${count} of ${inSource.length} events in its log source matched, expected ${expected}`);
    }
    t.diagnostic(`${passed} of ${tests.length} regression tests pass`);
    assert.equal(tests.length, 202);
    assert.deepEqual(failures, []);
  });
});

/**
 * Regression samples that hold more qualifying events than their info.yml counts (SigmaHQ's
 * runner only checks that the rule fires). Each was read: every extra event matches the rule
 * as written.
 */
const REVIEWED_COUNTS: Record<string, { count: number; why: string }> = {
  'rules/windows/file/file_event/file_event_win_anydesk_artefact.yml': { count: 3, why: 'user.conf.new (twice) and user.conf~RF….TMP contain \\AppData\\Roaming\\AnyDesk\\user.conf' },
  'rules/windows/file/file_event/file_event_win_cred_dump_tools_dropped_files.yml': { count: 3, why: 'procdump.exe, procdump64.exe and procdump64a.exe are all listed; the :Zone.Identifier streams are not' },
  'rules/windows/process_creation/proc_creation_win_dtrace_kernel_dump.yml': { count: 2, why: 'both dtrace.exe command lines contain lkd(0)' },
  'rules/windows/process_creation/proc_creation_win_github_self_hosted_runner.yml': { count: 2, why: 'one Runner.Listener configure and one Runner.Worker spawnclient' },
  'rules/windows/registry/registry_set/registry_set_change_security_zones.yml': { count: 3, why: 'three ZoneMap\\Domains values set to DWORD 2' },
  'rules/windows/registry/registry_set/registry_set_disable_administrative_share.yml': { count: 2, why: 'AutoShareServer and AutoShareWks both set to 0' },
};

interface RegressionTest {
  readonly rulePath: string;
  readonly expected: number | null;
  readonly events: RuleEvent[];
}

let regression: RegressionTest[] | undefined;
function regressionEvents(): RegressionTest[] {
  if (regression) return regression;
  regression = readFileSync(corpusPath('sigma', 'regression_mapping.jsonl'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const entry = JSON.parse(line) as { rule_path: string; json_path: string; expected_match_count: number | null };
      const trees = concatenatedJson(readFileSync(corpusPath('sigma', entry.json_path), 'utf8'));
      return { rulePath: entry.rule_path, expected: entry.expected_match_count, events: trees.map(windowsRuleEvent) };
    });
  return regression;
}

/** Several JSON objects one after the other, as evtx_dump writes them. */
function concatenatedJson(text: string): unknown[] {
  const out: unknown[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  let escaped = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (c === '\\') escaped = true;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') {
      if (depth++ === 0) start = i;
    } else if (c === '}' && --depth === 0) out.push(JSON.parse(text.slice(start, i + 1)));
  }
  return out;
}

/**
 * A Windows event as rules see it: the product's native fields, plus names with spaces
 * removed (Defender's "Source Name" is Sigma's SourceName: the specification's field naming).
 */
function windowsRuleEvent(tree: unknown): RuleEvent {
  const { fields } = windowsEventFields(tree as JsonTree);
  const named: Fields = { ...fields };
  for (const [k, v] of Object.entries(fields)) if (k.includes(' ') && !(k.replaceAll(' ', '') in named)) named[k.replaceAll(' ', '')] = v;
  return ruleEvent(named, JSON.stringify(tree));
}

const SYSMON_CHANNEL = 'Microsoft-Windows-Sysmon/Operational';
/** Sysmon event ids of the Windows log source categories (sigma-appendix-taxonomy.md). */
const CATEGORY_EVENT_IDS: Record<string, readonly number[]> = {
  process_creation: [1], file_change: [2], network_connection: [3], process_termination: [5], driver_load: [6], image_load: [7],
  create_remote_thread: [8], raw_access_thread: [9], process_access: [10], file_event: [11], registry_add: [12], registry_delete: [12],
  registry_set: [13], registry_rename: [14], registry_event: [12, 13, 14], create_stream_hash: [15], pipe_created: [17, 18],
  wmi_event: [19, 20, 21], dns_query: [22], file_delete: [23, 26], clipboard_capture: [24], process_tampering: [25],
  file_delete_detected: [26], file_block_executable: [27], file_block_shredding: [28], file_executable_detected: [29],
};
const SERVICE_CHANNELS: Record<string, string> = {
  security: 'Security', system: 'System', application: 'Application', sysmon: SYSMON_CHANNEL,
  windefend: 'Microsoft-Windows-Windows Defender/Operational', taskscheduler: 'Microsoft-Windows-TaskScheduler/Operational',
  wmi: 'Microsoft-Windows-WMI-Activity/Operational',
};

/** Whether a Windows event belongs to a rule's log source (the test's stand-in for the product's routing). */
function inLogsource(event: RuleEvent, logsource: { category?: string | undefined; service?: string | undefined }): boolean {
  const channel = event.value('Channel');
  if (logsource.category !== undefined) {
    const ids = CATEGORY_EVENT_IDS[logsource.category];
    return ids !== undefined && channel === SYSMON_CHANNEL && ids.includes(Number(event.value('EventID')));
  }
  if (logsource.service !== undefined) return SERVICE_CHANNELS[logsource.service] === channel;
  return true;
}
