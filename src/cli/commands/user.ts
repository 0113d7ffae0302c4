/**
 * `vigil user list|create|reset-password|disable|enable`: console users from the machine
 * itself. Through the running server when there is one (with the folder's admin token), else
 * in the data folder directly: the way back in for an admin who lost its password or locked
 * itself out. Passwords are printed once, on stdout; they must be changed at first login.
 * Changes made without a server are recorded in the audit trail as `local:<os user>`.
 */
import { Command, Option } from 'commander';
import type { UserRecord } from '../../core/accounts.js';
import type { AuditAction } from '../../core/audit.js';
import { VigilError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import type { Store, UserRole } from '../../core/store.js';
import { USER_ROLES } from '../../core/store.js';
import { PasswordHasher } from '../../api/auth/password-hash.js';
import { UserAccounts, normaliseUsername, userView, type UserView } from '../../api/auth/user-accounts.js';
import type { CommonOptions } from '../cli-context.js';
import { configOption, dataOption, tokenOption } from '../cli-options.js';
import type { ServerClient } from '../server-client.js';
import { localActor, viaServerOrStore } from '../store-or-server.js';
import { escapeForTerminal } from '../terminal-escape.js';

interface JsonOption extends CommonOptions {
  json?: boolean;
}

function withCommon(command: Command): Command {
  return command.addOption(dataOption()).addOption(configOption()).addOption(tokenOption());
}

async function serverUser(server: ServerClient, username: string): Promise<UserView> {
  const { users } = await server.call<{ users: UserView[] }>('GET', '/api/v1/users');
  const user = users.find((u) => u.username === username);
  if (!user) throw new VigilError('not-found', `no user "${username}" in the token's tenant; see "vigil user list"`);
  return user;
}

async function localUser(store: Store, username: string): Promise<UserRecord> {
  const user = await store.findUserByName(username);
  if (!user) throw new VigilError('not-found', `no user "${username}"; see "vigil user list"`);
  return user;
}

/** A change made without the server is audited too: recovery must leave a trace. */
async function auditLocal(store: Store, action: AuditAction, user: UserRecord, details: Record<string, unknown>): Promise<void> {
  await store.appendAudit([
    {
      id: newId(),
      time: Date.now(),
      tenant: user.tenant,
      actor: localActor(),
      actorKind: 'user',
      role: 'local',
      action,
      target: user.id,
      outcome: 'success',
      remote: null,
      details: { via: 'vigil user', username: user.username, ...details },
    },
  ]);
}

function line(u: UserView): string {
  const state = u.disabled ? 'disabled' : u.mustChangePassword ? 'must-change-password' : 'active';
  const last = u.lastLogin === null ? 'never' : new Date(u.lastLogin).toISOString();
  return `${u.id}  ${u.role.padEnd(7)}  ${state.padEnd(20)}  last login ${last}  ${u.username}${u.tenant === 'default' ? '' : `  (tenant ${u.tenant})`}`;
}

function printPassword(username: string, password: string, what: string, json: boolean | undefined, user: UserView): void {
  if (json) return void process.stdout.write(JSON.stringify({ user, password }) + '\n');
  process.stdout.write(`${password}\n`);
  process.stderr.write(`${what} "${username}": the password above is shown once and must be changed at first login\n`);
}

export function userCommand(): Command {
  const user = new Command('user').description('console users: list, create, reset a password, disable, enable (also to recover a locked-out admin)');

  withCommon(user.command('list').description('list users (never their passwords)').option('--json', 'print JSON')).action(async (options: JsonOption) => {
    const users = await viaServerOrStore(options, {
      server: async (server) => (await server.call<{ users: UserView[] }>('GET', '/api/v1/users')).users,
      local: async (store) => (await store.listUsers()).map(userView),
    });
    if (options.json) return void process.stdout.write(JSON.stringify(users) + '\n');
    for (const u of users) process.stdout.write(escapeForTerminal(line(u)) + '\n');
  });

  withCommon(
    user
      .command('create')
      .description('create a user with a random password (printed once), to be changed at first login')
      .argument('<username>', 'letters, digits, ".", "_", "@", "-"')
      .addOption(new Option('--role <role>', 'viewer: read; analyst: read and triage; admin: everything').choices([...USER_ROLES]).default('viewer'))
      .option('--json', 'print JSON'),
  ).action(async (name: string, options: JsonOption & { role: UserRole }) => {
    const username = normaliseUsername(name, '<username>');
    const created = await viaServerOrStore(options, {
      writes: true,
      server: (server) =>
        server.call<{ user: UserView; password: string }>('POST', '/api/v1/users', JSON.stringify({ username, role: options.role }), { 'content-type': 'application/json' }),
      local: async (store, tenant) => {
        const { user: record, password } = await new UserAccounts(store, new PasswordHasher()).create({ username, role: options.role, tenant });
        await auditLocal(store, 'user-create', record, { role: record.role });
        return { user: userView(record), password: password as string };
      },
    });
    printPassword(username, created.password, `user ${created.user.role}`, options.json, created.user);
  });

  withCommon(
    user
      .command('reset-password')
      .description('give a user a new random password (printed once), to be changed at first login; its sessions end')
      .argument('<username>')
      .option('--json', 'print JSON'),
  ).action(async (name: string, options: JsonOption) => {
    const username = normaliseUsername(name, '<username>');
    const reset = await viaServerOrStore(options, {
      writes: true,
      server: async (server) => {
        const found = await serverUser(server, username);
        return server.call<{ user: UserView; password: string }>('POST', `/api/v1/users/${encodeURIComponent(found.id)}/password`);
      },
      local: async (store) => {
        const found = await localUser(store, username);
        const result = await new UserAccounts(store, new PasswordHasher()).resetPassword({}, found.tenant, found.id);
        await auditLocal(store, 'user-password-reset', found, {});
        return { user: userView(result.user), password: result.password };
      },
    });
    printPassword(username, reset.password, 'new password for', options.json, reset.user);
  });

  for (const [verb, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    withCommon(
      user
        .command(verb)
        .description(disabled ? 'disable a user: it cannot log in and its sessions end (the last admin cannot be disabled)' : 'enable a disabled user again')
        .argument('<username>'),
    ).action(async (name: string, options: CommonOptions) => {
      const username = normaliseUsername(name, '<username>');
      await viaServerOrStore(options, {
        writes: true,
        server: async (server) => {
          const found = await serverUser(server, username);
          await server.call('PATCH', `/api/v1/users/${encodeURIComponent(found.id)}`, JSON.stringify({ disabled }), { 'content-type': 'application/json' });
        },
        local: async (store) => {
          const found = await localUser(store, username);
          await new UserAccounts(store, new PasswordHasher()).update({}, found.tenant, found.id, { disabled });
          await auditLocal(store, 'user-update', found, { disabled });
        },
      });
      process.stderr.write(`user "${username}" ${disabled ? 'disabled' : 'enabled'}\n`);
    });
  }

  return user;
}
