/**
 * The scale-out Store itself: events in ClickHouse (chdb, the ClickHouse engine embedded) and
 * state in PostgreSQL (the local server, a fresh schema per test) pass the whole conformance
 * suite together, as the store, detect and api roles use them.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChdbEngine } from './clickhouse/chdb-engine.js';
import { ClickHouseEventStore } from './clickhouse/clickhouse-store.js';
import { PostgresStateStore } from './postgres/postgres-state-store.js';
import { TEST_POSTGRES_URL, dropSchema, uniqueSchema, withPostgres } from './postgres/postgres-test-server.js';
import { splitStore } from './split-store.js';
import { storeSuite } from './store.suite.js';

await withPostgres('ClickHouse events + PostgreSQL state', () => {
  storeSuite('ClickHouse events (chdb) + PostgreSQL state', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vigil-scale-'));
    const schema = uniqueSchema();
    const open = async () => {
      const events = await ClickHouseEventStore.open(await ChdbEngine.open(join(dir, 'clickhouse')));
      try {
        return splitStore(events, await PostgresStateStore.open({ url: TEST_POSTGRES_URL, schema, poolSize: 4 }));
      } catch (error) {
        await events.close();
        throw error;
      }
    };
    return {
      store: await open(),
      reopen: open,
      cleanup: async () => {
        await dropSchema(schema);
        await rm(dir, { recursive: true, force: true });
      },
    };
  });
});
