import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IngestRecordError, ingestRecords } from './ingest-body.js';
import { MAX_OBJECT_MEMBERS } from './ndjson-lines.js';

function records(text: string, maxDepth = 16) {
  return [...ingestRecords(Buffer.from(text), maxDepth)];
}

test('NDJSON: one record per line, blank lines and CRLF ignored, original is the exact line', () => {
  const out = records('{"a":1}\r\n\n  \n{ "b" : 2 }\n"plain text"\n');
  assert.deepEqual(out.map((r) => r.position), ['line 1', 'line 4', 'line 5']);
  assert.deepEqual(out.map((r) => r.original), ['{"a":1}', '{ "b" : 2 }', '"plain text"']);
  assert.equal(out[2]?.value, 'plain text');
});

test('a JSON array: one record per element, original is the element as JSON', () => {
  const out = records(' [{"a":1}, "msg", {"b":{"c":2}}]');
  assert.deepEqual(out.map((r) => r.original), ['{"a":1}', '"msg"', '{"b":{"c":2}}']);
  assert.deepEqual(out.map((r) => r.position), ['element 1', 'element 2', 'element 3']);
});

test('a single object pretty-printed over several lines is one record', () => {
  const out = records('{\n  "user": {"name": "root"},\n  "action": "login"\n}\n');
  assert.equal(out.length, 1);
  assert.deepEqual(out[0]?.value, { user: { name: 'root' }, action: 'login' });
});

test('the first bad line is named, counting blank lines as an editor does', () => {
  assert.throws(
    () => records('{"a":1}\n\n{"b":\n{"c":3}\n'),
    (error: unknown) => error instanceof IngestRecordError && error.position === 'line 3' && error.seen === 2 && /not valid JSON/.test(error.reason),
  );
});

test('numbers, arrays, null and booleans are not records', () => {
  for (const line of ['42', '[1,2]', 'null', 'true']) {
    assert.throws(() => records(`{"ok":1}\n${line}\n`), (error: unknown) => error instanceof IngestRecordError && error.position === 'line 2', line);
  }
  assert.throws(() => records('[{"a":1}, 7]'), (error: unknown) => error instanceof IngestRecordError && error.position === 'element 2');
});

test('a long deeply nested line is refused by the depth scan before JSON.parse', () => {
  const deep = '['.repeat(200_000) + ']'.repeat(200_000);
  const started = performance.now();
  assert.throws(() => records(`{"a":${deep}}`, 64), (error: unknown) => error instanceof IngestRecordError && /deeper than 64/.test(error.reason));
  assert.ok(performance.now() - started < 200, 'refused quickly');
});

test('an envelope (CloudTrail `Records`, Azure `records`) yields the records inside, on a line or as the whole body', () => {
  const line = records('{"Records":[{"eventName":"A"},{"eventName":"B"}]}\n{"a":1}\n');
  assert.deepEqual(line.map((r) => r.position), ['line 1, record 1', 'line 1, record 2', 'line 2']);
  assert.deepEqual(line.map((r) => r.original), ['{"eventName":"A"}', '{"eventName":"B"}', '{"a":1}']);
  const whole = records('{\n  "records": [\n    {"operationName": "x"}\n  ]\n}');
  assert.deepEqual(whole.map((r) => r.value), [{ operationName: 'x' }]);
  // A record that merely has such a field is not an envelope.
  assert.equal(records('{"records":[{"a":1}],"user":"ann"}').length, 1);
  assert.equal(records('{"records":[1,2]}').length, 1);
});

test('an object with more than MAX_OBJECT_MEMBERS members is refused with a reason, before JSON.parse; an array of many small objects is not', () => {
  const members = (n: number): string => Array.from({ length: n }, (_, i) => `"k${i}":${i}`).join(',');
  assert.equal(records(`{${members(MAX_OBJECT_MEMBERS)}}\n`).length, 1);
  assert.throws(() => records(`{${members(MAX_OBJECT_MEMBERS + 1)}}\n`), (e: unknown) => e instanceof IngestRecordError && /more than 65536 members/.test(e.message));
  assert.throws(() => records(`{${members(MAX_OBJECT_MEMBERS + 1)}}`), (e: unknown) => e instanceof IngestRecordError && /more than 65536 members/.test(e.message));
  const array = `[${Array.from({ length: 70_000 }, (_, i) => `{"n":${i}}`).join(',')}]`;
  assert.equal(records(array).length, 70_000);
});
