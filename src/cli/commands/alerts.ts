/**
 * `vigil alerts`: the tenant's alerts, most recently active first, from a running server or the
 * data folder. `vigil alert <id> [show|ack|start|close|reopen|assign|comment]`: one alert, and
 * the triage moves. Every line names the rule's author beside its title (Detection Rule License).
 */
import { Command, Option } from 'commander';
import { ALERT_STATES, ALERT_VERDICTS, type Alert } from '../../core/alert.js';
import { VigilError } from '../../core/errors.js';
import { AlertTriage, TRIAGE_ACTIONS, type TriageAction, type TriageRequest } from '../../alerts/alert-triage.js';
import type { CommonOptions } from '../cli-context.js';
import { configOption, dataOption, tokenOption } from '../cli-options.js';
import { localActor, viaServerOrStore } from '../store-or-server.js';
import { escapeForTerminal } from '../terminal-escape.js';

interface AlertsOptions extends CommonOptions {
  limit: string;
  state?: string;
  rule?: string;
  json?: boolean;
}

export function alertsCommand(): Command {
  return new Command('alerts')
    .description('list alerts, most recently active first: time, level, state, count, rule title and author, entities')
    .option('--limit <n>', 'at most this many alerts', '100')
    .addOption(new Option('--state <state>', 'only alerts in this state (open: every state but closed)').choices([...ALERT_STATES, 'open']))
    .option('--rule <id>', 'only alerts of this rule id')
    .option('--json', 'one JSON alert per line')
    .addOption(dataOption())
    .addOption(configOption())
    .addOption(tokenOption())
    .action(async (options: AlertsOptions) => {
      const limit = Number(options.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new VigilError('bad-request', '--limit takes a whole number from 1 to 10000');
      const filter = { ...(options.state ? { state: options.state as Alert['state'] | 'open' } : {}), ...(options.rule ? { ruleId: options.rule } : {}) };
      const query = new URLSearchParams({ limit: String(limit), ...(options.state ? { state: options.state } : {}), ...(options.rule ? { rule: options.rule } : {}) });
      const alerts = await viaServerOrStore(options, {
        server: async (server) => (await server.call<{ alerts: Alert[] }>('GET', `/api/v1/alerts?${query}`)).alerts,
        local: (store, tenant) => store.listAlerts(tenant, limit, filter),
      });
      for (const a of alerts) process.stdout.write(options.json ? JSON.stringify(a) + '\n' : escapeForTerminal(alertLine(a)) + '\n');
      if (!options.json) process.stderr.write(`${alerts.length} alert(s)\n`);
    });
}

export function alertLine(a: Alert): string {
  const entities = Object.entries((a.details['entities'] ?? {}) as Record<string, unknown>)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`)
    .join(' ');
  const when = new Date(a.lastSeen).toISOString();
  const count = a.count > 1 ? ` ×${a.count}` : '';
  return `${when}  ${a.level.padEnd(8)}  ${a.state.padEnd(12)}  ${a.ruleTitle}${count}  (${a.ruleAuthor})  ${entities}  id=${a.id}`;
}

interface AlertOptions extends CommonOptions {
  verdict?: string;
  comment?: string;
  assignee?: string;
  json?: boolean;
}

export function alertCommand(): Command {
  return new Command('alert')
    .description('show one alert, or triage it: ack, start, close --verdict, reopen, assign --assignee, comment --comment')
    .argument('<id>', 'the alert id (vigil alerts shows it)')
    .argument('[action]', `show (default), ${TRIAGE_ACTIONS.join(', ')}`, 'show')
    .addOption(new Option('--verdict <verdict>', 'with close: the verdict').choices([...ALERT_VERDICTS]))
    .option('--comment <text>', 'a comment (required for comment; optional with any move)')
    .option('--assignee <name>', 'with assign: who takes it (empty: nobody)')
    .option('--json', 'print the alert as JSON')
    .addOption(dataOption())
    .addOption(configOption())
    .addOption(tokenOption())
    .action(async (id: string, action: string, options: AlertOptions) => {
      if (action !== 'show' && !(TRIAGE_ACTIONS as readonly string[]).includes(action)) {
        throw new VigilError('bad-request', `unknown action ${action}: use show, ${TRIAGE_ACTIONS.join(', ')}`);
      }
      const request: TriageRequest | undefined =
        action === 'show'
          ? undefined
          : {
              action: action as TriageAction,
              ...(options.verdict ? { verdict: options.verdict as TriageRequest['verdict'] } : {}),
              ...(options.comment !== undefined ? { comment: options.comment } : {}),
              ...(action === 'assign' ? { assignee: options.assignee ?? null } : {}),
            };
      const alert = await viaServerOrStore(options, {
        writes: request !== undefined,
        server: (server) =>
          request === undefined
            ? server.call<Alert>('GET', `/api/v1/alerts/${encodeURIComponent(id)}`)
            : server.call<Alert>('POST', `/api/v1/alerts/${encodeURIComponent(id)}/actions`, JSON.stringify(request), { 'content-type': 'application/json' }),
        local: async (store, tenant) => {
          if (request !== undefined) return new AlertTriage(store).apply(tenant, id, request, localActor());
          const found = await store.getAlert(tenant, id);
          if (!found) throw new VigilError('not-found', `no alert ${id}: list them with vigil alerts`);
          return found;
        },
      });
      if (options.json) {
        process.stdout.write(JSON.stringify(alert) + '\n');
        return;
      }
      const lines = [
        alertLine(alert),
        `rule ${alert.ruleId}  first ${new Date(alert.firstSeen).toISOString()}  events ${alert.eventIds.length}${alert.assignee ? `  assignee ${alert.assignee}` : ''}${alert.verdict ? `  verdict ${alert.verdict}` : ''}`,
        ...alert.history.map((h) => `  ${new Date(h.at).toISOString()}  ${h.by}  ${h.action}${h.from !== undefined || h.to !== undefined ? ` ${h.from ?? '-'} → ${h.to ?? '-'}` : ''}${h.verdict ? ` (${h.verdict})` : ''}${h.text ? `: ${h.text}` : ''}`),
      ];
      process.stdout.write(lines.map((l) => escapeForTerminal(l)).join('\n') + '\n');
    });
}
