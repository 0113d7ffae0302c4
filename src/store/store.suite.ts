/**
 * The Store conformance suite: every Store implementation (DuckDB now, ClickHouse/PostgreSQL
 * later) runs it, so a query or a write means the same thing on every back end.
 *
 * Usage, in `<impl>.test.ts`:
 *   storeSuite('DuckDbStore', async () => { … return { store, reopen, cleanup }; });
 * `open` is called once per test and must give an empty store. `reopen`, when given, opens the
 * same data again; the suite closes `store` before calling it. The suite closes every store it
 * received, then calls `cleanup`.
 */
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createEvent } from '../core/event.js';
import { isVigilError } from '../core/errors.js';
import type { QueryNode } from '../core/query.js';
import type { Store } from '../core/store.js';
import { querySemantics } from './store-query.suite.js';
import { pipeSemantics } from './store-pipes.suite.js';
import { consoleSemantics } from './store-console.suite.js';
import { accountSemantics } from './store-accounts.suite.js';
import { MINUTE, T0, alert, event, f, not, or, t, token, type SuiteContext } from './store-suite-fixtures.js';
import { alertOf, type Alert, type AlertFilter } from '../core/alert.js';

export interface StoreUnderTest {
  readonly store: Store;
  readonly reopen?: () => Promise<Store>;
  readonly cleanup: () => Promise<void>;
}

export function storeSuite(name: string, open: () => Promise<StoreUnderTest>): void {
  describe(`Store conformance: ${name}`, () => {
    let sut: StoreUnderTest;
    let store: Store;
    const opened: Store[] = [];

    beforeEach(async () => {
      sut = await open();
      store = sut.store;
      opened.push(store);
    });

    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close();
      await sut.cleanup();
    });

    /** Ids of the hits for `query` in tenant a, newest first. */
    async function ids(query: QueryNode, extra: { tenant?: string; from?: number; to?: number; limit?: number } = {}): Promise<string[]> {
      const result = await store.search({ tenant: extra.tenant ?? 'a', query, from: extra.from, to: extra.to, limit: extra.limit ?? 100 });
      return result.hits.map((h) => h.id);
    }
    const context: SuiteContext = {
      get store() {
        return store;
      },
      ids,
    };

    describe('events', () => {
      it('returns appended events exactly as they were given', async () => {
        const e = event({ fields: { 'host.name': 'Web-01', 'process.pid': 4242, tags: ['x', 'y'], ok: true, gone: null } });
        const bare = createEvent({
          tenant: 'a',
          received: T0,
          source: { input: 'http', kind: 'http-ingest' },
          format: 'json',
          original: '{"k":1}',
          fields: { k: 1 },
          flags: ['truncated', 'time-unparsed'],
        });
        await store.appendEvents([e, bare]);
        const result = await store.search({ tenant: 'a', query: { kind: 'all' }, limit: 10 });
        assert.equal(result.total, 2);
        const byId = new Map(result.hits.map((h) => [h.id, h]));
        assert.deepEqual(byId.get(e.id), e);
        assert.deepEqual(byId.get(bare.id), bare);
        assert.ok(result.tookMs >= 0);
      });

      it('reads events in the order they were stored, page by page, within a time range', async () => {
        const batch = [event({ minute: 5 }), event({ minute: 1 }), event({ minute: 3, tenant: 'b' }), event({ minute: 2 }), event({ minute: 9 })];
        await store.appendEvents(batch.slice(0, 3));
        await store.appendEvents(batch.slice(3));
        const seen: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await store.scanEvents({ tenant: 'a', limit: 2, ...(cursor ? { cursor } : {}) });
          seen.push(...page.events.map((e) => e.id));
          cursor = page.cursor;
        } while (cursor);
        assert.deepEqual(seen, [batch[0]!.id, batch[1]!.id, batch[3]!.id, batch[4]!.id], 'stored order, not time order; other tenants never');
        const ranged = await store.scanEvents({ tenant: 'a', limit: 10, from: T0 + 2 * MINUTE, to: T0 + 9 * MINUTE });
        assert.deepEqual(ranged.events.map((e) => e.id), [batch[0]!.id, batch[3]!.id]);
        assert.equal(ranged.cursor, undefined);
      });

      it('counts events per tenant', async () => {
        await store.appendEvents([event({}), event({}), event({ tenant: 'b' })]);
        assert.equal(await store.countEvents('a'), 2);
        assert.equal(await store.countEvents('b'), 1);
        assert.equal(await store.countEvents('nobody'), 0);
      });

      it('profiles events by shape: format, source kind, field names, the asked values, counts and times', async () => {
        await store.appendEvents([
          event({ minute: 0, fields: { Channel: 'Security', EventID: 4624, 'user.name': 'alice' } }),
          event({ minute: 1, fields: { Channel: 'Security', EventID: 4624, 'user.name': 'bob' } }),
          event({ minute: 2, fields: { Channel: 'System', EventID: 7045, 'service.name': 'x' } }),
          event({ tenant: 'b', fields: { other: 1 } }),
        ]);
        const shapes = [...(await store.profileEvents('a', ['Channel', 'event.module', 'weird"name']))].sort((x, y) => y.count - x.count);
        assert.equal(shapes.length, 2);
        assert.deepEqual(shapes[0]!.fields, ['Channel', 'EventID', 'message', 'user.name'], 'a text message counts as a field');
        assert.deepEqual(shapes[0]!.values, { Channel: 'Security', 'event.module': null, 'weird"name': null });
        assert.equal(shapes[0]!.count, 2);
        assert.equal(shapes[0]!.first, T0);
        assert.equal(shapes[0]!.last, T0 + MINUTE);
        assert.equal(shapes[1]!.values['Channel'], 'System');
        assert.ok(shapes.every((x) => typeof x.format === 'string' && typeof x.sourceKind === 'string'));
        assert.deepEqual(await store.profileEvents('nobody', []), []);
      });

      it('never returns events of another tenant', async () => {
        const mine = event({ tenant: 'a', fields: { 'host.name': 'shared' } });
        const theirs = event({ tenant: 'b', fields: { 'host.name': 'shared' } });
        await store.appendEvents([mine, theirs]);
        assert.deepEqual(await ids({ kind: 'all' }), [mine.id]);
        assert.deepEqual(await ids(f('host.name', 'shared')), [mine.id]);
        assert.deepEqual(await ids(or(t('hello'), not(t('hello')))), [mine.id]);
        assert.deepEqual(await ids({ kind: 'all' }, { tenant: 'b' }), [theirs.id]);
      });

      it('returns newest first, breaks ties by id, honours limit and counts every match', async () => {
        const older = event({ minute: 1 });
        const newer = event({ minute: 5 });
        const sameA = event({ minute: 3 });
        const sameB = event({ minute: 3 }); // created later: larger UUIDv7
        await store.appendEvents([sameA, older, newer, sameB]);
        assert.deepEqual(await ids({ kind: 'all' }), [newer.id, sameB.id, sameA.id, older.id]);
        const limited = await store.search({ tenant: 'a', query: { kind: 'all' }, limit: 2 });
        assert.deepEqual(limited.hits.map((h) => h.id), [newer.id, sameB.id]);
        assert.equal(limited.total, 4);
        const none = await store.search({ tenant: 'a', query: { kind: 'all' }, limit: 0 });
        assert.deepEqual(none.hits, []);
        assert.equal(none.total, 4);
      });

      it('includes from and excludes to', async () => {
        const [m0, m1, m2] = [event({ minute: 0 }), event({ minute: 1 }), event({ minute: 2 })];
        await store.appendEvents([m0, m1, m2]);
        const at = (minute: number) => T0 + minute * MINUTE;
        assert.deepEqual(await ids({ kind: 'all' }, { from: at(1) }), [m2.id, m1.id]);
        assert.deepEqual(await ids({ kind: 'all' }, { to: at(1) }), [m0.id]);
        assert.deepEqual(await ids({ kind: 'all' }, { from: at(1), to: at(2) }), [m1.id]);
        assert.deepEqual(await ids({ kind: 'all' }, { from: at(1) + 1, to: at(2) }), []);
        const result = await store.search({ tenant: 'a', query: { kind: 'all' }, from: at(1), limit: 10 });
        assert.equal(result.total, 2);
      });

      it('refuses a limit that is negative, fractional or too large', async () => {
        for (const limit of [-1, 1.5, 1_000_000]) {
          await assert.rejects(
            store.search({ tenant: 'a', query: { kind: 'all' }, limit }),
            (e: unknown) => isVigilError(e) && e.code === 'query-invalid',
          );
        }
      });
    });

    querySemantics(context);
    pipeSemantics(context);
    consoleSemantics(context);
    accountSemantics(context);

    describe('checkpoints and atomicity', () => {
      it('writes the checkpoint with the events it covers', async () => {
        assert.equal(await store.readCheckpoint('bus'), undefined);
        await store.appendEvents([event({})], { consumer: 'bus', position: '1:100' });
        assert.deepEqual(await store.readCheckpoint('bus'), { consumer: 'bus', position: '1:100' });
        await store.appendEvents([event({})], { consumer: 'bus', position: '1:200' });
        await store.appendEvents([], { consumer: 'other', position: 'x' });
        assert.deepEqual(await store.readCheckpoint('bus'), { consumer: 'bus', position: '1:200' });
        assert.deepEqual(await store.readCheckpoint('other'), { consumer: 'other', position: 'x' });
        assert.equal(await store.countEvents('a'), 2);
      });

      it('keeps events and checkpoint across a reopen', async (ctx) => {
        if (!sut.reopen) return ctx.skip('no reopen for this store');
        const e = event({ fields: { 'host.name': 'persist' } });
        await store.appendEvents([e], { consumer: 'bus', position: '7' });
        await store.close();
        store = await sut.reopen();
        opened.push(store);
        assert.deepEqual(await store.readCheckpoint('bus'), { consumer: 'bus', position: '7' });
        assert.deepEqual(await ids(f('host.name', 'persist')), [e.id]);
      });

      it('keeps neither events nor checkpoint when an event in the batch is invalid', async () => {
        await store.appendEvents([event({})], { consumer: 'bus', position: '1' });
        const bad = { ...event({}), time: Number.NaN };
        const batch = [...Array.from({ length: 3000 }, () => event({})), bad, event({})];
        await assert.rejects(store.appendEvents(batch, { consumer: 'bus', position: '2' }), (e: unknown) => isVigilError(e));
        assert.equal(await store.countEvents('a'), 1);
        assert.deepEqual(await store.readCheckpoint('bus'), { consumer: 'bus', position: '1' });
      });

      // The checkpoint is written after the events, so these failures strike mid-transaction:
      // null is refused by the database, undefined before it reaches the database.
      for (const position of [null, undefined]) {
        it(`keeps no events when the checkpoint write fails after them (position ${String(position)})`, async () => {
          const badCheckpoint = { consumer: 'bus', position: position as unknown as string };
          await assert.rejects(store.appendEvents([event({}), event({})], badCheckpoint), (e: unknown) => isVigilError(e));
          assert.equal(await store.countEvents('a'), 0);
          assert.equal(await store.readCheckpoint('bus'), undefined);
          // The store is still usable after the failure.
          await store.appendEvents([event({})], { consumer: 'bus', position: '3' });
          assert.equal(await store.countEvents('a'), 1);
        });
      }

      it('serialises concurrent appends without losing any', async () => {
        await Promise.all(
          Array.from({ length: 8 }, (_, i) => store.appendEvents([event({}), event({})], { consumer: 'bus', position: String(i) })),
        );
        assert.equal(await store.countEvents('a'), 16);
        assert.deepEqual(await store.readCheckpoint('bus'), { consumer: 'bus', position: '7' });
      });
    });

    describe('tokens', () => {
      it('creates, finds by hash, lists and revokes', async () => {
        const first = token();
        const second = token({ id: 'tok-2', name: 'analyst', role: 'analyst', hash: 'b'.repeat(64), created: T0 + 1 });
        await store.createToken(first);
        await store.createToken(second);
        assert.deepEqual(await store.findTokenByHash(first.hash), first);
        assert.equal(await store.findTokenByHash('c'.repeat(64)), undefined);
        assert.deepEqual(await store.listTokens(), [first, second]);
        assert.equal(await store.revokeToken('tok-2'), true);
        assert.equal(await store.revokeToken('tok-2'), true);
        assert.equal(await store.revokeToken('missing'), false);
        assert.deepEqual(await store.findTokenByHash(second.hash), { ...second, revoked: true });
        assert.equal((await store.findTokenByHash(first.hash))?.revoked, false);
      });

      it('refuses a second token with the same secret hash', async () => {
        await store.createToken(token());
        await assert.rejects(store.createToken(token({ id: 'tok-9' })), (e: unknown) => isVigilError(e));
        assert.equal((await store.listTokens()).length, 1);
      });
    });

    describe('rule switches', () => {
      it('keeps the last switch of each rule per tenant, and no other tenant sees it', async () => {
        await store.setRuleState({ tenant: 'a', ruleId: 'r-2', enabled: false, changed: T0, changedBy: 'alice' });
        await store.setRuleState({ tenant: 'a', ruleId: 'r-1', enabled: false, changed: T0, changedBy: 'alice' });
        await store.setRuleState({ tenant: 'a', ruleId: 'r-1', enabled: true, changed: T0 + 5, changedBy: 'bob' });
        await store.setRuleState({ tenant: 'b', ruleId: 'r-2', enabled: true, changed: T0, changedBy: 'carol' });
        assert.deepEqual(await store.listRuleStates('a'), [
          { tenant: 'a', ruleId: 'r-1', enabled: true, changed: T0 + 5, changedBy: 'bob' },
          { tenant: 'a', ruleId: 'r-2', enabled: false, changed: T0, changedBy: 'alice' },
        ]);
        assert.deepEqual(await store.listRuleStates('c'), []);
        assert.equal((await store.listAllRuleStates()).length, 3);
      });
    });

    describe('alerts', () => {
      it('appends and lists newest first per tenant, up to the limit', async () => {
        const a1 = alert({ id: 'al-1', created: T0 });
        const a2 = alert({ id: 'al-2', created: T0 + 10, state: 'acknowledged', eventIds: [] });
        const b1 = alert({ id: 'al-3', tenant: 'b' });
        await store.appendAlerts([a1, a2, b1]);
        assert.deepEqual(await store.listAlerts('a', 10), [alertOf(a2), alertOf(a1)]);
        assert.deepEqual(await store.listAlerts('a', 1), [alertOf(a2)]);
        assert.deepEqual(await store.listAlerts('b', 10), [alertOf(b1)]);
        assert.deepEqual(await store.listAlerts('c', 10), []);
        // A detection stored on its own: one detection, seen at its event time, a history of one line.
        const stored = await store.getAlert('a', 'al-1');
        assert.equal(stored?.count, 1);
        assert.equal(stored?.groupKey, '');
        assert.deepEqual(stored?.history, [{ at: T0, by: 'vigil', action: 'created' }]);
        assert.equal(await store.getAlert('b', 'al-1'), undefined, 'never another tenant');
      });

      it('applies an intake batch in one write: new alerts, grouped detections, rule counters, suppression hits', async () => {
        const first = { ...alertOf(alert({ id: 'g-1' })), groupKey: 'r-1|source.ip=203.0.113.7', firstSeen: T0, lastSeen: T0 };
        await store.saveSuppression({ id: 's-1', tenant: 'a', created: T0, author: 'ana', reason: 'our scanner', ruleId: 'r-1', fields: { 'source.ip': '198.51.100.1' }, hits: 0 });
        await store.applyAlertBatch({
          inserts: [first],
          merges: [],
          days: [{ tenant: 'a', ruleId: 'r-1', day: 100, raised: 1, grouped: 0, suppressed: 2, throttled: 0 }],
          suppressionHits: [{ tenant: 'a', id: 's-1', add: 2 }],
        });
        await store.applyAlertBatch({
          inserts: [],
          merges: [{ tenant: 'a', id: 'g-1', add: 3, lastSeen: T0 + 5 * MINUTE, eventIds: ['e3', 'e4', 'e5'] }],
          days: [{ tenant: 'a', ruleId: 'r-1', day: 100, raised: 0, grouped: 3, suppressed: 0, throttled: 1 }],
          suppressionHits: [],
        });
        const g = await store.getAlert('a', 'g-1');
        assert.equal(g?.count, 4);
        assert.equal(g?.lastSeen, T0 + 5 * MINUTE);
        assert.deepEqual(g?.eventIds, ['e1', 'e2', 'e3', 'e4', 'e5']);
        assert.deepEqual(await store.ruleDays('a', 100), [{ tenant: 'a', ruleId: 'r-1', day: 100, raised: 1, grouped: 3, suppressed: 2, throttled: 1 }]);
        assert.deepEqual(await store.ruleDays('a', 101), []);
        assert.equal((await store.listSuppressions('a'))[0]?.hits, 2);
        assert.deepEqual((await store.openAlertGroups(T0)).map((x) => [x.id, x.groupKey, x.lastSeen]), [['g-1', 'r-1|source.ip=203.0.113.7', T0 + 5 * MINUTE]]);
      });

      it('updates an alert with its history, and filters by state and rule', async () => {
        await store.appendAlerts([alert({ id: 'al-1' }), alert({ id: 'al-2', ruleId: 'r-2', created: T0 + 1 })]);
        const changed = await store.updateAlert('a', 'al-1', {
          state: 'closed',
          verdict: 'false_positive',
          assignee: 'ana',
          updated: T0 + MINUTE,
          entries: [{ at: T0 + MINUTE, by: 'ana', action: 'state', from: 'new', to: 'closed', verdict: 'false_positive', text: 'our scanner' }],
        });
        assert.equal(changed?.state, 'closed');
        const reread = await store.getAlert('a', 'al-1');
        assert.deepEqual(reread, changed);
        assert.equal(reread?.history.length, 2);
        assert.equal(await store.updateAlert('b', 'al-1', { updated: 1, entries: [] }), undefined);
        assert.deepEqual((await store.listAlerts('a', 10, { state: 'open' })).map((x) => x.id), ['al-2']);
        assert.deepEqual((await store.listAlerts('a', 10, { state: 'closed' })).map((x) => x.id), ['al-1']);
        assert.deepEqual((await store.listAlerts('a', 10, { ruleId: 'r-2' })).map((x) => x.id), ['al-2']);
        assert.deepEqual(await store.openAlertGroups(0), [], 'alerts without a group key are not indexed');
      });

      it('filters alerts by level, text in the rule, assignee and active time, all together', async () => {
        const at = (minute: number) => T0 + minute * MINUTE;
        const a = (id: string, over: Partial<Alert>) => ({ ...alertOf(alert({ id })), ...over });
        await store.applyAlertBatch({
          inserts: [
            a('al-1', { level: 'high', ruleTitle: 'SSH brute force', ruleId: 'ssh-brute', firstSeen: at(0), lastSeen: at(10) }),
            a('al-2', { level: 'critical', ruleTitle: 'Mimikatz use', ruleId: 'win-mimikatz', firstSeen: at(20), lastSeen: at(30), assignee: 'ana' }),
            a('al-3', { level: 'low', ruleTitle: 'New SSH key', ruleId: 'ssh-key', firstSeen: at(40), lastSeen: at(50), assignee: 'bo' }),
            a('al-4', { tenant: 'b', level: 'high', ruleTitle: 'SSH brute force', firstSeen: at(0), lastSeen: at(10) }),
          ],
          merges: [],
          days: [],
          suppressionHits: [],
        });
        const ids = async (filter: AlertFilter) => (await store.listAlerts('a', 10, filter)).map((x) => x.id).sort();
        assert.deepEqual(await ids({ levels: ['high', 'critical'] }), ['al-1', 'al-2']);
        assert.deepEqual(await ids({ levels: [] }), []);
        assert.deepEqual(await ids({ text: 'ssh' }), ['al-1', 'al-3'], 'in the title, case-insensitively');
        assert.deepEqual(await ids({ text: 'WIN-MIMI' }), ['al-2'], 'in the rule id');
        assert.deepEqual(await ids({ text: "%' OR 1=1 --" }), [], 'text is a value, never SQL or a pattern');
        assert.deepEqual(await ids({ assignee: 'ana' }), ['al-2']);
        assert.deepEqual(await ids({ assignee: null }), ['al-1']);
        assert.deepEqual(await ids({ from: at(30) }), ['al-2', 'al-3'], 'active at or after from');
        assert.deepEqual(await ids({ to: at(20) }), ['al-1'], 'first seen before to');
        assert.deepEqual(await ids({ from: at(15), to: at(41) }), ['al-2', 'al-3']);
        assert.deepEqual(await ids({ text: 'ssh', levels: ['low'], assignee: 'bo', from: at(45) }), ['al-3']);
        assert.deepEqual((await store.listAlerts('b', 10, { text: 'ssh' })).map((x) => x.id), ['al-4']);
      });

      it('saves, replaces and lists cases per tenant, most recently updated first', async () => {
        const c = { id: 'c-1', tenant: 'a', created: T0, updated: T0, title: 'Break-in', status: 'open' as const, owner: null, alertIds: ['al-1'], notes: [], history: [] };
        await store.saveCase(c);
        await store.saveCase({ ...c, id: 'c-2', updated: T0 + 5 });
        await store.saveCase({ ...c, status: 'closed', updated: T0 + 10, notes: [{ at: T0 + 10, by: 'ana', text: 'done' }] });
        assert.deepEqual((await store.listCases('a', 10)).map((x) => [x.id, x.status]), [['c-1', 'closed'], ['c-2', 'open']]);
        assert.deepEqual((await store.getCase('a', 'c-1'))?.notes, [{ at: T0 + 10, by: 'ana', text: 'done' }]);
        assert.equal(await store.getCase('b', 'c-1'), undefined);
        assert.deepEqual(await store.listCases('b', 10), []);
      });

      it('keeps suppressions per tenant, expires them, and deletes them', async () => {
        await store.saveSuppression({ id: 's-1', tenant: 'a', created: T0, author: 'ana', reason: 'change window', fields: {}, expires: T0 + MINUTE, hits: 0 });
        await store.saveSuppression({ id: 's-2', tenant: 'b', created: T0, author: 'bo', reason: 'lab', ruleId: 'r-9', fields: { 'host.name': 'lab1' }, hits: 0 });
        assert.deepEqual((await store.listSuppressions('a')).map((x) => x.id), ['s-1']);
        assert.deepEqual((await store.activeSuppressions(T0)).map((x) => x.id).sort(), ['s-1', 's-2']);
        assert.deepEqual((await store.activeSuppressions(T0 + MINUTE)).map((x) => x.id), ['s-2']);
        assert.deepEqual((await store.listSuppressions('b'))[0], { id: 's-2', tenant: 'b', created: T0, author: 'bo', reason: 'lab', ruleId: 'r-9', fields: { 'host.name': 'lab1' }, hits: 0 });
        assert.equal(await store.deleteSuppression('a', 's-2'), false, 'another tenant');
        assert.equal(await store.deleteSuppression('b', 's-2'), true);
        assert.deepEqual(await store.listSuppressions('b'), []);
      });

      it('keeps none of a batch with a duplicate id', async () => {
        await store.appendAlerts([alert({ id: 'al-1' })]);
        await assert.rejects(store.appendAlerts([alert({ id: 'al-2' }), alert({ id: 'al-1' })]), (e: unknown) => isVigilError(e));
        assert.deepEqual((await store.listAlerts('a', 10)).map((a) => a.id), ['al-1']);
      });
    });

    describe('history: chain and retention', () => {
      it('verifies an untouched store, counting its batches and events', async () => {
        await store.appendEvents([event({ minute: 1 }), event({ minute: 2, tenant: 'b' })]);
        await store.appendEvents([], { consumer: 'c', position: '1' });
        await store.appendEvents([event({ minute: 3 })]);
        const report = await store.verifyChain();
        assert.deepEqual(report.problems, []);
        assert.equal(report.ok, true);
        assert.equal(report.batches, 2, 'a checkpoint without events makes no batch');
        assert.equal(report.events, 3);
      });

      it('deletes exactly the expired events of the selected tenant and source, records the run, and still verifies', async () => {
        const old = (tenant: string, kind: 'syslog-udp' | 'file', minute: number) =>
          createEvent({ tenant, received: T0 + minute * MINUTE, source: { input: 'x', kind }, format: 'raw', original: `${tenant} ${kind} ${minute}`, fields: {} });
        const events = [old('a', 'syslog-udp', 0), old('a', 'file', 0), old('b', 'syslog-udp', 0), old('a', 'syslog-udp', 10), old('a', 'file', 10)];
        await store.appendEvents(events.slice(0, 3));
        await store.appendEvents(events.slice(3));
        const run = await store.enforceRetention({ rule: 'tenant=a', selector: { tenant: 'a' }, except: [{ tenant: 'a', sourceKind: 'file' }], cutoff: T0 + 5 * MINUTE, now: T0 + 60 * MINUTE });
        assert.equal(run.deleted, 1);
        assert.equal(run.rule, 'tenant=a');
        assert.equal(run.cutoff, T0 + 5 * MINUTE);
        const left = await store.scanEvents({ tenant: 'a', limit: 100 });
        assert.deepEqual(left.events.map((e) => e.original), ['a file 0', 'a syslog-udp 10', 'a file 10']);
        assert.equal(await store.countEvents('b'), 1);
        const report = await store.verifyChain();
        assert.deepEqual(report.problems, []);
        assert.equal(report.events, 4);
        const again = await store.enforceRetention({ rule: 'default', selector: {}, except: [], cutoff: T0 + 5 * MINUTE, now: T0 + 61 * MINUTE });
        assert.equal(again.deleted, 2);
        assert.deepEqual((await store.listRetentionRuns(10)).map((r) => r.id), [again.id, run.id]);
        assert.equal((await store.verifyChain()).ok, true);
      });

      it('refuses a retention cutoff that is not whole epoch milliseconds', async () => {
        await assert.rejects(
          store.enforceRetention({ rule: 'x', selector: {}, except: [], cutoff: Number.NaN, now: T0 }),
          (e: unknown) => isVigilError(e) && e.code === 'bad-request' && /cutoff/.test(e.message),
        );
      });
    });

    describe('lifecycle', () => {
      it('closes idempotently and refuses work afterwards', async () => {
        await store.close();
        await store.close();
        await assert.rejects(store.countEvents('a'), (e: unknown) => isVigilError(e) && e.code === 'store-unavailable');
        await assert.rejects(store.appendEvents([event({})]), (e: unknown) => isVigilError(e) && e.code === 'store-unavailable');
      });
    });
  });
}
