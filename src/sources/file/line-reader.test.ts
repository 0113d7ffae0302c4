import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { readLines } from './line-reader.js';

async function lines(chunks: (string | Buffer)[], max = 1024) {
  const out = [];
  for await (const l of readLines(chunks, max)) out.push(l);
  return out;
}

describe('readLines', () => {
  it('splits on newlines across chunk boundaries and drops the CR of CRLF', async () => {
    const got = await lines(['one\r\ntw', 'o\nthr', 'ee']);
    assert.deepEqual(got.map((l) => l.text), ['one', 'two', 'three']);
    assert.deepEqual(got.map((l) => l.truncated), [false, false, false]);
  });

  it('counts the bytes it consumed, so progress adds up to the file size', async () => {
    const input = 'alpha\nbeta\n\ngamma';
    const got = await lines([input.slice(0, 7), input.slice(7)]);
    assert.equal(got.reduce((s, l) => s + l.bytes, 0), Buffer.byteLength(input));
  });

  it('cuts a line longer than the limit, flags it, and resumes at the next line', async () => {
    const got = await lines(['x'.repeat(50), 'y'.repeat(50), '\nnext\n'], 16);
    assert.equal(got[0]!.text, 'x'.repeat(16));
    assert.equal(got[0]!.truncated, true);
    assert.equal(got[1]!.text, 'next');
    assert.equal(got[1]!.truncated, false);
  });

  it('keeps memory bounded on a huge input with no newline at all', async () => {
    const chunk = Buffer.alloc(1024 * 1024, 0x61);
    const got = await lines(Array.from({ length: 64 }, () => chunk), 4096);
    assert.equal(got.length, 1);
    assert.equal(got[0]!.text.length, 4096);
    assert.equal(got[0]!.truncated, true);
  });
});
