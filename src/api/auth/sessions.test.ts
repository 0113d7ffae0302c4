import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { UserRecord } from '../../core/accounts.js';
import { MemoryStore } from '../memory-store.test-support.js';
import { hashSessionId } from './session-cookie.js';
import { Sessions } from './sessions.js';

const MINUTE = 60_000;

async function setup(options: { idleMs?: number; lifetimeMs?: number } = {}) {
  let now = 1_700_000_000_000;
  const store = new MemoryStore();
  const user: UserRecord = { id: 'u-1', username: 'alice', role: 'analyst', tenant: 'a', passwordHash: 'x', mustChangePassword: false, created: now, lastLogin: null, disabled: false };
  await store.createUser(user);
  const sessions = new Sessions(store, { idleMs: 30 * MINUTE, lifetimeMs: 8 * 60 * MINUTE, touchEveryMs: MINUTE, cacheTtlMs: 10 * MINUTE, now: () => now, ...options });
  return { store, sessions, user, advance: (ms: number) => (now += ms), now: () => now };
}

test('activity keeps a session alive, and reaches the store at most once a minute', async () => {
  const { store, sessions, user, advance } = await setup();
  const { id, idHash } = await sessions.open(user, '192.0.2.1');
  let touches = 0;
  const touch = store.touchSession.bind(store);
  store.touchSession = async (h, at) => {
    touches++;
    return touch(h, at);
  };
  for (let i = 0; i < 120; i++) {
    advance(10_000);
    const live = await sessions.resolve(id);
    assert.ok(live, `alive after ${(i + 1) * 10} s of use`);
    sessions.noteActivity(live);
  }
  assert.ok(touches >= 19 && touches <= 21, `${touches} writes in 20 minutes`);
  assert.ok((await store.findSession(idHash))!.lastSeen > 1_700_000_000_000);
});

test('an idle session ends, and is deleted from the store', async () => {
  const { store, sessions, user, advance } = await setup();
  const { id, idHash } = await sessions.open(user, null);
  advance(29 * MINUTE);
  assert.ok(await sessions.resolve(id));
  advance(30 * MINUTE);
  assert.equal(await sessions.resolve(id), undefined);
  assert.equal(await store.findSession(idHash), undefined);
});

test('a busy session still ends at its absolute lifetime', async () => {
  const { sessions, user, advance } = await setup();
  const { id } = await sessions.open(user, null);
  for (let t = 0; t < 8 * 60; t += 10) {
    advance(10 * MINUTE);
    const live = await sessions.resolve(id);
    if (t + 10 < 8 * 60) {
      assert.ok(live, `alive at ${t + 10} min`);
      sessions.noteActivity(live);
    } else assert.equal(live, undefined, 'ended at 8 h');
  }
});

test('a change to the user is seen at once after forgetUser, though sessions are cached', async () => {
  const { store, sessions, user } = await setup();
  const { id } = await sessions.open(user, null);
  assert.equal((await sessions.resolve(id))?.user.role, 'analyst');
  await store.updateUser(user.id, { role: 'viewer' });
  assert.equal((await sessions.resolve(id))?.user.role, 'analyst', 'cached');
  sessions.forgetUser(user.id);
  assert.equal((await sessions.resolve(id))?.user.role, 'viewer');
  await store.updateUser(user.id, { disabled: true });
  sessions.forgetUser(user.id);
  assert.equal(await sessions.resolve(id), undefined);
});

test('ending a user\'s sessions keeps the one named', async () => {
  const { sessions, user } = await setup();
  const a = await sessions.open(user, null);
  const b = await sessions.open(user, null);
  assert.equal(await sessions.endUserSessions(user.id, b.idHash), 1);
  assert.equal(await sessions.resolve(a.id), undefined);
  assert.ok(await sessions.resolve(b.id));
  assert.equal(hashSessionId(b.id), b.idHash);
});
