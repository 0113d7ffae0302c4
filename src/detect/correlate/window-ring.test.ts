import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { WindowRing } from './window-ring.js';

function contents(r: WindowRing): [number, number, string][] {
  return Array.from({ length: r.size }, (_, i) => [r.time(i), r.num(i), r.text(i)]);
}

describe('WindowRing', () => {
  it('keeps entries oldest first while it grows, wraps and shifts', () => {
    const r = new WindowRing(5, true, true);
    for (let t = 1; t <= 3; t++) r.push(t, t * 10, `e${t}`);
    r.shift();
    for (let t = 4; t <= 7; t++) r.push(t, t * 10, `e${t}`);
    assert.equal(r.full, true);
    assert.deepEqual(contents(r), [[3, 30, 'e3'], [4, 40, 'e4'], [5, 50, 'e5'], [6, 60, 'e6'], [7, 70, 'e7']]);
    assert.equal(r.oldestTime(), 3);
    assert.equal(r.newestTime(), 7);
  });

  it('puts an out-of-order entry in time order, also across the wrap point', () => {
    const r = new WindowRing(8, true, true);
    for (const t of [1, 2, 3, 4]) r.push(t * 10, t, `e${t}`);
    r.shift();
    r.shift();
    for (const t of [5, 6, 7]) r.push(t * 10, t, `e${t}`);
    r.push(45, 4.5, 'late');
    assert.deepEqual(contents(r).map(([t]) => t), [30, 40, 45, 50, 60, 70]);
    assert.equal(r.text(2), 'late');
    r.push(5, 0.5, 'earliest');
    assert.deepEqual(contents(r).map(([, , x]) => x), ['earliest', 'e3', 'e4', 'late', 'e5', 'e6', 'e7']);
  });

  it('drops the oldest itself when pushed full, and empties on clear', () => {
    const r = new WindowRing(2, false, true);
    r.push(1, 0, 'a');
    r.push(2, 0, 'b');
    r.push(3, 0, 'c');
    assert.deepEqual([r.size, r.text(0), r.text(1)], [2, 'b', 'c']);
    r.clear();
    assert.equal(r.size, 0);
    assert.equal(r.oldestTime(), Infinity);
  });
});
