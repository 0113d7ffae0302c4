/** Token management over HTTP: create (secret shown once), list (no hashes), revoke (takes effect at once). */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { bearer, startTestServer, type TestServer } from './test-server.test-support.js';

let t: TestServer;
before(async () => {
  t = await startTestServer();
});
after(async () => {
  await t.close();
});

async function call(method: string, path: string, token: string, body?: unknown) {
  const response = await fetch(`${t.url}${path}`, {
    method,
    headers: { ...bearer(token), 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('/api/v1/tokens', () => {
  test('an admin creates a token that works at once, in the admin\'s tenant', async () => {
    const created = await call('POST', '/api/v1/tokens', t.tokens.admin, { name: 'fw-01', role: 'ingest' });
    assert.equal(created.status, 201);
    assert.deepEqual(Object.keys(created.body).sort(), ['id', 'name', 'role', 'token']);
    const secret = created.body['token'] as string;
    assert.match(secret, /^vgl_[A-Za-z0-9_-]{43}$/);
    const ingest = await fetch(`${t.url}/api/v1/ingest`, { method: 'POST', headers: bearer(secret), body: '{"a":1}\n' });
    assert.equal(ingest.status, 200);
    assert.equal(t.sink.events.at(-1)?.tenant, 'acme');
  });

  test('the list shows tokens without hashes or secrets', async () => {
    const list = await call('GET', '/api/v1/tokens', t.tokens.admin);
    assert.equal(list.status, 200);
    const tokens = list.body['tokens'] as Array<Record<string, unknown>>;
    assert.ok(tokens.length >= 3);
    assert.ok(tokens.every((token) => !('hash' in token) && token['tenant'] === 'acme'));
    const text = JSON.stringify(list.body);
    for (const record of t.store.tokens) assert.equal(text.includes(record.hash), false);
  });

  test('revoking a token refuses it on the very next request, even though it was cached', async () => {
    const created = await call('POST', '/api/v1/tokens', t.tokens.admin, { name: 'short-lived', role: 'analyst' });
    const secret = created.body['token'] as string;
    assert.equal((await fetch(`${t.url}/metrics`, { headers: bearer(secret) })).status, 200);
    const revoked = await call('DELETE', `/api/v1/tokens/${created.body['id'] as string}`, t.tokens.admin);
    assert.deepEqual(revoked, { status: 200, body: { id: created.body['id'], revoked: true } });
    assert.equal((await fetch(`${t.url}/metrics`, { headers: bearer(secret) })).status, 401);
  });

  test('bad bodies are 400 naming the field; unknown ids are 404', async () => {
    const noName = await call('POST', '/api/v1/tokens', t.tokens.admin, { role: 'ingest' });
    assert.equal(noName.status, 400);
    assert.match((noName.body['error'] as { message: string }).message, /^name:/);
    const badRole = await call('POST', '/api/v1/tokens', t.tokens.admin, { name: 'x', role: 'root' });
    assert.equal(badRole.status, 400);
    const tenant = await call('POST', '/api/v1/tokens', t.tokens.admin, { name: 'x', role: 'ingest', tenant: 'other' });
    assert.equal(tenant.status, 400, 'the tenant cannot be chosen in the request');
    const notJson = await fetch(`${t.url}/api/v1/tokens`, { method: 'POST', headers: bearer(t.tokens.admin), body: '{nope' });
    assert.equal(notJson.status, 400);
    assert.equal((await call('DELETE', '/api/v1/tokens/no-such-id', t.tokens.admin)).status, 404);
  });

  test('an admin cannot see or revoke another tenant\'s tokens', async () => {
    const other = t.store.tokens.length;
    await t.store.createToken({ id: 'foreign', name: 'f', role: 'admin', tenant: 'globex', hash: 'h', created: 0, revoked: false });
    const list = await call('GET', '/api/v1/tokens', t.tokens.admin);
    assert.equal((list.body['tokens'] as Array<{ id: string }>).some((token) => token.id === 'foreign'), false);
    assert.equal((await call('DELETE', '/api/v1/tokens/foreign', t.tokens.admin)).status, 404);
    assert.equal(t.store.tokens[other]?.revoked, false);
  });
});
