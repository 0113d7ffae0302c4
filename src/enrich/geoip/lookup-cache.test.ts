import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LookupCache } from './lookup-cache.js';

describe('lookup cache', () => {
  it('keeps at most its capacity, dropping the least recently used entry', () => {
    const cache = new LookupCache<number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    assert.equal(cache.get('a'), 1); // a is now the most recent
    cache.set('c', 3);
    assert.equal(cache.size, 2);
    assert.equal(cache.get('b'), undefined);
    assert.equal(cache.get('a'), 1);
    assert.equal(cache.get('c'), 3);
  });

  it('refuses a capacity that is not a positive integer', () => {
    assert.throws(() => new LookupCache(0), RangeError);
  });
});
