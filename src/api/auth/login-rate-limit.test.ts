import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LoginRateLimiter } from './login-rate-limit.js';

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

test('five failures for one user from one address refuse that pair until the window ends', () => {
  const c = clock();
  const limiter = new LoginRateLimiter({ perUser: 5, perAddress: 30, windowMs: 15 * 60_000, now: c.now });
  for (let i = 0; i < 5; i++) {
    assert.deepEqual(limiter.check('192.0.2.1', 'alice'), { allowed: true });
    limiter.fail('192.0.2.1', 'alice');
  }
  assert.deepEqual(limiter.check('192.0.2.1', 'alice'), { allowed: false, retryAfterSeconds: 900 });
  assert.deepEqual(limiter.check('192.0.2.2', 'alice'), { allowed: true }, 'another address is not refused');
  assert.deepEqual(limiter.check('192.0.2.1', 'bob'), { allowed: true }, 'another user from that address is not refused');
  c.advance(14 * 60_000);
  assert.deepEqual(limiter.check('192.0.2.1', 'alice'), { allowed: false, retryAfterSeconds: 60 });
  c.advance(60_000);
  assert.deepEqual(limiter.check('192.0.2.1', 'alice'), { allowed: true });
});

test('thirty failures from one address over any usernames refuse the address', () => {
  const limiter = new LoginRateLimiter({ perUser: 5, perAddress: 30, now: clock().now });
  for (let i = 0; i < 30; i++) limiter.fail('198.51.100.9', `user-${i}`);
  assert.equal(limiter.check('198.51.100.9', 'someone-new').allowed, false);
  assert.equal(limiter.check('198.51.100.10', 'someone-new').allowed, true);
});

test('a good login clears the pair but not the address', () => {
  const limiter = new LoginRateLimiter({ perUser: 2, perAddress: 3, now: clock().now });
  limiter.fail('192.0.2.1', 'alice');
  limiter.fail('192.0.2.1', 'alice');
  assert.equal(limiter.check('192.0.2.1', 'alice').allowed, false);
  limiter.succeed('192.0.2.1', 'alice');
  assert.equal(limiter.check('192.0.2.1', 'alice').allowed, true);
  limiter.fail('192.0.2.1', 'alice');
  assert.equal(limiter.check('192.0.2.1', 'alice').allowed, false, 'the address reached 3');
});

test('memory is bounded: the least recently failed counters go first', () => {
  const limiter = new LoginRateLimiter({ perUser: 1, perAddress: 1000, maxEntries: 100, now: clock().now });
  for (let i = 0; i < 10_000; i++) limiter.fail(`10.0.${i >> 8}.${i & 255}`, 'root');
  assert.ok(limiter.size <= 100, `${limiter.size} entries`);
  assert.equal(limiter.check('10.0.39.15', 'root').allowed, false, 'the newest are kept');
});
