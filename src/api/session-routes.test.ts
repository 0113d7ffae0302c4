/**
 * Console sessions on a real server over a real DuckDB file: login, the cookie's flags (with
 * and without TLS), CSRF and Origin checks, rate limiting and its end, logout, password
 * changes, idle and absolute expiry, disabled users, and what each role may do.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeTestCert } from '../../test/support/tls-cert.js';
import { createTestUser, login, loginOk, sessionHeaders, type TestSession } from './console-session.test-support.js';
import { startDuckDbTestServer, type DuckDbTestServer } from './duckdb-server.test-support.js';
import { counterValue } from './test-server.test-support.js';

type ErrorReply = { error: { code: string; message: string } };

async function errorOf(response: Response): Promise<ErrorReply['error']> {
  return ((await response.json()) as ErrorReply).error;
}

async function seedAlert(t: DuckDbTestServer, id: string): Promise<void> {
  await t.store.appendAlerts([
    { id, tenant: 'acme', created: Date.now(), ruleId: 'r-ssh', ruleTitle: 'SSH brute force', ruleAuthor: 'vigil', level: 'high', eventIds: [], state: 'new', details: {} },
  ]);
}

describe('login', () => {
  let t: DuckDbTestServer;
  before(async () => {
    // A short window so the test can watch a rate limit end.
    t = await startDuckDbTestServer({ accounts: { login: { perUser: 3, perAddress: 8, windowMs: 1500 } } });
    await createTestUser(t.store, { username: 'alice', role: 'analyst', password: 'correct horse battery' });
  });
  after(async () => {
    await t.close();
  });

  test('the right password opens a session: the user, a CSRF token and an HttpOnly, SameSite=Strict cookie (not Secure without TLS)', async () => {
    const answer = await login(t.url, 'Alice', 'correct horse battery');
    assert.equal(answer.status, 200);
    const session = answer.session!;
    assert.equal(session.user.username, 'alice');
    assert.equal(session.user.role, 'analyst');
    assert.equal(session.user.tenant, 'acme');
    assert.equal(session.user.mustChangePassword, false);
    assert.ok(session.user.lastLogin !== null && Math.abs(session.user.lastLogin - Date.now()) < 10_000);
    assert.equal('passwordHash' in session.user, false);
    assert.match(session.setCookie, /^vigil_session=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=\/; Max-Age=86400$/);
    assert.doesNotMatch(session.setCookie, /Secure/);
    assert.equal(answer.headers.get('strict-transport-security'), null, 'no HSTS over plain HTTP');
    const me = await fetch(`${t.url}/api/v1/session`, { headers: { cookie: session.cookie } });
    assert.equal(me.status, 200);
    const body = (await me.json()) as { user: { username: string }; csrfToken: string };
    assert.equal(body.user.username, 'alice');
    assert.equal(body.csrfToken, session.csrf);
  });

  test('only the hash of the session id is stored', async () => {
    const session = await loginOk(t.url, 'alice', 'correct horse battery');
    const id = session.cookie.slice('vigil_session='.length);
    const reader = await (await import('@duckdb/node-api')).DuckDBInstance.fromCache(t.store.path);
    assert.ok(reader);
    const conn = await reader.connect();
    try {
      const rows = (await conn.runAndReadAll('SELECT id_hash FROM sessions')).getRowsJS().map((r) => String(r[0]));
      assert.ok(rows.length >= 1);
      assert.ok(!rows.includes(id));
      const { createHash } = await import('node:crypto');
      assert.ok(rows.includes(createHash('sha256').update(id).digest('hex')));
    } finally {
      conn.closeSync();
    }
  });

  test('a wrong password and an unknown user get the same 401, after the same work', async () => {
    const wrong = await login(t.url, 'alice', 'not the password', { 'x-forwarded-for': '198.51.100.1' });
    const unknown = await login(t.url, 'nobody', 'not the password');
    assert.equal(wrong.status, 401);
    assert.equal(unknown.status, 401);
    assert.deepEqual(wrong.body, unknown.body);
    assert.equal(wrong.headers.get('set-cookie'), null);
    // Timing: both hash once. Without the dummy hash an unknown user answers ~100x faster.
    const median = async (username: string) => {
      const times: number[] = [];
      for (let i = 0; i < 2; i++) {
        const started = performance.now();
        await login(t.url, username, `guess-${i}`);
        times.push(performance.now() - started);
      }
      return times.sort((a, b) => a - b)[0]!;
    };
    const known = await median('bob-not-here-either');
    await createTestUser(t.store, { username: 'timing', role: 'viewer' });
    const existing = await median('timing');
    assert.ok(known > existing / 4 && known < existing * 4, `unknown user ${known.toFixed(1)} ms, wrong password ${existing.toFixed(1)} ms`);
  });

  test('after repeated failures the pair is refused with 429 and Retry-After, even with the right password, until the window ends', async () => {
    await sleep(1600); // the failures of the tests before, from this same address, have expired
    await createTestUser(t.store, { username: 'carol', role: 'viewer', password: 'carol password 12' });
    const before = await counterValue(t.metrics, 'vigil_logins_total', { outcome: 'rate-limited' });
    for (let i = 0; i < 3; i++) assert.equal((await login(t.url, 'carol', `wrong ${i}`)).status, 401);
    const limited = await login(t.url, 'carol', 'carol password 12');
    assert.equal(limited.status, 429);
    assert.equal((limited.body as ErrorReply).error.code, 'rate-limited');
    const retryAfter = Number(limited.headers.get('retry-after'));
    assert.ok(retryAfter >= 1 && retryAfter <= 2, `Retry-After ${retryAfter}`);
    assert.equal(await counterValue(t.metrics, 'vigil_logins_total', { outcome: 'rate-limited' }), before + 1);
    await sleep(1600);
    assert.equal((await login(t.url, 'carol', 'carol password 12')).status, 200);
  });

  test('one address trying many usernames is refused too', async () => {
    await sleep(1600); // the window of the test before
    await createTestUser(t.store, { username: 'dave', role: 'viewer', password: 'dave password 123' });
    for (let i = 0; i < 8; i++) assert.equal((await login(t.url, `spray-${i}`, 'Winter2024!')).status, 401);
    assert.equal((await login(t.url, 'dave', 'dave password 123')).status, 429);
    await sleep(1600);
    assert.equal((await login(t.url, 'dave', 'dave password 123')).status, 200);
  });

  test('a malformed login is a 400 naming the field, and counts as no attempt', async () => {
    const response = await fetch(`${t.url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"username": 7}' });
    assert.equal(response.status, 400);
    assert.equal((await errorOf(response)).code, 'bad-request');
  });

  test('the public login reads at most 16 KiB of body', async () => {
    const response = await fetch(`${t.url}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'alice', password: 'x'.repeat(100_000) }),
    });
    assert.equal(response.status, 413);
  });

  test('a login from another origin is refused', async () => {
    const answer = await login(t.url, 'alice', 'correct horse battery', { origin: 'https://evil.example' });
    assert.equal(answer.status, 403);
    assert.equal(answer.session, undefined);
  });
});

describe('session requests', () => {
  let t: DuckDbTestServer;
  let analyst: TestSession;
  before(async () => {
    t = await startDuckDbTestServer({ accounts: { sessionIdleMs: 1500, sessionLifetimeMs: 4000 } });
    const user = await createTestUser(t.store, { username: 'ana', role: 'analyst' });
    analyst = await loginOk(t.url, user.username, user.password);
    await seedAlert(t, 'al-csrf');
  });
  after(async () => {
    await t.close();
  });

  const triage = (headers: Record<string, string>, id = 'al-csrf') =>
    fetch(`${t.url}/api/v1/alerts/${id}/actions`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{"action":"ack"}' });

  test('a change without the CSRF header, or with a wrong one, is refused with 403 csrf; with it, it goes through', async () => {
    const before = await counterValue(t.metrics, 'vigil_session_refusals_total', { reason: 'csrf' });
    const none = await triage({ cookie: analyst.cookie });
    assert.equal(none.status, 403);
    assert.equal((await errorOf(none)).code, 'csrf');
    const wrong = await triage({ cookie: analyst.cookie, 'x-csrf-token': analyst.csrf.slice(0, -2) + 'xx' });
    assert.equal(wrong.status, 403);
    assert.equal((await errorOf(wrong)).code, 'csrf');
    assert.equal(await counterValue(t.metrics, 'vigil_session_refusals_total', { reason: 'csrf' }), before + 2);
    assert.equal((await t.store.getAlert('acme', 'al-csrf'))?.state, 'new');
    const ok = await triage(sessionHeaders(analyst));
    assert.equal(ok.status, 200);
    const alert = (await ok.json()) as { state: string; history: { by: string }[] };
    assert.equal(alert.state, 'acknowledged');
    assert.equal(alert.history.at(-1)?.by, 'ana', 'the history names the user');
  });

  test('a bearer token needs no CSRF header', async () => {
    await seedAlert(t, 'al-token');
    const response = await triage({ authorization: `Bearer ${t.tokens.analyst}` }, 'al-token');
    assert.equal(response.status, 200);
  });

  test('reads need no CSRF header, but a cross-origin request is refused even with one', async () => {
    assert.equal((await fetch(`${t.url}/api/v1/alerts`, { headers: { cookie: analyst.cookie } })).status, 200);
    const evil = await fetch(`${t.url}/api/v1/alerts`, { headers: { cookie: analyst.cookie, origin: 'https://evil.example' } });
    assert.equal(evil.status, 403);
    assert.equal((await triage(sessionHeaders(analyst, { origin: 'https://evil.example' }))).status, 403);
    assert.equal((await triage(sessionHeaders(analyst, { origin: 'null' }))).status, 403);
    assert.equal((await fetch(`${t.url}/api/v1/alerts`, { headers: { cookie: analyst.cookie, 'sec-fetch-site': 'cross-site' } })).status, 403);
    assert.equal((await fetch(`${t.url}/api/v1/alerts`, { headers: { cookie: analyst.cookie, 'sec-fetch-site': 'same-site' } })).status, 403);
    const own = await fetch(`${t.url}/api/v1/alerts`, { headers: { cookie: analyst.cookie, origin: t.url, 'sec-fetch-site': 'same-origin' } });
    assert.equal(own.status, 200);
  });

  test('logout ends the session at once and clears the cookie', async () => {
    const user = await createTestUser(t.store, { username: 'leaving', role: 'viewer' });
    const session = await loginOk(t.url, user.username, user.password);
    assert.equal((await fetch(`${t.url}/api/v1/alerts`, { headers: { cookie: session.cookie } })).status, 200);
    const noCsrf = await fetch(`${t.url}/api/v1/session`, { method: 'DELETE', headers: { cookie: session.cookie } });
    assert.equal(noCsrf.status, 403, 'logout is a change: it needs the CSRF header too');
    const out = await fetch(`${t.url}/api/v1/session`, { method: 'DELETE', headers: sessionHeaders(session) });
    assert.equal(out.status, 204);
    assert.match(out.headers.get('set-cookie') ?? '', /^vigil_session=; HttpOnly; SameSite=Strict; Path=\/; Max-Age=0$/);
    const after = await fetch(`${t.url}/api/v1/alerts`, { headers: { cookie: session.cookie } });
    assert.equal(after.status, 401);
    assert.match(after.headers.get('set-cookie') ?? '', /Max-Age=0/);
  });

  test('a session unused for the idle timeout ends; one in use ends at its absolute lifetime', async () => {
    const user = await createTestUser(t.store, { username: 'idle', role: 'viewer' });
    const idle = await loginOk(t.url, user.username, user.password);
    const busy = await loginOk(t.url, user.username, user.password);
    const started = Date.now();
    await sleep(1700);
    assert.equal((await fetch(`${t.url}/api/v1/alerts`, { headers: { cookie: idle.cookie } })).status, 401, 'idle past 1.5 s');
    // `busy` was not used either: keep a fresh one alive instead.
    const live = await loginOk(t.url, user.username, user.password);
    const liveStarted = Date.now();
    let status = 200;
    while (Date.now() - liveStarted < 3800) {
      status = (await fetch(`${t.url}/api/v1/alerts`, { headers: { cookie: live.cookie } })).status;
      assert.equal(status, 200, `in use after ${Date.now() - liveStarted} ms`);
      await sleep(400);
    }
    await sleep(Math.max(0, 4100 - (Date.now() - liveStarted)));
    assert.equal((await fetch(`${t.url}/api/v1/alerts`, { headers: { cookie: live.cookie } })).status, 401, 'past the 4 s lifetime');
    assert.equal((await fetch(`${t.url}/api/v1/alerts`, { headers: { cookie: busy.cookie } })).status, 401);
    assert.ok(Date.now() - started > 4000);
  });
});

describe('passwords and roles', () => {
  let t: DuckDbTestServer;
  let admin: TestSession;
  before(async () => {
    t = await startDuckDbTestServer();
    const user = await createTestUser(t.store, { username: 'root-admin', role: 'admin' });
    admin = await loginOk(t.url, user.username, user.password);
  });
  after(async () => {
    await t.close();
  });

  const changePassword = (session: TestSession, current: string, next: string) =>
    fetch(`${t.url}/api/v1/session/password`, { method: 'POST', headers: sessionHeaders(session, { 'content-type': 'application/json' }), body: JSON.stringify({ current, new: next }) });

  test('a new user must change its password first; the change needs the current password and a new one of 12+ characters; other sessions end', async () => {
    const user = await createTestUser(t.store, { username: 'newbie', role: 'analyst', password: 'first password 1', mustChangePassword: true });
    const session = await loginOk(t.url, user.username, user.password);
    const other = await loginOk(t.url, user.username, user.password);
    assert.equal(session.user.mustChangePassword, true);
    const blocked = await fetch(`${t.url}/api/v1/alerts`, { headers: { cookie: session.cookie } });
    assert.equal(blocked.status, 403);
    assert.equal((await errorOf(blocked)).code, 'password-change-required');
    assert.equal((await fetch(`${t.url}/api/v1/session`, { headers: { cookie: session.cookie } })).status, 200);

    const short = await changePassword(session, user.password, 'too short');
    assert.equal(short.status, 400);
    assert.match((await errorOf(short)).message, /at least 12 characters/);
    assert.equal((await changePassword(session, user.password, user.password)).status, 400);
    const wrong = await changePassword(session, 'not my password', 'a brand new password');
    assert.equal(wrong.status, 400);
    assert.match((await errorOf(wrong)).message, /current password is wrong/);

    const ok = await changePassword(session, user.password, 'a brand new password');
    assert.equal(ok.status, 200);
    assert.equal(((await ok.json()) as { user: { mustChangePassword: boolean } }).user.mustChangePassword, false);
    assert.equal((await fetch(`${t.url}/api/v1/alerts`, { headers: { cookie: session.cookie } })).status, 200, 'this session goes on');
    assert.equal((await fetch(`${t.url}/api/v1/alerts`, { headers: { cookie: other.cookie } })).status, 401, 'the other session ended');
    assert.equal((await login(t.url, user.username, user.password)).status, 401);
    assert.equal((await login(t.url, user.username, 'a brand new password')).status, 200);
  });

  test('a viewer reads but cannot triage; an analyst triages but cannot manage users; an ingest token cannot read', async () => {
    await seedAlert(t, 'al-roles');
    const viewerUser = await createTestUser(t.store, { username: 'vera', role: 'viewer' });
    const analystUser = await createTestUser(t.store, { username: 'andy', role: 'analyst' });
    const viewer = await loginOk(t.url, viewerUser.username, viewerUser.password);
    const analyst = await loginOk(t.url, analystUser.username, analystUser.password);
    for (const path of ['/api/v1/alerts', '/api/v1/alerts/al-roles', '/api/v1/cases', '/api/v1/search?q=*', '/api/v1/suppressions', '/api/v1/rules/figures']) {
      assert.equal((await fetch(`${t.url}${path}`, { headers: { cookie: viewer.cookie } })).status, 200, `viewer GET ${path}`);
    }
    const triage = await fetch(`${t.url}/api/v1/alerts/al-roles/actions`, { method: 'POST', headers: sessionHeaders(viewer, { 'content-type': 'application/json' }), body: '{"action":"ack"}' });
    assert.equal(triage.status, 403);
    assert.equal((await errorOf(triage)).code, 'forbidden');
    assert.equal((await fetch(`${t.url}/api/v1/export?q=*`, { headers: { cookie: viewer.cookie } })).status, 403, 'export stays analyst');
    const users = await fetch(`${t.url}/api/v1/users`, { headers: { cookie: analyst.cookie } });
    assert.equal(users.status, 403);
    const create = await fetch(`${t.url}/api/v1/users`, { method: 'POST', headers: sessionHeaders(analyst, { 'content-type': 'application/json' }), body: '{"username":"x","role":"admin"}' });
    assert.equal(create.status, 403);
    const ok = await fetch(`${t.url}/api/v1/alerts/al-roles/actions`, { method: 'POST', headers: sessionHeaders(analyst, { 'content-type': 'application/json' }), body: '{"action":"ack"}' });
    assert.equal(ok.status, 200);
    for (const path of ['/api/v1/alerts', '/api/v1/search?q=*', '/api/v1/users', '/api/v1/audit']) {
      assert.equal((await fetch(`${t.url}${path}`, { headers: { authorization: `Bearer ${t.tokens.ingest}` } })).status, 403, `ingest token GET ${path}`);
    }
  });

  test('GET /api/v1/session with a token names the token and has no CSRF token', async () => {
    const response = await fetch(`${t.url}/api/v1/session`, { headers: { authorization: `Bearer ${t.tokens.analyst}` } });
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { user: null, csrfToken: null, token: { name: 'analyst-token', role: 'analyst', tenant: 'acme' } });
    assert.equal((await fetch(`${t.url}/api/v1/session`)).status, 401);
  });

  test('disabling a user ends its sessions at once and it cannot log in', async () => {
    const user = await createTestUser(t.store, { username: 'gone', role: 'analyst' });
    const session = await loginOk(t.url, user.username, user.password);
    assert.equal((await fetch(`${t.url}/api/v1/alerts`, { headers: { cookie: session.cookie } })).status, 200);
    const patch = await fetch(`${t.url}/api/v1/users/${user.id}`, { method: 'PATCH', headers: sessionHeaders(admin, { 'content-type': 'application/json' }), body: '{"disabled":true}' });
    assert.equal(patch.status, 200);
    assert.equal((await fetch(`${t.url}/api/v1/alerts`, { headers: { cookie: session.cookie } })).status, 401);
    const again = await login(t.url, user.username, user.password);
    assert.equal(again.status, 401);
    assert.equal((again.body as ErrorReply).error.message, 'wrong username or password');
  });

  test('a role change takes effect on the next request', async () => {
    const user = await createTestUser(t.store, { username: 'promoted', role: 'viewer' });
    const session = await loginOk(t.url, user.username, user.password);
    assert.equal((await fetch(`${t.url}/api/v1/export?q=*`, { headers: { cookie: session.cookie } })).status, 403);
    await fetch(`${t.url}/api/v1/users/${user.id}`, { method: 'PATCH', headers: sessionHeaders(admin, { 'content-type': 'application/json' }), body: '{"role":"analyst"}' });
    assert.equal((await fetch(`${t.url}/api/v1/export?q=*`, { headers: { cookie: session.cookie } })).status, 200);
  });
});

describe('under TLS', () => {
  test('the session cookie is Secure, and every answer tells the browser to keep to HTTPS', async () => {
    const cert = makeTestCert();
    const t = await startDuckDbTestServer({ tls: { cert: cert.certPath, key: cert.keyPath, requireClientCert: false } });
    try {
      const user = await createTestUser(t.store, { username: 'tls-user', role: 'viewer' });
      const { status, setCookie, hsts } = await new Promise<{ status: number; setCookie: string; hsts: string }>((resolve, reject) => {
        const req = https.request(`${t.url}/api/v1/session`, { method: 'POST', ca: cert.cert, headers: { 'content-type': 'application/json' } }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, setCookie: String(res.headers['set-cookie'] ?? ''), hsts: String(res.headers['strict-transport-security'] ?? '') }));
        });
        req.on('error', reject);
        req.end(JSON.stringify({ username: user.username, password: user.password }));
      });
      assert.equal(status, 200);
      assert.match(setCookie, /^vigil_session=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=\/; Max-Age=\d+; Secure$/);
      assert.equal(hsts, 'max-age=31536000');
    } finally {
      await t.close();
    }
  });
});
