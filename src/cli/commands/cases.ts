/**
 * `vigil cases list|create|show|add|note|status|export`: incidents made of alerts, through the
 * running server when there is one, else in the data folder.
 */
import { Command, Option } from 'commander';
import { CaseFiles, caseMarkdown, type CaseAction, type CaseView } from '../../alerts/case-file.js';
import { CASE_STATUSES, type Case } from '../../core/alert.js';
import type { CommonOptions } from '../cli-context.js';
import { configOption, dataOption, tokenOption } from '../cli-options.js';
import { localActor, viaServerOrStore } from '../store-or-server.js';
import { escapeForTerminal } from '../terminal-escape.js';

const common = (c: Command) => c.addOption(dataOption()).addOption(configOption()).addOption(tokenOption());

export function casesCommand(): Command {
  const cases = new Command('cases').description('cases: alerts grouped into an incident, with a timeline, observables, notes and a status');
  common(cases.command('list').description('cases, most recently updated first').option('--json', 'one JSON case per line')).action(async (options: CommonOptions & { json?: boolean }) => {
    const list = await viaServerOrStore(options, {
      server: async (s) => (await s.call<{ cases: Case[] }>('GET', '/api/v1/cases')).cases,
      local: (store, tenant) => store.listCases(tenant, 1000),
    });
    for (const c of list) process.stdout.write(options.json ? JSON.stringify(c) + '\n' : escapeForTerminal(`${new Date(c.updated).toISOString()}  ${c.status.padEnd(13)}  ${c.title}  alerts=${c.alertIds.length}${c.owner ? `  owner=${c.owner}` : ''}  id=${c.id}`) + '\n');
    if (!options.json) process.stderr.write(`${list.length} case(s)\n`);
  });
  common(cases.command('create').description('open a case').requiredOption('--title <text>', 'what the incident is').option('--alert <id...>', 'alerts it starts with', []).option('--json', 'print the case as JSON')).action(
    async (options: CommonOptions & { title: string; alert: string[]; json?: boolean }) => {
      const body = { title: options.title, alertIds: options.alert };
      const c = await viaServerOrStore(options, {
        writes: true,
        server: (s) => s.call<Case>('POST', '/api/v1/cases', JSON.stringify(body), { 'content-type': 'application/json' }),
        local: (store, tenant) => new CaseFiles(store).create(tenant, options.title, options.alert, localActor()),
      });
      process.stdout.write(options.json ? JSON.stringify(c) + '\n' : escapeForTerminal(`opened case ${c.id}: ${c.title}`) + '\n');
    },
  );
  const act = (name: string, description: string, build: (o: Record<string, unknown>) => CaseAction, configure: (c: Command) => Command) =>
    common(configure(cases.command(name).description(description).argument('<id>', 'the case id'))).action(async (id: string, options: CommonOptions & Record<string, unknown>) => {
      const change = build(options);
      const c = await viaServerOrStore(options, {
        writes: true,
        server: (s) => s.call<Case>('POST', `/api/v1/cases/${encodeURIComponent(id)}/actions`, JSON.stringify(change), { 'content-type': 'application/json' }),
        local: (store, tenant) => new CaseFiles(store).apply(tenant, id, change, localActor()),
      });
      process.stdout.write(escapeForTerminal(`case ${c.id}: ${c.status}, ${c.alertIds.length} alert(s), ${c.notes.length} note(s)`) + '\n');
    });
  act('add', 'add alerts to a case', (o) => ({ action: 'add-alerts', alertIds: o['alert'] as string[] }), (c) => c.requiredOption('--alert <id...>', 'alert ids'));
  act('note', 'add a note', (o) => ({ action: 'note', text: String(o['text']) }), (c) => c.requiredOption('--text <text>', 'the note'));
  act('status', 'change the status', (o) => ({ action: 'status', status: o['status'] as Case['status'] }), (c) => c.addOption(new Option('--status <status>', 'the new status').choices([...CASE_STATUSES]).makeOptionMandatory()));
  act('assign', 'set the owner', (o) => ({ action: 'assign', owner: typeof o['owner'] === 'string' && o['owner'] !== '' ? o['owner'] : null }), (c) => c.option('--owner <name>', 'who owns it (empty: nobody)'));
  for (const [name, description] of [
    ['show', 'the case with its alerts, observables and timeline'],
    ['export', 'the case as Markdown (default) or JSON'],
  ] as const) {
    const command = common(cases.command(name).description(description).argument('<id>', 'the case id'));
    if (name === 'export') command.addOption(new Option('--format <format>', 'md or json').choices(['md', 'json']).default('md'));
    command.action(async (id: string, options: CommonOptions & { format?: string }) => {
      const view = await viaServerOrStore(options, {
        server: (s) => s.call<CaseView>('GET', `/api/v1/cases/${encodeURIComponent(id)}`),
        local: (store, tenant) => new CaseFiles(store).view(tenant, id),
      });
      // Markdown is escaped as Markdown (case-file.ts); on a terminal it is escaped once more for the terminal.
      if (name === 'export' && options.format === 'json') process.stdout.write(JSON.stringify(view) + '\n');
      else if (name === 'export') process.stdout.write(caseMarkdown(view));
      else process.stdout.write(caseMarkdown(view).split('\n').map((l) => escapeForTerminal(l)).join('\n') + '\n');
    });
  }
  return cases;
}
