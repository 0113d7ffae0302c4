/**
 * The split Store passes the whole conformance suite with events and state in two separate
 * DuckDB files: no method needs both halves, so ClickHouse (events) and PostgreSQL (state) can
 * stand in for them one by one.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDbStore } from './duckdb/duckdb-store.js';
import { splitStore } from './split-store.js';
import { storeSuite } from './store.suite.js';

storeSuite('splitStore (events and state in two DuckDB files)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-split-'));
  const open = async () => {
    const events = await DuckDbStore.open({ path: join(dir, 'events.duckdb'), memoryLimit: '256MB', threads: 1 });
    const state = await DuckDbStore.open({ path: join(dir, 'state.duckdb'), memoryLimit: '256MB', threads: 1 });
    return splitStore(events, state);
  };
  return { store: await open(), reopen: open, cleanup: () => rm(dir, { recursive: true, force: true }) };
});
