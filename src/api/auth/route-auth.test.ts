/**
 * Every route the server registers, taken from fastify's own route list so a new route cannot
 * escape: without a credential, with a bad or revoked token, with an ended session, with each
 * token role and each user role, and with a user who must still change its password.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TokenRole, UserRole } from '../../core/store.js';
import { counterValue, startTestServer, type TestServer } from '../test-server.test-support.js';
import { createTestUser, loginOk, sessionHeaders, type TestSession } from '../console-session.test-support.js';
import { createToken } from './tokens.js';
import { roleMayAccess, type RouteAccess } from '../../sources/http/index.js';

let t: TestServer;
let revoked: string;
const sessions = {} as Record<UserRole, TestSession>;
let mustChange: TestSession;
let ended: TestSession;
before(async () => {
  t = await startTestServer();
  const token = await createToken(t.store, { name: 'old', role: 'admin', tenant: 'acme' });
  await t.store.revokeToken(token.record.id);
  revoked = token.secret;
  for (const role of ['viewer', 'analyst', 'admin'] as UserRole[]) {
    const user = await createTestUser(t.store, { username: `${role}-user`, role });
    sessions[role] = await loginOk(t.url, user.username, user.password);
  }
  const fresh = await createTestUser(t.store, { username: 'fresh', role: 'admin', mustChangePassword: true });
  mustChange = await loginOk(t.url, fresh.username, fresh.password);
  const leaver = await createTestUser(t.store, { username: 'leaver', role: 'admin' });
  ended = await loginOk(t.url, leaver.username, leaver.password);
  const out = await fetch(`${t.url}/api/v1/session`, { method: 'DELETE', headers: sessionHeaders(ended) });
  assert.equal(out.status, 204);
});
after(async () => {
  await t.close();
});

/** Public routes: /healthz, HEC health, the login and the console's assets and page. Everything else must ask for a credential. */
const PUBLIC = new Set(['GET /healthz', 'GET /services/collector/health', 'GET /services/collector/health/1.0', 'POST /api/v1/session', 'GET /assets/*']);
/** The console's page routes are reached only by a browser's Accept (console-routes.ts); `GET /` is also the Elasticsearch ping. */
const isConsolePage = (route: { constraints?: Readonly<Record<string, string>> | undefined }) => route.constraints?.['console'] === 'html';
const isPublic = (route: { method: string; url: string; constraints?: Readonly<Record<string, string>> | undefined }) => isConsolePage(route) || PUBLIC.has(key(route));
/** Ends the caller's session: sent on its own at the end, not in the middle of the sweep. */
const LOGOUT = 'DELETE /api/v1/session';
/** What a user who must change its password may still call. */
const SESSION_ROUTES = new Set(['GET /api/v1/session', 'DELETE /api/v1/session', 'POST /api/v1/session/password']);

/** HEAD routes are fastify's own copies of GET routes, with the same access. */
const key = (route: { method: string; url: string }) => `${route.method === 'HEAD' ? 'GET' : route.method} ${route.url}`;
/** A HEAD answer has no body, so no error code to check. */
const codeIs = (route: { method: string }, code: string | undefined, expected: string) => route.method === 'HEAD' || code === expected;

function concretePath(url: string): string {
  return url.replace(/:[A-Za-z]+/g, 'probe').replace(/\*/g, 'probe');
}

async function send(method: string, url: string, headers: Record<string, string> = {}): Promise<{ status: number; code: string | undefined }> {
  const withBody = method === 'POST' || method === 'PUT' || method === 'PATCH' || method === 'DELETE';
  const response = await fetch(`${t.url}${concretePath(url)}`, {
    method,
    headers: { ...headers, ...(withBody ? { 'content-type': 'application/json' } : {}) },
    ...(withBody ? { body: '{"name":"n","role":"ingest"}' } : {}),
  });
  // A stream (the alert stream) never ends by itself: its status is all this test needs.
  if (response.headers.get('content-type')?.startsWith('text/event-stream')) {
    await response.body?.cancel();
    return { status: response.status, code: undefined };
  }
  const text = await response.text();
  let code: string | undefined;
  try {
    code = (JSON.parse(text) as { error?: { code?: string } }).error?.code;
  } catch {
    code = undefined;
  }
  return { status: response.status, code };
}

const swept = () => t.server.routes.filter((route) => !isPublic(route) && `${route.method} ${route.url}` !== LOGOUT);

describe('authentication on every route', () => {
  test('the route list is the real one', () => {
    const urls = new Set(t.server.routes.map((route) => route.url));
    for (const url of ['/api/v1/ingest', '/services/collector/event', '/_bulk', '/:index/_bulk', '/api/v1/search', '/api/v1/tokens', '/metrics', '/', '/api/v1/session', '/api/v1/users', '/api/v1/audit']) {
      assert.ok(urls.has(url), url);
    }
    for (const route of t.server.routes) assert.equal(route.access === 'public', isPublic(route), `${key(route)} is ${route.access}`);
    assert.ok(t.server.routes.some((route) => route.url === '/' && isConsolePage(route)), 'the console page at /');
    assert.ok(t.server.routes.some((route) => route.url === '/' && route.access === 'ingest'), 'the Elasticsearch ping at /');
  });

  test('every non-public route answers 401 without a credential, with a bad, malformed or revoked token, and with an ended session', async () => {
    const bad = `Bearer vgl_${'x'.repeat(43)}`;
    await Promise.all(
      t.server.routes.map(async (route) => {
        const label = key(route);
        if (isPublic(route)) {
          assert.notEqual((await send(route.method, route.url, isConsolePage(route) ? { accept: 'text/html' } : {})).status, 401, label);
          return;
        }
        assert.equal((await send(route.method, route.url)).status, 401, `${label} without a credential`);
        assert.equal((await send(route.method, route.url, { authorization: bad })).status, 401, `${label} with a bad token`);
        assert.equal((await send(route.method, route.url, { authorization: 'Bearer not-even-a-token' })).status, 401, `${label} with a malformed token`);
        assert.equal((await send(route.method, route.url, { authorization: `Bearer ${revoked}` })).status, 401, `${label} with a revoked token`);
        assert.equal((await send(route.method, route.url, sessionHeaders(ended))).status, 401, `${label} with an ended session`);
        assert.equal((await send(route.method, route.url, { cookie: `vigil_session=${'A'.repeat(43)}` })).status, 401, `${label} with an unknown session`);
      }),
    );
  });

  test('each token role gets 403 where it has no access and passes auth where it has', async () => {
    for (const role of ['ingest', 'analyst', 'admin'] as TokenRole[]) {
      const authorization = `Bearer ${t.tokens[role]}`;
      await Promise.all(
        swept().map(async (route) => {
          const { status } = await send(route.method, route.url, { authorization });
          const label = `${role} token: ${key(route)} -> ${status}`;
          if (roleMayAccess(role, route.access as RouteAccess)) assert.ok(status !== 401 && status !== 403, label);
          else assert.equal(status, 403, label);
        }),
      );
    }
  });

  test('each user role gets 403 where it has no access and passes auth where it has', async () => {
    for (const role of ['viewer', 'analyst', 'admin'] as UserRole[]) {
      await Promise.all(
        swept().map(async (route) => {
          const { status, code } = await send(route.method, route.url, sessionHeaders(sessions[role]));
          const label = `${role} user: ${route.method} ${route.url} -> ${status} ${code ?? ''}`;
          if (roleMayAccess(role, route.access as RouteAccess)) assert.ok(status !== 401 && status !== 403, label);
          else assert.ok(status === 403 && codeIs(route, code, 'forbidden'), label);
        }),
      );
    }
  });

  test('an ingest token reads nothing: every viewer, analyst and admin route refuses it', async () => {
    const reads = t.server.routes.filter((route) => route.method === 'GET' && ['viewer', 'analyst', 'admin'].includes(route.access));
    assert.ok(reads.length >= 15, `${reads.length} read routes`);
    for (const route of reads) assert.equal((await send(route.method, route.url, { authorization: `Bearer ${t.tokens.ingest}` })).status, 403, key(route));
  });

  test('a user who must change its password gets 403 password-change-required everywhere but the session routes', async () => {
    await Promise.all(
      swept().map(async (route) => {
        const { status, code } = await send(route.method, route.url, sessionHeaders(mustChange));
        const label = `${route.method} ${route.url} -> ${status} ${code ?? ''}`;
        if (SESSION_ROUTES.has(key(route))) assert.ok(status !== 401 && status !== 403, label);
        else assert.ok(status === 403 && codeIs(route, code, 'password-change-required'), label);
      }),
    );
  });

  test('an unknown path answers 401 without a credential and 404 with one', async () => {
    assert.equal((await send('GET', '/no/such/route')).status, 401);
    assert.equal((await send('GET', '/no/such/route', { authorization: `Bearer ${t.tokens.ingest}` })).status, 404);
    assert.equal((await send('GET', '/no/such/route', sessionHeaders(sessions.viewer))).status, 404);
  });

  test('tokens in the query string are refused', async () => {
    const response = await fetch(`${t.url}/api/v1/search?token=${t.tokens.admin}`);
    assert.equal(response.status, 401);
    assert.match(((await response.json()) as { error: { message: string } }).error.message, /tokens in the URL are refused/);
  });

  test('refusals are counted as dropped unauthorized under the route input', async () => {
    const before = await counterValue(t.metrics, 'vigil_events_dropped_total', { input: 'hec', reason: 'unauthorized' });
    await send('POST', '/services/collector/event');
    assert.equal(await counterValue(t.metrics, 'vigil_events_dropped_total', { input: 'hec', reason: 'unauthorized' }), before + 1);
  });

  test('a flood of one bad token reaches the store once; tokens of the wrong shape never do', async () => {
    const lookups = t.store.tokenLookups;
    const bad = `Bearer vgl_${'q'.repeat(43)}`;
    await Promise.all(Array.from({ length: 200 }, () => send('POST', '/api/v1/ingest', { authorization: bad })));
    await Promise.all(Array.from({ length: 200 }, (_, i) => send('POST', '/api/v1/ingest', { authorization: `Bearer junk-${i}` })));
    assert.equal(t.store.tokenLookups - lookups, 1);
  });

  test('a page of console calls reads the session from the store once, not once per call', async () => {
    const fresh = await createTestUser(t.store, { username: 'busy', role: 'viewer' });
    const session = await loginOk(t.url, fresh.username, fresh.password);
    const lookups = t.store.sessionLookups;
    await Promise.all(Array.from({ length: 50 }, () => send('GET', '/api/v1/alerts', sessionHeaders(session))));
    assert.equal(t.store.sessionLookups - lookups, 1);
  });
});
