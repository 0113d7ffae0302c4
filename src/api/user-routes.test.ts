/**
 * Managing users through the API on a real DuckDB server: create with a generated or given
 * password, change role, disable, reset, delete, within one's own tenant, and the rules that
 * keep a tenant manageable (no self-disable or self-delete, never without an admin).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestUser, login, loginOk, sessionHeaders, type TestSession } from './console-session.test-support.js';
import { startDuckDbTestServer, type DuckDbTestServer } from './duckdb-server.test-support.js';

type User = { id: string; username: string; role: string; tenant: string; mustChangePassword: boolean; disabled: boolean; lastLogin: number | null; created: number };

let t: DuckDbTestServer;
let admin: TestSession;
let adminId: string;

before(async () => {
  t = await startDuckDbTestServer();
  const user = await createTestUser(t.store, { username: 'boss', role: 'admin' });
  adminId = user.id;
  admin = await loginOk(t.url, user.username, user.password);
});
after(async () => {
  await t.close();
});

async function call(method: string, path: string, body?: unknown, session: TestSession = admin): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${t.url}${path}`, {
    method,
    headers: sessionHeaders(session, body === undefined ? {} : { 'content-type': 'application/json' }),
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

describe('users API', () => {
  test('creates a user with a generated password, which works once and must be changed', async () => {
    const created = await call('POST', '/api/v1/users', { username: 'Eve.Analyst', role: 'analyst' });
    assert.equal(created.status, 201);
    const user = created.json['user'] as User;
    const password = created.json['password'] as string;
    assert.equal(user.username, 'eve.analyst');
    assert.equal(user.role, 'analyst');
    assert.equal(user.tenant, 'acme');
    assert.equal(user.mustChangePassword, true);
    assert.equal(user.disabled, false);
    assert.equal(user.lastLogin, null);
    assert.match(password, /^[A-Za-z0-9_-]{24}$/);
    const session = await loginOk(t.url, 'eve.analyst', password);
    assert.equal(session.user.mustChangePassword, true);
    const listed = (await call('GET', '/api/v1/users')).json['users'] as User[];
    assert.deepEqual(listed.map((u) => u.username).sort(), ['boss', 'eve.analyst']);
    assert.ok(listed.every((u) => !('passwordHash' in u)));
  });

  test('a given password is used and not echoed; it must follow the password rules', async () => {
    const created = await call('POST', '/api/v1/users', { username: 'frank', role: 'viewer', password: 'frank has a long password' });
    assert.equal(created.status, 201);
    assert.equal('password' in created.json, false);
    assert.equal((await login(t.url, 'frank', 'frank has a long password')).status, 200);
    const short = await call('POST', '/api/v1/users', { username: 'gina', role: 'viewer', password: 'short' });
    assert.equal(short.status, 400);
  });

  test('refuses a taken name (409), a bad name, a bad role and unknown keys (400)', async () => {
    assert.equal((await call('POST', '/api/v1/users', { username: 'FRANK', role: 'viewer' })).status, 409);
    assert.equal((await call('POST', '/api/v1/users', { username: '<script>', role: 'viewer' })).status, 400);
    assert.equal((await call('POST', '/api/v1/users', { username: 'x'.repeat(65), role: 'viewer' })).status, 400);
    assert.equal((await call('POST', '/api/v1/users', { username: 'hank', role: 'ingest' })).status, 400);
    assert.equal((await call('POST', '/api/v1/users', { username: 'hank', role: 'viewer', tenant: 'other' })).status, 400);
  });

  test('an admin cannot disable or delete itself, nor demote the last admin; with a second admin it may step down', async () => {
    const self = `/api/v1/users/${adminId}`;
    const disable = await call('PATCH', self, { disabled: true });
    assert.equal(disable.status, 409);
    assert.equal((await call('DELETE', self)).status, 409);
    const demote = await call('PATCH', self, { role: 'analyst' });
    assert.equal(demote.status, 409);
    assert.match(String((demote.json['error'] as { message: string }).message), /last admin/);
    assert.equal((await call('POST', `${self}/password`)).status, 409, 'own password goes through /api/v1/session/password');

    const second = await call('POST', '/api/v1/users', { username: 'second-admin', role: 'admin' });
    const secondId = (second.json['user'] as User).id;
    assert.equal((await call('PATCH', `/api/v1/users/${secondId}`, { disabled: true })).status, 200);
    assert.equal((await call('PATCH', self, { role: 'analyst' })).status, 409, 'a disabled admin does not count');
    assert.equal((await call('PATCH', `/api/v1/users/${secondId}`, { disabled: false })).status, 200);
    // A token can remove the other admin, but not the last one either.
    const byToken = await fetch(`${t.url}/api/v1/users/${secondId}`, { method: 'DELETE', headers: { authorization: `Bearer ${t.tokens.admin}` } });
    assert.equal(byToken.status, 200);
    const last = await fetch(`${t.url}/api/v1/users/${adminId}`, { method: 'DELETE', headers: { authorization: `Bearer ${t.tokens.admin}` } });
    assert.equal(last.status, 409);
  });

  test('a password reset gives a new password to be changed and ends the user\'s sessions', async () => {
    const created = await call('POST', '/api/v1/users', { username: 'ivan', role: 'analyst', password: 'ivan first password' });
    const id = (created.json['user'] as User).id;
    const reset = await call('POST', `/api/v1/users/${id}/password`);
    assert.equal(reset.status, 200);
    const password = reset.json['password'] as string;
    assert.equal((reset.json['user'] as User).mustChangePassword, true);
    assert.equal((await login(t.url, 'ivan', 'ivan first password')).status, 401);
    const session = await loginOk(t.url, 'ivan', password);
    assert.equal(session.user.mustChangePassword, true);
    await call('POST', `/api/v1/users/${id}/password`);
    assert.equal((await fetch(`${t.url}/api/v1/session`, { headers: { cookie: session.cookie } })).status, 401);
  });

  test('deleting a user ends its sessions and frees its name', async () => {
    const created = await call('POST', '/api/v1/users', { username: 'judy', role: 'viewer', password: 'judy first password' });
    const id = (created.json['user'] as User).id;
    await t.store.updateUser(id, { mustChangePassword: false });
    const session = await loginOk(t.url, 'judy', 'judy first password');
    assert.equal((await fetch(`${t.url}/api/v1/alerts`, { headers: { cookie: session.cookie } })).status, 200);
    assert.equal((await call('DELETE', `/api/v1/users/${id}`)).status, 200);
    assert.equal((await fetch(`${t.url}/api/v1/alerts`, { headers: { cookie: session.cookie } })).status, 401);
    assert.equal((await call('DELETE', `/api/v1/users/${id}`)).status, 404);
    assert.equal((await call('POST', '/api/v1/users', { username: 'judy', role: 'viewer' })).status, 201);
  });

  test('an admin sees and changes only its own tenant\'s users', async () => {
    const other = await createTestUser(t.store, { username: 'other-admin', role: 'admin', tenant: 'globex' });
    const otherSession = await loginOk(t.url, other.username, other.password);
    const listed = (await call('GET', '/api/v1/users', undefined, otherSession)).json['users'] as User[];
    assert.deepEqual(listed.map((u) => u.username), ['other-admin']);
    assert.equal((await call('PATCH', `/api/v1/users/${adminId}`, { disabled: true }, otherSession)).status, 404);
    assert.equal((await call('DELETE', `/api/v1/users/${adminId}`, undefined, otherSession)).status, 404);
    assert.equal((await call('POST', `/api/v1/users/${adminId}/password`, undefined, otherSession)).status, 404);
  });
});
