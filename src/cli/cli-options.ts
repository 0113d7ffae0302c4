/** Options shared by several commands, spelled the same everywhere. */
import { Option } from 'commander';

export const dataOption = () => new Option('--data <dir>', 'data folder (default ./vigil-data, or "data" in the config)');
export const configOption = () => new Option('--config <file>', 'YAML config file (see docs/configuration.md); also VIGIL_CONFIG');
export const tokenOption = () =>
  new Option('--token <token>', 'API token when a server is running (default: VIGIL_TOKEN, then <data>/admin-token)');
