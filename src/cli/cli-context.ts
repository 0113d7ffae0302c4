/** What every command needs first: the validated config and, if one is running, the server. */
import { existsSync } from 'node:fs';
import { VigilError } from '../core/errors.js';
import { loadConfigFile, parseConfig, type VigilConfig } from '../core/config.js';
import { dataFolder, readAdminToken, readLiveServerInfo, type DataFolder } from '../server/data-folder.js';
import { serverClient, type ServerClient } from './server-client.js';

export interface CommonOptions {
  data?: string;
  config?: string;
  token?: string;
}

export function resolveConfig(options: CommonOptions): VigilConfig {
  const path = options.config ?? process.env.VIGIL_CONFIG;
  const config = path ? loadConfigFile(path) : parseConfig({});
  if (options.data) config.data = parseConfig({ data: options.data }).data;
  return config;
}

export interface Target {
  readonly config: VigilConfig;
  readonly folder: DataFolder;
  /** Set when a server holds the data folder: talk to it instead of opening the files. */
  readonly server: ServerClient | undefined;
}

export function resolveTarget(options: CommonOptions): Target {
  const config = resolveConfig(options);
  const folder = dataFolder(config.data);
  const info = readLiveServerInfo(folder);
  const token = options.token ?? process.env.VIGIL_TOKEN ?? readAdminToken(folder);
  return { config, folder, server: info ? serverClient(info, token) : undefined };
}

/**
 * Before a command opens the data folder's own store: with `scaleOut` the events and alerts are
 * in ClickHouse and PostgreSQL, reached through a running api role, never in a local DuckDB file.
 */
export function requireEmbedded(target: Target, command: string): void {
  if (target.config.scaleOut === undefined) return;
  throw new VigilError(
    'config-invalid',
    `vigil ${command}: vigil.yaml has a scaleOut section, so the data is in ClickHouse and PostgreSQL and this command works through a running api role: ` +
      `run it with --data set to that role's data folder (its server.json and admin-token; or --token), or against a vigil.yaml without scaleOut`,
    { where: 'vigil.yaml: scaleOut' },
  );
}

export function dataFolderExists(folder: DataFolder): boolean {
  return existsSync(folder.database);
}
