/**
 * `vigil suppress add|list|delete`: time-boxed suppressions of a rule, of field values, or
 * both, each with a reason and its author. Through the running server when there is one (its
 * intake applies them at once), else in the data folder.
 */
import { Command } from 'commander';
import type { Suppression } from '../../core/alert.js';
import { VigilError } from '../../core/errors.js';
import { suppressionFrom } from '../../alerts/suppression-request.js';
import type { CommonOptions } from '../cli-context.js';
import { configOption, dataOption, tokenOption } from '../cli-options.js';
import { localActor, viaServerOrStore } from '../store-or-server.js';
import { escapeForTerminal } from '../terminal-escape.js';

interface AddOptions extends CommonOptions {
  reason: string;
  rule?: string;
  field: string[];
  for?: string;
  json?: boolean;
}

export function suppressCommand(): Command {
  const suppress = new Command('suppress').description('suppressions: detections that match raise nothing (counted), until they expire');
  suppress
    .command('add')
    .description('suppress a rule, field values (all must match), or both')
    .requiredOption('--reason <text>', 'why these detections are not worth an alert')
    .option('--rule <id>', 'only this rule (default: every rule)')
    .option('--field <name=value...>', 'an entity or detail that must have this value, e.g. source.ip=203.0.113.7', [])
    .option('--for <duration>', 'expires after this long: 30m, 8h, 7d, 2w (default: until deleted)')
    .option('--json', 'print the suppression as JSON')
    .addOption(dataOption())
    .addOption(configOption())
    .addOption(tokenOption())
    .action(async (options: AddOptions) => {
      const fields: Record<string, string> = {};
      for (const pair of options.field) {
        const i = pair.indexOf('=');
        if (i <= 0) throw new VigilError('bad-request', `--field ${pair}: write name=value, e.g. source.ip=203.0.113.7`);
        fields[pair.slice(0, i)] = pair.slice(i + 1);
      }
      const body = { reason: options.reason, fields, ...(options.rule ? { ruleId: options.rule } : {}), ...(options.for ? { for: options.for } : {}) };
      const saved = await viaServerOrStore(options, {
        writes: true,
        server: (server) => server.call<Suppression>('POST', '/api/v1/suppressions', JSON.stringify(body), { 'content-type': 'application/json' }),
        local: async (store, tenant) => {
          const s = suppressionFrom(body, tenant, localActor(), Date.now());
          await store.saveSuppression(s);
          return s;
        },
      });
      process.stdout.write(options.json ? JSON.stringify(saved) + '\n' : escapeForTerminal(suppressionLine(saved)) + '\n');
    });
  suppress
    .command('list')
    .description('list suppressions with their hits')
    .option('--json', 'one JSON suppression per line')
    .addOption(dataOption())
    .addOption(configOption())
    .addOption(tokenOption())
    .action(async (options: CommonOptions & { json?: boolean }) => {
      const list = await viaServerOrStore(options, {
        server: async (server) => (await server.call<{ suppressions: Suppression[] }>('GET', '/api/v1/suppressions')).suppressions,
        local: (store, tenant) => store.listSuppressions(tenant),
      });
      for (const s of list) process.stdout.write(options.json ? JSON.stringify(s) + '\n' : escapeForTerminal(suppressionLine(s)) + '\n');
      if (!options.json) process.stderr.write(`${list.length} suppression(s)\n`);
    });
  suppress
    .command('delete')
    .description('delete a suppression')
    .argument('<id>', 'the suppression id (suppress list shows it)')
    .addOption(dataOption())
    .addOption(configOption())
    .addOption(tokenOption())
    .action(async (id: string, options: CommonOptions) => {
      await viaServerOrStore(options, {
        writes: true,
        server: (server) => server.call<{ deleted: boolean }>('DELETE', `/api/v1/suppressions/${encodeURIComponent(id)}`),
        local: async (store, tenant) => {
          if (!(await store.deleteSuppression(tenant, id))) throw new VigilError('not-found', `no suppression ${id}`);
          return { deleted: true };
        },
      });
      process.stdout.write(`deleted ${id}\n`);
    });
  return suppress;
}

function suppressionLine(s: Suppression): string {
  const fields = Object.entries(s.fields).map(([k, v]) => `${k}=${v}`).join(' ');
  const until = s.expires === undefined ? 'until deleted' : `until ${new Date(s.expires).toISOString()}`;
  return `${s.id}  ${s.ruleId ?? '(every rule)'}  ${fields || '(any values)'}  ${until}  hits=${s.hits}  by ${s.author}: ${s.reason}`;
}
