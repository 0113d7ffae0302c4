/** Stored history over HTTP: verify and retention are admin routes; retention runs on demand through the server's schedule. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createEvent } from '../core/event.js';
import { parseConfig } from '../core/config.js';
import { RetentionSchedule } from '../store/retention/retention-schedule.js';
import { bearer, startTestServer, type TestServer } from './test-server.test-support.js';

let t: TestServer;
let bare: TestServer;
before(async () => {
  let schedule: RetentionSchedule | undefined;
  // The schedule works on the test server's own store, which exists only once the server does.
  t = await startTestServer({ retention: { run: () => schedule!.run() } });
  schedule = new RetentionSchedule({ store: t.store, policy: parseConfig({ retention: { defaultDays: 1 } }).retention });
  bare = await startTestServer();
});
after(async () => {
  await t.close();
  await bare.close();
});

async function call(server: TestServer, method: string, path: string, token: string) {
  const response = await fetch(`${server.url}${path}`, { method, headers: bearer(token) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('history routes', () => {
  test('GET /api/v1/verify answers the store\'s chain report to an admin, 403 to an analyst', async () => {
    await t.store.appendEvents([createEvent({ tenant: 'acme', received: 1, source: { input: 'x', kind: 'file' }, format: 'raw', original: 'x', fields: {} })]);
    const ok = await call(t, 'GET', '/api/v1/verify', t.tokens.admin);
    assert.equal(ok.status, 200);
    assert.equal(ok.body['ok'], true);
    assert.equal(ok.body['events'], 1);
    assert.equal((await call(t, 'GET', '/api/v1/verify', t.tokens.analyst)).status, 403);
  });

  test('POST /api/v1/retention/run enforces the rules and GET /api/v1/retention lists the runs', async () => {
    const run = await call(t, 'POST', '/api/v1/retention/run', t.tokens.admin);
    assert.equal(run.status, 200);
    const runs = run.body['runs'] as { rule: string; deleted: number }[];
    assert.deepEqual(runs.map((r) => [r.rule, r.deleted]), [['default', 1]]);
    const list = await call(t, 'GET', '/api/v1/retention?limit=5', t.tokens.admin);
    assert.equal((list.body['runs'] as unknown[]).length, 1);
    assert.equal((await call(t, 'GET', '/api/v1/retention?limit=0', t.tokens.admin)).status, 400);
    assert.equal((await call(t, 'POST', '/api/v1/retention/run', t.tokens.analyst)).status, 403);
  });

  test('a server without a retention schedule answers 404 to a run', async () => {
    const run = await call(bare, 'POST', '/api/v1/retention/run', bare.tokens.admin);
    assert.equal(run.status, 404);
    assert.match(JSON.stringify(run.body), /retention is not enforced/);
  });
});
