import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { filledBuckets, pipeStart, spanFor, timeOf, withFilter } from './query-text.js';

describe('query text: where the pipes start', () => {
  it('finds the first pipe, not one inside quotes, escaped, or part of ||', () => {
    assert.equal(pipeStart('a | stats count()'), 2);
    assert.equal(pipeStart('"a|b" | top x'), 6);
    assert.equal(pipeStart('a\\|b'), -1);
    assert.equal(pipeStart('a || b'), -1);
    assert.equal(pipeStart('a || b | head'), 7);
    assert.equal(pipeStart('plain words'), -1);
  });
});

describe('query text: adding a filter from a clicked value', () => {
  it('ANDs the term to the filter and keeps the pipes', () => {
    assert.equal(withFilter('sshd | stats count() by host.name', 'user.name:root'), 'sshd user.name:root | stats count() by host.name');
    assert.equal(withFilter('', 'host.name:web1'), 'host.name:web1');
    assert.equal(withFilter('*', 'host.name:web1'), 'host.name:web1');
    assert.equal(withFilter(' | top user.name', 'host.name:web1'), 'host.name:web1 | top user.name');
  });

  it('groups a filter with OR first, because OR binds looser than AND', () => {
    assert.equal(withFilter('a OR b', 'c:d'), '(a OR b) c:d');
    assert.equal(withFilter('a || b', 'c:d'), '(a || b) c:d');
  });
});

describe('query text: time bounds and histogram spans', () => {
  const now = Date.UTC(2026, 0, 31, 12, 0, 0);
  it('reads relative, epoch and ISO bounds like the API', () => {
    assert.equal(timeOf('now-15m', now), now - 900_000);
    assert.equal(timeOf('-2h', now), now - 7_200_000);
    assert.equal(timeOf('now', now), now);
    assert.equal(timeOf('1769860800', now), 1_769_860_800_000);
    assert.equal(timeOf('1769860800000', now), 1_769_860_800_000);
    assert.equal(timeOf('2026-01-31T08:00:00Z', now), Date.UTC(2026, 0, 31, 8));
    assert.equal(timeOf('yesterday-ish', now), undefined);
  });

  it('picks a span giving at most about 80 buckets', () => {
    assert.deepEqual(spanFor(now - 3_600_000, now), ['1m', 60_000]);
    assert.deepEqual(spanFor(now - 86_400_000, now), ['30m', 1_800_000]);
    assert.deepEqual(spanFor(now - 30 * 86_400_000, now), ['12h', 43_200_000]);
    assert.deepEqual(spanFor(undefined, now), ['1h', 3_600_000]);
  });

  it('fills the buckets the server leaves out with zeros, over the whole range', () => {
    const h = 3_600_000;
    const from = 10 * h + 123;
    const filled = filledBuckets(new Map([[11 * h, 4], [13 * h, 1]]), h, from, 14 * h);
    assert.deepEqual(filled.buckets, [10 * h, 11 * h, 12 * h, 13 * h, 14 * h]);
    assert.deepEqual(filled.counts, [0, 4, 0, 1, 0]);
    assert.deepEqual(filledBuckets(new Map(), h, undefined, undefined), { buckets: [], counts: [] });
  });
});
