/**
 * `vigil search`: the query language, pipes included, against a running server or the files.
 * Prints events one per line, or a table for `| stats`, `| timechart`, `| top` and `| fields`;
 * `--json` for machines; `--format csv|ndjson` streams the whole result as an export.
 */
import { Command } from 'commander';
import type { Event } from '../../core/event.js';
import type { TableCell } from '../../core/query.js';
import type { SearchReply, TableReply } from '../../api/search-routes.js';
import { VigilError } from '../../core/errors.js';
import { cellOf, planQuery, runQuery, type QueryOutput, type QueryScope } from '../../search/query-plan.js';
import { MAX_EXPORT_EVENTS, exportQuery, parseExportFormat } from '../../search/result-export.js';
import { parseTime } from '../../search/time-parser.js';
import type { CommonOptions } from '../cli-context.js';
import { viaServerOrStore } from '../store-or-server.js';
import { configOption, dataOption, tokenOption } from '../cli-options.js';
import { escapeForTerminal } from '../terminal-escape.js';

interface SearchOptions extends CommonOptions {
  from?: string;
  to?: string;
  limit?: string;
  json?: boolean;
  format?: string;
}

function parseLimit(text: string | undefined, fallback: number, max: number): number {
  if (text === undefined) return fallback;
  const limit = Number(text);
  if (!Number.isInteger(limit) || limit < 1 || limit > max) {
    throw new VigilError('bad-request', `--limit takes a whole number from 1 to ${max}`);
  }
  return limit;
}

export function searchCommand(): Command {
  return new Command('search')
    .description('search stored events: user.name:root, destination.port>1024, source.ip:10.0.0.0/8, "Failed password" | stats count() by source.ip')
    .argument('<query>', 'query, e.g. \'host.name:web* AND "Failed password" | top source.ip\' ("" for everything); see docs/query-language.md')
    .option('--from <time>', 'events at or after: ISO 8601, epoch, or relative (now-15m, -2h, now-7d)')
    .option('--to <time>', 'events before: same forms as --from')
    .option('--limit <n>', 'at most this many events (default 100; an export: all)')
    .option('--json', 'print JSON for machines: { kind: "events", total, tookMs, hits } or { kind: "table", columns, rows }')
    .option('--format <csv|ndjson>', 'export the whole result, streamed: CSV (formula-safe) or NDJSON')
    .addOption(dataOption())
    .addOption(configOption())
    .addOption(tokenOption())
    .action(async (text: string, options: SearchOptions) => {
      const plan = planQuery(text); // validates before any I/O, for a clear error either way
      const format = options.format === undefined ? undefined : parseExportFormat(options.format);
      const limit = format === undefined ? parseLimit(options.limit, 100, 10_000) : parseLimit(options.limit, MAX_EXPORT_EVENTS, MAX_EXPORT_EVENTS);
      const now = Date.now();
      const from = options.from === undefined ? undefined : parseTime(options.from, now);
      const to = options.to === undefined ? undefined : parseTime(options.to, now);
      const scope = (tenant: string): QueryScope => ({ tenant, from, to, limit });
      const params = new URLSearchParams({ q: text, limit: String(limit) });
      if (from !== undefined) params.set('from', String(from));
      if (to !== undefined) params.set('to', String(to));

      if (format !== undefined) {
        params.set('format', format);
        await viaServerOrStore(options, {
          server: (server) => server.stream(`/api/v1/export?${params}`, process.stdout),
          local: async (store, tenant) => {
            for await (const chunk of exportQuery(store, plan, scope(tenant), format)) {
              if (!process.stdout.write(chunk)) await new Promise((resolve) => process.stdout.once('drain', resolve));
            }
          },
        });
        return;
      }
      const out = await viaServerOrStore<QueryOutput>(options, {
        server: async (server) => {
          const reply = await server.call<SearchReply | TableReply>('GET', `/api/v1/search?${params}`);
          return reply.kind === 'table' ? { kind: 'table', table: reply } : { kind: 'events', result: reply, fields: reply.fields };
        },
        local: (store, tenant) => runQuery(store, plan, scope(tenant)),
      });
      print(out, options.json === true);
    });
}

function print(out: QueryOutput, json: boolean): void {
  if (out.kind === 'table') {
    const { columns, rows, truncated, tookMs } = out.table;
    if (json) {
      process.stdout.write(JSON.stringify({ kind: 'table', columns, rows, truncated, tookMs }) + '\n');
      return;
    }
    process.stdout.write(formatTable(columns, rows));
    process.stderr.write(`${rows.length} rows${truncated ? ' (more exist: add | head n or narrow the query)' : ''} (${Math.round(tookMs)} ms)\n`);
    return;
  }
  const { hits, total, tookMs } = out.result;
  if (json) {
    process.stdout.write(JSON.stringify({ kind: 'events', total, tookMs, hits, ...(out.fields === undefined ? {} : { fields: out.fields }) }) + '\n');
    return;
  }
  if (out.fields !== undefined) {
    const fields = out.fields;
    process.stdout.write(formatTable(fields, hits.map((e) => fields.map((f) => cellOf(e, f)))));
  } else {
    for (const event of hits) process.stdout.write(formatEvent(event) + '\n');
  }
  process.stderr.write(`${hits.length} of ${total} events (${Math.round(tookMs)} ms)\n`);
}

/** A plain text table; every cell escaped for the terminal (event text is attacker-controlled). */
export function formatTable(columns: readonly string[], rows: readonly (readonly TableCell[])[]): string {
  const text = [columns.map((c) => escapeForTerminal(c)), ...rows.map((row) => row.map((cell) => (cell === null ? '-' : escapeForTerminal(String(cell)))))];
  const widths = columns.map((_, i) => Math.min(60, Math.max(...text.map((r) => (r[i] ?? '').length))));
  return text.map((r) => r.map((cell, i) => (cell.length > 60 ? cell.slice(0, 59) + '…' : cell).padEnd(widths[i] ?? 0)).join('  ').trimEnd() + '\n').join('');
}

function formatEvent(event: Event): string {
  const host = event.fields['host.name'] ?? event.fields['host.hostname'] ?? event.source.address ?? '-';
  const message = event.fields['message'] ?? event.original;
  const flags = event.flags.length ? ` [${event.flags.join(',')}]` : '';
  return escapeForTerminal(`${new Date(event.time).toISOString()}  ${String(host)}  ${event.source.input}  ${String(message)}${flags}`);
}
