/**
 * Brings a PostgreSQL schema to the version this Vigil knows, one migration per transaction.
 *
 * Several Vigil processes (api, detect, …) may start at once against one database. Each
 * migration transaction first takes a transaction-scoped advisory lock for the schema
 * (`pg_advisory_xact_lock`), then reads the applied versions: a second process waits for the
 * first one's migration to commit, then sees it applied and moves on. A migration that fails
 * rolls back whole, its version unrecorded, so the next start retries it; DDL is transactional
 * in PostgreSQL, so no half-created table is left behind.
 */
import type { Pool, PoolClient } from 'pg';
import { VigilError } from '../../core/errors.js';
import { release, run } from './pg-query.js';
import { POSTGRES_MIGRATIONS, type PostgresMigration } from './schema.js';

/** First key of Vigil's advisory locks (an arbitrary constant: "VIGL"); the second is the schema's hash. */
const LOCK_CLASS = 0x5649474c;

export interface MigrationResult {
  /** Versions applied by this call, in order; empty when the schema was already current. */
  readonly applied: readonly number[];
  readonly version: number;
}

async function inTransaction<T>(client: PoolClient, task: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    const result = await task();
    await client.query('COMMIT');
    return result;
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  }
}

/**
 * Applies the migrations not yet recorded in `schema_migrations`. `schema` (already validated:
 * lower-case letters, digits, _) is created when missing; undefined means the connection's
 * current schema. `migrations` is for tests; Vigil always passes the released list.
 */
export async function migrate(pool: Pool, schema: string | undefined, migrations: readonly PostgresMigration[] = POSTGRES_MIGRATIONS): Promise<MigrationResult> {
  const latest = migrations.at(-1)?.version ?? 0;
  const applied: number[] = [];
  const client = await pool.connect();
  let failed: unknown;
  try {
    for (;;) {
      const done = await inTransaction(client, async () => {
        // A migration may rewrite a big table: the pool's statement timeout does not apply here.
        await client.query('SET LOCAL statement_timeout = 0');
        await run(client, 'SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_CLASS, schema ?? '']);
        if (schema !== undefined) await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
        const current = await currentVersion(client, true);
        if (current > latest) {
          throw new VigilError(
            'store-unavailable',
            `the PostgreSQL state schema${schema === undefined ? '' : ` ${schema}`} has version ${current}, written by a newer Vigil (this one knows up to ${latest}); upgrade Vigil or point it at another schema`,
            { where: schema ?? 'postgres' },
          );
        }
        const next = migrations.find((m) => m.version > current);
        if (next === undefined) return true;
        for (const statement of next.statements) await client.query(statement);
        await run(client, 'INSERT INTO schema_migrations (version, name, applied) VALUES ($1, $2, $3)', [next.version, next.name, Date.now()]);
        applied.push(next.version);
        return false;
      });
      if (done) return { applied, version: applied.at(-1) ?? (await currentVersion(client, false)) };
    }
  } catch (e) {
    failed = e;
    throw e;
  } finally {
    release(client, failed);
  }
}

/** The highest applied version; 0 for a schema Vigil never migrated. Creates the bookkeeping table when asked. */
async function currentVersion(client: PoolClient, create: boolean): Promise<number> {
  // Checked before creating: CREATE TABLE IF NOT EXISTS needs the CREATE privilege even when the table exists.
  const exists = await client.query<{ t: string | null }>(`SELECT to_regclass('schema_migrations')::text AS t`);
  if (exists.rows[0]?.t === null || exists.rows[0]?.t === undefined) {
    if (!create) return 0;
    await client.query(`CREATE TABLE schema_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      applied bigint NOT NULL
    )`);
    return 0;
  }
  const result = await client.query<{ v: number }>('SELECT coalesce(max(version), 0)::int AS v FROM schema_migrations');
  return result.rows[0]?.v ?? 0;
}
