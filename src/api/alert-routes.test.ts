/**
 * The alert queue's API: the listing's filters (passed to the store, which applies them in its
 * query: see the conformance suite) and bulk triage, where each alert moves or fails on its own.
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { alertOf, type Alert } from '../core/alert.js';
import { bearer, startTestServer, type TestServer } from './test-server.test-support.js';
import { alertFilterOf, type BulkTriageReply } from './alert-routes.js';
import type { AuditEntry } from '../core/audit.js';

let t: TestServer;
const NOW = Date.now();

function stored(id: string, over: Partial<Alert> = {}): Alert {
  return {
    ...alertOf({ id, tenant: 'acme', created: NOW - 60_000, ruleId: 'ssh-brute', ruleTitle: 'SSH brute force', ruleAuthor: 'Vigil', level: 'high', eventIds: [], state: 'new', details: {} }),
    firstSeen: NOW - 60_000,
    lastSeen: NOW - 30_000,
    ...over,
  };
}

async function post(path: string, body: unknown, token = t.tokens.analyst): Promise<Response> {
  return fetch(`${t.url}${path}`, { method: 'POST', headers: bearer(token), body: JSON.stringify(body) });
}

before(async () => {
  t = await startTestServer();
});
after(async () => {
  await t.close();
});
beforeEach(() => {
  t.store.alerts.splice(0);
});

describe('GET /api/v1/alerts filters', () => {
  test('reads level, q, assignee, unassigned, from and to into the store filter', () => {
    assert.deepEqual(alertFilterOf({ level: 'high,critical', q: ' SSH ', assignee: 'ana', from: 'now-1h', to: String(NOW) }, NOW), {
      levels: ['high', 'critical'],
      text: 'SSH',
      assignee: 'ana',
      from: NOW - 3_600_000,
      to: NOW,
    });
    assert.deepEqual(alertFilterOf({ unassigned: 'true', state: 'open', rule: 'r-1' }, NOW), { state: 'open', ruleId: 'r-1', assignee: null });
    assert.deepEqual(alertFilterOf({ q: '', level: '' }, NOW), {});
  });

  test('lists what the filters select', async () => {
    t.store.alerts.push(
      stored('a-1', { level: 'high' }),
      stored('a-2', { level: 'low', ruleTitle: 'New key', ruleId: 'key', assignee: 'ana' }),
      stored('a-3', { level: 'critical', firstSeen: NOW - 10 * 86_400_000, lastSeen: NOW - 9 * 86_400_000 }),
    );
    const ids = async (query: string) => {
      const response = await fetch(`${t.url}/api/v1/alerts?${query}`, { headers: bearer(t.tokens.analyst) });
      assert.equal(response.status, 200, query);
      return ((await response.json()) as { alerts: Alert[] }).alerts.map((a) => a.id).sort();
    };
    assert.deepEqual(await ids('level=high,critical'), ['a-1', 'a-3']);
    assert.deepEqual(await ids('q=key'), ['a-2']);
    assert.deepEqual(await ids('assignee=ana'), ['a-2']);
    assert.deepEqual(await ids('unassigned=true'), ['a-1', 'a-3']);
    assert.deepEqual(await ids('from=now-1d'), ['a-1', 'a-2']);
    assert.deepEqual(await ids(`to=${encodeURIComponent(new Date(NOW - 5 * 86_400_000).toISOString())}`), ['a-3']);
  });

  test('refuses a filter it cannot read, naming it', async () => {
    for (const [query, where] of [
      ['level=severe', 'level'],
      ['unassigned=maybe', 'query parameter unassigned'],
      ['assignee=ana&unassigned=true', 'query parameter assignee'],
      ['from=yesterday-ish', 'query parameter from'],
      ['from=now&to=now-1h', 'query parameters from, to'],
      [`q=${'x'.repeat(201)}`, 'query parameter q'],
      ['q=a&q=b', 'query parameter q'],
    ] as const) {
      const response = await fetch(`${t.url}/api/v1/alerts?${query}`, { headers: bearer(t.tokens.analyst) });
      assert.equal(response.status, 400, query);
      assert.equal(((await response.json()) as { error: { where: string } }).error.where, where, query);
    }
  });
});

describe('POST /api/v1/alerts/actions (bulk triage)', () => {
  test('moves each alert it can and says why the others failed', async () => {
    t.store.alerts.push(stored('a-1'), stored('a-2', { state: 'closed', verdict: 'benign' }), stored('a-3', { state: 'acknowledged' }), stored('b-1', { tenant: 'globex' }));
    const response = await post('/api/v1/alerts/actions', { ids: ['a-1', 'a-2', 'a-3', 'a-1', 'nope', 'b-1'], action: 'close', verdict: 'false_positive', comment: 'scanner' });
    assert.equal(response.status, 200);
    const reply = (await response.json()) as BulkTriageReply;
    assert.deepEqual(reply.updated.map((a) => [a.id, a.state, a.verdict]), [
      ['a-1', 'closed', 'false_positive'],
      ['a-3', 'closed', 'false_positive'],
    ]);
    assert.deepEqual(reply.updated[0]?.history.at(-1), { at: reply.updated[0]!.updated, by: 'analyst', action: 'state', from: 'new', to: 'closed', verdict: 'false_positive', text: 'scanner' });
    assert.deepEqual(
      reply.failed.map((f) => [f.id, f.code]),
      [
        ['a-2', 'bad-request'],
        ['nope', 'not-found'],
        ['b-1', 'not-found'],
      ],
      'a repeated id moves once; another tenant\'s alert is not found',
    );
    assert.match(reply.failed[0]!.error, /closed/);
    assert.equal(t.store.alerts.find((a) => a.id === 'b-1')?.state, 'new', 'untouched');
  });

  test('assigns many at once', async () => {
    t.store.alerts.push(stored('a-1'), stored('a-2'));
    const reply = (await (await post('/api/v1/alerts/actions', { ids: ['a-1', 'a-2'], action: 'assign', assignee: 'ana' })).json()) as BulkTriageReply;
    assert.deepEqual(reply.updated.map((a) => a.assignee), ['ana', 'ana']);
    assert.deepEqual(reply.failed, []);
  });

  test('refuses a request that is wrong as a whole before moving anything', async () => {
    t.store.alerts.push(stored('a-1'));
    const cases: [unknown, string][] = [
      [{ ids: [], action: 'ack' }, 'ids'],
      [{ ids: Array.from({ length: 501 }, (_, i) => `x-${i}`), action: 'ack' }, 'ids'],
      [{ ids: ['a-1', 7], action: 'ack' }, 'ids'],
      [{ ids: 'a-1', action: 'ack' }, 'ids'],
      [{ ids: ['a-1'], action: 'explode' }, 'action'],
      [{ ids: ['a-1'], action: 'close', verdict: 'maybe' }, 'verdict'],
    ];
    for (const [body, where] of cases) {
      const response = await post('/api/v1/alerts/actions', body);
      assert.equal(response.status, 400, JSON.stringify(body).slice(0, 80));
      assert.equal(((await response.json()) as { error: { where: string } }).error.where, where);
    }
    assert.equal(t.store.alerts[0]?.state, 'new');
    assert.equal(t.store.alerts[0]?.history.length, 1);
  });

  test('is one audit entry, alert-triage, with what was asked and what came of it', async () => {
    t.store.alerts.push(stored('a-1'), stored('a-2', { state: 'closed', verdict: 'benign' }));
    const response = await post('/api/v1/alerts/actions', { ids: ['a-1', 'a-2'], action: 'close', verdict: 'true_positive' });
    assert.equal(response.status, 200);
    await response.arrayBuffer();
    let entry: AuditEntry | undefined;
    for (let i = 0; i < 100 && !entry; i++) {
      const audit = await fetch(`${t.url}/api/v1/audit?action=alert-triage`, { headers: bearer(t.tokens.admin) });
      entry = ((await audit.json()) as { entries: AuditEntry[] }).entries.find((e) => e.details['alerts'] === 2);
      if (!entry) await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(entry, 'recorded');
    assert.equal(entry.actor, 'analyst');
    assert.equal(entry.outcome, 'success');
    assert.deepEqual(
      [entry.details['action'], entry.details['verdict'], entry.details['updated'], entry.details['failed'], entry.details['ids']],
      ['close', 'true_positive', 1, 1, ['a-1', 'a-2']],
    );
  });

  test('needs an analyst: an ingest token is refused', async () => {
    t.store.alerts.push(stored('a-1'));
    const response = await post('/api/v1/alerts/actions', { ids: ['a-1'], action: 'ack' }, t.tokens.ingest);
    assert.equal(response.status, 403);
    await response.arrayBuffer();
    assert.equal(t.server.routes.find((r) => r.url === '/api/v1/alerts/actions')?.access, 'analyst');
  });
});
