/** The Store conformance suite, part 2: what a query means (see store.suite.ts). */
import { beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Event } from '../core/event.js';
import { isVigilError } from '../core/errors.js';
import { MINUTE, T0, and, event, exists, f, not, or, t, type SuiteContext } from './store-suite-fixtures.js';

export function querySemantics(ctx: SuiteContext): void {
  describe('query semantics', () => {
    let web: Event, db: Event, anon: Event, multi: Event;

    beforeEach(async () => {
      web = event({
        minute: 1,
        message: 'Failed password for root from 203.0.113.7',
        fields: {
          'host.name': 'WEB-01',
          'user.name': 'root',
          'source.ip': '203.0.113.7',
          'event.outcome': 'failure',
          'event.category': ['authentication'],
          'process.pid': 1234,
          'service.name': 'SSHD',
          tags: ['prod', 'EU'],
        },
      });
      db = event({
        minute: 2,
        message: 'Accepted publickey for alice',
        fields: { 'host.name': 'db-01', 'user.name': 'Alice', 'event.outcome': 'success', 'process.pid': 99, 'service.name': 'sshd' },
      });
      // labels.note holds text other queries look for in other fields: a field filter must
      // not match it just because the text occurs somewhere in the event.
      anon = event({ minute: 3, message: 'kernel: eth0 link up', fields: { 'host.name': 'web-02', 'labels.note': 'SSHD restart, tags prod' } });
      multi = event({
        minute: 4,
        message: 'cluster event',
        fields: { 'host.name': ['node-a', 'Node-B'], 'event.category': ['network', 'session'], 'service.name': ['x', 'Y'] },
      });
      await ctx.store.appendEvents([web, db, anon, multi]);
    });

    it('matches a promoted field case-insensitively', async () => {
      assert.deepEqual(await ctx.ids(f('host.name', 'web-01')), [web.id]);
      assert.deepEqual(await ctx.ids(f('user.name', 'ALICE')), [db.id]);
      assert.deepEqual(await ctx.ids(f('source.ip', '203.0.113.7')), [web.id]);
    });

    it('matches a field stored only in the JSON fields case-insensitively', async () => {
      assert.deepEqual(await ctx.ids(f('service.name', 'sshd')), [db.id, web.id]);
    });

    it('matches numbers by their text', async () => {
      assert.deepEqual(await ctx.ids(f('process.pid', '1234')), [web.id]);
      assert.deepEqual(await ctx.ids(f('process.pid', '123')), []);
    });

    it('matches an array field when any element matches', async () => {
      assert.deepEqual(await ctx.ids(f('host.name', 'node-b')), [multi.id]);
      assert.deepEqual(await ctx.ids(f('event.category', 'SESSION')), [multi.id]);
      assert.deepEqual(await ctx.ids(f('event.category', 'authentication')), [web.id]);
      assert.deepEqual(await ctx.ids(f('tags', 'eu')), [web.id]);
      assert.deepEqual(await ctx.ids(f('service.name', 'y')), [multi.id]);
      assert.deepEqual(await ctx.ids(f('host.name', 'node-*', true)), [multi.id]);
      assert.deepEqual(await ctx.ids(f('event.category', 'sess*', true)), [multi.id]);
      assert.deepEqual(await ctx.ids(f('tags', 'pr?d', true)), [web.id]);
    });

    it('matches globs: * any run, ? one character, anchored at both ends', async () => {
      assert.deepEqual(await ctx.ids(f('host.name', 'web-*', true)), [anon.id, web.id]);
      assert.deepEqual(await ctx.ids(f('host.name', 'WEB-0?', true)), [anon.id, web.id]);
      assert.deepEqual(await ctx.ids(f('host.name', 'eb-*', true)), []);
      assert.deepEqual(await ctx.ids(f('service.name', 'SS*', true)), [db.id, web.id]);
      assert.deepEqual(await ctx.ids(f('process.pid', '12*', true)), [web.id]);
    });

    it('matches the message field as a whole, case-insensitively', async () => {
      assert.deepEqual(await ctx.ids(f('message', 'accepted publickey for ALICE')), [db.id]);
      assert.deepEqual(await ctx.ids(f('message', 'accepted')), []);
      assert.deepEqual(await ctx.ids(f('message', 'accepted*', true)), [db.id]);
    });

    it('finds free text anywhere in the original or the message, case-insensitively', async () => {
      assert.deepEqual(await ctx.ids(t('FAILED PASSWORD')), [web.id]);
      assert.deepEqual(await ctx.ids(t('publickey')), [db.id]);
      assert.deepEqual(await ctx.ids(t('eth? link', true)), [anon.id]);
      assert.deepEqual(await ctx.ids(t('for * from', true)), [web.id]);
      assert.deepEqual(await ctx.ids(t('no such words')), []);
    });

    it('finds free text in a message that the original holds only JSON-escaped', async () => {
      const e = event({ minute: 9, message: 'path "C:\\temp" denied', original: JSON.stringify({ msg: 'path "C:\\temp" denied' }) });
      await ctx.store.appendEvents([e]);
      assert.deepEqual(await ctx.ids(t('"c:\\temp" denied')), [e.id]);
    });

    it('tests presence with exists', async () => {
      assert.deepEqual(await ctx.ids(exists('user.name')), [db.id, web.id]);
      assert.deepEqual(await ctx.ids(exists('tags')), [web.id]);
      assert.deepEqual(await ctx.ids(exists('host.name')), [multi.id, anon.id, db.id, web.id]);
      assert.deepEqual(await ctx.ids(exists('event.category')), [multi.id, web.id]);
      assert.deepEqual(await ctx.ids(exists('message')), [multi.id, anon.id, db.id, web.id]);
      assert.deepEqual(await ctx.ids(exists('no.such.field')), []);
    });

    it('combines with AND, OR and NOT', async () => {
      assert.deepEqual(await ctx.ids(and(f('service.name', 'sshd'), f('event.outcome', 'failure'))), [web.id]);
      assert.deepEqual(await ctx.ids(or(f('user.name', 'root'), f('host.name', 'web-02'))), [anon.id, web.id]);
      assert.deepEqual(await ctx.ids(and(t('for'), not(f('user.name', 'alice')))), [web.id]);
      assert.deepEqual(await ctx.ids(and(exists('user.name'), not(or(f('host.name', 'db-01'), t('nothing'))))), [web.id]);
    });

    it('makes NOT true when the field is missing', async () => {
      assert.deepEqual(await ctx.ids(not(f('user.name', 'root'))), [multi.id, anon.id, db.id]);
      assert.deepEqual(await ctx.ids(not(f('tags', 'prod'))), [multi.id, anon.id, db.id]);
      assert.deepEqual(await ctx.ids(not(f('service.name', 'sshd'))), [multi.id, anon.id]);
      assert.deepEqual(await ctx.ids(not(f('service.name', 'ssh*', true))), [multi.id, anon.id]);
      assert.deepEqual(await ctx.ids(not(f('service.name', '?*', true))), [anon.id]);
      assert.deepEqual(await ctx.ids(not(f('event.category', 'network'))), [anon.id, db.id, web.id]);
      assert.deepEqual(await ctx.ids(not(exists('user.name'))), [multi.id, anon.id]);
    });

    it('matches hostile strings literally', async () => {
      const hostile = [`it's`, `50%`, `a_b`, `back\\slash`, `'; DROP TABLE events; --`, `"quoted"`, `$1`, `x%' OR '1'='1`];
      const events = hostile.map((value, i) =>
        event({ minute: 10 + i, message: `value ${value} end`, fields: { 'user.name': value, 'labels.v': value } }),
      );
      await ctx.store.appendEvents(events);
      for (const [i, value] of hostile.entries()) {
        const expected = [(events[i] as Event).id];
        assert.deepEqual(await ctx.ids(f('user.name', value)), expected, `user.name:${value}`);
        assert.deepEqual(await ctx.ids(f('labels.v', value)), expected, `labels.v:${value}`);
        assert.deepEqual(await ctx.ids(t(`value ${value} end`)), expected, `text ${value}`);
      }
      // LIKE metacharacters in a glob are literal too: `%` must not act as a wildcard.
      assert.deepEqual(await ctx.ids(f('user.name', '5?%', true)), [(events[1] as Event).id]);
      assert.deepEqual(await ctx.ids(f('labels.v', 'a_*', true)), [(events[2] as Event).id]);
      assert.deepEqual(await ctx.ids(f('user.name', '%', true)), []);
      assert.deepEqual(await ctx.ids(f('labels.v', 'back\\\\*', true)), [(events[3] as Event).id]);
      assert.equal(await ctx.store.countEvents('a'), 4 + hostile.length);
    });

    it('folds case beyond ASCII', async () => {
      const e = event({ minute: 20, message: 'Ärger mit JOSÉ', fields: { 'user.name': 'JOSÉ', 'labels.city': 'ÅRHUS' } });
      await ctx.store.appendEvents([e]);
      assert.deepEqual(await ctx.ids(f('user.name', 'josé')), [e.id]);
      assert.deepEqual(await ctx.ids(f('labels.city', 'århus')), [e.id]);
      assert.deepEqual(await ctx.ids(f('labels.city', 'år*', true)), [e.id]);
      assert.deepEqual(await ctx.ids(t('ärger mit josé')), [e.id]);
    });

    it('keeps a message that is not a string, with its type, and matches its text', async () => {
      const numeric = event({ minute: 21, fields: { message: 42 } });
      const list = event({ minute: 22, fields: { message: ['a', 'b'] } });
      const none = event({ minute: 23, fields: { message: null } });
      await ctx.store.appendEvents([numeric, list, none]);
      const hits = (await ctx.store.search({ tenant: 'a', query: { kind: 'all' }, from: T0 + 21 * MINUTE, limit: 10 })).hits;
      assert.deepEqual(hits, [none, list, numeric]);
      assert.deepEqual(await ctx.ids(f('message', '42')), [numeric.id]);
      assert.deepEqual(await ctx.ids(exists('message'), { from: T0 + 21 * MINUTE }), [list.id, numeric.id]);
    });

    it('refuses a field name outside the field-name alphabet', async () => {
      for (const bad of [`a"b`, `a'b`, `a\\b`, 'a b', '']) {
        await assert.rejects(
          ctx.store.search({ tenant: 'a', query: f(bad, 'x'), limit: 10 }),
          (e: unknown) => isVigilError(e) && e.code === 'query-invalid',
          JSON.stringify(bad),
        );
      }
    });
  });
}
