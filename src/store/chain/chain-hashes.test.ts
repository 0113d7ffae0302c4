import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { GENESIS_HASH, OrderedHash, batchHash, canonicalEvent, checkpointSignature, eventDigest, retentionSignature, sameSignature, type DigestValue } from './chain-hashes.js';

const row: readonly DigestValue[] = ['id-1', 'acme', 1000n, 1001n, 'syslog', 'syslog-tcp', null, 'rfc3164', ['truncated'], '<13>x', 'x', '<13>x', '{}'];

describe('event digest', () => {
  it('is the hex SHA-256 of the canonical form and changes with any value', () => {
    const base = eventDigest(row);
    assert.match(base, /^[0-9a-f]{64}$/);
    for (let i = 0; i < row.length; i++) {
      const changed = [...row];
      changed[i] = typeof row[i] === 'string' ? `${row[i] as string}!` : typeof row[i] === 'bigint' ? (row[i] as bigint) + 1n : 'now-a-string';
      assert.notEqual(eventDigest(changed), base, `column ${i}`);
    }
  });

  it('length-prefixes values, so moving text between columns changes the digest', () => {
    assert.notEqual(eventDigest(['ab', 'c']), eventDigest(['a', 'bc']));
    assert.notEqual(eventDigest([['a', 'b']]), eventDigest([['ab']]));
    assert.notEqual(eventDigest([null]), eventDigest(['']));
    assert.notEqual(eventDigest([[]]), eventDigest([null]));
    assert.notEqual(eventDigest([1n]), eventDigest(['1']));
  });

  it('reads a number and a bigint of the same value alike (INTEGER and BIGINT columns read back differently)', () => {
    assert.equal(eventDigest([5]), eventDigest([5n]));
  });

  it('hashes a lone surrogate as U+FFFD, as the database stores it', () => {
    assert.equal(eventDigest(['a\ud800b']), eventDigest(['a\ufffdb']));
  });

  it('has a stable, versioned canonical form', () => {
    assert.equal(canonicalEvent(['ab', null, 7n, ['x', null]]), 'vigil-event-v1\n4"2:ab~#7;[2"1:x~]');
  });
});

describe('batch hash and signatures', () => {
  const batch = { seq: 1, count: 2, firstTime: 10, lastTime: 20, created: 30, eventsHash: 'e'.repeat(64), prevHash: GENESIS_HASH };

  it('chains: the batch hash covers the previous hash and every field', () => {
    const base = batchHash(batch);
    for (const change of [{ seq: 2 }, { count: 3 }, { firstTime: 11 }, { lastTime: 21 }, { created: 31 }, { eventsHash: 'f'.repeat(64) }, { prevHash: 'a'.repeat(64) }]) {
      assert.notEqual(batchHash({ ...batch, ...change }), base, JSON.stringify(change));
    }
  });

  it('orders digests: the same digests in another order give another events hash', () => {
    const a = new OrderedHash();
    const b = new OrderedHash();
    for (const d of ['1', '2']) a.add(d);
    for (const d of ['2', '1']) b.add(d);
    assert.equal(a.count, 2);
    assert.notEqual(a.hex(), b.hex());
  });

  it('signs checkpoints and retention runs with the key: another key gives another signature', () => {
    const key = Buffer.alloc(32, 1);
    const other = Buffer.alloc(32, 2);
    const c = { seq: 5, hash: 'h', signedAt: 9 };
    assert.ok(sameSignature(checkpointSignature(key, c), checkpointSignature(key, c)));
    assert.ok(!sameSignature(checkpointSignature(key, c), checkpointSignature(other, c)));
    assert.ok(!sameSignature(checkpointSignature(key, c), null));
    const run = { id: 'r', rule: 'default', selector: '{}', cutoff: 1, started: 2, finished: 3, deleted: 4, legacyDeleted: 0, tombstonesHash: 't' };
    assert.notEqual(retentionSignature(key, run), retentionSignature(key, { ...run, deleted: 5 }));
  });
});
