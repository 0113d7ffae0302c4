import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { escapeForTerminal } from './terminal-escape.js';

describe('escapeForTerminal', () => {
  it('shows ANSI escape sequences as visible text instead of sending them to the terminal', () => {
    assert.equal(escapeForTerminal('ok\u001b[2J\u001b]0;owned\u0007'), 'ok\\x1b[2J\\x1b]0;owned\\x07');
  });
  it('shows CR and LF so one event cannot fake a second line of output', () => {
    assert.equal(escapeForTerminal('a\r\nfake line'), 'a\\r\\nfake line');
  });
  it('shows bidi overrides that could disguise a command line', () => {
    assert.equal(escapeForTerminal('evil\u202Efdp.exe'), 'evil\\u{202e}fdp.exe');
  });
  it('leaves ordinary text, tabs and non-Latin letters alone', () => {
    assert.equal(escapeForTerminal('Failed password for root\tfrom 10.0.0.1 — ünïcödé 日本'), 'Failed password for root\tfrom 10.0.0.1 — ünïcödé 日本');
  });
});
