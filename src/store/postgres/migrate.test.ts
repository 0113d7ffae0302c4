/**
 * Migrations of the PostgreSQL state schema against the real server: a fresh schema, a second
 * start, several processes starting at once, an upgrade, a failing migration, a schema from a
 * newer Vigil.
 */
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { isVigilError } from '../../core/errors.js';
import { migrate } from './migrate.js';
import { resolveOptions } from './postgres-connection.js';
import { PostgresStateStore } from './postgres-state-store.js';
import { POSTGRES_MIGRATIONS, POSTGRES_SCHEMA_VERSION, type PostgresMigration } from './schema.js';
import { TEST_POSTGRES_URL, adminQuery, dropSchema, uniqueSchema, withPostgres } from './postgres-test-server.js';

/** A pool as the store builds it (search_path set to the schema), for calling migrate directly. */
function poolFor(schema: string): pg.Pool {
  const pool = new pg.Pool(resolveOptions({ url: TEST_POSTGRES_URL, schema, poolSize: 2 }).pool);
  pool.on('error', () => undefined);
  return pool;
}

async function tables(schema: string): Promise<string[]> {
  const rows = await adminQuery<{ t: string }>('SELECT table_name AS t FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1', [schema]);
  return rows.map((r) => r.t);
}

async function recorded(schema: string): Promise<number[]> {
  const rows = await adminQuery<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version', [], schema);
  return rows.map((r) => r.version);
}

await withPostgres('PostgreSQL state migrations', () => {
  describe('PostgreSQL state migrations', () => {
    let schema: string;
    const pools: pg.Pool[] = [];
    const pool = (): pg.Pool => {
      const p = poolFor(schema);
      pools.push(p);
      return p;
    };

    beforeEach(() => {
      schema = uniqueSchema('vigil_mig');
    });

    afterEach(async () => {
      await Promise.all(pools.splice(0).map((p) => p.end()));
      await dropSchema(schema);
    });

    it('creates the schema and every table on a fresh database, and records each version', async () => {
      const result = await migrate(pool(), schema);
      assert.deepEqual(result, { applied: POSTGRES_MIGRATIONS.map((m) => m.version), version: POSTGRES_SCHEMA_VERSION });
      assert.deepEqual(await tables(schema), ['alerts', 'audit_log', 'cases', 'detect_checkpoints', 'detect_deliveries', 'rule_days', 'rule_states', 'schema_migrations', 'sessions', 'suppressions', 'tokens', 'users']);
      assert.deepEqual(await recorded(schema), POSTGRES_MIGRATIONS.map((m) => m.version));
      const indexes = await adminQuery<{ i: string }>('SELECT indexname AS i FROM pg_indexes WHERE schemaname = $1', [schema]);
      for (const name of ['alerts_queue', 'alerts_open_queue', 'alerts_open_groups', 'audit_log_pages', 'sessions_pkey', 'tokens_hash_key', 'sessions_by_user']) {
        assert.ok(indexes.some((r) => r.i === name), `index ${name}`);
      }
    });

    it('does nothing on a second start', async () => {
      await migrate(pool(), schema);
      const again = await migrate(pool(), schema);
      assert.deepEqual(again, { applied: [], version: POSTGRES_SCHEMA_VERSION });
      assert.deepEqual(await recorded(schema), POSTGRES_MIGRATIONS.map((m) => m.version));
    });

    it('lets several processes start at once: one migrates, the others wait and find it done', async () => {
      // Four pools, four sessions: what four Vigil roles starting together look like to the server.
      const results = await Promise.all([pool(), pool(), pool(), pool()].map((p) => migrate(p, schema)));
      const applied = results.flatMap((r) => r.applied);
      assert.deepEqual(applied.sort(), POSTGRES_MIGRATIONS.map((m) => m.version), 'each migration applied exactly once');
      assert.ok(results.every((r) => r.version === POSTGRES_SCHEMA_VERSION));
      assert.deepEqual(await recorded(schema), POSTGRES_MIGRATIONS.map((m) => m.version));
    });

    it('lets several processes migrate an existing, empty schema at once (the tables race, not the schema)', async () => {
      await adminQuery(`CREATE SCHEMA "${schema}"`);
      const results = await Promise.all([pool(), pool(), pool()].map((p) => migrate(p, schema)));
      assert.deepEqual(results.flatMap((r) => r.applied).sort(), POSTGRES_MIGRATIONS.map((m) => m.version));
      assert.deepEqual(await recorded(schema), POSTGRES_MIGRATIONS.map((m) => m.version));
    });

    it('opens two stores at once on a fresh schema, both usable', async () => {
      const [one, two] = await Promise.all([0, 1].map(() => PostgresStateStore.open({ url: TEST_POSTGRES_URL, schema, poolSize: 2 })));
      try {
        await one!.setRuleState({ tenant: 'a', ruleId: 'r', enabled: false, changed: 1, changedBy: 'x' });
        assert.equal((await two!.listAllRuleStates()).length, 1);
      } finally {
        await Promise.all([one!.close(), two!.close()]);
      }
    });

    it('applies a later migration to a schema already in use, keeping its rows', async () => {
      await migrate(pool(), schema);
      await adminQuery(`INSERT INTO rule_states VALUES ('a', 'r', false, 1, 'x')`, [], schema);
      const later: PostgresMigration = { version: POSTGRES_SCHEMA_VERSION + 1, name: 'test: a note on rule switches', statements: [`ALTER TABLE rule_states ADD COLUMN note text`] };
      const result = await migrate(pool(), schema, [...POSTGRES_MIGRATIONS, later]);
      assert.deepEqual(result.applied, [later.version]);
      assert.deepEqual(await adminQuery(`SELECT rule_id, note FROM rule_states`, [], schema), [{ rule_id: 'r', note: null }]);
    });

    it('lets a migration run past the statement timeout and the client-side query timeout', async () => {
      // 200 ms statement timeout, so the client gives up on an ordinary answer after 1.24 s.
      const short = new pg.Pool(resolveOptions({ url: TEST_POSTGRES_URL, schema, poolSize: 1, statementTimeoutMs: 200 }).pool);
      short.on('error', () => undefined);
      pools.push(short);
      await assert.rejects(short.query('SELECT pg_sleep(0.5)'), /statement timeout/, 'ordinary statements are bounded');
      const slow: PostgresMigration = { version: POSTGRES_SCHEMA_VERSION + 1, name: 'test: slow', statements: ['SELECT pg_sleep(1.5)'] };
      const result = await migrate(short, schema, [...POSTGRES_MIGRATIONS, slow]);
      assert.deepEqual(result.applied.at(-1), slow.version);
    });

    it('rolls a failing migration back whole and records nothing, so the next start retries it', async () => {
      await migrate(pool(), schema);
      const broken: PostgresMigration = {
        version: POSTGRES_SCHEMA_VERSION + 1,
        name: 'test: fails half-way',
        statements: [`CREATE TABLE half_done (x int)`, `ALTER TABLE no_such_table ADD COLUMN y int`],
      };
      await assert.rejects(migrate(pool(), schema, [...POSTGRES_MIGRATIONS, broken]), /no_such_table/);
      assert.ok(!(await tables(schema)).includes('half_done'), 'the first statement was rolled back too');
      assert.deepEqual(await recorded(schema), POSTGRES_MIGRATIONS.map((m) => m.version));
    });

    it('refuses a schema written by a newer Vigil, saying what to do', async () => {
      await migrate(pool(), schema);
      await adminQuery(`INSERT INTO schema_migrations VALUES ($1, 'from the future', 0)`, [POSTGRES_SCHEMA_VERSION + 5], schema);
      await assert.rejects(
        PostgresStateStore.open({ url: TEST_POSTGRES_URL, schema }),
        (e: unknown) => isVigilError(e) && e.code === 'store-unavailable' && e.message.includes(`version ${POSTGRES_SCHEMA_VERSION + 5}`) && /upgrade Vigil/.test(e.message),
      );
    });
  });
});
