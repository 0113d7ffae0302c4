/**
 * The stores of a scale-out process, from `scaleOut.clickhouse` and `scaleOut.postgres`, with
 * failures at the start that say which back end, where it was looked for and how to check it.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { ScaleOutConfig } from '../../core/config.js';
import { errorMessage, isVigilError, VigilError } from '../../core/errors.js';
import type { EventStore } from '../../core/store.js';
import type { ChainOptions } from '../../store/chain/chain-writer.js';
import { ClickHouseEventStore } from '../../store/clickhouse/clickhouse-store.js';
import type { ClickHouseEngine } from '../../store/clickhouse/clickhouse-engine.js';
import { HttpEngine } from '../../store/clickhouse/http-engine.js';
import { PostgresStateStore } from '../../store/postgres/postgres-state-store.js';
import { ensureChainKey, type DataFolder } from '../data-folder.js';

type ClickHouseSettings = ScaleOutConfig['clickhouse'];

export async function openPostgresState(settings: ScaleOutConfig['postgres']): Promise<PostgresStateStore> {
  try {
    return await PostgresStateStore.open({ url: settings.url, schema: settings.schema, poolSize: settings.poolSize });
  } catch (e) {
    // The store's own messages already name the server (never the password) and what to check.
    const message = isVigilError(e) ? e.message : errorMessage(e);
    throw new VigilError('store-unavailable', `PostgreSQL (vigil.yaml: scaleOut.postgres): ${message}`, { where: 'vigil.yaml: scaleOut.postgres.url', cause: e });
  }
}

/**
 * The chain key: the store role signs checkpoints with it and the api role verifies them, so it
 * is one file shared by every node running either (`clickhouse.chainKeyFile`, default in the
 * data folder). Only the writer creates it.
 */
export function chainKeyOf(settings: ClickHouseSettings, folder: DataFolder, create: boolean): Uint8Array | undefined {
  const file = settings.chainKeyFile;
  if (file === undefined) return create ? ensureChainKey(folder) : existsSync(folder.chainKey) ? readFileSync(folder.chainKey) : undefined;
  if (!existsSync(file)) {
    if (!create) return undefined;
    throw new VigilError('config-invalid', `the chain key ${file} (vigil.yaml: scaleOut.clickhouse.chainKeyFile) does not exist; copy it from the node that created it, or create one: head -c 32 /dev/urandom > ${file}; chmod 600 ${file}`, {
      where: 'vigil.yaml: scaleOut.clickhouse.chainKeyFile',
    });
  }
  return readFileSync(file);
}

async function openEngine(settings: ClickHouseSettings): Promise<ClickHouseEngine> {
  if (settings.path !== undefined) {
    // chdb is a development dependency: a production install has no embedded ClickHouse.
    let chdb: typeof import('../../store/clickhouse/chdb-engine.js');
    try {
      chdb = await import('../../store/clickhouse/chdb-engine.js');
    } catch (e) {
      throw new VigilError('config-invalid', `scaleOut.clickhouse.path needs the embedded ClickHouse (the chdb package, for development and tests): ${errorMessage(e)}; install it (npm install chdb) or give scaleOut.clickhouse.url`, {
        where: 'vigil.yaml: scaleOut.clickhouse.path',
        cause: e,
      });
    }
    return chdb.ChdbEngine.open(settings.path);
  }
  return HttpEngine.open({ url: settings.url!, username: settings.username, password: settings.password, database: settings.database });
}

export interface EventStoreRole extends ChainOptions {
  /** Every process but the store role's reads only. */
  readonly readOnly: boolean;
}

export async function openClickHouseEvents(settings: ClickHouseSettings, role: EventStoreRole): Promise<ClickHouseEventStore> {
  const engine = await openEngine(settings);
  try {
    return await ClickHouseEventStore.open(engine, { ...role, ttlDays: settings.ttlDays === 0 ? undefined : settings.ttlDays });
  } catch (e) {
    await engine.close().catch(() => undefined);
    const where = settings.url !== undefined ? `the ClickHouse server at ${engine.where}` : `the embedded ClickHouse in ${settings.path}`;
    const check =
      settings.url !== undefined
        ? `check that it runs (curl ${new URL(settings.url).origin}/ping answers Ok.), that database ${settings.database} exists and that scaleOut.clickhouse.username and password are right` +
          (role.readOnly ? '; a reader needs the tables the store role creates: start the store role first' : '')
        : 'only one process can open that folder: run the roles that read events (store, api) in the process of the store role';
    throw new VigilError('store-unavailable', `cannot open ${where} (vigil.yaml: scaleOut.clickhouse): ${errorMessage(e)}; ${check}`, {
      where: 'vigil.yaml: scaleOut.clickhouse',
      cause: e,
    });
  }
}

/**
 * The event side of a process that cannot read events (the detect role beside an embedded
 * ClickHouse another process holds): every call says why, so nothing is silently empty.
 */
export function eventsElsewhere(reason: string): EventStore {
  return new Proxy({} as EventStore, {
    get(_target, name) {
      if (name === 'close') return async () => undefined;
      if (name === 'then') return undefined;
      return async () => {
        throw new VigilError('store-unavailable', reason);
      };
    },
  });
}
