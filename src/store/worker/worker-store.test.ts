import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { isVigilError } from '../../core/errors.js';
import { storeSuite } from '../store.suite.js';
import { WorkerStore } from './worker-store.js';

async function tempPath() {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-worker-store-'));
  return { dir, path: join(dir, 'events.duckdb') };
}

// The same contract as the DuckDB store it hosts, checked by the same suite.
storeSuite('WorkerStore (DuckDB on its own thread)', async () => {
  const { dir, path } = await tempPath();
  const options = { path, memoryLimit: '256MB', threads: 1 };
  return {
    store: await WorkerStore.open(options),
    reopen: () => WorkerStore.open(options),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

it('WorkerStore passes the store\'s own error through when the file is already open', async () => {
  const { dir, path } = await tempPath();
  const first = await WorkerStore.open({ path });
  try {
    await assert.rejects(WorkerStore.open({ path }), (e: unknown) => isVigilError(e) && e.code === 'data-locked');
  } finally {
    await first.close();
    await rm(dir, { recursive: true, force: true });
  }
});

it('WorkerStore refuses calls after close with a clear error instead of hanging', async () => {
  const { dir, path } = await tempPath();
  const store = await WorkerStore.open({ path });
  await store.close();
  await assert.rejects(store.countEvents('a'), (e: unknown) => isVigilError(e) && e.code === 'store-unavailable');
  await rm(dir, { recursive: true, force: true });
});
