/**
 * The first start of a real `vigil serve`, as an operator meets it: a user `admin` whose random
 * password is in `<data>/initial-admin-password` (mode 0600), which must be changed before
 * anything else, after which the file goes. Then `vigil user` manages users through the running
 * server, and, with the server stopped, recovers a locked-out admin from the machine itself.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli, startVigil, type VigilProcess } from '../support/vigil-process.js';

let data = '';
let server: VigilProcess | undefined;

before(async () => {
  data = await mkdtemp(join(tmpdir(), 'vigil-first-run-'));
});
after(async () => {
  await server?.stop();
  await rm(data, { recursive: true, force: true });
});

async function login(base: string, username: string, password: string): Promise<{ status: number; cookie: string; csrf: string; mustChange: boolean }> {
  const response = await fetch(`${base}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  const body = (await response.json()) as { csrfToken?: string; user?: { mustChangePassword: boolean } };
  return {
    status: response.status,
    cookie: /^(vigil_session=[^;]+)/.exec(response.headers.get('set-cookie') ?? '')?.[1] ?? '',
    csrf: body.csrfToken ?? '',
    mustChange: body.user?.mustChangePassword ?? false,
  };
}

describe('first run and recovery', () => {
  const passwordFile = () => join(data, 'initial-admin-password');

  it('creates user admin with a random password in a 0600 file, says where, and asks for a change at first login', async () => {
    server = await startVigil(data);
    const file = passwordFile();
    assert.ok(existsSync(file));
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const password = readFileSync(file, 'utf8').trim();
    assert.match(password, /^[A-Za-z0-9_-]{24}$/);
    assert.match(server.output(), new RegExp(`user "admin", first-run password in ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(mode 0600\\)`));
    assert.ok(!server.output().includes(password), 'the password itself is never printed');

    const base = server.info.http;
    const session = await login(base, 'admin', password);
    assert.equal(session.status, 200);
    assert.equal(session.mustChange, true);
    const blocked = await fetch(`${base}/api/v1/alerts`, { headers: { cookie: session.cookie } });
    assert.equal(blocked.status, 403);
    assert.equal(((await blocked.json()) as { error: { code: string } }).error.code, 'password-change-required');

    const change = await fetch(`${base}/api/v1/session/password`, {
      method: 'POST',
      headers: { cookie: session.cookie, 'x-csrf-token': session.csrf, 'content-type': 'application/json' },
      body: JSON.stringify({ current: password, new: 'the admin chose this one' }),
    });
    assert.equal(change.status, 200);
    assert.equal(existsSync(file), false, 'the file goes once its password is changed');
    assert.equal((await fetch(`${base}/api/v1/alerts`, { headers: { cookie: session.cookie } })).status, 200);
  });

  it('vigil user creates and lists users through the running server', async () => {
    const created = await runCli(['user', 'create', 'Bob', '--role', 'analyst', '--data', data]);
    assert.equal(created.code, 0, created.stderr);
    const password = created.stdout.trim();
    assert.match(password, /^[A-Za-z0-9_-]{24}$/);
    assert.match(created.stderr, /shown once and must be changed/);
    const bob = await login(server!.info.http, 'bob', password);
    assert.equal(bob.status, 200);
    assert.equal(bob.mustChange, true);
    const listed = await runCli(['user', 'list', '--json', '--data', data]);
    assert.equal(listed.code, 0, listed.stderr);
    const users = JSON.parse(listed.stdout) as { username: string; role: string; mustChangePassword: boolean }[];
    assert.deepEqual(users.map((u) => [u.username, u.role, u.mustChangePassword]), [
      ['admin', 'admin', false],
      ['bob', 'analyst', true],
    ]);
    const refused = await runCli(['user', 'disable', 'admin', '--data', data]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /last admin/);
  });

  it('with the server stopped, vigil user resets a forgotten admin password and disables a user, and the trail shows it', async () => {
    await server!.stop();
    server = undefined;
    const reset = await runCli(['user', 'reset-password', 'admin', '--data', data]);
    assert.equal(reset.code, 0, reset.stderr);
    const password = reset.stdout.trim();
    const disabled = await runCli(['user', 'disable', 'bob', '--data', data]);
    assert.equal(disabled.code, 0, disabled.stderr);

    server = await startVigil(data);
    assert.equal(existsSync(passwordFile()), false, 'users exist: no new first-run password');
    const base = server.info.http;
    assert.equal((await login(base, 'admin', 'the admin chose this one')).status, 401);
    const admin = await login(base, 'admin', password);
    assert.equal(admin.status, 200);
    assert.equal(admin.mustChange, true);
    assert.equal((await login(base, 'bob', 'whatever it was')).status, 401);

    const audit = await fetch(`${base}/api/v1/audit?limit=100`, { headers: { authorization: `Bearer ${server.token}` } });
    const entries = ((await audit.json()) as { entries: { action: string; actor: string; details: Record<string, unknown> }[] }).entries;
    const local = entries.filter((e) => e.actor.startsWith('local:'));
    assert.deepEqual(local.map((e) => [e.action, e.details['username']]), [
      ['user-update', 'bob'],
      ['user-password-reset', 'admin'],
    ]);
    assert.ok(entries.some((e) => e.action === 'user-create' && e.details['username'] === 'bob' && e.actor === 'admin'));
    assert.ok(entries.some((e) => e.action === 'password-change' && e.actor === 'admin'));
  });
});
