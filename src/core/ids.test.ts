import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { newId } from './ids.js';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('newId (UUIDv7)', () => {
  it('is a version-7, RFC 9562 variant UUID', () => {
    for (let i = 0; i < 1000; i++) assert.match(newId(), UUID_V7);
  });

  it('carries the creation time in its first 48 bits', () => {
    // An hour past the clock: later than any earlier call in this process, whenever the test runs.
    const at = Date.now() + 3_600_000;
    const id = newId(at);
    const ms = parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
    assert.equal(ms, at);
  });

  it('sorts in creation order, also within one millisecond', () => {
    const ids = Array.from({ length: 50_000 }, () => newId());
    const sorted = [...ids].sort();
    assert.deepEqual(sorted, ids);
    assert.equal(new Set(ids).size, ids.length);
  });

  it('keeps its order when the clock steps back', () => {
    const before = newId(Date.now() + 20_000_000);
    const after = newId(Date.now());
    assert.ok(after > before);
  });
});
