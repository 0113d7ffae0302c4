/** `vigil token`: API tokens. Secrets are shown once, at creation; only their hashes are kept. */
import { Command, Option } from 'commander';
import type { Role, TokenRecord } from '../../core/store.js';
import { VigilError } from '../../core/errors.js';
import { createToken } from '../../api/auth/tokens.js';
import { DuckDbStore } from '../../store/duckdb/duckdb-store.js';
import { requireEmbedded, resolveTarget, type CommonOptions, type Target } from '../cli-context.js';
import { configOption, dataOption, tokenOption } from '../cli-options.js';
import { ensureChainKey, ensureDataFolder } from '../../server/data-folder.js';

type PublicToken = Omit<TokenRecord, 'hash'>;

async function withStore<T>(target: Target, run: (store: DuckDbStore) => Promise<T>): Promise<T> {
  requireEmbedded(target, 'token');
  ensureDataFolder(target.folder);
  const store = await DuckDbStore.open({ path: target.folder.database, chainKey: ensureChainKey(target.folder) });
  try {
    return await run(store);
  } finally {
    await store.close();
  }
}

export function tokenCommand(): Command {
  const token = new Command('token').description('create, list and revoke API tokens (ingest, analyst, admin)');

  token
    .command('create')
    .description('create a token and print its secret (shown only once)')
    .requiredOption('--name <name>', 'who or what uses it, e.g. "fluent-bit on web-1"')
    .addOption(new Option('--role <role>', 'ingest: send events; analyst: search; admin: everything').choices(['ingest', 'analyst', 'admin']).default('ingest'))
    .option('--json', 'print JSON')
    .addOption(dataOption())
    .addOption(configOption())
    .addOption(tokenOption())
    .action(async (options: CommonOptions & { name: string; role: Role; json?: boolean }) => {
      if (!options.name.trim() || options.name.length > 200) throw new VigilError('bad-request', '--name must be 1 to 200 characters');
      const target = resolveTarget(options);
      const created = target.server
        ? await target.server.call<{ id: string; name: string; role: Role; token: string }>(
            'POST', '/api/v1/tokens', JSON.stringify({ name: options.name, role: options.role }), { 'content-type': 'application/json' })
        : await withStore(target, async (store) => {
            const { secret, record } = await createToken(store, { name: options.name, role: options.role, tenant: target.config.tenant });
            return { id: record.id, name: record.name, role: record.role, token: secret };
          });
      if (options.json) {
        process.stdout.write(JSON.stringify(created) + '\n');
      } else {
        process.stdout.write(`${created.token}\n`);
        process.stderr.write(`token "${created.name}" (${created.role}, id ${created.id}) created; the secret above is not shown again\n`);
      }
    });

  token
    .command('list')
    .description('list tokens (never their secrets)')
    .option('--json', 'print JSON')
    .addOption(dataOption())
    .addOption(configOption())
    .addOption(tokenOption())
    .action(async (options: CommonOptions & { json?: boolean }) => {
      const target = resolveTarget(options);
      const list = target.server
        ? (await target.server.call<{ tokens: PublicToken[] }>('GET', '/api/v1/tokens')).tokens
        : await withStore(target, async (store) => (await store.listTokens()).map(({ hash: _hash, ...rest }) => rest));
      if (options.json) return void process.stdout.write(JSON.stringify(list) + '\n');
      for (const t of list) {
        process.stdout.write(`${t.id}  ${t.role.padEnd(7)}  ${t.revoked ? 'revoked' : 'active '}  ${new Date(t.created).toISOString()}  ${t.name}\n`);
      }
    });

  token
    .command('revoke')
    .description('revoke a token by id; it stops working at once')
    .argument('<id>', 'token id from "vigil token list"')
    .addOption(dataOption())
    .addOption(configOption())
    .addOption(tokenOption())
    .action(async (id: string, options: CommonOptions) => {
      const target = resolveTarget(options);
      const revoked = target.server
        ? (await target.server.call<{ revoked: boolean }>('DELETE', `/api/v1/tokens/${encodeURIComponent(id)}`)).revoked
        : await withStore(target, (store) => store.revokeToken(id));
      if (!revoked) throw new VigilError('not-found', `no active token with id ${id}: see "vigil token list"`);
      process.stderr.write(`token ${id} revoked\n`);
    });

  return token;
}
