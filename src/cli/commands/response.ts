/**
 * `vigil response list|approve|reject`: automated response runs. Listing works from the audit
 * journal when no server runs; approving and rejecting need the running server, which holds the
 * playbooks and runs the steps.
 */
import { existsSync, readFileSync } from 'node:fs';
import { Command } from 'commander';
import type { ResponseRun } from '../../actions/response/response-engine.js';
import { VigilError } from '../../core/errors.js';
import { resolveTarget, type CommonOptions } from '../cli-context.js';
import { configOption, dataOption, tokenOption } from '../cli-options.js';
import { escapeForTerminal } from '../terminal-escape.js';

export function responseCommand(): Command {
  const response = new Command('response').description('automated response runs: list them, approve or reject the ones waiting');
  response
    .command('list')
    .description('runs, newest first: playbook, alert, status, steps')
    .option('--json', 'one JSON run per line')
    .addOption(dataOption())
    .addOption(configOption())
    .addOption(tokenOption())
    .action(async (options: CommonOptions & { json?: boolean }) => {
      const target = resolveTarget(options);
      let runs: ResponseRun[];
      if (target.server) runs = (await target.server.call<{ runs: ResponseRun[] }>('GET', '/api/v1/response/runs')).runs;
      else {
        const journal = target.folder.responseJournal;
        const latest = new Map<string, ResponseRun>();
        if (existsSync(journal)) for (const line of readFileSync(journal, 'utf8').split('\n')) if (line.trim()) latest.set((JSON.parse(line) as ResponseRun).id, JSON.parse(line) as ResponseRun);
        runs = [...latest.values()].filter((r) => r.tenant === target.config.tenant).sort((a, b) => b.created - a.created);
      }
      for (const r of runs) {
        if (options.json) {
          process.stdout.write(JSON.stringify(r) + '\n');
          continue;
        }
        const steps = r.steps.map((s) => `${s.phase === 'revert' ? 'revert ' : ''}${s.step}${s.ok === undefined ? '' : s.ok ? ' ok' : ' failed'}`).join(', ');
        const revert = r.revertAt ? `  revert at ${new Date(r.revertAt).toISOString()}` : '';
        process.stdout.write(escapeForTerminal(`${new Date(r.created).toISOString()}  ${r.status.padEnd(17)}  ${r.playbook}  alert=${r.alertId} (${r.ruleTitle})  ${steps}${revert}${r.reason ? `  — ${r.reason}` : ''}  id=${r.id}`) + '\n');
      }
      if (!options.json) process.stderr.write(`${runs.length} run(s)\n`);
    });
  for (const verb of ['approve', 'reject'] as const) {
    response
      .command(verb)
      .description(verb === 'approve' ? 'run a playbook that waits for approval (needs an admin token)' : 'refuse a run that waits for approval')
      .argument('<id>', 'the run id (response list shows it)')
      .option('--reason <text>', 'why (reject)')
      .addOption(dataOption())
      .addOption(configOption())
      .addOption(tokenOption())
      .action(async (id: string, options: CommonOptions & { reason?: string }) => {
        const target = resolveTarget(options);
        if (!target.server) throw new VigilError('not-found', `${verb} needs the running server (it holds the playbooks): start vigil serve`);
        const run = await target.server.call<ResponseRun>('POST', `/api/v1/response/runs/${encodeURIComponent(id)}/${verb}`, JSON.stringify({ reason: options.reason ?? '' }), { 'content-type': 'application/json' });
        process.stdout.write(escapeForTerminal(`${run.status}  ${run.playbook}  alert=${run.alertId}${run.reason ? `  — ${run.reason}` : ''}`) + '\n');
      });
  }
  return response;
}
