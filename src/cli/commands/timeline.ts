/**
 * `vigil timeline <field:value> [--from T] [--to T] [--json]`: the events and alerts of one host,
 * user or address in order, with the related entities to pivot to.
 */
import { Command } from 'commander';
import { entityTimeline, parseEntity, type EntityTimeline } from '../../alerts/entity-timeline.js';
import { parseTime } from '../../search/index.js';
import type { CommonOptions } from '../cli-context.js';
import { configOption, dataOption, tokenOption } from '../cli-options.js';
import { viaServerOrStore } from '../store-or-server.js';
import { escapeForTerminal } from '../terminal-escape.js';

export function timelineCommand(): Command {
  return new Command('timeline')
    .description('events and alerts of one host, user or address, in order, with related entities to pivot to')
    .argument('<entity>', 'field:value, e.g. host.name:web01, user.name:alice, source.ip:203.0.113.7')
    .option('--from <time>', 'from this time (ISO 8601, epoch, now-7d)')
    .option('--to <time>', 'up to this time')
    .option('--limit <n>', 'events at most (the newest are kept)', '2000')
    .option('--json', 'the timeline as one JSON document')
    .addOption(dataOption())
    .addOption(configOption())
    .addOption(tokenOption())
    .action(async (text: string, options: CommonOptions & { from?: string; to?: string; limit: string; json?: boolean }) => {
      const entity = parseEntity(text);
      const now = Date.now();
      const from = options.from === undefined ? undefined : parseTime(options.from, now);
      const to = options.to === undefined ? undefined : parseTime(options.to, now);
      const limit = Math.max(1, Math.min(10_000, Number(options.limit) || 2000));
      const query = new URLSearchParams({ entity: `${entity.field}:${entity.value}`, limit: String(limit), ...(from === undefined ? {} : { from: String(from) }), ...(to === undefined ? {} : { to: String(to) }) });
      const timeline = await viaServerOrStore(options, {
        server: (s) => s.call<EntityTimeline>('GET', `/api/v1/timeline?${query}`),
        local: (store, tenant) => entityTimeline(store, tenant, entity, from, to, limit),
      });
      if (options.json) {
        process.stdout.write(JSON.stringify(timeline) + '\n');
        return;
      }
      const lines = [
        `${timeline.entity.field}:${timeline.entity.value}: ${timeline.events} event(s)${timeline.truncated ? ' (newest listed)' : ''}, ${timeline.items.filter((i) => i.kind === 'alert').length} alert(s)`,
        ...timeline.items.map((i) => `${new Date(i.at).toISOString()}  ${i.kind === 'alert' ? `ALERT ${(i.level ?? '').padEnd(8)}` : 'event         '}  ${i.summary}`),
        '',
        'related:',
        ...timeline.related.slice(0, 20).map((r) => `  ${String(r.events).padStart(6)}  ${r.field}:${r.value}`),
      ];
      process.stdout.write(lines.map((l) => escapeForTerminal(l)).join('\n') + '\n');
    });
}
