/**
 * `vigil alerts`: the newest alerts of the tenant, from a running server or the data folder.
 * Every line names the rule's author beside its title (Detection Rule License).
 */
import { Command } from 'commander';
import type { AlertRecord } from '../../core/store.js';
import { VigilError } from '../../core/errors.js';
import { DuckDbStore } from '../../store/duckdb/duckdb-store.js';
import { resolveTarget, dataFolderExists, type CommonOptions } from '../cli-context.js';
import { configOption, dataOption, tokenOption } from '../cli-options.js';
import { escapeForTerminal } from '../terminal-escape.js';

interface AlertsOptions extends CommonOptions {
  limit: string;
  json?: boolean;
}

export function alertsCommand(): Command {
  return new Command('alerts')
    .description('list alerts, newest first: time, level, rule title and author, entities, event count')
    .option('--limit <n>', 'at most this many alerts', '100')
    .option('--json', 'one JSON alert per line')
    .addOption(dataOption())
    .addOption(configOption())
    .addOption(tokenOption())
    .action(async (options: AlertsOptions) => {
      const limit = Number(options.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new VigilError('bad-request', '--limit takes a whole number from 1 to 10000');
      const target = resolveTarget(options);
      let alerts: readonly AlertRecord[];
      if (target.server) alerts = (await target.server.call<{ alerts: AlertRecord[] }>('GET', `/api/v1/alerts?limit=${limit}`)).alerts;
      else {
        if (!dataFolderExists(target.folder)) throw new VigilError('not-found', `no Vigil data in ${target.folder.root}: start "vigil serve" or pass --data`);
        const store = await DuckDbStore.open({ path: target.folder.database, readOnly: true });
        try {
          alerts = await store.listAlerts(target.config.tenant, limit);
        } finally {
          await store.close();
        }
      }
      for (const a of alerts) {
        if (options.json) process.stdout.write(JSON.stringify(a) + '\n');
        else {
          const entities = Object.entries((a.details['entities'] ?? {}) as Record<string, unknown>).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`).join(' ');
          const when = typeof a.details['time'] === 'string' ? a.details['time'] : new Date(a.created).toISOString();
          process.stdout.write(escapeForTerminal(`${when}  ${a.level.padEnd(8)}  ${a.ruleTitle}  (${a.ruleAuthor})  ${entities}  events=${a.eventIds.length}`) + '\n');
        }
      }
      if (!options.json) process.stderr.write(`${alerts.length} alert(s)\n`);
    });
}
