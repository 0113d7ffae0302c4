/**
 * The Store conformance cases for console accounts: users, sessions and the audit trail.
 * Called from store.suite.ts with the store under test.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isVigilError } from '../core/errors.js';
import type { SessionRecord, UserRecord } from '../core/accounts.js';
import type { AuditEntry } from '../core/audit.js';
import { MINUTE, T0, type SuiteContext } from './store-suite-fixtures.js';

function user(overrides: Partial<UserRecord> = {}): UserRecord {
  return {
    id: 'u-1',
    username: 'alice',
    role: 'analyst',
    tenant: 'a',
    passwordHash: 'scrypt$32768$8$1$c2FsdA$aGFzaA',
    mustChangePassword: true,
    created: T0,
    lastLogin: null,
    disabled: false,
    ...overrides,
  };
}

function session(overrides: Partial<SessionRecord> = {}): SessionRecord {
  return { idHash: 'a'.repeat(64), userId: 'u-1', created: T0, lastSeen: T0, expires: T0 + 24 * 60 * MINUTE, remote: '192.0.2.7', ...overrides };
}

function entry(overrides: Partial<AuditEntry> = {}): AuditEntry {
  return {
    id: 'au-1',
    time: T0,
    tenant: 'a',
    actor: 'alice',
    actorKind: 'user',
    role: 'analyst',
    action: 'search',
    target: null,
    outcome: 'success',
    remote: '192.0.2.7',
    details: { query: 'user.name:root', from: 'now-15m' },
    ...overrides,
  };
}

export function accountSemantics(ctx: SuiteContext): void {
  describe('users', () => {
    it('creates, finds by id and by name, lists oldest first', async () => {
      const alice = user();
      const bob = user({ id: 'u-2', username: 'bob', role: 'viewer', tenant: 'b', mustChangePassword: false, created: T0 + 1, lastLogin: T0 + 5 });
      await ctx.store.createUser(alice);
      await ctx.store.createUser(bob);
      assert.deepEqual(await ctx.store.getUser('u-1'), alice);
      assert.deepEqual(await ctx.store.findUserByName('bob'), bob);
      assert.equal(await ctx.store.findUserByName('carol'), undefined);
      assert.equal(await ctx.store.getUser('u-9'), undefined);
      assert.deepEqual(await ctx.store.listUsers(), [alice, bob]);
    });

    it('refuses a second user with the same username or id', async () => {
      await ctx.store.createUser(user());
      await assert.rejects(ctx.store.createUser(user({ id: 'u-2' })), (e: unknown) => isVigilError(e));
      await assert.rejects(ctx.store.createUser(user({ username: 'other' })), (e: unknown) => isVigilError(e));
      assert.equal((await ctx.store.listUsers()).length, 1);
    });

    it('updates only what the change names', async () => {
      await ctx.store.createUser(user());
      const changed = await ctx.store.updateUser('u-1', { role: 'admin', disabled: true, lastLogin: T0 + 9 });
      assert.deepEqual(changed, user({ role: 'admin', disabled: true, lastLogin: T0 + 9 }));
      const again = await ctx.store.updateUser('u-1', { passwordHash: 'scrypt$65536$8$1$eA$eQ', mustChangePassword: false });
      assert.deepEqual(again, user({ role: 'admin', disabled: true, lastLogin: T0 + 9, passwordHash: 'scrypt$65536$8$1$eA$eQ', mustChangePassword: false }));
      assert.deepEqual(await ctx.store.getUser('u-1'), again);
      assert.equal(await ctx.store.updateUser('u-9', { role: 'viewer' }), undefined);
    });

    it('deletes a user together with its sessions', async () => {
      await ctx.store.createUser(user());
      await ctx.store.createUser(user({ id: 'u-2', username: 'bob' }));
      await ctx.store.createSession(session());
      await ctx.store.createSession(session({ idHash: 'b'.repeat(64), userId: 'u-2' }));
      assert.equal(await ctx.store.deleteUser('u-1'), true);
      assert.equal(await ctx.store.deleteUser('u-1'), false);
      assert.equal(await ctx.store.getUser('u-1'), undefined);
      assert.equal(await ctx.store.findSession('a'.repeat(64)), undefined);
      assert.equal((await ctx.store.findSession('b'.repeat(64)))?.userId, 'u-2');
    });
  });

  describe('sessions', () => {
    it('creates, finds by hash, notes activity (never backwards) and ends', async () => {
      const s = session();
      await ctx.store.createSession(s);
      assert.deepEqual(await ctx.store.findSession(s.idHash), s);
      await ctx.store.touchSession(s.idHash, T0 + 5 * MINUTE);
      await ctx.store.touchSession(s.idHash, T0 + 2 * MINUTE);
      assert.equal((await ctx.store.findSession(s.idHash))?.lastSeen, T0 + 5 * MINUTE);
      assert.equal(await ctx.store.deleteSession(s.idHash), true);
      assert.equal(await ctx.store.deleteSession(s.idHash), false);
      assert.equal(await ctx.store.findSession(s.idHash), undefined);
    });

    it("ends a user's other sessions, keeping the one named", async () => {
      await ctx.store.createSession(session({ idHash: '1'.repeat(64) }));
      await ctx.store.createSession(session({ idHash: '2'.repeat(64) }));
      await ctx.store.createSession(session({ idHash: '3'.repeat(64), userId: 'u-2' }));
      assert.equal(await ctx.store.deleteUserSessions('u-1', '2'.repeat(64)), 1);
      assert.equal(await ctx.store.findSession('1'.repeat(64)), undefined);
      assert.ok(await ctx.store.findSession('2'.repeat(64)));
      assert.equal(await ctx.store.deleteUserSessions('u-1'), 1);
      assert.ok(await ctx.store.findSession('3'.repeat(64)));
    });

    it('ends sessions past their absolute end or idle too long, and no others', async () => {
      const now = T0 + 60 * MINUTE;
      await ctx.store.createSession(session({ idHash: '1'.repeat(64), expires: now }));
      await ctx.store.createSession(session({ idHash: '2'.repeat(64), lastSeen: now - 31 * MINUTE }));
      await ctx.store.createSession(session({ idHash: '3'.repeat(64), lastSeen: now - 29 * MINUTE }));
      assert.equal(await ctx.store.deleteExpiredSessions(now, now - 30 * MINUTE), 2);
      assert.ok(await ctx.store.findSession('3'.repeat(64)));
      assert.equal(await ctx.store.findSession('1'.repeat(64)), undefined);
    });
  });

  describe('audit trail', () => {
    it('keeps entries exactly, per tenant, newest first, and filters by action and actor', async () => {
      const e1 = entry();
      const e2 = entry({ id: 'au-2', time: T0 + MINUTE, action: 'alert-triage', target: 'al-1', details: { action: 'close', verdict: 'false_positive' } });
      const e3 = entry({ id: 'au-3', time: T0 + 2 * MINUTE, actor: 'ingest-bot', actorKind: 'token', role: 'admin', action: 'token-create', outcome: 'failure', remote: null, details: {} });
      const other = entry({ id: 'au-4', tenant: 'b' });
      await ctx.store.appendAudit([e1, e2]);
      await ctx.store.appendAudit([e3, other]);
      await ctx.store.appendAudit([]);
      assert.deepEqual(await ctx.store.listAudit({ tenant: 'a', limit: 10 }), [e3, e2, e1]);
      assert.deepEqual(await ctx.store.listAudit({ tenant: 'b', limit: 10 }), [other]);
      assert.deepEqual(await ctx.store.listAudit({ tenant: 'a', limit: 10, action: 'search' }), [e1]);
      assert.deepEqual(await ctx.store.listAudit({ tenant: 'a', limit: 10, actor: 'ingest-bot' }), [e3]);
      assert.deepEqual(await ctx.store.listAudit({ tenant: 'a', limit: 1 }), [e3]);
    });

    it('pages by time, and by (time, id) when entries share a millisecond', async () => {
      const same = [entry({ id: 'au-1' }), entry({ id: 'au-2' }), entry({ id: 'au-3' })];
      const older = entry({ id: 'au-0', time: T0 - 1 });
      await ctx.store.appendAudit([...same, older]);
      assert.deepEqual((await ctx.store.listAudit({ tenant: 'a', limit: 10, before: T0 })).map((e) => e.id), ['au-0']);
      const first = await ctx.store.listAudit({ tenant: 'a', limit: 2 });
      assert.deepEqual(first.map((e) => e.id), ['au-3', 'au-2']);
      const last = first.at(-1)!;
      const next = await ctx.store.listAudit({ tenant: 'a', limit: 2, before: last.time, beforeId: last.id });
      assert.deepEqual(next.map((e) => e.id), ['au-1', 'au-0']);
    });

    it('keeps hostile text in details as data', async () => {
      const hostile = entry({ details: { query: `'; DROP TABLE audit_log; --`, html: '<script>alert(1)</script>', nested: { list: [1, null, 'x'] } } });
      await ctx.store.appendAudit([hostile]);
      assert.deepEqual(await ctx.store.listAudit({ tenant: 'a', limit: 10 }), [hostile]);
    });
  });
}
