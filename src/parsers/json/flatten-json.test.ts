import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flattenJsonObject, mergeFields, emptyFields } from './flatten-json.js';

const limits = { maxDepth: 8, maxFields: 1024 };

test('nested objects become dotted keys', () => {
  const { fields, truncated } = flattenJsonObject({ user: { name: 'root', id: 0 }, source: { ip: '10.0.0.1' }, ok: true, gone: null }, limits);
  assert.deepEqual({ ...fields }, { 'user.name': 'root', 'user.id': 0, 'source.ip': '10.0.0.1', ok: true, gone: null });
  assert.equal(truncated, false);
});

test('arrays of scalars stay arrays; arrays holding objects are kept as JSON text', () => {
  const { fields } = flattenJsonObject({ tags: ['a', 'b', 1], procs: [{ pid: 1 }, { pid: 2 }], grid: [[1, 2]], empty: [] }, limits);
  assert.deepEqual(fields['tags'], ['a', 'b', 1]);
  assert.equal(fields['procs'], '[{"pid":1},{"pid":2}]');
  assert.equal(fields['grid'], '[[1,2]]');
  assert.deepEqual(fields['empty'], []);
});

test('an empty object produces no field', () => {
  const { fields } = flattenJsonObject({ a: {}, b: 1 }, limits);
  assert.deepEqual(Object.keys(fields), ['b']);
});

test('refuses a record nested deeper than maxDepth, inside objects or arrays', () => {
  assert.doesNotThrow(() => flattenJsonObject({ a: { b: { c: 1 } } }, { maxDepth: 3, maxFields: 10 }));
  assert.throws(() => flattenJsonObject({ a: { b: { c: { d: 1 } } } }, { maxDepth: 3, maxFields: 10 }), /nested deeper than 3 levels/);
  assert.throws(() => flattenJsonObject({ a: [[[[1]]]] }, { maxDepth: 3, maxFields: 10 }), { code: 'bad-request' });
  assert.throws(() => flattenJsonObject({ a: { b: [1] } }, { maxDepth: 2, maxFields: 10 }), /deeper than 2/);
});

test('a very deep value is refused without overflowing the stack', () => {
  let deep: unknown = 1;
  for (let i = 0; i < 100_000; i++) deep = [deep];
  assert.throws(() => flattenJsonObject({ deep }, { maxDepth: 64, maxFields: 10 }), /deeper than 64/);
});

test('keys past maxFields are dropped and the result says truncated', () => {
  const record: Record<string, number> = {};
  for (let i = 0; i < 20; i++) record[`k${i}`] = i;
  const { fields, truncated } = flattenJsonObject(record, { maxDepth: 4, maxFields: 5 });
  assert.equal(Object.keys(fields).length, 5);
  assert.equal(fields['k0'], 0);
  assert.equal(fields['k5'], undefined);
  assert.equal(truncated, true);
});

test('__proto__, constructor and prototype keys are skipped and pollute nothing', () => {
  const record = JSON.parse('{"__proto__":{"polluted":"yes"},"a":{"__proto__":{"x":1},"constructor":{"prototype":{"y":2}},"ok":1},"prototype":3}');
  const { fields } = flattenJsonObject(record, limits);
  assert.deepEqual(Object.keys(fields), ['a.ok']);
  assert.equal(Object.getPrototypeOf(fields), null);
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  assert.equal(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted'), false);
});

test('mergeFields overwrites existing keys and stops adding new ones at the cap', () => {
  const target = emptyFields();
  target['a'] = 1;
  target['b'] = 2;
  const source = emptyFields();
  source['b'] = 20;
  source['c'] = 3;
  source['d'] = 4;
  assert.equal(mergeFields(target, source, 3), true);
  assert.deepEqual({ ...target }, { a: 1, b: 20, c: 3 });
});
