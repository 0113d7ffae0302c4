/** What every command needs first: the validated config and, if one is running, the server. */
import { existsSync } from 'node:fs';
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

export function dataFolderExists(folder: DataFolder): boolean {
  return existsSync(folder.database);
}
