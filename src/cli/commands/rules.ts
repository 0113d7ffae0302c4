/**
 * `vigil rules lint <paths>`: which rules load, which are skipped (deprecated, unsupported) and
 * which fail, each failure with its file and a reason the author can act on; plus rules no
 * log-source mapping covers (they load but can never match).
 * `vigil rules test <paths>`: runs each rule on its regression samples and example events.
 * Both exit 1 when something fails, for CI of detection content.
 */
import { Command } from 'commander';
import { jsonRecordMapping } from '../../parsers/json/index.js';
import { loadRules } from '../../detect/sigma/rule-loader.js';
import { builtinPlaceholders } from '../../detect/builtin-rules.js';
import { LogsourceMap } from '../../detect/sigma/logsource-map.js';
import { runRuleTests } from '../../detect/sigma/rule-tests.js';
import { SigmaEngine } from '../../detect/sigma/sigma-engine.js';
import { escapeForTerminal } from '../terminal-escape.js';
import { figuresOf, type RuleFigures } from '../../alerts/rule-figures.js';
import { VigilError } from '../../core/errors.js';
import type { CommonOptions } from '../cli-context.js';
import { configOption, dataOption, tokenOption } from '../cli-options.js';
import { viaServerOrStore } from '../store-or-server.js';

interface LintOptions {
  json?: boolean;
  logsources: string[];
}

export function rulesCommand(): Command {
  const rules = new Command('rules').description('check Sigma rules: load them (lint) and run them on their test events (test)');
  rules
    .command('lint')
    .description('load every rule, correlation and filter; report what fails and why')
    .argument('<paths...>', 'folders (searched recursively for .yml/.yaml) or files')
    .option('--logsources <file...>', 'extra log-source mapping files', [])
    .option('--json', 'print {"loaded","skipped","failed":[{"file","reason"}],"unmapped":[{"file","reason"}],"correlations","behaviours","filters"}')
    .action((paths: string[], options: LintOptions) => {
      const set = loadRules(paths, { placeholders: builtinPlaceholders() });
      const engine = new SigmaEngine(set.rules, LogsourceMap.load(options.logsources));
      const unmapped = engine.unrouted.map((r) => ({
        file: r.meta.file ?? r.meta.id,
        reason: `no log source mapping for ${JSON.stringify(r.meta.logsource)}: the rule never runs (add one with --logsources or detection.logsources)`,
      }));
      const report = { loaded: set.rules.length, skipped: set.skipped.length, failed: set.failed, unmapped, correlations: set.correlations.length, behaviours: set.behaviours.length, filters: set.filters.length };
      if (options.json) process.stdout.write(JSON.stringify(report) + '\n');
      else {
        for (const f of set.failed) process.stdout.write(escapeForTerminal(`FAILED   ${f.file}: ${f.reason}`) + '\n');
        for (const u of unmapped) process.stdout.write(escapeForTerminal(`UNMAPPED ${u.file}: ${u.reason}`) + '\n');
        process.stdout.write(
          `${set.files} files: ${set.rules.length} rules loaded, ${set.correlations.length} correlations, ${set.behaviours.length} behaviour rules, ${set.filters.length} filters, ${set.skipped.length} skipped (deprecated or unsupported), ${set.failed.length} failed, ${unmapped.length} without a log source mapping\n`,
        );
      }
      process.exitCode = set.failed.length > 0 ? 1 : 0;
    });
  rules
    .command('noisy')
    .description('per-rule figures over the last days: alerts, grouped, suppressed, throttled, verdicts, false-positive rate, time to triage; noisy rules first, with suppressions suggested from false positives')
    .option('--days <n>', 'how many days back', '30')
    .option('--all', 'list every rule with activity, not only the noisy ones')
    .option('--json', 'one JSON object per rule')
    .addOption(dataOption())
    .addOption(configOption())
    .addOption(tokenOption())
    .action(async (options: CommonOptions & { days: string; all?: boolean; json?: boolean }) => {
      const days = Number(options.days);
      if (!Number.isInteger(days) || days < 1 || days > 366) throw new VigilError('bad-request', '--days takes a whole number from 1 to 366');
      const figures = await viaServerOrStore(options, {
        server: async (server) => (await server.call<{ rules: RuleFigures[] }>('GET', `/api/v1/rules/figures?days=${days}`)).rules,
        local: (store, tenant) => figuresOf(store, tenant, days),
      });
      const shown = options.all ? figures : figures.filter((f) => f.noisy);
      for (const f of shown) {
        if (options.json) {
          process.stdout.write(JSON.stringify(f) + '\n');
          continue;
        }
        const rate = f.falsePositiveRate === null ? '-' : `${Math.round(f.falsePositiveRate * 100)}%`;
        const triage = f.medianTimeToTriageMs === null ? '-' : `${Math.round(f.medianTimeToTriageMs / 60_000)} min`;
        const lines = [
          `${f.noisy ? 'NOISY ' : '      '}${f.ruleTitle} (${f.ruleAuthor || 'no author'}; ${f.ruleId})`,
          `      alerts ${f.raised}, grouped ${f.grouped}, suppressed ${f.suppressed}, throttled ${f.throttled}; verdicts TP ${f.verdicts.true_positive} FP ${f.verdicts.false_positive} benign ${f.verdicts.benign}; FP rate ${rate}; median time to triage ${triage}`,
          ...f.suggestions.map((s) => `      suggest: vigil suppress add --rule ${s.ruleId} --field ${s.field}=${s.value} --reason "…"   (${s.falsePositives} false positives)`),
        ];
        process.stdout.write(lines.map((l) => escapeForTerminal(l)).join('\n') + '\n');
      }
      if (!options.json) process.stderr.write(`${shown.length} rule(s)${options.all ? '' : ' flagged noisy'} over ${days} day(s)\n`);
    });
  rules
    .command('test')
    .description("run each rule on its SigmaHQ regression samples (regression_tests_path) and on <rule>.tests.yml examples")
    .argument('<paths...>', 'folders or files of rules')
    .option('--logsources <file...>', 'extra log-source mapping files', [])
    .option('--json', 'one JSON object per test: {"file","ruleId","title","test","passed","detail"}')
    .option('--verbose', 'list passing tests too')
    .action(async (paths: string[], options: LintOptions & { verbose?: boolean }) => {
      const results = await runRuleTests(paths, { routing: LogsourceMap.load(options.logsources), mapping: jsonRecordMapping, placeholders: builtinPlaceholders() });
      const failed = results.filter((r) => !r.passed);
      for (const r of results) {
        if (options.json) process.stdout.write(JSON.stringify(r) + '\n');
        else if (!r.passed || options.verbose) process.stdout.write(escapeForTerminal(`${r.passed ? 'PASS' : 'FAIL'}  ${r.title ?? r.ruleId ?? ''} [${r.test}] ${r.detail}  (${r.file})`) + '\n');
      }
      if (!options.json) process.stdout.write(`${results.length} tests of ${new Set(results.map((r) => r.file)).size} rules: ${results.length - failed.length} passed, ${failed.length} failed\n`);
      process.exitCode = failed.length > 0 ? 1 : 0;
    });
  return rules;
}
