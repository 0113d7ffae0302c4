import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clearedSessionCookie, csrfTokenFor, csrfTokenMatches, hashSessionId, newSessionId, readSessionCookie, sessionCookie } from './session-cookie.js';

test('a session id is 256 random bits; only its SHA-256 is meant for the store', () => {
  const { id, idHash } = newSessionId();
  assert.match(id, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(Buffer.from(id, 'base64url').length, 32);
  assert.equal(idHash, hashSessionId(id));
  assert.match(idHash, /^[0-9a-f]{64}$/);
  assert.notEqual(newSessionId().id, id);
});

test('reads only our cookie, only in our shape', () => {
  const { id } = newSessionId();
  assert.equal(readSessionCookie(`theme=dark; vigil_session=${id}; other=1`), id);
  assert.equal(readSessionCookie(`vigil_session=${id}`), id);
  assert.equal(readSessionCookie(undefined), undefined);
  assert.equal(readSessionCookie('vigil_session='), undefined);
  assert.equal(readSessionCookie(`vigil_session=${id}x`), undefined);
  assert.equal(readSessionCookie(`vigil_sessionx=${id}`), undefined);
  assert.equal(readSessionCookie(`vigil_session=${id.slice(0, 42)}%`), undefined);
  assert.equal(readSessionCookie(`vigil_session=${'a'.repeat(20_000)}`), undefined);
});

test('cookie attributes: HttpOnly, SameSite=Strict, Path=/, Max-Age, Secure only when asked', () => {
  assert.equal(sessionCookie('abc', { secure: false, maxAgeSeconds: 86400 }), 'vigil_session=abc; HttpOnly; SameSite=Strict; Path=/; Max-Age=86400');
  assert.equal(sessionCookie('abc', { secure: true, maxAgeSeconds: 60.7 }), 'vigil_session=abc; HttpOnly; SameSite=Strict; Path=/; Max-Age=60; Secure');
  assert.equal(clearedSessionCookie(true), 'vigil_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0; Secure');
});

test('the CSRF token belongs to one session and is checked exactly', () => {
  const a = newSessionId().id;
  const b = newSessionId().id;
  const token = csrfTokenFor(a);
  assert.equal(csrfTokenFor(a), token, 'stable for a session');
  assert.notEqual(csrfTokenFor(b), token);
  assert.equal(csrfTokenMatches(a, token), true);
  assert.equal(csrfTokenMatches(b, token), false);
  assert.equal(csrfTokenMatches(a, undefined), false);
  assert.equal(csrfTokenMatches(a, ''), false);
  assert.equal(csrfTokenMatches(a, [token, token]), false);
  assert.equal(csrfTokenMatches(a, token + ' '), false);
});
