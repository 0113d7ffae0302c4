/** The escaping that lets PostgreSQL hold any JavaScript string (pg-text.ts). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeText, encodeText, json, pgTypes } from './pg-text.js';

/** Any UTF-16 code units, lone surrogates and NUL included, biased towards the awkward ones. */
const anyText = fc
  .array(fc.oneof(fc.integer({ min: 0, max: 0xffff }), fc.constantFrom(0, 0xffff, 0xd800, 0xdbff, 0xdc00, 0xdfff, 0x30, 0x73, 0x61)), { maxLength: 40 })
  .map((units) => String.fromCharCode(...units));

const parseJson = pgTypes.getTypeParser(114);
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

describe('text escaping for PostgreSQL', () => {
  it('gives back every string exactly', () => {
    fc.assert(fc.property(anyText, (s) => decodeText(encodeText(s)) === s), { numRuns: 2000 });
  });

  it('never sends a NUL or a lone surrogate', () => {
    fc.assert(
      fc.property(anyText, (s) => {
        const e = encodeText(s);
        return !e.includes('\u0000') && !LONE_SURROGATE.test(e);
      }),
      { numRuns: 2000 },
    );
  });

  it('leaves real text as it is, so equality, order and lower() work on stored values', () => {
    for (const s of ['', 'plain', 'Grüße, 世界 🙂', '\\u0000 written out', 's0', 'ÄRGER']) assert.equal(encodeText(s), s);
    assert.equal(encodeText('a\u0000b'), 'a\uFFFF0b');
    assert.equal(encodeText('\uD800'), '\uFFFFsd800');
    assert.equal(encodeText('\uFFFF'), '\uFFFF\uFFFF');
  });

  it('keeps a "__proto__" key a key', () => {
    const value = JSON.parse('{"__proto__": {"a\\u0000": 1}, "b": "\\u0000"}') as Record<string, unknown>;
    const back = parseJson(json(value).text) as Record<string, unknown>;
    assert.deepEqual(Object.keys(back), ['__proto__', 'b']);
    assert.deepEqual(back, value);
  });

  it('escapes keys and strings of JSON, and the reading parser restores them', () => {
    fc.assert(
      fc.property(fc.dictionary(anyText, fc.oneof(anyText, fc.array(anyText, { maxLength: 3 }), fc.integer(), fc.constant(null)), { noNullPrototype: true }), (value) => {
        const text = json(value).text;
        assert.doesNotMatch(text, /(?<!\\)(?:\\\\)*\\u(?:0000|d[89ab]|d[c-f])/i, 'no escape PostgreSQL refuses');
        assert.deepEqual(parseJson(text), value);
      }),
      { numRuns: 500 },
    );
  });
});
