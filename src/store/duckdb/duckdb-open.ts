/**
 * Opening the DuckDB file: instance settings, the lock error a user can act on, and schema
 * creation or migration (idempotent, in one transaction).
 */
import { mkdirSync } from 'node:fs';
import { totalmem } from 'node:os';
import { dirname } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { errorMessage, VigilError } from '../../core/errors.js';
import type { ChainOptions } from './event-chain.js';
import { EVENT_COLUMNS, MIGRATIONS, SCHEMA_VERSION, SCHEMA_VERSION_DDL } from './schema.js';

export interface DuckDbOpenOptions extends ChainOptions {
  /** The DuckDB file, e.g. `<data folder>/events.duckdb`. Its folder is created if missing. */
  readonly path: string;
  /** Read-only: no schema changes, every write is refused. */
  readonly readOnly?: boolean;
  /** DuckDB `memory_limit`, e.g. `1GB`, or `auto` (the default): see autoMemoryLimit. */
  readonly memoryLimit?: string;
  /** DuckDB worker threads. */
  readonly threads?: number;
  /** WAL size that triggers a checkpoint (DuckDB `checkpoint_threshold`); see DEFAULT_CHECKPOINT_THRESHOLD. */
  readonly checkpointThreshold?: string;
}

/**
 * DuckDB's default (16MB) checkpoints every ~3 batches of 5000 syslog events, and each
 * checkpoint rewrites the table's last, partly filled row group: appends of 500k events ran at
 * ~12k events/s (92 µs CPU per event). With 256MB: ~21-25k events/s (30-35 µs), with a 1-4 s
 * pause at each checkpoint, about every 250k events. The price: up to 256MB of WAL to replay
 * after a crash (a few seconds) and that much uncheckpointed data in the buffer pool.
 */
export const DEFAULT_CHECKPOINT_THRESHOLD = '256MB';

/**
 * A quarter of the machine's memory, between 1GB and 8GB. DuckDB's own default (80%) would
 * starve the rest of the server on a small machine; a fixed 1GB left full scans of 10M events
 * 15-25% slower than 8GB (bench/history-bench.ts). The limit caps the buffer pool; it reserves nothing.
 */
export function autoMemoryLimit(total: number = totalmem()): string {
  const mib = Math.min(8192, Math.max(1024, Math.floor(total / 4 / 1024 / 1024)));
  return `${mib}MiB`;
}

/** DuckDB storage format of new files; see createInstance. */
export const STORAGE_VERSION = 'v1.4.0';

/** DuckDB's message when another process holds the file's lock. */
const LOCK_MESSAGE = /Could not set lock on file/i;

export function lockedError(path: string, holder: string, cause?: unknown): VigilError {
  return new VigilError(
    'data-locked',
    `the data folder ${dirname(path)} is in use by ${holder}; stop it, or use the server's API / CLI instead of opening the data folder directly`,
    { where: path, cause },
  );
}

export async function createInstance(path: string, options: DuckDbOpenOptions): Promise<DuckDBInstance> {
  const settings: Record<string, string> = {
    access_mode: options.readOnly ? 'READ_ONLY' : 'READ_WRITE',
    // No network here: a missing extension must fail at once, not hang on a download.
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
    memory_limit: options.memoryLimit === undefined || options.memoryLimit === 'auto' ? autoMemoryLimit() : options.memoryLimit,
    threads: String(options.threads ?? 2),
    checkpoint_threshold: options.checkpointThreshold ?? DEFAULT_CHECKPOINT_THRESHOLD,
    // Files created from now on use DuckDB's v1.4 storage format, which has ZSTD for strings
    // (schema v5) and dictionary-FSST; a file created before keeps its own format and stays
    // readable. Pinned rather than 'latest' so a DuckDB upgrade never changes it silently.
    storage_compatibility_version: STORAGE_VERSION,
  };
  try {
    if (!options.readOnly) mkdirSync(dirname(path), { recursive: true });
    return await DuckDBInstance.create(path, settings);
  } catch (e) {
    const message = errorMessage(e);
    if (LOCK_MESSAGE.test(message)) {
      const pid = /PID (\d+)/.exec(message)?.[1];
      throw lockedError(path, `another Vigil process (${pid ? `PID ${pid}, ` : ''}a running server?)`, e);
    }
    throw new VigilError(
      'store-unavailable',
      `cannot open the event store ${path}: ${message}; check that the data folder exists, is writable and is not on a network file system`,
      { where: path, cause: e },
    );
  }
}

async function readVersion(conn: DuckDBConnection): Promise<number> {
  const reader = await conn.runAndReadAll('SELECT coalesce(max(version), 0) FROM schema_version');
  return Number(reader.getRowsJS()[0]?.[0] ?? 0);
}

function newerSchema(path: string, found: number): VigilError {
  return new VigilError(
    'store-unavailable',
    `the event store ${path} has schema version ${found}, written by a newer Vigil (this one knows up to ${SCHEMA_VERSION}); upgrade Vigil or point it at another data folder`,
    { where: path },
  );
}

/** Creates or migrates the schema; safe to run on every open. */
export async function migrate(conn: DuckDBConnection, path: string): Promise<void> {
  await conn.run('BEGIN TRANSACTION');
  try {
    await conn.run(SCHEMA_VERSION_DDL);
    const current = await readVersion(conn);
    if (current > SCHEMA_VERSION) throw newerSchema(path, current);
    for (const migration of MIGRATIONS) {
      if (migration.version <= current) continue;
      for (const statement of migration.statements) await conn.run(statement);
      await conn.run('INSERT INTO schema_version VALUES ($1, $2)', [migration.version, BigInt(Date.now())]);
    }
    await conn.run('COMMIT');
  } catch (e) {
    await conn.run('ROLLBACK').catch(() => undefined);
    throw e;
  }
}

/** Read-only opens cannot migrate: the schema must already be the current one. */
export async function checkSchema(conn: DuckDBConnection, path: string): Promise<void> {
  const tables = await conn.runAndReadAll(`SELECT count(*) FROM duckdb_tables() WHERE table_name = 'schema_version'`);
  const found = Number(tables.getRowsJS()[0]?.[0] ?? 0) > 0 ? await readVersion(conn) : 0;
  if (found > SCHEMA_VERSION) throw newerSchema(path, found);
  if (found < SCHEMA_VERSION) {
    throw new VigilError(
      'store-unavailable',
      `the event store ${path} has schema version ${found} but this Vigil needs ${SCHEMA_VERSION}; start the server once (it migrates on open), then retry read-only`,
      { where: path },
    );
  }
}

/** The appender writes by position, so the live table must have exactly the expected columns. */
export async function checkEventColumns(conn: DuckDBConnection, path: string): Promise<void> {
  const reader = await conn.runAndReadAll(
    `SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 'events' AND schema_name = 'main' ORDER BY column_index`,
  );
  const actual = reader.getRowsJS().map((row) => `${String(row[0])} ${String(row[1])}`);
  const expected = EVENT_COLUMNS.map((c) => `${c.name} ${c.type.toString()}`);
  if (actual.join(',') !== expected.join(',')) {
    throw new VigilError(
      'store-unavailable',
      `the events table in ${path} does not have the columns this Vigil expects (found ${actual.length}, expected ${expected.length}); the file was changed outside Vigil or by an incompatible version`,
      { where: path },
    );
  }
}
