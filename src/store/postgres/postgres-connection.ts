/**
 * How the state store reaches PostgreSQL: its options, the pool built from them, and what a
 * failure means to whoever runs Vigil (which server, and what to check), never with the password.
 */
import type { PoolConfig } from 'pg';
import { errorMessage, isVigilError, VigilError } from '../../core/errors.js';
import { pgTypes } from './pg-text.js';

export interface PostgresStateOptions {
  /**
   * `postgres://user:password@host:5432/database`, with any libpq-style parameters node-postgres
   * reads (`sslmode`, `application_name`, …). Parameters in the URL win over the options below.
   */
  readonly url: string;
  /**
   * Schema holding Vigil's tables, created when missing; default: the role's search_path
   * (usually `public`). Lower-case letters, digits and `_`. Lets several Vigil deployments (or
   * test runs) share one database.
   */
  readonly schema?: string | undefined;
  /**
   * Connections this process keeps at most (default 10). Each Vigil role holds its own pool:
   * the sum over all processes must stay under the server's max_connections (docs/scaling.md).
   */
  readonly poolSize?: number | undefined;
  /** A statement running longer is cancelled by the server (default 30 s); 0 turns it off. */
  readonly statementTimeoutMs?: number | undefined;
  /** Connecting, including TLS and authentication, gives up after this long (default 5 s). */
  readonly connectTimeoutMs?: number | undefined;
}

export const POSTGRES_DEFAULTS = { poolSize: 10, statementTimeoutMs: 30_000, connectTimeoutMs: 5_000 } as const;

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

function whole(value: number | undefined, fallback: number, name: string, min: number, max: number): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < min || v > max) {
    throw new VigilError('config-invalid', `postgres ${name} must be a whole number from ${min} to ${max}, got ${String(value)}`, { where: `postgres.${name}` });
  }
  return v;
}

/** Where the server is, for messages: host, port, database and user; never the password. */
export interface ServerAddress {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
}

export function serverAddress(url: string): ServerAddress {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new VigilError('config-invalid', 'the PostgreSQL URL is not a URL; expected postgres://user:password@host:5432/database', { where: 'postgres.url' });
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new VigilError('config-invalid', `the PostgreSQL URL must start with postgres:// (got ${parsed.protocol}//…)`, { where: 'postgres.url' });
  }
  const host = parsed.searchParams.get('host') ?? (decodeURIComponent(parsed.hostname) || 'localhost');
  const user = decodeURIComponent(parsed.username) || process.env['PGUSER'] || process.env['USER'] || 'postgres';
  return {
    host: host.startsWith('[') ? host.slice(1, -1) : host,
    port: Number(parsed.searchParams.get('port') ?? (parsed.port || 5432)),
    database: decodeURIComponent(parsed.pathname.slice(1)) || user,
    user,
  };
}

export function describeServer(a: ServerAddress): string {
  return `PostgreSQL at ${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port} (database ${a.database}, user ${a.user})`;
}

/** How long the client waits for any answer: the statement timeout and some slack for the network. */
export function queryTimeoutMs(statementTimeoutMs: number): number {
  return Math.round(statementTimeoutMs * 1.2) + 1000;
}

export interface ResolvedOptions {
  readonly address: ServerAddress;
  readonly schema: string | undefined;
  readonly pool: PoolConfig;
}

export function resolveOptions(options: PostgresStateOptions): ResolvedOptions {
  const address = serverAddress(options.url);
  const schema = options.schema;
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw new VigilError('config-invalid', `postgres schema must be lower-case letters, digits and _ (at most 63, not starting with a digit), got ${JSON.stringify(schema)}`, { where: 'postgres.schema' });
  }
  if (schema !== undefined && new URL(options.url).searchParams.has('options')) {
    // node-postgres lets the URL's `options` replace ours, which would silently drop the schema.
    throw new VigilError('config-invalid', 'give the schema either as postgres.schema or in the URL\'s options parameter, not both', { where: 'postgres.schema' });
  }
  const poolSize = whole(options.poolSize, POSTGRES_DEFAULTS.poolSize, 'poolSize', 1, 1000);
  const statementTimeoutMs = whole(options.statementTimeoutMs, POSTGRES_DEFAULTS.statementTimeoutMs, 'statementTimeoutMs', 0, 86_400_000);
  const connectTimeoutMs = whole(options.connectTimeoutMs, POSTGRES_DEFAULTS.connectTimeoutMs, 'connectTimeoutMs', 100, 600_000);
  return {
    address,
    schema,
    pool: {
      connectionString: options.url,
      max: poolSize,
      connectionTimeoutMillis: connectTimeoutMs,
      // Idle connections are closed after 30 s, so a quiet role gives its slots back to the others.
      idleTimeoutMillis: 30_000,
      application_name: 'vigil',
      ...(statementTimeoutMs === 0
        ? {}
        : {
            statement_timeout: statementTimeoutMs,
            // The server cancels a slow statement itself; this client-side bound catches what it
            // cannot: a connection whose server or network went silent without closing it.
            query_timeout: queryTimeoutMs(statementTimeoutMs),
          }),
      // A transaction left open (a process stalled between BEGIN and COMMIT) would hold row locks
      // that the other roles wait on; the server ends it instead.
      idle_in_transaction_session_timeout: Math.max(60_000, statementTimeoutMs * 2),
      // A dead server or network path is noticed by TCP keepalive instead of a hung socket.
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }),
      types: pgTypes as unknown as NonNullable<PoolConfig['types']>,
    },
  };
}

const CONNECT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'EPIPE']);

function codeOf(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** SQLSTATE codes a transaction is retried on: another role's transaction won a lock race. */
export function isRetryable(e: unknown): boolean {
  const code = codeOf(e);
  return code === '40001' || code === '40P01';
}

/**
 * A driver or server error as a VigilError whose message says what to do. `what` is the
 * operation (`store 3 alerts`), `server` where it was sent.
 */
export function failure(what: string, e: unknown, server: ServerAddress): VigilError {
  if (isVigilError(e)) return e;
  const code = codeOf(e);
  const where = describeServer(server);
  const message = errorMessage(e);
  const check = `check that the server runs and accepts connections from here (pg_isready -h ${server.host} -p ${server.port})`;
  if (code === '23505') {
    return new VigilError('bad-request', `cannot ${what}: a record with the same id${what.includes('token') ? ' or secret' : what.includes('user') ? ' or username' : ''} already exists (${message})`, { cause: e });
  }
  if (/timeout exceeded when trying to connect/i.test(message)) {
    // pg-pool's wording when no connection came free (or could be opened) within connectTimeoutMs.
    return new VigilError('store-unavailable', `cannot ${what}: no connection to ${where} came free within postgres.connectTimeoutMs; every pooled connection was busy or the server is slow to accept (raise postgres.poolSize, or ${check})`, { where, cause: e });
  }
  if (/Query read timeout/i.test(message)) {
    return new VigilError('store-unavailable', `cannot ${what}: ${where} did not answer in time, so the connection was dropped (a write whose COMMIT was under way may or may not have been kept); ${check}`, { where, cause: e });
  }
  if ((code !== undefined && CONNECT_CODES.has(code)) || /timeout expired|connection timeout|Connection terminated/i.test(message)) {
    return new VigilError('store-unavailable', `cannot ${what}: cannot reach ${where}: ${message}; ${check}`, { where, cause: e });
  }
  if (code === '28P01' || code === '28000') {
    return new VigilError('store-unavailable', `cannot ${what}: ${where} refused the login (${message}); check the user and password in the PostgreSQL URL and the server's pg_hba.conf`, { where, cause: e });
  }
  if (code === '3D000') {
    return new VigilError('store-unavailable', `cannot ${what}: ${where}: ${message}; create it (createdb -h ${server.host} -p ${server.port} ${server.database}) or fix the URL`, { where, cause: e });
  }
  if (code === '53300' || code === '57P03') {
    return new VigilError('store-unavailable', `cannot ${what}: ${where} takes no more connections now (${message}); lower postgres.poolSize across Vigil's processes or raise max_connections`, { where, cause: e });
  }
  if (code === '57014') {
    return new VigilError('store-unavailable', `cannot ${what}: the statement ran past postgres.statementTimeoutMs and ${where} cancelled it (a write is rolled back whole)`, { where, cause: e });
  }
  if (code === '42501') {
    return new VigilError('store-unavailable', `cannot ${what}: ${where}: ${message}; grant the user CREATE on the schema (PostgreSQL 15 no longer grants it on public), or on the database for Vigil to create postgres.schema, or create that schema for the user beforehand`, { where, cause: e });
  }
  if (code === '42P01' || code === '3F000') {
    return new VigilError('store-unavailable', `cannot ${what}: ${where} lacks Vigil's tables (${message}); the schema was dropped or the URL points elsewhere`, { where, cause: e });
  }
  if (code?.startsWith('08') || code === '57P01' || code === '57P02') {
    return new VigilError('store-unavailable', `cannot ${what}: lost the connection to ${where} (${message}); ${check}`, { where, cause: e });
  }
  return new VigilError('store-unavailable', `cannot ${what} in ${where}: ${message}`, { where, cause: e });
}
