import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SeededRandom } from '../../../test/support/seeded-random.js';
import { BEACON_WEIGHTS, bowleySkew, quantileSorted, regularityOf, scoreBeacon, spreadOf, type BeaconScoreResult } from './beacon-score.js';

const T0 = Date.UTC(2026, 0, 5, 9);

/** A timer: period ± uniform jitter, sizes from `size`. */
function beacon(r: SeededRandom, n: number, periodMs: number, jitterMs: number, size: () => number): { times: number[]; sizes: number[] } {
  const times: number[] = [];
  const sizes: number[] = [];
  for (let i = 0; i < n; i++) {
    times.push(T0 + i * periodMs + (r.next() * 2 - 1) * jitterMs);
    sizes.push(size());
  }
  return { times, sizes };
}

/** Poisson arrivals (exponential gaps) with the given mean gap. */
function poisson(r: SeededRandom, n: number, meanMs: number, size: () => number): { times: number[]; sizes: number[] } {
  const times: number[] = [];
  const sizes: number[] = [];
  let t = T0;
  for (let i = 0; i < n; i++) {
    t += -Math.log(1 - r.next()) * meanMs;
    times.push(t);
    sizes.push(size());
  }
  return { times, sizes };
}

/** Page-sized byte counts: log-normal around 1 KiB with a long tail. */
function pageSizes(r: SeededRandom): () => number {
  return () => {
    const z = Math.sqrt(-2 * Math.log(1 - r.next())) * Math.cos(2 * Math.PI * r.next());
    return Math.round(Math.exp(7 + 1.2 * z));
  };
}

function scoreOf(result: BeaconScoreResult): number {
  assert.ok(result.scored, `expected a score, got ${JSON.stringify(result)}`);
  return result.score;
}

describe('beacon score: statistics', () => {
  it('takes quartiles by linear interpolation between order statistics', () => {
    const s = [1, 2, 3, 4, 5];
    assert.equal(quantileSorted(s, 0.25), 2);
    assert.equal(quantileSorted(s, 0.5), 3);
    assert.equal(quantileSorted([1, 2, 3, 4], 0.5), 2.5);
    assert.ok(Number.isNaN(quantileSorted([], 0.5)));
  });

  it('measures Bowley skewness: 0 for symmetric quartiles, positive for a long right tail, 0 without spread', () => {
    assert.equal(bowleySkew(1, 2, 3), 0);
    assert.ok(bowleySkew(1, 1.5, 4) > 0);
    assert.ok(bowleySkew(1, 3.5, 4) < 0);
    assert.equal(bowleySkew(5, 5, 5), 0);
  });

  it('measures the median absolute deviation about the median', () => {
    const s = spreadOf(new Float64Array([1, 1, 2, 2, 4, 6, 9]));
    assert.equal(s.median, 2);
    assert.equal(s.mad, 1); // deviations 1 1 0 0 2 4 7 → median 1
    assert.equal(s.count, 7);
  });

  it('scores a tight, symmetric sample 1 and a dispersed one towards 0; an absolute tolerance forgives small wobble', () => {
    const tight = regularityOf(spreadOf(new Float64Array([60, 60, 60, 60])));
    assert.deepEqual(tight, { symmetry: 1, dispersion: 1, score: 1 });
    const wide = regularityOf(spreadOf(new Float64Array([1, 2, 3, 10, 40, 100, 300])));
    assert.ok(wide.dispersion === 0 && wide.score < 0.5, JSON.stringify(wide));
    const bytes = spreadOf(new Float64Array([40, 50, 60, 70, 80]));
    assert.ok(regularityOf(bytes, 0).dispersion < 1);
    assert.equal(regularityOf(bytes, 32).dispersion, 1);
  });

  it('uses weights that sum to 1, timing first', () => {
    assert.equal(BEACON_WEIGHTS.interval + BEACON_WEIGHTS.size + BEACON_WEIGHTS.count, 1);
    assert.ok(BEACON_WEIGHTS.interval > BEACON_WEIGHTS.size && BEACON_WEIGHTS.interval > BEACON_WEIGHTS.count);
  });
});

describe('beacon score: series', () => {
  it('scores a 60 s beacon with ±2 s jitter and steady sizes above 0.8 (20, 50 and 200 connections, 20 seeds each)', (t) => {
    let lowest = 1;
    let highest = 0;
    for (const n of [20, 50, 200]) {
      for (let seed = 1; seed <= 20; seed++) {
        const r = new SeededRandom(seed);
        const { times, sizes } = beacon(r, n, 60_000, 2_000, () => 300 + r.int(-10, 10));
        const score = scoreOf(scoreBeacon(times, sizes));
        lowest = Math.min(lowest, score);
        highest = Math.max(highest, score);
        assert.ok(score > 0.8, `n=${n} seed=${seed}: ${score}`);
      }
    }
    t.diagnostic(`scores ${lowest.toFixed(3)} to ${highest.toFixed(3)}`);
    assert.ok(lowest > 0.85, `lowest ${lowest}`);
  });

  it('reports the parts of a beacon: regular gaps around the period, sizes, a full count', () => {
    const r = new SeededRandom(7);
    const { times, sizes } = beacon(r, 100, 60_000, 2_000, () => 300 + r.int(-10, 10));
    const result = scoreBeacon(times, sizes);
    assert.ok(result.scored);
    assert.ok(Math.abs(result.intervals.median - 60_000) < 1_000);
    assert.ok(result.intervals.mad < 2_000);
    assert.ok(result.parts.intervalDispersion > 0.9 && result.parts.intervalSymmetry > 0.7);
    assert.ok(result.parts.size !== null && result.parts.size > 0.9);
    assert.ok(result.parts.count > 0.9);
    assert.equal(result.connections, 100);
    assert.equal(result.checkIns, 100);
    assert.ok(Math.abs(result.spanMs - 99 * 60_000) < 4_000);
  });

  it('scores random browsing (Poisson arrivals, page-sized responses) below 0.5 (30, 100 and 300 connections, 20 seeds each)', (t) => {
    let highest = 0;
    let lowest = 1;
    for (const n of [30, 100, 300]) {
      for (let seed = 1; seed <= 20; seed++) {
        const r = new SeededRandom(1000 + seed);
        const { times, sizes } = poisson(r, n, 120_000, pageSizes(r));
        const score = scoreOf(scoreBeacon(times, sizes));
        highest = Math.max(highest, score);
        lowest = Math.min(lowest, score);
        assert.ok(score < 0.5, `n=${n} seed=${seed}: ${score}`);
      }
    }
    t.diagnostic(`scores ${lowest.toFixed(3)} to ${highest.toFixed(3)}`);
    assert.ok(highest < 0.45, `highest ${highest}`);
  });

  it('scores bursty browsing (a page and its follow-ups, then minutes to hours of nothing) below 0.5', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const r = new SeededRandom(2000 + seed);
      const times: number[] = [];
      const sizes: number[] = [];
      let t = T0;
      for (let visit = 0; visit < 12; visit++) {
        t += r.int(5, 120) * 60_000;
        for (let k = r.int(2, 8); k > 0; k--) {
          t += r.int(1_000, 30_000);
          times.push(t);
          sizes.push(r.int(300, 20_000));
        }
      }
      const result = scoreBeacon(times, sizes);
      if (result.scored) assert.ok(result.score < 0.5, `seed=${seed}: ${result.score}`);
    }
  });

  it('still ranks a beacon whose sizes vary at random (tasks, padding) near the threshold, on its timing', (t) => {
    const scores: number[] = [];
    for (let seed = 1; seed <= 20; seed++) {
      const r = new SeededRandom(5000 + seed);
      const { times, sizes } = beacon(r, 60, 60_000, 2_000, pageSizes(r));
      scores.push(scoreOf(scoreBeacon(times, sizes)));
    }
    t.diagnostic(`scores ${Math.min(...scores).toFixed(3)} to ${Math.max(...scores).toFixed(3)}`);
    for (const s of scores) assert.ok(s > 0.7 && s < 0.9, String(s));
  });

  it('does not score a series with fewer connections than the minimum (default 20)', () => {
    const r = new SeededRandom(3);
    const { times, sizes } = beacon(r, 19, 60_000, 0, () => 300);
    assert.deepEqual(scoreBeacon(times, sizes), { scored: false, reason: 'too-few-connections', connections: 19, checkIns: 19 });
    assert.equal(scoreBeacon(times, sizes, { minConnections: 10 }).scored, true);
  });

  it('counts connections less than a second apart as one check-in, and does not score too few check-ins', () => {
    // 12 check-ins of two connections each: 24 connections, 12 check-ins.
    const times: number[] = [];
    for (let i = 0; i < 12; i++) times.push(T0 + i * 60_000, T0 + i * 60_000 + 150);
    const result = scoreBeacon(times);
    assert.equal(result.scored, false);
    assert.equal(result.scored === false && result.reason, 'too-few-check-ins');
    assert.equal(result.checkIns, 12);
    // 25 such check-ins are a beacon: the doubled connections do not spoil the gaps.
    const more: number[] = [];
    for (let i = 0; i < 25; i++) more.push(T0 + i * 60_000, T0 + i * 60_000 + 150);
    const scored = scoreBeacon(more);
    assert.ok(scored.scored && scored.checkIns === 25 && scored.score > 0.9, JSON.stringify(scored));
  });

  it('does not score a stream faster than one check-in every 4 s (a brute force or a download is not a timer)', () => {
    const r = new SeededRandom(9);
    const { times } = beacon(r, 200, 1_040, 20, () => 0);
    const result = scoreBeacon(times);
    assert.equal(result.scored, false);
    assert.equal(result.scored === false && result.reason, 'period-too-short');
  });

  it('leaves sizes out when fewer than half the connections have one, and scales the other weights to 1', () => {
    const r = new SeededRandom(5);
    const { times } = beacon(r, 40, 60_000, 2_000, () => 0);
    const sizes = times.map((_, i) => (i % 3 === 0 ? 300 : NaN));
    const result = scoreBeacon(times, sizes);
    assert.ok(result.scored);
    assert.equal(result.parts.size, null);
    assert.equal(result.sizes, null);
    assert.equal(result.weights.size, 0);
    assert.ok(Math.abs(result.weights.interval + result.weights.count - 1) < 1e-12);
    assert.ok(result.score > 0.8);
  });

  it('does not depend on the order the connections arrive in', () => {
    const r = new SeededRandom(11);
    const { times, sizes } = beacon(r, 60, 300_000, 10_000, () => 512);
    const order = times.map((_, i) => i).sort(() => r.next() - 0.5);
    const a = scoreBeacon(times, sizes);
    const b = scoreBeacon(order.map((i) => times[i]!), order.map((i) => sizes[i]!));
    assert.deepEqual(a, b);
  });

  it('keeps a beacon with Cobalt Strike style 20 % jitter above the threshold, and a half-missing one (host asleep) still high', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const r = new SeededRandom(3000 + seed);
      const times: number[] = [];
      let t = T0;
      for (let i = 0; i < 60; i++) {
        times.push(t);
        t += 60_000 * (1 - 0.2 * r.next());
      }
      assert.ok(scoreOf(scoreBeacon(times, times.map(() => 250))) > 0.8, `seed ${seed}`);
    }
    // Two 2-hour runs of a 60 s beacon, 3 hours apart: the count part drops, timing holds.
    const r = new SeededRandom(4000);
    const run1 = beacon(r, 120, 60_000, 2_000, () => 300);
    const run2 = beacon(r, 120, 60_000, 2_000, () => 300);
    const times = [...run1.times, ...run2.times.map((t) => t + 5 * 3_600_000)];
    const result = scoreBeacon(times, [...run1.sizes, ...run2.sizes]);
    assert.ok(result.scored && result.parts.count < 1 && result.score > 0.8, JSON.stringify(result.scored && result.parts));
  });
});
