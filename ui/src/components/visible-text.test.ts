import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hiddenPattern, httpUrl, markerOf, valueText, visibleText } from './visible-text.js';

describe('visible text: hostile characters become markers', () => {
  it('marks a bidi override so a file name cannot reverse itself', () => {
    assert.equal(visibleText('invoice\u202Efdp.exe'), 'invoice⟨U+202E⟩fdp.exe');
  });

  it('marks every bidi embedding, override, isolate and mark', () => {
    for (const c of ['\u202A', '\u202B', '\u202C', '\u202D', '\u202E', '\u2066', '\u2067', '\u2068', '\u2069', '\u200E', '\u200F', '\u061C']) {
      assert.equal(visibleText(`a${c}b`), `a${markerOf(c)}b`, `U+${c.codePointAt(0)!.toString(16)}`);
    }
  });

  it('marks the ESC of an ANSI sequence, so colours and cursor moves stay text', () => {
    assert.equal(visibleText('\u001B[31mred\u001B[0m \u001B[2J'), '⟨U+001B⟩[31mred⟨U+001B⟩[0m ⟨U+001B⟩[2J');
  });

  it('marks line breaks in one-line cells but keeps them in a multi-line block', () => {
    assert.equal(visibleText('ok\nFAKE LINE\r'), 'ok⟨U+000A⟩FAKE LINE⟨U+000D⟩');
    assert.equal(visibleText('ok\nnext\r', true), 'ok\nnext⟨U+000D⟩');
    assert.equal(visibleText('a\tb'), 'a⟨U+0009⟩b');
  });

  it('marks zero-width and invisible characters, C1 controls, tags and lone surrogates', () => {
    assert.equal(visibleText('ad\u200Bmin'), 'ad⟨U+200B⟩min');
    assert.equal(visibleText('\uFEFFx\u00AD\u2060'), '⟨U+FEFF⟩x⟨U+00AD⟩⟨U+2060⟩');
    assert.equal(visibleText('\u0085\u009B'), '⟨U+0085⟩⟨U+009B⟩');
    assert.equal(visibleText('\u{E0041}'), '⟨U+E0041⟩');
    assert.equal(visibleText('a\uD800b'), 'a⟨U+D800⟩b');
    assert.equal(visibleText('\u0000\u007F'), '⟨U+0000⟩⟨U+007F⟩');
  });

  it('leaves ordinary text, markup characters and other scripts alone (React escapes markup)', () => {
    const plain = '<script>alert(1)</script> &amp; "quotes" Ünïcödé 日本語 עברית 😀';
    assert.equal(visibleText(plain), plain);
  });

  it('gives the renderer a fresh global pattern each time (no lastIndex carried over)', () => {
    const a = hiddenPattern(false);
    assert.notEqual(a, hiddenPattern(false));
    assert.equal(a.flags.includes('g'), true);
    assert.equal('x\u202Ey'.match(a)?.length, 1);
  });
});

describe('value text', () => {
  it('shows every field value type as text', () => {
    assert.equal(valueText(null), '');
    assert.equal(valueText(4242), '4242');
    assert.equal(valueText(false), 'false');
    assert.equal(valueText(['a', 1, ['b']]), 'a, 1, b');
    assert.equal(valueText({ a: '<b>' }), '{"a":"<b>"}');
  });
});

describe('rule references: links only for plain http(s) URLs', () => {
  it('links http and https', () => {
    assert.equal(httpUrl('https://attack.mitre.org/techniques/T1110/'), 'https://attack.mitre.org/techniques/T1110/');
    assert.equal(httpUrl('http://example.org/a?b=c'), 'http://example.org/a?b=c');
  });

  it('refuses javascript:, data:, vbscript:, relative paths, and URLs with hidden characters or padding', () => {
    for (const bad of ['javascript:alert(1)', 'JaVaScRiPt:alert(1)', ' javascript:alert(1)', 'data:text/html,<script>alert(1)</script>', 'vbscript:msgbox', '/api/v1/tokens', '//evil.example/x', 'https://evil.example/\u202Egnp.exe', ' https://example.org', 'https://exa\nmple.org', 'not a url']) {
      assert.equal(httpUrl(bad), undefined, bad);
    }
  });
});
