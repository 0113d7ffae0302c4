/**
 * The ClickHouse event store passes the whole Store conformance suite, on chdb (ClickHouse 26.7
 * embedded), with state in DuckDB: the split the scale-out deployment runs (events in
 * ClickHouse, state in PostgreSQL). Each test gets its own data directory; chdb holds one
 * directory per process, so the previous one is closed (and drained) before the next opens.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDbStore } from '../duckdb/duckdb-store.js';
import { splitStore } from '../split-store.js';
import { storeSuite } from '../store.suite.js';
import { ChdbEngine } from './chdb-engine.js';
import { ClickHouseEventStore } from './clickhouse-store.js';

storeSuite('ClickHouseEventStore on chdb + DuckDB state', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-ch-'));
  const open = async () => {
    const events = await ClickHouseEventStore.open(await ChdbEngine.open(join(dir, 'clickhouse')));
    const state = await DuckDbStore.open({ path: join(dir, 'state.duckdb'), memoryLimit: '256MB', threads: 1 });
    return splitStore(events, state);
  };
  return { store: await open(), reopen: open, cleanup: () => rm(dir, { recursive: true, force: true }) };
});
