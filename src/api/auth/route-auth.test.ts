/**
 * Every route the server registers, taken from fastify's own route list so a new route cannot
 * escape: without a token, with a bad or revoked token, and with each role.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TokenRole } from '../../core/store.js';
import { counterValue, startTestServer, type TestServer } from '../test-server.test-support.js';
import { createToken } from './tokens.js';
import { roleMayAccess, type RouteAccess } from '../../sources/http/index.js';

let t: TestServer;
let revoked: string;
before(async () => {
  t = await startTestServer();
  const token = await createToken(t.store, { name: 'old', role: 'admin', tenant: 'acme' });
  await t.store.revokeToken(token.record.id);
  revoked = token.secret;
});
after(async () => {
  await t.close();
});

/** Public routes: /healthz, HEC health and the console's page and assets. Everything else must ask for a token. */
const PUBLIC_URLS = new Set(['/healthz', '/services/collector/health', '/services/collector/health/1.0', '/assets/*']);

interface Route {
  readonly method: string;
  readonly url: string;
  readonly access: string;
  readonly constraints?: Readonly<Record<string, string>> | undefined;
}

/** The console's page routes are public, and reached only by a browser's Accept (console-routes.ts). */
const isConsolePage = (route: Route) => route.constraints?.['console'] === 'html';
const isPublic = (route: Route) => PUBLIC_URLS.has(route.url) || isConsolePage(route);

function concretePath(url: string): string {
  return url.replace(/:[A-Za-z]+/g, 'probe').replace(/\*/g, 'probe');
}

async function send(method: string, url: string, authorization?: string, accept?: string): Promise<number> {
  const withBody = method === 'POST' || method === 'PUT' || method === 'DELETE';
  const response = await fetch(`${t.url}${concretePath(url)}`, {
    method,
    headers: { ...(authorization ? { authorization } : {}), ...(withBody ? { 'content-type': 'application/json' } : {}), ...(accept ? { accept } : {}) },
    ...(withBody ? { body: '{"name":"n","role":"ingest"}' } : {}),
  });
  // A stream (the alert stream) never ends by itself: its status is all this test needs.
  if (response.headers.get('content-type')?.startsWith('text/event-stream')) await response.body?.cancel();
  else await response.arrayBuffer();
  return response.status;
}

describe('authentication on every route', () => {
  test('the route list is the real one', () => {
    const urls = new Set(t.server.routes.map((route) => route.url));
    for (const url of ['/api/v1/ingest', '/services/collector/event', '/_bulk', '/:index/_bulk', '/api/v1/search', '/api/v1/tokens', '/metrics', '/']) {
      assert.ok(urls.has(url), url);
    }
    for (const route of t.server.routes) assert.equal(route.access === 'public', isPublic(route), `${route.method} ${route.url} is ${route.access}`);
    assert.ok(t.server.routes.some((route) => route.url === '/' && isConsolePage(route)), 'the console page at /');
    assert.ok(t.server.routes.some((route) => route.url === '/' && route.access === 'ingest'), 'the Elasticsearch ping at /');
  });

  test('every non-public route answers 401 without a token, with a bad token and with a revoked token', async () => {
    const bad = `Bearer vgl_${'x'.repeat(43)}`;
    await Promise.all(
      t.server.routes.map(async (route) => {
        const label = `${route.method} ${route.url}`;
        if (isPublic(route)) {
          assert.notEqual(await send(route.method, route.url, undefined, isConsolePage(route) ? 'text/html' : undefined), 401, label);
          return;
        }
        assert.equal(await send(route.method, route.url), 401, `${label} without a token`);
        assert.equal(await send(route.method, route.url, bad), 401, `${label} with a bad token`);
        assert.equal(await send(route.method, route.url, 'Bearer not-even-a-token'), 401, `${label} with a malformed token`);
        assert.equal(await send(route.method, route.url, `Bearer ${revoked}`), 401, `${label} with a revoked token`);
      }),
    );
  });

  test('each role gets 403 where it has no access and passes auth where it has', async () => {
    for (const role of ['ingest', 'analyst', 'admin'] as TokenRole[]) {
      const authorization = `Bearer ${t.tokens[role]}`;
      await Promise.all(
        t.server.routes
          .filter((route) => !isPublic(route))
          .map(async (route) => {
            const status = await send(route.method, route.url, authorization);
            const label = `${role}: ${route.method} ${route.url} -> ${status}`;
            if (roleMayAccess(role, route.access as RouteAccess)) assert.ok(status !== 401 && status !== 403, label);
            else assert.equal(status, 403, label);
          }),
      );
    }
  });

  test('an unknown path answers 401 without a token and 404 with one', async () => {
    assert.equal(await send('GET', '/no/such/route'), 401);
    assert.equal(await send('GET', '/no/such/route', `Bearer ${t.tokens.ingest}`), 404);
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
    await Promise.all(Array.from({ length: 200 }, () => send('POST', '/api/v1/ingest', bad)));
    await Promise.all(Array.from({ length: 200 }, (_, i) => send('POST', '/api/v1/ingest', `Bearer junk-${i}`)));
    assert.equal(t.store.tokenLookups - lookups, 1);
  });
});
