/**
 * Commands that read or change alerts go through the running server when there is one (it owns
 * the data folder, and its intake must hear of closed alerts and new suppressions), else they
 * open the data folder themselves: read-only to read, read-write to change.
 */
import { VigilError } from '../core/errors.js';
import type { Store } from '../core/store.js';
import { DuckDbStore } from '../store/duckdb/duckdb-store.js';
import { dataFolderExists, requireEmbedded, resolveTarget, type CommonOptions } from './cli-context.js';
import { ensureChainKey, readChainKey } from '../server/data-folder.js';
import type { ServerClient } from './server-client.js';

export interface Access<T> {
  readonly server: (server: ServerClient) => Promise<T>;
  readonly local: (store: Store, tenant: string) => Promise<T>;
  /** Opens the folder read-write for `local` (changes); reads open it read-only. */
  readonly writes?: boolean;
}

export async function viaServerOrStore<T>(options: CommonOptions, access: Access<T>): Promise<T> {
  const target = resolveTarget(options);
  if (target.server) return access.server(target.server);
  // Only for the message: the subcommand's name (vigil alerts, vigil cases…).
  requireEmbedded(target, process.argv[2] ?? 'this command');
  if (!dataFolderExists(target.folder)) throw new VigilError('not-found', `no Vigil data in ${target.folder.root}: start "vigil serve" or pass --data`);
  // Writers sign the chain; readers need the key only to check signatures (verify).
  const chainKey = access.writes === true ? ensureChainKey(target.folder) : readChainKey(target.folder);
  const store = await DuckDbStore.open({ path: target.folder.database, readOnly: access.writes !== true, chainKey });
  try {
    return await access.local(store, target.config.tenant);
  } finally {
    await store.close();
  }
}

/** Who made a change from the command line without a server: the local user. */
export function localActor(): string {
  return `local:${process.env['USER'] ?? process.env['LOGNAME'] ?? 'unknown'}`;
}
