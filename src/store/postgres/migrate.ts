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
import type { Pool, PoolClient, QueryResultRow } from 'pg';
import { VigilError } from '../../core/errors.js';
import { release } from './pg-query.js';
import { encodeParam } from './pg-text.js';
import { POSTGRES_MIGRATIONS, type PostgresMigration } from './schema.js';

/** First key of Vigil's advisory locks (an arbitrary constant: "VIGL"); the second is the schema's hash. */
const LOCK_CLASS = 0x5649474c;

export interface MigrationResult {
  /** Versions applied by this call, in order; empty when the schema was already current. */
  readonly applied: readonly number[];
  readonly version: number;
}

/** The longest timer Node allows (~24.8 days): in effect, no client-side timeout. */
const NO_TIMEOUT = 2 ** 31 - 1;

/**
 * One statement of a migration. A migration may rewrite a big table, and waiting for another
 * process's migration may take as long: neither the pool's client-side query timeout nor the
 * server's statement timeout (SET LOCAL below) applies.
 */
async function sql<R extends QueryResultRow = Record<string, unknown>>(client: PoolClient, text: string, values: unknown[] = []): Promise<R[]> {
  const config = { text, values: values.map(encodeParam), query_timeout: NO_TIMEOUT };
  const result = await client.query<R>(config);
  return result.rows;
}

async function inTransaction<T>(client: PoolClient, task: () => Promise<T>): Promise<T> {
  await sql(client, 'BEGIN');
  try {
    const result = await task();
    await sql(client, 'COMMIT');
    return result;
  } catch (e) {
    await sql(client, 'ROLLBACK').catch(() => undefined);
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
        await sql(client, 'SET LOCAL statement_timeout = 0');
        await sql(client, 'SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_CLASS, schema ?? '']);
        // Looked up first: CREATE SCHEMA IF NOT EXISTS needs the CREATE privilege on the database
        // even when the schema is there, which a role given only its schema does not have.
        if (schema !== undefined && (await sql(client, 'SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema])).length === 0) {
          await sql(client, `CREATE SCHEMA "${schema}"`);
        }
        const current = await currentVersion(client, true);
        if (current > latest) {
          throw new VigilError(
            'store-unavailable',
            `the PostgreSQL state schema${schema === undefined ? '' : ` ${schema}`} has version ${current}, written by a newer Vigil (this one knows up to ${latest}); upgrade Vigil or point it at another schema`,
            { where: schema ?? 'postgres' },
          );
        }
        const next = migrations.find((m) => m.version > current);
        // The version found, not the last this call applied: with several processes migrating
        // at once, another may have applied the later migrations.
        if (next === undefined) return current;
        for (const statement of next.statements) await sql(client, statement);
        await sql(client, 'INSERT INTO schema_migrations (version, name, applied) VALUES ($1, $2, $3)', [next.version, next.name, Date.now()]);
        applied.push(next.version);
        return undefined;
      });
      if (done !== undefined) return { applied, version: done };
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
  const exists = await sql<{ t: string | null }>(client, `SELECT to_regclass('schema_migrations')::text AS t`);
  if (exists[0]?.t === null || exists[0]?.t === undefined) {
    if (!create) return 0;
    await sql(client, `CREATE TABLE schema_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      applied bigint NOT NULL
    )`);
    return 0;
  }
  const rows = await sql<{ v: number }>(client, 'SELECT coalesce(max(version), 0)::int AS v FROM schema_migrations');
  return rows[0]?.v ?? 0;
}
