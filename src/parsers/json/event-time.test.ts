import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyFields } from './flatten-json.js';
import { eventTimeOf, parseTimestamp } from './event-time.js';

test('reads ISO 8601 with Z, offsets with or without a colon, and fractions beyond milliseconds', () => {
  assert.equal(parseTimestamp('2024-01-02T03:04:05Z'), Date.UTC(2024, 0, 2, 3, 4, 5));
  assert.equal(parseTimestamp('2024-01-02T03:04:05.123456789Z'), Date.UTC(2024, 0, 2, 3, 4, 5, 123));
  assert.equal(parseTimestamp('2024-01-02T03:04:05+01:00'), Date.UTC(2024, 0, 2, 2, 4, 5));
  assert.equal(parseTimestamp('2024-01-02T03:04:05+0100'), Date.UTC(2024, 0, 2, 2, 4, 5));
  assert.equal(parseTimestamp('2024-01-02T03:04:05-05'), Date.UTC(2024, 0, 2, 8, 4, 5));
});

test('text without a zone is UTC, whatever the server zone', () => {
  assert.equal(parseTimestamp('2024-01-02 03:04:05'), Date.UTC(2024, 0, 2, 3, 4, 5));
  assert.equal(parseTimestamp('2024-01-02'), Date.UTC(2024, 0, 2));
});

test('epoch numbers below 1e11 are seconds, above are milliseconds; digit strings too', () => {
  assert.equal(parseTimestamp(1700000000), 1700000000000);
  assert.equal(parseTimestamp(1700000000.5), 1700000000500);
  assert.equal(parseTimestamp(1700000000123), 1700000000123);
  assert.equal(parseTimestamp('1700000000.25'), 1700000000250);
});

test('junk and impossible dates are not timestamps', () => {
  for (const value of ['yesterday', 'March 7', '2024-13-01T00:00:00Z', '2024-01-32', '', true, null, [1]]) {
    assert.equal(parseTimestamp(value as never), undefined, String(value));
  }
});

test('@timestamp wins over timestamp, time and event.created', () => {
  const fields = emptyFields();
  fields['time'] = 1600000000;
  fields['@timestamp'] = '2024-01-01T00:00:00Z';
  assert.deepEqual(eventTimeOf(fields), { time: Date.UTC(2024, 0, 1), unparsed: false });
});

test('falls back to the next field when the first cannot be read, and reports unparsed when none can', () => {
  const fields = emptyFields();
  fields['@timestamp'] = 'garbage';
  fields['event.created'] = '2024-01-01T00:00:00Z';
  assert.deepEqual(eventTimeOf(fields), { time: Date.UTC(2024, 0, 1), unparsed: false });
  const bad = emptyFields();
  bad['timestamp'] = 'garbage';
  assert.deepEqual(eventTimeOf(bad), { time: undefined, unparsed: true });
  assert.deepEqual(eventTimeOf(emptyFields()), { time: undefined, unparsed: false });
});
