/**
 * History benchmark: what tamper evidence and retention cost. Appends N realistic syslog
 * events (search-bench.ts's generator) in batches of 5,000 through DuckDbStore, then times
 * `verifyChain` over the whole store and one retention run that deletes about half of them.
 *
 *   node --import tsx bench/chain-bench.ts [--events 500000]
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DuckDbStore } from '../src/store/duckdb/duckdb-store.js';
import { batchOfEvents } from './search-bench.js';

const DAY = 86_400_000;
const BATCH = 5000;

const { values } = parseArgs({ options: { events: { type: 'string', default: '500000' } } });
const total = Number(values.events);
const dir = await mkdtemp(join(tmpdir(), 'vigil-chain-bench-'));
const path = join(dir, 'events.duckdb');
const mib = async () => Math.round(((await stat(path)).size / 1024 / 1024) * 10) / 10;
try {
  const store = await DuckDbStore.open({ path, memoryLimit: '1GB', threads: 2, chainKey: randomBytes(32) } as Parameters<typeof DuckDbStore.open>[0]);
  const end = Date.now();
  const start = end - 7 * DAY;
  let appendMs = 0;
  for (let b = 0, done = 0; done < total; b++) {
    const count = Math.min(BATCH, total - done);
    const events = batchOfEvents(b, count, start, 7 * DAY, total);
    const t0 = performance.now();
    await store.appendEvents(events, { consumer: 'bench', position: String(b) });
    appendMs += performance.now() - t0;
    done += count;
  }
  const line = (text: string) => process.stdout.write(text + '\n');
  line(`append: ${total} events, ${Math.round(total / (appendMs / 1000))} events/s (appendEvents alone), file ${await mib()} MiB`);
  const chained = store as unknown as Record<string, ((...a: unknown[]) => Promise<unknown>) | undefined>;
  if (typeof chained['verifyChain'] === 'function') {
    const t0 = performance.now();
    const report = (await chained['verifyChain']!.call(store)) as { ok: boolean; events: number };
    const ms = performance.now() - t0;
    line(`verify: ${report.events} events in ${Math.round(ms)} ms (${Math.round((ms / report.events) * 100_000)} ms per 100k events), ok=${report.ok}`);
  }
  if (typeof chained['enforceRetention'] === 'function') {
    const cutoff = start + Math.floor(3.5 * DAY);
    const t0 = performance.now();
    const run = (await chained['enforceRetention']!.call(store, { rule: 'bench', selector: {}, except: [], cutoff, now: Date.now() })) as { deleted: number };
    const ms = performance.now() - t0;
    line(`retention: deleted ${run.deleted} events in ${Math.round(ms)} ms (checkpoint included), file ${await mib()} MiB`);
    const t1 = performance.now();
    const report = (await chained['verifyChain']!.call(store)) as { ok: boolean; events: number; tombstones: number };
    line(`verify after retention: ${report.events} events + ${report.tombstones} tombstones in ${Math.round(performance.now() - t1)} ms, ok=${report.ok}`);
    // Space reuse: the same number of events again should mostly fill the freed blocks.
    for (let b = 0, done = 0; done < total / 2; b++) {
      const count = Math.min(BATCH, total / 2 - done);
      await store.appendEvents(batchOfEvents(b, count, end - DAY, DAY, total / 2));
      done += count;
    }
    await store.close();
    line(`after appending ${total / 2} more events and closing: file ${await mib()} MiB`);
  } else {
    await store.close();
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
