/**
 * `vigil retention [list] [--json]`: recent retention runs (what each rule deleted, and when);
 * `vigil retention run [--json]`: enforce the `retention` rules of vigil.yaml now. Through the
 * running server, or on the data folder when none runs (docs/history.md).
 */
import { Command } from 'commander';
import type { RetentionRun } from '../../core/history.js';
import { RetentionSchedule } from '../../store/retention/retention-schedule.js';
import type { CommonOptions } from '../cli-context.js';
import { configOption, dataOption, tokenOption } from '../cli-options.js';
import { viaServerOrStore } from '../store-or-server.js';
import { escapeForTerminal } from '../terminal-escape.js';
import { VigilError } from '../../core/errors.js';
import { resolveConfig } from '../cli-context.js';

function runLine(r: RetentionRun): string {
  return escapeForTerminal(
    `${new Date(r.started).toISOString()}  ${r.rule.padEnd(28)}  deleted ${String(r.deleted).padStart(9)}  received before ${new Date(r.cutoff).toISOString()}  ${r.finished - r.started} ms${r.signed ? '' : '  (unsigned)'}  id=${r.id}`,
  );
}

function print(runs: readonly RetentionRun[], json: boolean | undefined, empty: string): void {
  if (json) {
    for (const r of runs) process.stdout.write(JSON.stringify(r) + '\n');
    return;
  }
  process.stdout.write(runs.length === 0 ? `${empty}\n` : runs.map(runLine).join('\n') + '\n');
}

export function retentionCommand(): Command {
  const retention = new Command('retention').description('event retention: the recorded runs (list, the default) or enforce the rules now (run)');
  retention
    .command('list', { isDefault: true })
    .description('recent retention runs, newest first')
    .option('--json', 'one JSON run per line')
    .option('--limit <n>', 'runs at most', '50')
    .addOption(dataOption())
    .addOption(configOption())
    .addOption(tokenOption())
    .action(async (options: CommonOptions & { json?: boolean; limit: string }) => {
      const limit = Number(options.limit);
      if (!Number.isSafeInteger(limit) || limit < 1 || limit > 10_000) throw new VigilError('bad-request', `--limit is a whole number from 1 to 10000, got ${options.limit}`, { where: '--limit' });
      const runs = await viaServerOrStore(options, {
        server: async (s) => (await s.call<{ runs: RetentionRun[] }>('GET', `/api/v1/retention?limit=${limit}`)).runs,
        local: (store) => store.listRetentionRuns(limit),
      });
      print(runs, options.json, 'no retention runs recorded (retention.defaultDays and retention.rules in vigil.yaml; the server enforces them hourly)');
    });
  retention
    .command('run')
    .description('enforce the retention rules of vigil.yaml now, and record the runs')
    .option('--json', 'one JSON run per line')
    .addOption(dataOption())
    .addOption(configOption())
    .addOption(tokenOption())
    .action(async (options: CommonOptions & { json?: boolean }) => {
      const runs = await viaServerOrStore(options, {
        server: async (s) => (await s.call<{ runs: RetentionRun[] }>('POST', '/api/v1/retention/run')).runs,
        local: async (store) => new RetentionSchedule({ store, policy: resolveConfig(options).retention }).run(),
        writes: true,
      });
      print(runs, options.json, 'nothing to enforce: every event is kept forever (set retention.defaultDays or retention.rules in vigil.yaml)');
    });
  return retention;
}
