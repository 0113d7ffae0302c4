/**
 * The whole Store conformance suite over the scale-out state store: events in a DuckDB file,
 * state in PostgreSQL (a fresh schema per test, dropped after it). Then what only a shared
 * database can get wrong: two processes writing one alert at once, text PostgreSQL cannot hold
 * as such, collation.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { alertOf, type Alert, type Suppression } from '../../core/alert.js';
import { DuckDbStore } from '../duckdb/duckdb-store.js';
import { splitStore } from '../split-store.js';
import { storeSuite } from '../store.suite.js';
import { MINUTE, T0, alert } from '../store-suite-fixtures.js';
import { PostgresStateStore } from './postgres-state-store.js';
import { TEST_POSTGRES_URL, dropSchema, uniqueSchema, withPostgres } from './postgres-test-server.js';

/** Any UTF-16 code units, NUL, lone surrogates and U+FFFF (the escape) favoured. */
const anyText = fc
  .array(fc.oneof(fc.integer({ min: 0, max: 0xffff }), fc.constantFrom(0, 0xffff, 0xd800, 0xdc00, 0x30, 0x73)), { maxLength: 20 })
  .map((units) => String.fromCharCode(...units));

function openState(schema: string): Promise<PostgresStateStore> {
  return PostgresStateStore.open({ url: TEST_POSTGRES_URL, schema, poolSize: 4 });
}

await withPostgres('PostgresStateStore', () => {
  storeSuite('PostgresStateStore + DuckDB events', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vigil-pg-'));
    const schema = uniqueSchema();
    const open = async () => {
      const events = await DuckDbStore.open({ path: join(dir, 'events.duckdb'), memoryLimit: '256MB', threads: 1 });
      try {
        return splitStore(events, await openState(schema));
      } catch (e) {
        await events.close();
        throw e;
      }
    };
    return {
      store: await open(),
      reopen: open,
      cleanup: async () => {
        await dropSchema(schema);
        await rm(dir, { recursive: true, force: true });
      },
    };
  });

  describe('PostgresStateStore shared by several processes', () => {
    let schema: string;
    let stores: PostgresStateStore[];

    beforeEach(async () => {
      schema = uniqueSchema();
      // Two stores, two pools: what two Vigil roles (or two detect workers) look like to the server.
      const first = await openState(schema);
      stores = [first, await openState(schema)];
    });

    afterEach(async () => {
      await Promise.all(stores.map((s) => s.close()));
      await dropSchema(schema);
    });

    it('counts every detection when two intake processes merge into one alert at once', async () => {
      const [one, two] = stores as [PostgresStateStore, PostgresStateStore];
      await one.applyAlertBatch({ inserts: [{ ...alertOf(alert({ id: 'g-1', eventIds: [] })), groupKey: 'k' }, { ...alertOf(alert({ id: 'g-2', eventIds: [] })), groupKey: 'k2' }], merges: [], days: [], suppressionHits: [] });
      await one.saveSuppression({ id: 's-1', tenant: 'a', created: T0, author: 'ana', reason: 'lab', fields: {}, hits: 0 });
      // Each batch touches both alerts, in opposite orders: without ordered locking this deadlocks.
      const batch = (n: number, ids: string[]) => ({
        inserts: [],
        merges: ids.map((id) => ({ tenant: 'a', id, add: 1, lastSeen: T0 + n, eventIds: [`e${n}-${id}`] })),
        days: [{ tenant: 'a', ruleId: 'r-1', day: 100, raised: 0, grouped: 2, suppressed: 1, throttled: 0 }],
        suppressionHits: [{ tenant: 'a', id: 's-1', add: 1 }],
      });
      await Promise.all(Array.from({ length: 40 }, (_, n) => (n % 2 === 0 ? one : two).applyAlertBatch(batch(n, n % 2 === 0 ? ['g-1', 'g-2'] : ['g-2', 'g-1']))));
      for (const id of ['g-1', 'g-2']) {
        const g = await one.getAlert('a', id);
        assert.equal(g?.count, 41);
        assert.equal(g?.lastSeen, T0 + 39);
        assert.equal(g?.eventIds.length, 40);
      }
      assert.deepEqual(await two.ruleDays('a', 0), [{ tenant: 'a', ruleId: 'r-1', day: 100, raised: 0, grouped: 80, suppressed: 40, throttled: 0 }]);
      assert.equal((await two.listSuppressions('a'))[0]?.hits, 40);
      assert.deepEqual([one.transactionRetries, two.transactionRetries], [0, 0], 'rows locked in key order: no deadlock to retry');
    });

    it('keeps every history entry when analysts triage one alert from two processes at once', async () => {
      const [one, two] = stores as [PostgresStateStore, PostgresStateStore];
      await one.appendAlerts([alert({ id: 'al-1' })]);
      await Promise.all(
        Array.from({ length: 20 }, (_, n) =>
          (n % 2 === 0 ? one : two).updateAlert('a', 'al-1', { assignee: `analyst-${n}`, updated: T0 + n, entries: [{ at: T0 + n, by: `analyst-${n}`, action: 'comment', text: String(n) }] }),
        ),
      );
      const stored = await two.getAlert('a', 'al-1');
      assert.equal(stored?.history.length, 21);
      assert.deepEqual(stored?.history.slice(1).map((h) => h.text).sort((x, y) => Number(x) - Number(y)), Array.from({ length: 20 }, (_, n) => String(n)));
      // The last entry is the last committed change: its assignee is the one stored.
      assert.equal(stored?.assignee, stored?.history.at(-1)?.by);
    });

    it('keeps only the newest 1,000 event ids of a long-running group, in order', async () => {
      const [one] = stores as [PostgresStateStore];
      await one.applyAlertBatch({ inserts: [{ ...alertOf(alert({ id: 'g-1', eventIds: ['e-first'] })), groupKey: 'k' }], merges: [], days: [], suppressionHits: [] });
      const ids = Array.from({ length: 1200 }, (_, n) => `e${n}`);
      await one.applyAlertBatch({
        inserts: [],
        merges: [
          { tenant: 'a', id: 'g-1', add: 600, lastSeen: T0, eventIds: ids.slice(0, 600) },
          { tenant: 'a', id: 'g-1', add: 600, lastSeen: T0, eventIds: ids.slice(600) },
        ],
        days: [],
        suppressionHits: [],
      });
      const g = await one.getAlert('a', 'g-1');
      assert.deepEqual(g?.eventIds, ids.slice(200));
      assert.equal(g?.count, 1201);
    });
  });

  describe('PostgresStateStore for partitioned detection', () => {
    let schema: string;
    let store: PostgresStateStore;
    beforeEach(async () => {
      schema = uniqueSchema();
      store = await openState(schema);
    });
    afterEach(async () => {
      await store.close();
      await dropSchema(schema);
    });

    it('records delivered detection ids with the alert batch, all or nothing, and prunes them by age', async () => {
      await store.applyAlertBatch({ inserts: [{ ...alertOf(alert({ id: 'd-1' })), groupKey: 'k' }], merges: [], days: [], suppressionHits: [], deliveries: ['d:e:0:5:0', 'd:e:0:5:1'] });
      assert.deepEqual([...(await store.deliveredDetections(['d:e:0:5:0', 'd:e:0:5:1', 'd:e:0:6:0']))].sort(), ['d:e:0:5:0', 'd:e:0:5:1']);
      // A batch that fails (a duplicate alert id) keeps none of its delivery ids either.
      await assert.rejects(store.applyAlertBatch({ inserts: [{ ...alertOf(alert({ id: 'd-1' })), groupKey: 'k' }], merges: [], days: [], suppressionHits: [], deliveries: ['d:e:0:6:0'] }));
      assert.deepEqual([...(await store.deliveredDetections(['d:e:0:6:0']))], []);
      // Ids alone (every detection of the batch dropped by a rule switch) are recorded too; a repeat is kept once.
      await store.applyAlertBatch({ inserts: [], merges: [], days: [], suppressionHits: [], deliveries: ['d:e:0:6:0', 'd:e:0:5:0'] });
      assert.equal((await store.deliveredDetections(['d:e:0:6:0'])).size, 1);
      assert.equal(await store.pruneDeliveries(Date.now() + 1), 3);
      assert.equal((await store.deliveredDetections(['d:e:0:5:0'])).size, 0);
    });

    it('lets one process at a time hold a partition, naming the one another holds', async () => {
      const other = await openState(schema);
      try {
        const mine = await store.holdPartitions([{ kind: 'detection partition', partition: 0 }, { kind: 'events partition', partition: 0 }], 0);
        // Another deployment's schema in the same database is not in the way.
        const otherSchema = uniqueSchema();
        const elsewhere = await PostgresStateStore.open({ url: TEST_POSTGRES_URL, schema: otherSchema, poolSize: 2 });
        await (await elsewhere.holdPartitions([{ kind: 'detection partition', partition: 0 }], 0)).release();
        await elsewhere.close();
        await dropSchema(otherSchema);
        await assert.rejects(other.holdPartitions([{ kind: 'detection partition', partition: 1 }, { kind: 'detection partition', partition: 0 }], 600), (e: unknown) => {
          assert.match((e as Error).message, /^detection partition 0 is held by another running detect process/);
          assert.match((e as Error).message, /scaleOut\.detect\.worker/);
          return true;
        });
        // What the refused process had taken is free again; what the first holds is freed by release.
        await (await store.holdPartitions([{ kind: 'detection partition', partition: 1 }], 0)).release();
        const waiting = other.holdPartitions([{ kind: 'detection partition', partition: 0 }], 5000);
        await mine.release();
        await (await waiting).release();
      } finally {
        await other.close();
      }
    });

    it('keeps the last checkpoint of each partition, text exactly as saved', async () => {
      assert.equal(await store.loadDetectCheckpoint(3), undefined);
      const text = JSON.stringify({ position: 7, key: 'a\u0000b', odd: '\uffff' });
      await store.saveDetectCheckpoint(3, text);
      await store.saveDetectCheckpoint(3, text + ' ');
      await store.saveDetectCheckpoint(4, 'other');
      assert.equal(await store.loadDetectCheckpoint(3), text + ' ');
      assert.equal(await store.loadDetectCheckpoint(4), 'other');
    });
  });

  describe('PostgresStateStore and text PostgreSQL cannot hold as such', () => {
    let schema: string;
    let store: PostgresStateStore;

    beforeEach(async () => {
      schema = uniqueSchema();
      store = await openState(schema);
    });

    afterEach(async () => {
      await store.close();
      await dropSchema(schema);
    });

    it('stores NUL, lone surrogates and U+FFFF in every kind of field, and reads them back exactly', async () => {
      const odd = 'a\u0000b\uD800c\uDC00d\uFFFFe\uFFFF0f';
      const a: Alert = {
        ...alertOf(alert({ id: `id-${odd}`, ruleTitle: odd, eventIds: [odd, 'plain'], details: { [odd]: odd, entities: { 'host.name': [odd, 'web1'], 'user.name': odd } } })),
        groupKey: odd,
        history: [{ at: T0, by: odd, action: 'comment', text: odd }],
      };
      await store.applyAlertBatch({ inserts: [a], merges: [{ tenant: 'a', id: a.id, add: 1, lastSeen: T0, eventIds: [odd] }], days: [], suppressionHits: [] });
      const back = await store.getAlert('a', a.id);
      assert.deepEqual(back, { ...a, count: 2, eventIds: [odd, 'plain', odd] });
      assert.deepEqual((await store.listAlerts('a', 10, { text: 'a\u0000b' })).map((x) => x.id), [a.id], 'a search for text with NUL finds it');
      assert.deepEqual((await store.listAlerts('a', 10, { text: 'b\u0000' })).map((x) => x.id), []);
      const summary = await store.alertSummary({ tenant: 'a', from: 0, to: T0 + MINUTE, bucketMs: MINUTE, topRules: 5, topEntities: 5 });
      assert.deepEqual(summary.topEntities.map((e) => [e.field, e.value]).sort(), [['host.name', odd], ['host.name', 'web1'], ['user.name', odd]]);
      assert.equal(summary.topRules[0]?.ruleTitle, odd);
      await store.appendAudit([{ id: odd, time: T0, tenant: 'a', actor: odd, actorKind: 'user', role: 'admin', action: 'login-failed', target: odd, outcome: 'failure', remote: null, details: { [odd]: [odd] } }]);
      assert.deepEqual((await store.listAudit({ tenant: 'a', limit: 5, actor: odd }))[0]?.details, { [odd]: [odd] });
      await store.saveSuppression({ id: 's', tenant: 'a', created: T0, author: odd, reason: odd, fields: { [odd]: odd }, hits: 0 });
      assert.deepEqual((await store.listSuppressions('a'))[0]?.fields, { [odd]: odd });
    });

    it('gives back any string stored in a text column or a JSON document', async () => {
      let n = 0;
      await fc.assert(
        fc.asyncProperty(anyText, anyText, async (text, key) => {
          const s: Suppression = { id: `s-${n++}`, tenant: text, created: T0, author: text, reason: key, ruleId: text, fields: { [key]: text }, hits: 0 };
          await store.saveSuppression(s);
          assert.deepEqual((await store.listSuppressions(text)).find((x) => x.id === s.id), s);
        }),
        { numRuns: 150 },
      );
    });

    it('orders by code point and folds case for all of Unicode, as DuckDB does', async () => {
      await store.appendAlerts(['B', 'a', 'Ä', 'b'].map((id) => alert({ id, created: T0, ruleTitle: id === 'Ä' ? 'ÄRGER im Netz' : 'other' })));
      assert.deepEqual((await store.listAlerts('a', 10)).map((x) => x.id), ['Ä', 'b', 'a', 'B'], 'id DESC by code point, whatever the server locale');
      assert.deepEqual((await store.listAlerts('a', 10, { text: 'ärger' })).map((x) => x.id), ['Ä']);
      assert.deepEqual((await store.listAlerts('a', 10, { text: 'ÄRGER' })).map((x) => x.id), ['Ä']);
      assert.notEqual(store.lowerCollation, 'default', 'this server has a Unicode collation for lower()');
    });
  });
});
