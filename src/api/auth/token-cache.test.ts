import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../memory-store.test-support.js';
import { createToken, hashToken } from './tokens.js';
import { TokenCache } from './token-cache.js';

test('repeated and concurrent lookups of one hash query the store once', async () => {
  const store = new MemoryStore();
  const { secret } = await createToken(store, { name: 'a', role: 'ingest', tenant: 't' });
  const cache = new TokenCache(store);
  const results = await Promise.all(Array.from({ length: 50 }, () => cache.lookup(hashToken(secret))));
  assert.ok(results.every((record) => record?.name === 'a'));
  await cache.lookup(hashToken(secret));
  assert.equal(store.tokenLookups, 1);
});

test('unknown hashes are cached briefly, known ones until the TTL, and clear() forgets both', async () => {
  let now = 0;
  const store = new MemoryStore();
  const { secret } = await createToken(store, { name: 'a', role: 'ingest', tenant: 't' });
  const cache = new TokenCache(store, { ttlMs: 1000, missTtlMs: 100, now: () => now });
  await cache.lookup('unknown');
  await cache.lookup('unknown');
  assert.equal(store.tokenLookups, 1);
  now = 150;
  await cache.lookup('unknown');
  assert.equal(store.tokenLookups, 2, 'a miss expires after missTtlMs');
  await cache.lookup(hashToken(secret));
  now = 900;
  await cache.lookup(hashToken(secret));
  assert.equal(store.tokenLookups, 3, 'a hit lives for ttlMs');
  cache.clear();
  await cache.lookup(hashToken(secret));
  assert.equal(store.tokenLookups, 4);
});

test('a store failure is not cached', async () => {
  const store = new MemoryStore();
  let fail = true;
  const original = store.findTokenByHash.bind(store);
  store.findTokenByHash = async (hash) => {
    if (fail) throw new Error('store down');
    return original(hash);
  };
  const cache = new TokenCache(store);
  await assert.rejects(cache.lookup('h'), /store down/);
  fail = false;
  assert.equal(await cache.lookup('h'), undefined);
});

test('the cache is bounded', async () => {
  const cache = new TokenCache(new MemoryStore(), { maxEntries: 10 });
  for (let i = 0; i < 100; i++) await cache.lookup(`hash-${i}`);
  assert.equal(cache.size, 10);
});
