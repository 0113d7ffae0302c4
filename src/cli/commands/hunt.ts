/**
 * `vigil hunt <rules...> [--from T] [--to T] [--json]`: a retro-hunt. Any Sigma rules,
 * correlations and behaviour rules run over stored history, in the order the events were stored,
 * through the same DetectionRun live detection uses: on the same events a rule gives the same
 * hits as it did live (test/e2e/hunt-parity.test.ts). Nothing is stored; detections are printed
 * as `vigil scan` prints them, each with its rule's author.
 */
import { Command, Option } from 'commander';
import { VigilError } from '../../core/errors.js';
import { builtinPlaceholders } from '../../detect/builtin-rules.js';
import { DetectionRun, type Detection } from '../../detect/detection.js';
import { huntOver } from '../../detect/retro-hunt.js';
import { LogsourceMap } from '../../detect/sigma/logsource-map.js';
import { loadRules } from '../../detect/sigma/rule-loader.js';
import { parseTime } from '../../search/index.js';
import { requireEmbedded, resolveTarget, dataFolderExists, type CommonOptions } from '../cli-context.js';
import { configOption, dataOption, tokenOption } from '../cli-options.js';
import { DuckDbStore } from '../../store/duckdb/duckdb-store.js';
import { detectionJson, detectionRow, formatTable } from './scan.js';

interface HuntOptions extends CommonOptions {
  from?: string;
  to?: string;
  json?: boolean;
  logsources: string[];
  minLevel: string;
}

const LEVELS = ['informational', 'low', 'medium', 'high', 'critical'];

export function huntCommand(): Command {
  return new Command('hunt')
    .description('run Sigma rules (correlations included) over stored history, in stored order, as live detection would have; stores nothing')
    .argument('<rules...>', 'rule files or folders')
    .option('--from <time>', 'from this event time (ISO 8601, epoch, now-7d)')
    .option('--to <time>', 'up to this event time')
    .option('--logsources <file...>', 'extra log-source mapping files', [])
    .addOption(new Option('--min-level <level>', 'leave out detections below this level').choices(LEVELS).default('informational'))
    .option('--json', 'NDJSON, one detection per line (as vigil scan --json)')
    .addOption(dataOption())
    .addOption(configOption())
    .addOption(tokenOption())
    .action(async (paths: string[], options: HuntOptions) => {
      const target = resolveTarget(options);
      if (target.server) {
        throw new VigilError('data-locked', `a server holds ${target.folder.root}; stop it to hunt over its history (read-only access while it runs is not possible with the embedded store)`);
      }
      if (!dataFolderExists(target.folder)) throw new VigilError('not-found', `no Vigil data in ${target.folder.root}: pass --data`);
      const { detection } = target.config;
      const ruleSet = loadRules(paths, { placeholders: builtinPlaceholders(detection.placeholders, detection.sensitive, detection.changeWindows) });
      if (ruleSet.rules.length === 0) throw new VigilError('not-found', `no usable Sigma rules in ${paths.join(', ')} (${ruleSet.failed.length} failed to load; see vigil rules lint)`);
      const now = Date.now();
      const from = options.from === undefined ? undefined : parseTime(options.from, now);
      const to = options.to === undefined ? undefined : parseTime(options.to, now);
      requireEmbedded(target, 'hunt');
      const store = await DuckDbStore.open({ path: target.folder.database, readOnly: true });
      try {
        const started = performance.now();
        const minRank = LEVELS.indexOf(options.minLevel);
        const rows: string[][] = [];
        const counts = new Map<string, number>();
        const emit = (d: Detection) => {
          if (LEVELS.indexOf(d.rule.level) < minRank) return;
          counts.set(d.rule.level, (counts.get(d.rule.level) ?? 0) + 1);
          if (options.json) process.stdout.write(JSON.stringify(detectionJson(d)) + '\n');
          else rows.push(detectionRow(d));
        };
        const { events } = await huntOver(store, target.config.tenant, new DetectionRun(ruleSet, LogsourceMap.load([...detection.logsources, ...options.logsources])), emit, { from, to });
        const summary = `${events} stored events hunted in ${((performance.now() - started) / 1000).toFixed(1)} s; ${ruleSet.rules.length} rules, ${ruleSet.correlations.length} correlations, ${ruleSet.behaviours.length} behaviour rules (${ruleSet.failed.length} failed to load)`;
        const byLevel = [...LEVELS].reverse().map((l) => `${l} ${counts.get(l) ?? 0}`).join(', ');
        if (options.json) process.stderr.write(`${summary}\ndetections: ${byLevel}\n`);
        else process.stdout.write(`${formatTable(['time', 'level', 'rule', 'author', 'host', 'user', 'details'], rows)}\n${summary}\ndetections: ${byLevel}\n`);
      } finally {
        await store.close();
      }
    });
}
