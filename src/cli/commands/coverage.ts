/**
 * `vigil coverage [--json]`: the enabled rules that cannot fire on this installation's data
 * (their log source or fields never seen), the sources no rule covers, and the ATT&CK
 * techniques covered. From a running server, or from the data folder when none runs. Every
 * rule listed names its id, title and author (Detection Rule License).
 */
import { Command } from 'commander';
import { VigilError } from '../../core/errors.js';
import { builtinPlaceholders, rulePaths } from '../../detect/builtin-rules.js';
import { coverageOf, type CoverageReport, type RuleThatCannotFire } from '../../detect/coverage.js';
import { LogsourceMap } from '../../detect/sigma/logsource-map.js';
import { loadRules } from '../../detect/sigma/rule-loader.js';
import { DuckDbStore } from '../../store/duckdb/duckdb-store.js';
import { requireEmbedded, resolveTarget, dataFolderExists, type CommonOptions } from '../cli-context.js';
import { configOption, dataOption, tokenOption } from '../cli-options.js';
import { escapeForTerminal } from '../terminal-escape.js';

interface CoverageOptions extends CommonOptions {
  json?: boolean;
}

export function coverageCommand(): Command {
  return new Command('coverage')
    .description('which enabled rules cannot fire on the data stored here, which sources no rule covers, and the ATT&CK techniques covered')
    .option('--json', 'one JSON document: {events, shapes, enabled, canFire, cannotFire[], uncoveredSources[], techniques[], techniquesNotCovered[]}')
    .addOption(dataOption())
    .addOption(configOption())
    .addOption(tokenOption())
    .action(async (options: CoverageOptions) => {
      const target = resolveTarget(options);
      let report: CoverageReport;
      if (target.server) report = await target.server.call<CoverageReport>('GET', '/api/v1/coverage');
      else {
        requireEmbedded(target, 'coverage');
        if (!dataFolderExists(target.folder)) throw new VigilError('not-found', `no Vigil data in ${target.folder.root}: start "vigil serve" or pass --data`);
        const { detection, tenant } = target.config;
        const routing = LogsourceMap.load(detection.logsources);
        const ruleSet = loadRules(rulePaths(detection.builtin, detection.rules), { placeholders: builtinPlaceholders(detection.placeholders, detection.sensitive, detection.changeWindows) });
        const store = await DuckDbStore.open({ path: target.folder.database, readOnly: true });
        try {
          report = await coverageOf(store, tenant, ruleSet, routing);
        } finally {
          await store.close();
        }
      }
      process.stdout.write(options.json ? JSON.stringify(report) + '\n' : coverageText(report));
    });
}

const REASONS: Readonly<Record<RuleThatCannotFire['reason'], string>> = {
  'no-mapping': 'no log-source mapping',
  'log-source-never-seen': 'log source never seen',
  'fields-never-seen': 'fields never seen',
  'inputs-cannot-fire': 'the rules it reads cannot fire',
};

export function coverageText(r: CoverageReport): string {
  const lines: string[] = [];
  lines.push(`${r.events} events of ${r.shapes} shapes stored.`);
  lines.push(
    `Enabled: ${r.enabled.rules} rules, ${r.enabled.correlations} correlations, ${r.enabled.behaviours} behaviour rules; ` +
      `can fire on this data: ${r.canFire.rules} rules, ${r.canFire.correlations} correlations, ${r.canFire.behaviours} behaviour rules.`,
  );
  lines.push('', `Rules that cannot fire here (${r.cannotFire.length}):`);
  const byReason = new Map<string, RuleThatCannotFire[]>();
  for (const c of r.cannotFire) byReason.set(c.reason, [...(byReason.get(c.reason) ?? []), c]);
  for (const [reason, list] of byReason) {
    lines.push(`  ${REASONS[reason as RuleThatCannotFire['reason']]} (${list.length}):`);
    for (const c of list.slice(0, 200)) {
      const detail = c.reason === 'fields-never-seen' || c.reason === 'inputs-cannot-fire' ? `: ${(c.missing ?? []).join(', ')}` : '';
      lines.push(`    ${c.level.padEnd(13)} ${c.title} (${c.author || 'no author'}; ${c.id})${c.logsource ? ` [${c.logsource}]` : ''}${detail}`);
    }
    if (list.length > 200) lines.push(`    … ${list.length - 200} more (see --json)`);
  }
  lines.push('', `Sources no rule covers (${r.uncoveredSources.length}):`);
  for (const s of r.uncoveredSources) {
    lines.push(`  ${String(s.events).padStart(10)} events  ${s.format}/${s.sourceKind}  ${s.logsources[0] ?? '(no Sigma log source)'}  fields: ${s.exampleFields.join(', ')}`);
  }
  lines.push('', `ATT&CK techniques covered by rules that can fire (${r.techniques.length}):`);
  for (const t of r.techniques) lines.push(`  ${t.technique.padEnd(10)} ${String(t.rules).padStart(4)} rule(s)  ${t.tactics.join(', ')}`);
  if (r.techniquesNotCovered.length > 0) lines.push('', `Techniques only rules that cannot fire here cover (${r.techniquesNotCovered.length}): ${r.techniquesNotCovered.join(', ')}`);
  // Titles, ids and field names come from rule files and stored events: escaped line by line.
  return lines.map((l) => escapeForTerminal(l)).join('\n') + '\n';
}
