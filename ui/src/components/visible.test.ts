import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { ExternalReference, Visible } from './visible.js';

const html = (text: string, props: { multiline?: boolean; max?: number } = {}) => renderToStaticMarkup(createElement(Visible, { ...props, children: text }));

describe('<Visible>: hostile text on the page', () => {
  it('renders markup as text, never as elements', () => {
    const out = html('<img src=x onerror=alert(1)><script>alert(2)</script>');
    assert.equal(out, '<span class="v" dir="ltr">&lt;img src=x onerror=alert(1)&gt;&lt;script&gt;alert(2)&lt;/script&gt;</span>');
  });

  it('shows a bidi override and an ANSI escape as marked codes, in their own element', () => {
    const out = html('invoice\u202Efdp.exe \u001B[31m');
    assert.ok(!out.includes('\u202E') && !out.includes('\u001B'), 'the characters themselves are gone');
    assert.match(out, /invoice<span class="ctl" title="[^"]+">⟨U\+202E⟩<\/span>fdp\.exe <span class="ctl"[^>]*>⟨U\+001B⟩<\/span>\[31m/);
  });

  it('keeps line breaks in a multi-line block and marks them in a one-line cell', () => {
    assert.ok(html('a\nb', { multiline: true }).includes('a\nb'));
    assert.ok(html('a\nb').includes('⟨U+000A⟩'));
  });

  it('cuts long text on a code point and says how much is left', () => {
    const out = html(`${'x'.repeat(9)}😀tail`, { max: 10 });
    assert.ok(!out.includes('\uD83D'), 'no half emoji');
    assert.match(out, /x{9}<span class="cut"> … \(6 more characters\)<\/span>/);
  });
});

describe('<ExternalReference>: a rule reference', () => {
  const ref = (reference: string) => renderToStaticMarkup(createElement(ExternalReference, { reference }));

  it('links a plain https URL with no referrer and no opener', () => {
    assert.equal(ref('https://attack.mitre.org/techniques/T1110/'), '<a href="https://attack.mitre.org/techniques/T1110/" target="_blank" rel="noopener noreferrer"><span class="v" dir="ltr">https://attack.mitre.org/techniques/T1110/</span></a>');
  });

  it('leaves javascript: and data: references as text', () => {
    for (const bad of ['javascript:alert(1)', 'data:text/html,<script>alert(1)</script>']) {
      const out = ref(bad);
      assert.ok(!out.includes('<a'), out);
      assert.ok(!out.includes('<script'), out);
    }
  });
});
