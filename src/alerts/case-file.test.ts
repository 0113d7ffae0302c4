import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { alertOf } from '../core/alert.js';
import { isVigilError } from '../core/errors.js';
import { MemoryStore } from '../api/memory-store.test-support.js';
import { AlertTriage } from './alert-triage.js';
import { CaseFiles, caseMarkdown, markdownText } from './case-file.js';

const T0 = Date.parse('2026-11-02T10:00:00Z');

function store(): MemoryStore {
  const s = new MemoryStore();
  const a = (id: string, rule: string, entities: Record<string, string>, at: number) =>
    alertOf({ id, tenant: 't', created: at, ruleId: rule, ruleTitle: rule, ruleAuthor: 'Vigil', level: 'high', eventIds: ['e'], state: 'new', details: { entities, time: new Date(at).toISOString() } });
  s.alerts.push(a('a1', 'SSH Brute Force', { 'source.ip': '203.0.113.7' }, T0), a('a2', 'SSH Login After Brute Force', { 'source.ip': '203.0.113.7', 'user.name': 'root' }, T0 + 60_000));
  return s;
}

describe('cases: alerts grouped into an incident', () => {
  it('opens a case, adds alerts and notes, moves its status, and derives timeline and observables from its alerts', async () => {
    const s = store();
    const cases = new CaseFiles(s);
    const c = await cases.create('t', 'Break-in on web1', ['a1'], 'ana', T0 + 120_000);
    await cases.apply('t', c.id, { action: 'add-alerts', alertIds: ['a2', 'a1'] }, 'ana', T0 + 130_000);
    await new AlertTriage(s).apply('t', 'a2', { action: 'close', verdict: 'true_positive', comment: 'confirmed with the owner' }, 'bo', T0 + 140_000);
    await cases.apply('t', c.id, { action: 'note', text: 'root password rotated' }, 'bo', T0 + 150_000);
    await cases.apply('t', c.id, { action: 'status', status: 'contained' }, 'bo', T0 + 160_000);
    const view = await cases.view('t', c.id);
    assert.deepEqual(view.case.alertIds, ['a1', 'a2']);
    assert.equal(view.case.status, 'contained');
    assert.deepEqual(view.observables, [{ field: 'source.ip', value: '203.0.113.7', alerts: 2 }, { field: 'user.name', value: 'root', alerts: 1 }]);
    assert.deepEqual(
      view.timeline.map((e) => [e.at - T0, e.kind]),
      [[0, 'first-detection'], [60_000, 'first-detection'], [120_000, 'case'], [130_000, 'case'], [140_000, 'alert'], [150_000, 'note'], [160_000, 'case']],
    );
    const md = caseMarkdown(view);
    assert.match(md, /^# Case: Break\\-in on web1|^# Case: Break-in on web1/);
    assert.match(md, /\| SSH Login After Brute Force \| Vigil \| SSH Login After Brute Force \| 1 \| closed \| true_positive \|/);
    assert.match(md, /- .* — note \(bo\): root password rotated/);
  });

  it('escapes Markdown so text from events cannot become links, HTML, tables or headings', () => {
    assert.equal(markdownText('[x](http://evil) <img src=x onerror=alert(1)> | # *a*\nb'), '\\[x\\]\\(http://evil\\) \\<img src=x onerror=alert\\(1\\)\\> \\| \\# \\*a\\* b');
  });

  it('refuses unknown alerts, empty notes and other tenants', async () => {
    const cases = new CaseFiles(store());
    await assert.rejects(cases.create('t', 'x', ['nope'], 'ana'), (e: unknown) => isVigilError(e) && e.code === 'not-found');
    await assert.rejects(cases.create('t', '  ', [], 'ana'), (e: unknown) => isVigilError(e) && e.code === 'bad-request');
    const c = await cases.create('t', 'x', [], 'ana');
    await assert.rejects(cases.apply('t', c.id, { action: 'note', text: ' ' }, 'ana'), (e: unknown) => isVigilError(e) && e.code === 'bad-request');
    await assert.rejects(cases.view('other', c.id), (e: unknown) => isVigilError(e) && e.code === 'not-found');
  });
});
