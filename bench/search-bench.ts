/**
 * Search benchmark: stores N realistic syslog events (sshd noise, sudo, firewall drops… from
 * syslog-lines.ts, parsed by the real syslog parser, with the user/IP fields an enrichment step
 * would add) spread over 7 days, then times searches through DuckDbStore.search (count + top
 * 100, as the API runs them), 25 runs each after one warm-up.
 *
 *   node --import tsx bench/search-bench.ts [--events 1000000]
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createEvent, type Event, type Fields } from '../src/core/event.js';
import { parseSyslog } from '../src/parsers/syslog/syslog-parser.js';
import { parseQuery } from '../src/search/query-parser.js';
import { DuckDbStore } from '../src/store/duckdb/duckdb-store.js';
import { summariseLatencies } from './latency-percentiles.js';
import { syslogLines } from './syslog-lines.js';

export interface SearchBenchRow {
  readonly name: string;
  readonly query: string;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly runs: number;
  /** Matching events in the range (what the search reported). */
  readonly total: number;
  readonly events: number;
  readonly appendEventsPerSec: number;
  readonly databaseMiB: number;
}

const DAY = 86_400_000;
const BATCH = 5000;
const RUNS = 25;

/** What an enrichment stage would pull out of sshd and firewall messages. */
function enrich(fields: Fields): Fields {
  const message = typeof fields.message === 'string' ? fields.message : '';
  let m = /^(Failed|Accepted) (?:password|publickey) for (?:invalid user )?(\S+) from (\S+)/.exec(message);
  if (m) {
    return {
      ...fields,
      'user.name': m[2] ?? '',
      'source.ip': m[3] ?? '',
      'event.action': 'ssh_login',
      'event.outcome': m[1] === 'Failed' ? 'failure' : 'success',
      'event.category': ['authentication'],
    };
  }
  m = /SRC=(\S+) DST=(\S+)/.exec(message);
  if (m) {
    return { ...fields, 'source.ip': m[1] ?? '', 'destination.ip': m[2] ?? '', 'event.action': 'firewall_block', 'event.category': ['network'] };
  }
  return fields;
}

export function batchOfEvents(batch: number, count: number, start: number, span: number, total: number): Event[] {
  const batchStart = start + Math.floor((batch * BATCH * span) / total);
  return syslogLines(count, 1000 + batch, batchStart).map((line, i) => {
    const received = batchStart + i;
    const parsed = parseSyslog(line, received);
    return createEvent({
      // One event in ten belongs to a second tenant, so the tenant filter has work to do.
      tenant: i % 10 === 9 ? 'other' : 'default',
      received,
      time: parsed.time,
      source: { input: 'syslog', kind: 'syslog-tcp', address: '10.0.0.5:40112' },
      format: parsed.format,
      original: line,
      fields: enrich(parsed.fields),
      flags: parsed.flags,
    });
  });
}

export async function benchSearch(opts: { events: number }): Promise<SearchBenchRow[]> {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-search-bench-'));
  const path = join(dir, 'events.duckdb');
  const store = await DuckDbStore.open({ path, memoryLimit: '1GB', threads: 2 });
  try {
    const end = Date.now();
    const start = end - 7 * DAY;
    const appendStarted = performance.now();
    let appendMs = 0;
    for (let b = 0, done = 0; done < opts.events; b++) {
      const count = Math.min(BATCH, opts.events - done);
      const events = batchOfEvents(b, count, start, 7 * DAY, opts.events);
      const t0 = performance.now();
      await store.appendEvents(events, { consumer: 'bench', position: String(b) });
      appendMs += performance.now() - t0;
      done += count;
    }
    const appendEventsPerSec = Math.round(opts.events / (appendMs / 1000));
    process.stderr.write(
      `search bench: stored ${opts.events} events in ${((performance.now() - appendStarted) / 1000).toFixed(1)} s ` +
        `(${appendEventsPerSec} events/s in appendEvents alone)\n`,
    );
    const databaseMiB = (await stat(path)).size / 1024 / 1024;

    const cases: Array<{ name: string; query: string; from?: number }> = [
      { name: 'all, last hour', query: '', from: end - 60 * 60_000 },
      { name: 'all, 7 days', query: '' },
      { name: 'promoted field', query: 'host.name:web-01' },
      { name: 'two promoted fields', query: 'event.outcome:failure AND user.name:root' },
      { name: 'promoted wildcard', query: 'host.name:build-*' },
      { name: 'JSON field', query: 'log.syslog.facility.name:authpriv' },
      { name: 'JSON number field', query: 'process.pid:16203' },
      { name: 'free text, common phrase', query: '"failed password"' },
      { name: 'free text, rare word', query: 'nagios' },
      { name: 'free text wildcard', query: 'fail*root' },
      { name: 'NOT + field', query: 'event.outcome:failure AND NOT host.name:web-01' },
    ];
    const rows: SearchBenchRow[] = [];
    for (const c of cases) {
      const request = { tenant: 'default', query: parseQuery(c.query), from: c.from ?? start, limit: 100 };
      let total = (await store.search(request)).total; // warm-up
      const samples: number[] = [];
      for (let r = 0; r < RUNS; r++) {
        const t0 = performance.now();
        total = (await store.search(request)).total;
        samples.push(performance.now() - t0);
      }
      const summary = summariseLatencies(samples);
      rows.push({
        name: c.name,
        query: c.query,
        p50Ms: Math.round((summary.p50Ms ?? 0) * 10) / 10,
        p95Ms: Math.round((summary.p95Ms ?? 0) * 10) / 10,
        runs: RUNS,
        total,
        events: opts.events,
        appendEventsPerSec,
        databaseMiB: Math.round(databaseMiB),
      });
    }
    return rows;
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { events: { type: 'string', default: '1000000' } } });
  const rows = await benchSearch({ events: Number(values.events) });
  console.table(rows.map(({ name, p50Ms, p95Ms, total }) => ({ name, p50Ms, p95Ms, total })));
}
