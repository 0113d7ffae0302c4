/**
 * The audit trail on a real DuckDB server: who logged in, failed to, searched and triaged, with
 * what outcome, from where; the admin's view and its exports (CSV cells neutralised against
 * formulas); and a store that cannot write the trail does not fail the request.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditEntry } from '../core/audit.js';
import { Metrics } from '../core/metrics.js';
import { DuckDbStore } from '../store/duckdb/duckdb-store.js';
import { createToken } from './auth/tokens.js';
import { startHttpServer } from './http-server.js';
import { createTestUser, login, loginOk, sessionHeaders, type TestSession } from './console-session.test-support.js';
import { startDuckDbTestServer, type DuckDbTestServer } from './duckdb-server.test-support.js';
import { counterValue, RecordingSink, TEST_LIMITS } from './test-server.test-support.js';

let t: DuckDbTestServer;
let admin: TestSession;
let analyst: TestSession;
let viewer: TestSession;

before(async () => {
  t = await startDuckDbTestServer();
  const a = await createTestUser(t.store, { username: 'auditor', role: 'admin' });
  const b = await createTestUser(t.store, { username: 'ann', role: 'analyst' });
  const c = await createTestUser(t.store, { username: 'vic', role: 'viewer' });
  admin = await loginOk(t.url, a.username, a.password);
  analyst = await loginOk(t.url, b.username, b.password);
  viewer = await loginOk(t.url, c.username, c.password);
  await t.store.appendAlerts([
    { id: 'al-audit', tenant: 'acme', created: Date.now(), ruleId: 'r-1', ruleTitle: 'SSH brute force', ruleAuthor: 'vigil', level: 'high', eventIds: [], state: 'new', details: {} },
  ]);
});
after(async () => {
  await t.close();
});

async function entries(query = ''): Promise<AuditEntry[]> {
  const response = await fetch(`${t.url}/api/v1/audit${query}`, { headers: { cookie: admin.cookie } });
  assert.equal(response.status, 200, await response.clone().text());
  return ((await response.json()) as { entries: AuditEntry[] }).entries;
}

describe('audit trail', () => {
  test('records a login and a failed login, without the attempted password', async () => {
    await login(t.url, 'ann', 'a wrong password for ann');
    await login(t.url, 'nobody-here', 'hunter2hunter2');
    const failed = await entries('?action=login-failed');
    const wrong = failed.find((e) => e.actor === 'ann');
    assert.ok(wrong, JSON.stringify(failed));
    assert.equal(wrong.outcome, 'failure');
    assert.equal(wrong.actorKind, 'user');
    assert.equal(wrong.role, 'analyst');
    assert.equal(wrong.tenant, 'acme');
    assert.equal(wrong.remote, '127.0.0.1');
    assert.equal(wrong.details['reason'], 'wrong-password');
    const unknown = failed.find((e) => e.actor === 'nobody-here');
    assert.equal(unknown?.details['reason'], 'unknown-user');
    assert.equal(unknown?.tenant, 'acme', 'unknown users are recorded under the server\'s tenant');
    assert.ok(!JSON.stringify(failed).includes('hunter2') && !JSON.stringify(failed).includes('a wrong password'));
    const logins = await entries('?action=login&actor=ann');
    assert.equal(logins.length, 1);
    assert.equal(logins[0]?.outcome, 'success');
    assert.equal(logins[0]?.role, 'analyst');
  });

  test('records a search with its query and time range, by user', async () => {
    const q = 'user.name:root AND event.outcome:failure';
    const response = await fetch(`${t.url}/api/v1/search?q=${encodeURIComponent(q)}&from=now-15m&to=now`, { headers: { cookie: viewer.cookie } });
    assert.equal(response.status, 200);
    const [search] = await entries('?action=search&actor=vic');
    assert.ok(search);
    assert.equal(search.actorKind, 'user');
    assert.equal(search.role, 'viewer');
    assert.equal(search.outcome, 'success');
    assert.deepEqual(search.details, { query: q, from: 'now-15m', to: 'now' });
  });

  test('a refused query is a failed search', async () => {
    const response = await fetch(`${t.url}/api/v1/search?q=${encodeURIComponent('a AND (')}`, { headers: { cookie: analyst.cookie } });
    assert.equal(response.status, 400);
    const [search] = await entries('?action=search&actor=ann');
    assert.equal(search?.outcome, 'failure');
    assert.equal(search?.details['status'], 400);
    assert.equal(search?.details['error'], 'query-invalid');
  });

  test('records a triage with its target and verdict; a viewer\'s attempt is a recorded failure', async () => {
    const denied = await fetch(`${t.url}/api/v1/alerts/al-audit/actions`, { method: 'POST', headers: sessionHeaders(viewer, { 'content-type': 'application/json' }), body: '{"action":"close","verdict":"benign"}' });
    assert.equal(denied.status, 403);
    const done = await fetch(`${t.url}/api/v1/alerts/al-audit/actions`, { method: 'POST', headers: sessionHeaders(analyst, { 'content-type': 'application/json' }), body: '{"action":"close","verdict":"false_positive","comment":"scanner"}' });
    assert.equal(done.status, 200);
    const triage = await entries('?action=alert-triage');
    const ok = triage.find((e) => e.actor === 'ann');
    assert.equal(ok?.target, 'al-audit');
    assert.equal(ok?.outcome, 'success');
    assert.deepEqual(ok?.details, { action: 'close', verdict: 'false_positive' });
    const refused = triage.find((e) => e.actor === 'vic');
    assert.equal(refused?.outcome, 'failure');
    assert.equal(refused?.target, 'al-audit');
    assert.equal(refused?.details['status'], 403);
    assert.equal(refused?.details['error'], 'forbidden');
  });

  test('a token\'s actions are recorded under the token\'s name', async () => {
    const created = await fetch(`${t.url}/api/v1/tokens`, { method: 'POST', headers: { authorization: `Bearer ${t.tokens.admin}`, 'content-type': 'application/json' }, body: '{"name":"fluent-bit web-1","role":"ingest"}' });
    assert.equal(created.status, 201);
    const [entry] = await entries('?action=token-create');
    assert.equal(entry?.actor, 'admin-token');
    assert.equal(entry?.actorKind, 'token');
    assert.equal(entry?.role, 'admin');
    assert.equal(entry?.details['name'], 'fluent-bit web-1');
    assert.equal(entry?.details['role'], 'ingest');
  });

  test('records logout and password changes', async () => {
    const user = await createTestUser(t.store, { username: 'pat', role: 'viewer' });
    const session = await loginOk(t.url, user.username, user.password);
    await fetch(`${t.url}/api/v1/session/password`, { method: 'POST', headers: sessionHeaders(session, { 'content-type': 'application/json' }), body: JSON.stringify({ current: 'wrong one', new: 'pat new password 1' }) });
    await fetch(`${t.url}/api/v1/session/password`, { method: 'POST', headers: sessionHeaders(session, { 'content-type': 'application/json' }), body: JSON.stringify({ current: user.password, new: 'pat new password 1' }) });
    await fetch(`${t.url}/api/v1/session`, { method: 'DELETE', headers: sessionHeaders(session) });
    const mine = await entries('?actor=pat');
    assert.deepEqual(
      mine.map((e) => [e.action, e.outcome]),
      [
        ['logout', 'success'],
        ['password-change', 'success'],
        ['password-change', 'failure'],
        ['login', 'success'],
      ],
    );
  });

  test('only admins read the trail; it is per tenant and pages back with before/beforeId', async () => {
    assert.equal((await fetch(`${t.url}/api/v1/audit`, { headers: { cookie: analyst.cookie } })).status, 403);
    assert.equal((await fetch(`${t.url}/api/v1/audit`, { headers: { authorization: `Bearer ${t.tokens.analyst}` } })).status, 403);
    const other = await createTestUser(t.store, { username: 'globex-admin', role: 'admin', tenant: 'globex' });
    const otherSession = await loginOk(t.url, other.username, other.password);
    const theirs = ((await (await fetch(`${t.url}/api/v1/audit`, { headers: { cookie: otherSession.cookie } })).json()) as { entries: AuditEntry[] }).entries;
    assert.ok(theirs.length >= 1);
    assert.ok(theirs.every((e) => e.tenant === 'globex'), JSON.stringify(theirs.map((e) => [e.tenant, e.action])));
    const all = await entries('?limit=1000');
    const first = await entries('?limit=3');
    assert.deepEqual(first, all.slice(0, 3));
    const last = first.at(-1)!;
    const next = await entries(`?limit=3&before=${last.time}&beforeId=${last.id}`);
    assert.deepEqual(next, all.slice(3, 6));
    assert.equal((await fetch(`${t.url}/api/v1/audit?action=drop-table`, { headers: { cookie: admin.cookie } })).status, 400);
  });

  test('exports as CSV with formula-looking cells neutralised, and as NDJSON; the export is itself recorded', async () => {
    // A token's name and a route's id are free text: both reach the trail.
    const evil = await createToken(t.store, { name: '=HYPERLINK("http://evil.example","x")', role: 'analyst', tenant: 'acme' });
    await fetch(`${t.url}/api/v1/alerts/${encodeURIComponent('+cmd|calc')}/actions`, { method: 'POST', headers: { authorization: `Bearer ${evil.secret}`, 'content-type': 'application/json' }, body: '{"action":"ack"}' });
    const csv = await fetch(`${t.url}/api/v1/audit/export?format=csv`, { headers: { cookie: admin.cookie } });
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get('content-type') ?? '', /^text\/csv/);
    assert.match(csv.headers.get('content-disposition') ?? '', /^attachment; filename="vigil-audit-.*\.csv"$/);
    const text = await csv.text();
    const lines = text.trimEnd().split('\r\n');
    assert.equal(lines[0], 'time,id,tenant,actor,actorKind,role,action,target,outcome,remote,details');
    const row = lines.find((l) => l.includes('HYPERLINK'));
    assert.ok(row, text.slice(0, 500));
    assert.ok(row.includes(`"'=HYPERLINK(""http://evil.example"",""x"")"`), row);
    assert.ok(row.includes(",'+cmd|calc,"), row);
    assert.ok(!/(^|,)[=+@-]/.test(row.replace(/^[^,]*,/, '').replace(/"[^"]*"/g, '')), row);

    const ndjson = await fetch(`${t.url}/api/v1/audit/export?format=ndjson&action=alert-triage`, { headers: { cookie: admin.cookie } });
    assert.equal(ndjson.status, 200);
    const parsed = (await ndjson.text()).trim().split('\n').map((l) => JSON.parse(l) as AuditEntry);
    assert.ok(parsed.length >= 2 && parsed.every((e) => e.action === 'alert-triage'));
    assert.ok(parsed.some((e) => e.actor === '=HYPERLINK("http://evil.example","x")' && e.target === '+cmd|calc'));
    const exports = await entries('?action=audit-export');
    assert.deepEqual(exports.map((e) => e.details['format']), ['ndjson', 'csv']);
    assert.equal((await fetch(`${t.url}/api/v1/audit/export?format=xlsx`, { headers: { cookie: admin.cookie } })).status, 400);
  });

  test('ingest routes leave no audit entries', async () => {
    const before = (await entries('?limit=1000')).length;
    const response = await fetch(`${t.url}/api/v1/ingest`, { method: 'POST', headers: { authorization: `Bearer ${t.tokens.ingest}` }, body: '{"message":"hello"}\n' });
    assert.equal(response.status, 200);
    assert.equal((await entries('?limit=1000')).length, before);
  });
});

describe('when the trail cannot be written', () => {
  test('the request still succeeds, and the loss is counted', async () => {
    // A store opened read-only answers searches but refuses every write, the audit trail's too.
    const dir = await mkdtemp(join(tmpdir(), 'vigil-audit-ro-'));
    const path = join(dir, 'events.duckdb');
    const writable = await DuckDbStore.open({ path });
    const { secret } = await createToken(writable, { name: 'reader', role: 'analyst', tenant: 'acme' });
    await writable.close();
    const store = await DuckDbStore.open({ path, readOnly: true });
    const metrics = new Metrics();
    const server = await startHttpServer({ listen: '127.0.0.1:0', tenant: 'acme', limits: TEST_LIMITS, sink: new RecordingSink(), store, metrics });
    try {
      const response = await fetch(`${server.url}/api/v1/search?q=*`, { headers: { authorization: `Bearer ${secret}` } });
      assert.equal(response.status, 200);
      const deadline = Date.now() + 5000;
      while ((await counterValue(metrics, 'vigil_audit_entries_lost_total', { reason: 'store-error' })) < 1 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(await counterValue(metrics, 'vigil_audit_entries_lost_total', { reason: 'store-error' }), 1);
    } finally {
      await server.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
