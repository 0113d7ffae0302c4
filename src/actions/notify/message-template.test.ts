import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { testAlert } from './alert-fixture.test-support.js';
import { alertView } from './alert-view.js';
import { MessageTemplate, TemplateError } from './message-template.js';

const view = alertView(
  testAlert({
    ruleTitle: 'Odd <b>"title"</b> & more\r\nBcc: victim@example.com',
    details: { entities: { 'source.ip': '10.0.0.5', 'user.name': '{{rule.id}}', 'process.args': ['-c', 'id'] }, tags: ['attack.t1110'] },
  }),
);

describe('message templates', () => {
  it('looks up dotted paths, including entity keys that contain dots', () => {
    const t = new MessageTemplate('{{level}}: {{rule.title}} from {{entities.source.ip}} ({{alert.events}} events, tags {{tags}}, args {{entities.process.args}})');
    assert.equal(
      t.render(view, 'text'),
      'high: Odd <b>"title"</b> & more\r\nBcc: victim@example.com from 10.0.0.5 (2 events, tags attack.t1110, args -c, id)',
    );
  });

  it('escapes values for JSON string literals', () => {
    const out = new MessageTemplate('{"t": "{{rule.title}}"}').render(view, 'json');
    assert.equal((JSON.parse(out) as { t: string }).t, 'Odd <b>"title"</b> & more\r\nBcc: victim@example.com');
  });

  it('escapes &, < and > for Slack mrkdwn', () => {
    assert.equal(new MessageTemplate('*{{rule.title}}*').render(view, 'slack'), '*Odd &lt;b&gt;"title"&lt;/b&gt; &amp; more\r\nBcc: victim@example.com*');
  });

  it('strips CR and LF for a mail subject', () => {
    assert.equal(new MessageTemplate('[Vigil] {{rule.title}}').render(view, 'plain'), '[Vigil] Odd <b>"title"</b> & more Bcc: victim@example.com');
  });

  it('escapes HTML', () => {
    assert.equal(new MessageTemplate('{{rule.title}}').render(view, 'html'), 'Odd &lt;b&gt;&quot;title&quot;&lt;/b&gt; &amp; more\r\nBcc: victim@example.com');
  });

  it('never evaluates a value: template syntax inside alert content stays text', () => {
    assert.equal(new MessageTemplate('user {{entities.user.name}}').render(view, 'text'), 'user {{rule.id}}');
  });

  it('renders unknown keys, objects and prototype paths empty without touching prototypes', () => {
    const t = new MessageTemplate('[{{nope}}][{{rule.nope.deeper}}][{{constructor}}][{{__proto__}}][{{rule.__proto__.x}}][{{toString}}][{{rule.title.length}}][{{rule}}][{{tags.constructor.name}}]');
    assert.equal(t.render(view, 'text'), '[][][][][][][][][]');
    assert.equal(({} as Record<string, unknown>)['x'], undefined);
  });

  it('does not read through class instances or functions', () => {
    const t = new MessageTemplate('[{{m.size}}][{{f.name}}][{{d}}]');
    assert.equal(t.render({ m: new Map([['size', 1]]), f: function named() {}, d: new Date(0) }, 'text'), '[][][]');
  });

  it('refuses sections, partials, raw output and bad names, naming line and column', () => {
    const cases: [string, number, number, RegExp][] = [
      ['Hello {{#rule}}x{{/rule}}', 1, 9, /not supported/],
      ['a\nb {{> partial}}', 2, 5, /not supported/],
      ['{{{rule.title}}}', 1, 3, /not supported/],
      ['x\n\n  {{rule.title', 3, 3, /never closed/],
      ['{{ rule title }}', 1, 4, /not a dotted name/],
      ['{{}}', 1, 1, /empty/],
    ];
    for (const [source, line, column, message] of cases) {
      assert.throws(() => new MessageTemplate(source), (e: unknown) => {
        assert.ok(e instanceof TemplateError, source);
        assert.equal(e.line, line, source);
        assert.equal(e.column, column, source);
        assert.match(e.message, message);
        return true;
      });
    }
  });

  it('leaves a lone closing brace pair as text', () => {
    assert.equal(new MessageTemplate('a }} b').render(view, 'text'), 'a }} b');
  });
});
