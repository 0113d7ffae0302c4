import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { alertOf, type Alert } from '../core/alert.js';
import { isVigilError } from '../core/errors.js';
import { MemoryStore } from '../api/memory-store.test-support.js';
import { AlertTriage } from './alert-triage.js';
import { ruleFigures } from './rule-figures.js';

const T0 = Date.parse('2026-11-02T10:00:00Z');

function storeWith(...ids: string[]): MemoryStore {
  const store = new MemoryStore();
  for (const id of ids) {
    store.alerts.push(
      alertOf({ id, tenant: 't', created: T0, ruleId: 'r-1', ruleTitle: 'SSH Brute Force', ruleAuthor: 'Vigil', level: 'medium', eventIds: ['e'], state: 'new', details: { entities: { 'source.ip': '203.0.113.7' } } }),
    );
  }
  return store;
}

const refused = (pattern: RegExp) => (e: unknown) => isVigilError(e) && e.code === 'bad-request' && pattern.test(e.message);

describe('triage: the moves an analyst makes', () => {
  it('new → acknowledged → in progress → closed with a verdict, every move in the history with who and when', async () => {
    const store = storeWith('a1');
    let closed: Alert | undefined;
    const triage = new AlertTriage(store, (a) => (closed = a));
    await triage.apply('t', 'a1', { action: 'ack' }, 'ana', T0 + 1);
    await triage.apply('t', 'a1', { action: 'assign', assignee: 'bo' }, 'ana', T0 + 2);
    await triage.apply('t', 'a1', { action: 'start', comment: 'on it' }, 'bo', T0 + 3);
    await triage.apply('t', 'a1', { action: 'comment', comment: 'the source is our scanner' }, 'bo', T0 + 4);
    const done = await triage.apply('t', 'a1', { action: 'close', verdict: 'false_positive' }, 'bo', T0 + 5);
    assert.equal(done.state, 'closed');
    assert.equal(done.verdict, 'false_positive');
    assert.equal(done.assignee, 'bo');
    assert.equal(done.updated, T0 + 5);
    assert.deepEqual(
      done.history.map((h) => [h.by, h.action, h.from ?? null, h.to ?? null, h.text ?? null]),
      [
        ['vigil', 'created', null, null, null],
        ['ana', 'state', 'new', 'acknowledged', null],
        ['ana', 'assign', null, 'bo', null],
        ['bo', 'state', 'acknowledged', 'in_progress', 'on it'],
        ['bo', 'comment', null, null, 'the source is our scanner'],
        ['bo', 'state', 'in_progress', 'closed', null],
      ],
    );
    assert.equal(closed?.id, 'a1', 'the intake hears of the closure');
  });

  it('refuses moves that do not apply, closing without a verdict, and empty comments', async () => {
    const triage = new AlertTriage(storeWith('a1'));
    await assert.rejects(triage.apply('t', 'a1', { action: 'close' }, 'ana'), refused(/closing needs a verdict/));
    await assert.rejects(triage.apply('t', 'a1', { action: 'reopen' }, 'ana'), refused(/reopen applies to closed alerts/));
    await assert.rejects(triage.apply('t', 'a1', { action: 'ack', verdict: 'benign' }, 'ana'), refused(/verdict is given when closing/));
    await assert.rejects(triage.apply('t', 'a1', { action: 'comment', comment: '   ' }, 'ana'), refused(/needs text/));
    await assert.rejects(triage.apply('t', 'a1', { action: 'assign', assignee: 'x\u001b[31m' }, 'ana'), refused(/control characters/));
    await assert.rejects(triage.apply('other-tenant', 'a1', { action: 'ack' }, 'ana'), (e: unknown) => isVigilError(e) && e.code === 'not-found');
    await triage.apply('t', 'a1', { action: 'close', verdict: 'benign' }, 'ana');
    await assert.rejects(triage.apply('t', 'a1', { action: 'ack' }, 'ana'), refused(/is closed/));
    const reopened = await triage.apply('t', 'a1', { action: 'reopen', comment: 'it came back' }, 'ana');
    assert.equal(reopened.state, 'new');
    assert.equal(reopened.verdict, null);
  });
});

describe('rule figures: feedback from verdicts to tuning', () => {
  it('counts verdicts, the false-positive rate and time to triage, flags noisy rules and suggests suppressions', async () => {
    const store = storeWith('a1', 'a2', 'a3', 'a4', 'a5', 'a6');
    const triage = new AlertTriage(store);
    for (const [i, id] of ['a1', 'a2', 'a3', 'a4', 'a5'].entries()) await triage.apply('t', id, { action: 'close', verdict: 'false_positive' }, 'ana', T0 + (i + 1) * 60_000);
    await triage.apply('t', 'a6', { action: 'close', verdict: 'true_positive' }, 'ana', T0 + 600_000);
    const days = [{ tenant: 't', ruleId: 'r-1', day: Math.floor(T0 / 86_400_000), raised: 6, grouped: 40, suppressed: 2, throttled: 0 }];
    const [fig] = ruleFigures(days, store.alerts, { days: 30, now: T0 + 86_400_000 });
    assert.equal(fig!.raised, 6);
    assert.equal(fig!.grouped, 40);
    assert.deepEqual(fig!.verdicts, { true_positive: 1, false_positive: 5, benign: 0 });
    assert.equal(Math.round(fig!.falsePositiveRate! * 100), 83);
    assert.equal(fig!.medianTimeToTriageMs, 3.5 * 60_000);
    assert.equal(fig!.noisy, true);
    // The one entity is in a true positive too: suppressing it would hide a real attack.
    assert.deepEqual(fig!.suggestions, []);
    const other = storeWith('b1', 'b2');
    for (const id of ['b1', 'b2']) await new AlertTriage(other).apply('t', id, { action: 'close', verdict: 'false_positive' }, 'ana', T0 + 60_000);
    assert.deepEqual(ruleFigures([], other.alerts, { days: 30, now: T0 })[0]!.suggestions, [{ ruleId: 'r-1', field: 'source.ip', value: '203.0.113.7', falsePositives: 2 }]);
    assert.equal(ruleFigures([], other.alerts, { days: 30, now: T0 })[0]!.noisy, false, 'two verdicts are too few to call a rule noisy');
  });
});
