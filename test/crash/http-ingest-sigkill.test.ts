/**
 * Crash safety of HTTP ingest, proved the way reliability.md says trusted pipelines are
 * proved: a client keeps a ledger of the event ids the server acknowledged, retries every
 * batch it got no answer for, and the server is killed with SIGKILL mid-ingest (twice) and
 * restarted. Afterwards every acknowledged id must be in the store. Duplicates (a batch
 * stored but whose answer died with the process, then retried) are allowed, counted and
 * reported.
 */
import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DuckDBInstance } from '@duckdb/node-api';
import { startVigil, type VigilProcess } from '../support/vigil-process.js';

const TOTAL_BATCHES = 120;
const BATCH = 100;
const CONCURRENCY = 4;

let data = '';
after(async () => {
  if (data) await rm(data, { recursive: true, force: true });
});

function batchBody(batch: number): string {
  const lines: string[] = [];
  for (let i = 0; i < BATCH; i++) {
    const id = `b${batch}-e${i}`;
    lines.push(JSON.stringify({ '@timestamp': new Date().toISOString(), 'ledger.id': id, message: `crash test event ${id}`, 'host.name': 'crash-test' }));
  }
  return lines.join('\n') + '\n';
}

it('after SIGKILL mid-ingest and a restart, every acknowledged event is stored', { timeout: 180_000 }, async (t) => {
  data = await mkdtemp(join(tmpdir(), 'vigil-crash-'));
  let server: VigilProcess = await startVigil(data);

  const acked = new Set<string>();
  const todo = Array.from({ length: TOTAL_BATCHES }, (_, i) => i);
  let attempts = 0;
  let failures = 0;
  let kills = 0;

  const send = async (batch: number): Promise<boolean> => {
    attempts++;
    try {
      const res = await fetch(`${server.info.http}/api/v1/ingest`, {
        method: 'POST',
        headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/x-ndjson' },
        body: batchBody(batch),
        signal: AbortSignal.timeout(10_000),
      });
      if (res.status !== 200 && res.status !== 201) {
        await res.body?.cancel();
        return false;
      }
      await res.json();
      for (let i = 0; i < BATCH; i++) acked.add(`b${batch}-e${i}`);
      return true;
    } catch {
      return false;
    }
  };

  const worker = async () => {
    while (todo.length > 0) {
      const batch = todo.shift()!;
      if (!(await send(batch))) {
        failures++;
        todo.push(batch); // no answer: the client cannot know, so it retries
        await sleep(50);
      }
    }
  };

  const killer = (async () => {
    for (const afterBatches of [25, 70]) {
      while (acked.size < afterBatches * BATCH) await sleep(5);
      server.child.kill('SIGKILL');
      await server.stop();
      kills++;
      await sleep(200); // clients see refused connections meanwhile
      server = await startVigil(data);
    }
  })();

  await Promise.all([...Array.from({ length: CONCURRENCY }, worker), killer]);
  assert.equal(kills, 2, 'the server was killed twice during ingest');
  // A clean stop drains the backlog into the store.
  assert.equal(await server.stop('SIGTERM'), 0, server.output());

  const db = await DuckDBInstance.create(join(data, 'events.duckdb'), { access_mode: 'READ_ONLY' });
  const conn = await db.connect();
  const reader = await conn.runAndReadAll(
    `SELECT json_extract_string(fields, '$."ledger.id"') AS id, count(*) AS n FROM events GROUP BY 1`,
  );
  const stored = new Map<string, number>();
  for (const row of reader.getRowObjects()) stored.set(String(row.id), Number(row.n));
  conn.closeSync();
  db.closeSync();

  const missing = [...acked].filter((id) => !stored.has(id));
  const duplicates = [...stored.values()].reduce((sum, n) => sum + (n - 1), 0);
  t.diagnostic(`acknowledged ${acked.size} events in ${attempts} requests (${failures} failed and retried); stored ${stored.size} distinct ids; duplicates ${duplicates}; missing ${missing.length}`);
  assert.equal(acked.size, TOTAL_BATCHES * BATCH, 'every batch was eventually acknowledged');
  assert.deepEqual(missing.slice(0, 10), [], `${missing.length} acknowledged events are missing after the crash`);
});
