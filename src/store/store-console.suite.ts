/**
 * The Store conformance suite, the console's part: alerts summed up over a range (overview) and
 * what each input has sent (sources page), see store.suite.ts.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { alertOf, type Alert } from '../core/alert.js';
import { createEvent, type Event, type EventFlag, type Fields, type SourceKind } from '../core/event.js';
import { MINUTE, T0, alert, type SuiteContext } from './store-suite-fixtures.js';

function sent(spec: { tenant?: string; minute: number; input: string; kind: SourceKind; address?: string; fields?: Fields; flags?: EventFlag[] }): Event {
  return createEvent({
    tenant: spec.tenant ?? 'a',
    received: T0 + spec.minute * MINUTE,
    time: T0 + spec.minute * MINUTE - 1000,
    source: { input: spec.input, kind: spec.kind, ...(spec.address === undefined ? {} : { address: spec.address }) },
    format: spec.flags?.includes('unparsed') ? 'raw' : 'rfc3164',
    original: 'line',
    fields: { message: 'line', ...spec.fields },
    ...(spec.flags ? { flags: spec.flags } : {}),
  });
}

export function consoleSemantics(ctx: SuiteContext): void {
  describe('console summaries', () => {
    it('sums up a range of alerts: by level per bucket, top rules, top entities, open alerts', async () => {
      const at = (minute: number) => T0 + minute * MINUTE;
      const a = (id: string, over: Partial<Alert>): Alert => ({ ...alertOf(alert({ id })), ...over });
      await ctx.store.applyAlertBatch({
        inserts: [
          a('al-1', { created: at(1), level: 'high', ruleId: 'r-ssh', ruleTitle: 'SSH brute force', count: 30, details: { entities: { 'source.ip': '203.0.113.7', 'host.name': ['Web1', 'db1'] } } }),
          a('al-2', { created: at(2), level: 'high', ruleId: 'r-ssh', ruleTitle: 'SSH brute force (v2)', count: 5, details: { entities: { 'source.ip': '203.0.113.7', 'host.name': 'web1' } } }),
          a('al-3', { created: at(16), level: 'critical', ruleId: 'r-mimi', ruleTitle: 'Mimikatz', ruleAuthor: 'Florian Roth', state: 'closed', details: { entities: { 'user.name': 'bob', 'process.pid': 4242, nested: { x: 1 }, gone: null, empty: '' } } }),
          a('al-4', { created: at(17), level: 'low', ruleId: 'r-key', ruleTitle: 'New SSH key', details: { entities: 'not an object' } }),
          a('al-5', { created: at(40), level: 'low', ruleId: 'r-key', ruleTitle: 'New SSH key', details: {} }),
          a('al-6', { created: at(3), tenant: 'b', level: 'high', ruleId: 'r-ssh', details: { entities: { 'source.ip': '203.0.113.7' } } }),
          a('al-7', { created: at(-5), level: 'medium', ruleId: 'r-old', details: { entities: { 'source.ip': '203.0.113.7' } } }),
        ],
        merges: [],
        days: [],
        suppressionHits: [],
      });
      const summary = await ctx.store.alertSummary({ tenant: 'a', from: at(0), to: at(30), bucketMs: 15 * MINUTE, topRules: 10, topEntities: 10 });
      assert.deepEqual(summary.byLevel, [
        { time: at(0), level: 'high', alerts: 2 },
        { time: at(15), level: 'critical', alerts: 1 },
        { time: at(15), level: 'low', alerts: 1 },
      ]);
      assert.deepEqual(summary.topRules, [
        { ruleId: 'r-ssh', ruleTitle: 'SSH brute force (v2)', ruleAuthor: 'vigil', level: 'high', alerts: 2, detections: 35 },
        { ruleId: 'r-key', ruleTitle: 'New SSH key', ruleAuthor: 'vigil', level: 'low', alerts: 1, detections: 1 },
        { ruleId: 'r-mimi', ruleTitle: 'Mimikatz', ruleAuthor: 'Florian Roth', level: 'critical', alerts: 1, detections: 1 },
      ]);
      assert.deepEqual(summary.topEntities, [
        { field: 'host.name', value: 'Web1', alerts: 2 },
        { field: 'source.ip', value: '203.0.113.7', alerts: 2 },
        { field: 'host.name', value: 'db1', alerts: 1 },
        { field: 'process.pid', value: '4242', alerts: 1 },
        { field: 'user.name', value: 'bob', alerts: 1 },
      ]);
      assert.equal(summary.open, 5, 'every open alert of the tenant, whenever created');
      const top = await ctx.store.alertSummary({ tenant: 'a', from: at(0), to: at(30), bucketMs: 60 * MINUTE, topRules: 1, topEntities: 1 });
      assert.deepEqual(top.byLevel.map((l) => [l.level, l.alerts]), [['critical', 1], ['high', 2], ['low', 1]]);
      assert.deepEqual(top.topRules.map((r) => r.ruleId), ['r-ssh']);
      assert.equal(top.topEntities.length, 1);
      const empty = await ctx.store.alertSummary({ tenant: 'c', from: at(0), to: at(30), bucketMs: MINUTE, topRules: 5, topEntities: 5 });
      assert.deepEqual(empty, { byLevel: [], topRules: [], topEntities: [], open: 0 });
    });

    it('tells what each input sent: last event, counts in the window and lately, unparsed, and its hosts', async () => {
      await ctx.store.appendEvents([
        sent({ minute: -600, input: 'syslog', kind: 'syslog-udp', address: '10.0.0.9:514', fields: { 'host.name': 'fw1' } }),
        sent({ minute: 1, input: 'syslog', kind: 'syslog-udp', address: '10.0.0.9:514', fields: { 'host.name': 'FW1' } }),
        sent({ minute: 2, input: 'syslog', kind: 'syslog-udp', address: '10.0.0.8:514' }),
        sent({ minute: 3, input: 'syslog', kind: 'syslog-udp', address: '[2001:db8::7]:40000', flags: ['unparsed'] }),
        sent({ minute: 9, input: 'syslog', kind: 'syslog-udp', address: '10.0.0.9:514', fields: { 'host.name': 'fw1' }, flags: ['unparsed'] }),
        sent({ minute: 9, input: 'syslog', kind: 'syslog-tcp', address: '10.0.0.7:5000', fields: { 'host.name': ['a', 'b'] } }),
        sent({ minute: 4, input: 'file', kind: 'file', address: '/var/log/auth.log' }),
        sent({ minute: 5, input: 'http', kind: 'http-ingest', tenant: 'b', address: '127.0.0.1:3000' }),
        sent({ minute: -2000, input: 'hec', kind: 'splunk-hec' }),
      ]);
      const activity = await ctx.store.sourceActivity({ tenant: 'a', lookbackFrom: T0 - 1000 * MINUTE, windowFrom: T0, recentFrom: T0 + 5 * MINUTE, hostsPerSource: 10 });
      assert.deepEqual(activity, [
        { input: 'file', kind: 'file', lastEvent: T0 + 4 * MINUTE, events: 1, unparsed: 0, firstInWindow: T0 + 4 * MINUTE, recentEvents: 0, recentUnparsed: 0, hosts: [] },
        {
          input: 'syslog',
          kind: 'syslog-tcp',
          lastEvent: T0 + 9 * MINUTE,
          events: 1,
          unparsed: 0,
          firstInWindow: T0 + 9 * MINUTE,
          recentEvents: 1,
          recentUnparsed: 0,
          hosts: [
            { host: 'a', lastEvent: T0 + 9 * MINUTE, events: 1 },
            { host: 'b', lastEvent: T0 + 9 * MINUTE, events: 1 },
          ],
        },
        {
          input: 'syslog',
          kind: 'syslog-udp',
          lastEvent: T0 + 9 * MINUTE,
          events: 4,
          unparsed: 2,
          firstInWindow: T0 + MINUTE,
          recentEvents: 1,
          recentUnparsed: 1,
          hosts: [
            { host: 'fw1', lastEvent: T0 + 9 * MINUTE, events: 2 },
            { host: '10.0.0.8', lastEvent: T0 + 2 * MINUTE, events: 1 },
            { host: '2001:db8::7', lastEvent: T0 + 3 * MINUTE, events: 1 },
          ],
        },
      ]);
      const quiet = await ctx.store.sourceActivity({ tenant: 'a', lookbackFrom: T0 - 1000 * MINUTE, windowFrom: T0 + 100 * MINUTE, recentFrom: T0 + 100 * MINUTE, hostsPerSource: 1 });
      assert.deepEqual(
        quiet.map((s) => [s.input, s.kind, s.lastEvent, s.events, s.firstInWindow, s.hosts.length]),
        [
          ['file', 'file', T0 + 4 * MINUTE, 0, null, 0],
          ['syslog', 'syslog-tcp', T0 + 9 * MINUTE, 0, null, 0],
          ['syslog', 'syslog-udp', T0 + 9 * MINUTE, 0, null, 0],
        ],
        'a source quiet in the window still has its last event',
      );
      const fewHosts = await ctx.store.sourceActivity({ tenant: 'a', lookbackFrom: T0, windowFrom: T0, recentFrom: T0, hostsPerSource: 1 });
      assert.deepEqual(fewHosts.find((s) => s.kind === 'syslog-udp')?.hosts.map((h) => h.host), ['fw1']);
      const noHosts = await ctx.store.sourceActivity({ tenant: 'a', lookbackFrom: T0, windowFrom: T0, recentFrom: T0, hostsPerSource: 0 });
      assert.deepEqual(noHosts.map((s) => [s.kind, s.events, s.hosts]), [['file', 1, []], ['syslog-tcp', 1, []], ['syslog-udp', 4, []]]);
      assert.deepEqual((await ctx.store.sourceActivity({ tenant: 'b', lookbackFrom: 0, windowFrom: 0, recentFrom: 0, hostsPerSource: 5 })).map((s) => s.hosts), [[{ host: '127.0.0.1', lastEvent: T0 + 5 * MINUTE, events: 1 }]]);
    });
  });
}
