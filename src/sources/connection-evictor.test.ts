import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConnectionEvictor, type EvictedState } from './connection-evictor.js';

function evictorOf(capacity: number): { evictor: ConnectionEvictor<string>; evicted: [string, EvictedState][] } {
  const evicted: [string, EvictedState][] = [];
  const evictor = new ConnectionEvictor<string>({ capacity, evict: (c, state) => evicted.push([c, state]) });
  return { evictor, evicted };
}

describe('ConnectionEvictor', () => {
  it('starts evicting a few slots below the cap, so arrivals between evictions are not refused', () => {
    assert.equal(evictorOf(10_000).evictor.threshold, 9_900);
    assert.equal(evictorOf(1024).evictor.threshold, 1013);
    assert.equal(evictorOf(3).evictor.threshold, 2);
    assert.equal(evictorOf(1).evictor.threshold, 1);
    assert.throws(() => evictorOf(0), /positive integer/);
  });

  it('admits freely below the threshold', () => {
    const { evictor, evicted } = evictorOf(200); // threshold 198
    for (let i = 0; i < 100; i++) evictor.admit(`c${i}`);
    assert.equal(evictor.size, 100);
    assert.deepEqual(evicted, []);
  });

  it('evicts the oldest silent connection first, then the one quiet longest, never a busy one', () => {
    const { evictor, evicted } = evictorOf(5); // threshold 4
    evictor.admit('quiet-early');
    evictor.admit('busy');
    evictor.admit('quiet-late');
    evictor.admit('silent');
    evictor.quiet('quiet-early');
    evictor.busy('busy');
    evictor.quiet('quiet-late');
    evictor.admit('new-1'); // silent ones go first, newest arrivals last
    evictor.admit('new-2');
    evictor.admit('new-3');
    assert.deepEqual(evicted, [
      ['silent', 'silent'],
      ['new-1', 'silent'],
      ['new-2', 'silent'],
    ]);
    evictor.quiet('new-3');
    evictor.quiet('quiet-early'); // spoke again: now the most recently active
    evictor.admit('new-4');
    evictor.admit('new-5');
    assert.deepEqual(evicted.slice(3), [
      ['quiet-late', 'quiet'],
      ['new-4', 'silent'],
    ]);
  });

  it('admits past the threshold when every held connection is busy (the listener cap then refuses)', () => {
    const { evictor, evicted } = evictorOf(3); // threshold 2
    evictor.admit('a');
    evictor.admit('b');
    evictor.busy('a');
    evictor.busy('b');
    evictor.admit('c');
    assert.equal(evictor.size, 3);
    assert.deepEqual(evicted, []);
    evictor.quiet('a'); // its request finished
    evictor.admit('d'); // evicts until below the threshold again, restoring the headroom
    assert.deepEqual(evicted, [
      ['c', 'silent'],
      ['a', 'quiet'],
    ]);
    assert.equal(evictor.size, 2);
  });

  it('forgets closed connections and ignores news of them', () => {
    const { evictor, evicted } = evictorOf(3);
    evictor.admit('a');
    evictor.remove('a');
    evictor.quiet('a');
    evictor.busy('a');
    assert.equal(evictor.size, 0);
    evictor.admit('b');
    evictor.admit('c');
    assert.deepEqual(evicted, []);
  });
});
