import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VigilError } from '../../core/errors.js';
import { timeZone, UTC } from './time-zone.js';

describe('timeZone', () => {
  it('returns UTC for UTC, Z and an empty name', () => {
    for (const name of ['UTC', 'Z', '']) assert.equal(timeZone(name), UTC);
  });

  it('reads fixed offsets with and without a colon', () => {
    const wall = Date.UTC(2024, 0, 1, 12, 0, 0);
    assert.equal(timeZone('+02:00').toEpoch(wall), Date.UTC(2024, 0, 1, 10, 0, 0));
    assert.equal(timeZone('-0530').toEpoch(wall), Date.UTC(2024, 0, 1, 17, 30, 0));
  });

  it('follows daylight saving in an IANA zone, on both sides of the change', () => {
    const ny = timeZone('America/New_York');
    assert.equal(ny.toEpoch(Date.UTC(2024, 2, 10, 1, 30)), Date.UTC(2024, 2, 10, 6, 30)); // EST, before 02:00 change
    assert.equal(ny.toEpoch(Date.UTC(2024, 2, 10, 3, 30)), Date.UTC(2024, 2, 10, 7, 30)); // EDT, after
    assert.equal(ny.toEpoch(Date.UTC(2024, 6, 1, 12, 0)), Date.UTC(2024, 6, 1, 16, 0));
  });

  it('refuses an unknown zone with config-invalid and a hint', () => {
    assert.throws(() => timeZone('Mars/Olympus'), (e: unknown) => e instanceof VigilError && e.code === 'config-invalid' && /IANA/.test(e.message));
  });
});
