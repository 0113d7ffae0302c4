/**
 * The PostgreSQL server the tests of this folder run against, and a throwaway schema per test.
 *
 * VIGIL_TEST_POSTGRES_URL names the server (default postgres://postgres@127.0.0.1:5432/test).
 * When it cannot be reached the tests skip and say why, unless VIGIL_REQUIRE_POSTGRES=1 (set by
 * .ci/run), where they fail instead: CI must never pass by skipping them.
 */
import { randomBytes } from 'node:crypto';
import { after, it } from 'node:test';
import pg from 'pg';

export const TEST_POSTGRES_URL = process.env['VIGIL_TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

let admin: pg.Pool | undefined;

/** The administrator's pool, opened by withPostgres (at the top level of a test file, which closes it after all its tests). */
function adminPool(): pg.Pool {
  if (admin === undefined) throw new Error('call withPostgres at the top level of the test file first');
  return admin;
}

/** Why the tests cannot run (undefined: they can). */
export async function postgresUnavailable(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL, connectionTimeoutMillis: 3000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (e) {
    const url = new URL(TEST_POSTGRES_URL);
    return `PostgreSQL is not reachable at ${url.hostname}:${url.port || 5432}${url.pathname} (${e instanceof Error ? e.message : String(e)}); start it or set VIGIL_TEST_POSTGRES_URL`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Registers `tests` when PostgreSQL answers; otherwise one skipped test saying why (or one
 * failing test, when VIGIL_REQUIRE_POSTGRES=1).
 */
export async function withPostgres(name: string, tests: () => void): Promise<void> {
  const reason = await postgresUnavailable();
  if (reason === undefined) {
    if (admin === undefined) {
      const pool = new pg.Pool({ connectionString: TEST_POSTGRES_URL, max: 2, connectionTimeoutMillis: 3000 });
      pool.on('error', () => undefined);
      admin = pool;
      after(() => pool.end());
    }
    tests();
    return;
  }
  if (process.env['VIGIL_REQUIRE_POSTGRES'] === '1') {
    it(`${name}: PostgreSQL is required here (VIGIL_REQUIRE_POSTGRES=1)`, () => {
      throw new Error(reason);
    });
    return;
  }
  it(name, { skip: reason }, () => undefined);
}

/** A schema name no other test (in this or another process) uses. The store creates it. */
export function uniqueSchema(prefix = 'vigil_test'): string {
  return `${prefix}_${process.pid}_${randomBytes(6).toString('hex')}`;
}

export async function dropSchema(schema: string): Promise<void> {
  await adminPool().query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}

/** One statement as the test's administrator, in `schema` when given. */
export async function adminQuery<R extends pg.QueryResultRow>(sql: string, values: unknown[] = [], schema?: string): Promise<R[]> {
  const client = await adminPool().connect();
  try {
    if (schema !== undefined) await client.query(`SET search_path TO "${schema}"`);
    const result = await client.query<R>(sql, values);
    return result.rows;
  } finally {
    if (schema !== undefined) await client.query('RESET search_path').catch(() => undefined);
    client.release();
  }
}
