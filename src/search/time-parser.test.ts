import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { VigilError } from '../core/errors.js';
import { parseTime } from './time-parser.js';

const NOW = Date.UTC(2024, 4, 1, 12, 0, 0); // 2024-05-01T12:00:00Z

describe('parseTime', () => {
  it('reads ISO 8601 with a zone', () => {
    assert.equal(parseTime('2024-05-01T12:00:00Z'), NOW);
    assert.equal(parseTime('2024-05-01T12:00:00.250Z'), NOW + 250);
    assert.equal(parseTime('2024-05-01T14:00:00+02:00'), NOW);
    assert.equal(parseTime('2024-05-01T14:00:00+0200'), NOW);
    assert.equal(parseTime('2024-05-01T07:30:00-04:30'), NOW);
  });

  it('reads ISO 8601 without a zone as UTC, whatever the server zone', () => {
    assert.equal(parseTime('2024-05-01T12:00:00'), NOW);
    assert.equal(parseTime('2024-05-01 12:00'), NOW);
    assert.equal(parseTime('2024-05-01'), Date.UTC(2024, 4, 1));
  });

  it('reads epoch seconds and milliseconds', () => {
    assert.equal(parseTime(String(NOW)), NOW);
    assert.equal(parseTime(String(NOW / 1000)), NOW);
    assert.equal(parseTime('0'), 0);
  });

  it('reads relative times against the given now', () => {
    assert.equal(parseTime('now', NOW), NOW);
    assert.equal(parseTime('now-15m', NOW), NOW - 15 * 60_000);
    assert.equal(parseTime('now-2h', NOW), NOW - 2 * 3_600_000);
    assert.equal(parseTime('now-7d', NOW), NOW - 7 * 86_400_000);
    assert.equal(parseTime('now-1w', NOW), NOW - 7 * 86_400_000);
    assert.equal(parseTime('now-30s', NOW), NOW - 30_000);
    assert.equal(parseTime('now+1h', NOW), NOW + 3_600_000);
    assert.equal(parseTime('-1h', NOW), NOW - 3_600_000);
    assert.equal(parseTime('  now-5m  ', NOW), NOW - 5 * 60_000);
  });

  it('defaults now to the clock', () => {
    const before = Date.now();
    const t = parseTime('now');
    assert.ok(t >= before && t <= Date.now());
  });

  for (const bad of ['', 'yesterday', 'now-15', 'now-15y', '15m', '2024-13-01', '2024-02-30', '2024-05-01T24:00', '2024-05-01T12:00+25:00', '1.5e9', 'now - 1h']) {
    it(`refuses ${JSON.stringify(bad)} with a message listing the accepted forms`, () => {
      assert.throws(
        () => parseTime(bad, NOW),
        (e: unknown) =>
          e instanceof VigilError && e.code === 'query-invalid' && /ISO 8601.*epoch.*now-15m/.test(e.message),
      );
    });
  }
});
