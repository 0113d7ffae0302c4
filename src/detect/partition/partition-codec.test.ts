import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodePartitionData, encodePartitionData } from './partition-codec.js';

describe('partition codec', () => {
  it('keeps ±Infinity and NaN, which plain JSON turns into null', () => {
    const value = { watermark: -Infinity, end: Infinity, size: NaN, list: [1, -Infinity, 'x', null], nested: { a: [NaN] } };
    const back = decodePartitionData<typeof value>(encodePartitionData(value));
    assert.deepEqual(back, value);
    assert.ok(Number.isNaN(back.size));
  });

  it('writes plain JSON when there is no special number', () => {
    const value = { kind: 'input', time: 1, fields: { 'user.name': 'root', n: 3 }, key: 'a\u0000b' };
    assert.equal(encodePartitionData(value), JSON.stringify(value));
    assert.deepEqual(decodePartitionData(encodePartitionData(value)), value);
  });
});
