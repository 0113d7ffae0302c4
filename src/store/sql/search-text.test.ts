import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJsonEscapes, searchTextOf } from './search-text.js';

describe('search text', () => {
  it('decodes JSON string escapes so phrases match as an analyst reads them', () => {
    assert.equal(decodeJsonEscapes(String.raw`{"Image":"C:\\Windows\\System32\\cmd.exe","m":"a\r\n\tb \"q\" \u00e9 \/"}`), '{"Image":"C:\\Windows\\System32\\cmd.exe","m":"a\r\n\tb "q" é /"}');
  });

  it('leaves what is not a valid escape as written', () => {
    assert.equal(decodeJsonEscapes('a\\x \\u12 end\\'), 'a\\x \\u12 end\\');
    assert.equal(decodeJsonEscapes('no escapes'), 'no escapes');
  });

  it('does not repeat a message the decoded JSON record already holds', () => {
    const original = JSON.stringify({ EventID: 4625, Message: 'An account failed to log on.\r\n\tSubject:\tS-1-0-0' });
    const message = 'An account failed to log on.\r\n\tSubject:\tS-1-0-0';
    assert.equal(searchTextOf(original, message), decodeJsonEscapes(original).toLowerCase());
  });

  it('appends a message the record does not hold, lower-cased', () => {
    assert.equal(searchTextOf('<13>Jan 1 h app: X', 'Rendered Text'), '<13>jan 1 h app: x\nrendered text');
    assert.equal(searchTextOf('plain Line', 'Line'), 'plain line');
    assert.equal(searchTextOf('a\\nb', null), 'a\\nb', 'a line that is not JSON keeps its backslashes');
  });
});
