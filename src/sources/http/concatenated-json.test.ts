import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConcatenatedJsonSplitter, JsonFramingError } from './concatenated-json.js';
import { MAX_OBJECT_MEMBERS } from './ndjson-lines.js';

function split(text: string | Buffer, maxDepth = 16): string[] {
  const splitter = new ConcatenatedJsonSplitter(maxDepth);
  const out = splitter.write(Buffer.isBuffer(text) ? text : Buffer.from(text)).map((o) => o.text);
  splitter.end();
  return out;
}

test('splits objects with or without whitespace between them', () => {
  assert.deepEqual(split('{"a":1}{"b":2}\n{"c":3}\r\n  {"d":{"e":[1,{}]}}'), ['{"a":1}', '{"b":2}', '{"c":3}', '{"d":{"e":[1,{}]}}']);
});

test('braces, brackets and escaped quotes inside strings do not end an object', () => {
  const tricky = '{"event":"} { \\" ] [ \\\\","x":"\\\\"}';
  assert.deepEqual(split(tricky + tricky), [tricky, tricky]);
  assert.deepEqual(JSON.parse(split(tricky)[0] ?? ''), { event: '} { " ] [ \\', x: '\\' });
});

test('multi-byte UTF-8 text survives, and byte lengths are reported', () => {
  const splitter = new ConcatenatedJsonSplitter(4);
  const [object] = splitter.write(Buffer.from('{"m":"naïve ☃ 𝄞"}'));
  assert.equal(object?.text, '{"m":"naïve ☃ 𝄞"}');
  assert.equal(object?.bytes, Buffer.byteLength('{"m":"naïve ☃ 𝄞"}'));
});

test('fed one byte at a time it finds the same objects as fed whole', () => {
  const body = Buffer.from('{"a":"x}y"}\n{"b":[1,2,{"c":"\\"{"}]} {"d":"☃"}');
  const splitter = new ConcatenatedJsonSplitter(8);
  const out: string[] = [];
  for (let i = 0; i < body.length; i++) out.push(...splitter.write(body.subarray(i, i + 1)).map((o) => o.text));
  splitter.end();
  assert.deepEqual(out, split(body));
  assert.equal(out.length, 3);
});

test('text outside an object is a framing error naming the object number', () => {
  assert.throws(() => split('{"a":1} x {"b":2}'), (error: unknown) => error instanceof JsonFramingError && error.index === 1 && /expected "\{"/.test(error.message));
  assert.throws(() => split('[{"a":1}]'), (error: unknown) => error instanceof JsonFramingError && error.index === 0);
});

test('a body that ends inside an object is refused at end()', () => {
  const splitter = new ConcatenatedJsonSplitter(8);
  assert.deepEqual(splitter.write(Buffer.from('{"a":1}{"b":')).map((o) => o.text), ['{"a":1}']);
  assert.throws(() => splitter.end(), (error: unknown) => error instanceof JsonFramingError && error.index === 1);
});

test('nesting past maxDepth is refused before any parsing, keeping the objects completed before it', () => {
  const deep = '{"a":' + '['.repeat(100);
  try {
    split('{"ok":1}' + deep, 10);
    assert.fail('expected a framing error');
  } catch (error) {
    assert.ok(error instanceof JsonFramingError);
    assert.equal(error.index, 1);
    assert.match(error.message, /deeper than 10/);
    assert.deepEqual(error.completed.map((o) => o.text), ['{"ok":1}']);
  }
});

test('cost is linear: 20,000 objects split in well under a second', () => {
  const one = JSON.stringify({ event: 'Accepted password for root from 10.0.0.1 port 22 ssh2 {x}', host: 'web-1', fields: { a: [1, 2] } });
  const body = Buffer.from(one.repeat(20_000));
  const started = performance.now();
  const count = split(body).length;
  assert.equal(count, 20_000);
  assert.ok(performance.now() - started < 1000, `took ${performance.now() - started} ms`);
});

test('an object with more than MAX_OBJECT_MEMBERS members is refused before parsing; many objects of a few members are not', () => {
  const members = (n: number): string => Array.from({ length: n }, (_, i) => `"k${i}":${i}`).join(',');
  assert.equal(split(`{"event":{${members(MAX_OBJECT_MEMBERS)}}}`).length, 1);
  assert.throws(() => split(`{"event":{${members(MAX_OBJECT_MEMBERS + 1)}}}`), (e: unknown) => e instanceof JsonFramingError && /more than 65536 members/.test(e.message));
  // Colons inside strings and members of sibling objects are not counted together.
  const many = Array.from({ length: 70_000 }, (_, i) => `{"a:b":"${i}:${i}","n":${i}}`).join('');
  assert.equal(split(`{"list":[${many.replace(/\}\{/g, '},{')}]}`).length, 1);
});
