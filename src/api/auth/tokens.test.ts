import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { MemoryStore } from '../memory-store.test-support.js';
import { createToken, generateToken, hashToken, looksLikeToken } from './tokens.js';

test('a secret is vgl_ plus 43 base64url characters, and its hash is SHA-256 hex', () => {
  const { secret, hash } = generateToken();
  assert.match(secret, /^vgl_[A-Za-z0-9_-]{43}$/);
  assert.ok(looksLikeToken(secret));
  assert.equal(hash, createHash('sha256').update(secret).digest('hex'));
  assert.equal(hashToken(secret), hash);
  assert.notEqual(generateToken().secret, secret);
});

test('createToken stores the hash, never the secret', async () => {
  const store = new MemoryStore();
  const { secret, record } = await createToken(store, { name: 'fw', role: 'ingest', tenant: 't1' });
  assert.equal(store.tokens.length, 1);
  assert.equal(record.hash, hashToken(secret));
  assert.equal(JSON.stringify(store.tokens).includes(secret), false);
  assert.deepEqual([record.name, record.role, record.tenant, record.revoked], ['fw', 'ingest', 't1', false]);
  assert.equal(await store.findTokenByHash(hashToken(secret)), store.tokens[0]);
});
