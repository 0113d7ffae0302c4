/** GET /api/v1/search: the caller's tenant, parsed query and time bounds, limits, and errors. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEvent } from '../core/event.js';
import { Metrics } from '../core/metrics.js';
import { DuckDbStore } from '../store/duckdb/duckdb-store.js';
import { createToken } from './auth/tokens.js';
import { startHttpServer } from './http-server.js';
import { bearer, startTestServer, TEST_LIMITS, type TestServer, counterValue } from './test-server.test-support.js';

let t: TestServer;
before(async () => {
  t = await startTestServer();
  const base = { received: 0, source: { input: 'http', kind: 'http-ingest' as const }, format: 'json' as const, original: '{}', fields: {} };
  for (let i = 0; i < 5; i++) await t.store.appendEvents([createEvent({ ...base, tenant: 'acme', time: Date.UTC(2024, 0, 1 + i) })]);
  await t.store.appendEvents([createEvent({ ...base, tenant: 'globex', time: Date.UTC(2024, 0, 2) })]);
});
after(async () => {
  await t.close();
});

async function search(query: string, token = t.tokens.analyst) {
  const response = await fetch(`${t.url}/api/v1/search?${query}`, { headers: bearer(token) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('GET /api/v1/search', () => {
  test('searches the token\'s tenant with the parsed query, time bounds and limit', async () => {
    const res = await search(`q=${encodeURIComponent('user.name:root AND NOT failed')}&from=2024-01-02&to=2024-01-04&limit=10`);
    assert.equal(res.status, 200);
    const request = t.store.searches.at(-1);
    assert.equal(request?.tenant, 'acme');
    assert.equal(request?.query.kind, 'and');
    assert.deepEqual([request?.from, request?.to, request?.limit], [Date.UTC(2024, 0, 2), Date.UTC(2024, 0, 4), 10]);
    assert.deepEqual(Object.keys(res.body).sort(), ['hits', 'kind', 'tookMs', 'total']);
    assert.equal(res.body['kind'], 'events');
    const hits = res.body['hits'] as Array<{ tenant: string; time: number }>;
    assert.equal(res.body['total'], 2);
    assert.ok(hits.every((hit) => hit.tenant === 'acme'));
  });

  test('a query with an aggregation pipe asks the store for a table, in the token\'s tenant', async () => {
    const res = await search(`q=${encodeURIComponent('failed | stats count() by source.ip | head 5')}`);
    assert.equal(res.status, 200);
    assert.equal(res.body['kind'], 'table');
    const request = t.store.aggregations.at(-1);
    assert.equal(request?.tenant, 'acme');
    assert.deepEqual(request?.aggregation, { kind: 'stats', metrics: [{ fn: 'count', field: undefined, name: 'count()' }], by: ['source.ip'] });
    assert.equal(request?.limit, 5);
    const broken = await search(`q=${encodeURIComponent('failed | stats count() by')}`);
    assert.equal(broken.status, 400);
  });

  test('the limit defaults to 100 and is capped at 10,000; the empty query matches all', async () => {
    await search('');
    assert.deepEqual([t.store.searches.at(-1)?.limit, t.store.searches.at(-1)?.query.kind], [100, 'all']);
    await search('limit=999999');
    assert.equal(t.store.searches.at(-1)?.limit, 10_000);
  });

  test('query, time and limit errors are 400 with the parser\'s message', async () => {
    const before = await counterValue(t.metrics, 'vigil_events_dropped_total', { input: 'api', reason: 'malformed' });
    const broken = await search(`q=${encodeURIComponent('(a OR')}`);
    assert.equal(broken.status, 400);
    assert.equal(await counterValue(t.metrics, 'vigil_events_dropped_total', { input: 'api', reason: 'malformed' }), before + 1, 'a refused query is counted');
    assert.equal((broken.body['error'] as { code: string }).code, 'query-invalid');
    assert.equal((await search('from=last%20tuesday')).status, 400);
    assert.equal((await search('limit=0')).status, 400);
    assert.equal((await search('from=2024-02-01&to=2024-01-01')).status, 400);
    assert.equal((await search('q=a&q=b')).status, 400);
  });

  test('an ingest token may not search', async () => {
    assert.equal((await search('', t.tokens.ingest)).status, 403);
  });
});

describe('with the DuckDB store', () => {
  test('events sent to /api/v1/ingest are found by /api/v1/search', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-api-'));
    const store = await DuckDbStore.open({ path: join(dir, 'events.duckdb') });
    const server = await startHttpServer({
      listen: '127.0.0.1:0',
      tenant: 'default',
      limits: TEST_LIMITS,
      store,
      metrics: new Metrics(),
      sink: { submit: (events) => store.appendEvents(events) },
    });
    try {
      const ingest = await createToken(store, { name: 'i', role: 'ingest', tenant: 'acme' });
      const analyst = await createToken(store, { name: 'a', role: 'analyst', tenant: 'acme' });
      const body = '{"user":{"name":"root"},"message":"Accepted password"}\n{"user":{"name":"bob"},"message":"Failed password"}\n';
      const sent = await fetch(`${server.url}/api/v1/ingest`, { method: 'POST', headers: bearer(ingest.secret), body });
      assert.equal(sent.status, 200);
      const response = await fetch(`${server.url}/api/v1/search?q=${encodeURIComponent('user.name:root')}`, { headers: bearer(analyst.secret) });
      assert.equal(response.status, 200);
      const result = (await response.json()) as { total: number; hits: Array<{ fields: Record<string, unknown>; id: string }> };
      assert.equal(result.total, 1);
      assert.equal(result.hits[0]?.fields['message'], 'Accepted password');
    } finally {
      await server.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
