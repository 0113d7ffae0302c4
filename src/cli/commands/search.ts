/** `vigil search`: the same query language as the API, against a running server or the files. */
import { Command } from 'commander';
import type { Event } from '../../core/event.js';
import type { SearchResult } from '../../core/store.js';
import { VigilError } from '../../core/errors.js';
import { parseQuery } from '../../search/query-parser.js';
import { parseTime } from '../../search/time-parser.js';
import { DuckDbStore } from '../../store/duckdb/duckdb-store.js';
import { resolveTarget, dataFolderExists, type CommonOptions } from '../cli-context.js';
import { configOption, dataOption, tokenOption } from '../cli-options.js';
import { escapeForTerminal } from '../terminal-escape.js';

interface SearchOptions extends CommonOptions {
  from?: string;
  to?: string;
  limit: string;
  json?: boolean;
}

export function searchCommand(): Command {
  return new Command('search')
    .description('search stored events: user.name:root, host.name:web*, "Failed password", AND/OR/NOT')
    .argument('<query>', 'query, e.g. \'host.name:web* AND "Failed password"\' ("" for everything)')
    .option('--from <time>', 'events at or after: ISO 8601, epoch, or relative (now-15m, -2h, now-7d)')
    .option('--to <time>', 'events before: same forms as --from')
    .option('--limit <n>', 'at most this many events, newest first', '100')
    .option('--json', 'print JSON ({ total, tookMs, hits }) for machines')
    .addOption(dataOption())
    .addOption(configOption())
    .addOption(tokenOption())
    .action(async (text: string, options: SearchOptions) => {
      const limit = Number(options.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
        throw new VigilError('bad-request', '--limit takes a whole number from 1 to 10000');
      }
      const query = parseQuery(text); // validates before any I/O, for a clear error either way
      const now = Date.now();
      const from = options.from === undefined ? undefined : parseTime(options.from, now);
      const to = options.to === undefined ? undefined : parseTime(options.to, now);
      const target = resolveTarget(options);

      let result: SearchResult;
      if (target.server) {
        const params = new URLSearchParams({ q: text, limit: String(limit) });
        if (from !== undefined) params.set('from', String(from));
        if (to !== undefined) params.set('to', String(to));
        result = await target.server.call<SearchResult>('GET', `/api/v1/search?${params}`);
      } else {
        if (!dataFolderExists(target.folder)) {
          throw new VigilError('not-found', `no Vigil data in ${target.folder.root}: start "vigil serve" or pass --data`);
        }
        const store = await DuckDbStore.open({ path: target.folder.database, readOnly: true });
        try {
          result = await store.search({ tenant: target.config.tenant, query, from, to, limit });
        } finally {
          await store.close();
        }
      }
      if (options.json) {
        process.stdout.write(JSON.stringify(result) + '\n');
        return;
      }
      for (const event of result.hits) process.stdout.write(formatEvent(event) + '\n');
      process.stderr.write(`${result.hits.length} of ${result.total} events (${Math.round(result.tookMs)} ms)\n`);
    });
}

function formatEvent(event: Event): string {
  const host = event.fields['host.name'] ?? event.fields['host.hostname'] ?? event.source.address ?? '-';
  const message = event.fields['message'] ?? event.original;
  const flags = event.flags.length ? ` [${event.flags.join(',')}]` : '';
  return escapeForTerminal(`${new Date(event.time).toISOString()}  ${String(host)}  ${event.source.input}  ${String(message)}${flags}`);
}
