/**
 * The Store conformance suite, part 3: comparisons, networks, sorting and the pipes
 * (`| stats`, `| timechart`, `| top`, `| head`, `| fields`), written as query text so each spec
 * reads as what an analyst types (see store.suite.ts).
 */
import { beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createEvent, type Event, type SourceKind } from '../core/event.js';
import type { TableResult } from '../core/query.js';
import { isVigilError } from '../core/errors.js';
import { planQuery, runQuery } from '../search/query-plan.js';
import { MINUTE, T0, event, type SuiteContext } from './store-suite-fixtures.js';

export function pipeSemantics(ctx: SuiteContext): void {
  describe('comparisons, networks and pipes', () => {
    let ssh1: Event, ssh2: Event, web: Event, v6: Event, dns: Event;

    beforeEach(async () => {
      ssh1 = event({
        minute: 1,
        message: 'Failed password for root from 10.1.2.3',
        fields: { 'host.name': 'bastion', 'user.name': 'root', 'source.ip': '10.1.2.3', 'destination.port': 22, 'event.outcome': 'failure', 'http.bytes': 10 },
      });
      ssh2 = event({
        minute: 2,
        message: 'Failed password for admin from 172.20.0.5',
        fields: { 'host.name': 'bastion', 'user.name': 'admin', 'source.ip': '172.20.0.5', 'destination.port': 22, 'event.outcome': 'failure' },
      });
      web = event({
        minute: 65,
        message: 'GET /login 200',
        fields: { 'host.name': 'web-01', 'user.name': 'root', 'source.ip': '203.0.113.9', 'destination.port': 8443, 'http.bytes': 1500, 'url.path': '/login' },
      });
      v6 = event({
        minute: 66,
        message: 'Accepted publickey for alice',
        fields: { 'host.name': 'web-01', 'user.name': 'alice', 'source.ip': '2001:db8:0:1::7', 'destination.port': '2222', 'event.outcome': 'success' },
      });
      dns = event({
        minute: 130,
        message: 'query example.org',
        fields: { 'host.name': ['dns-1', 'dns-2'], 'client.ip': ['192.168.1.10', 'fe80::1%eth0'], 'destination.port': 53, 'dns.answers': ['a', 'b', 'a'] },
      });
      await ctx.store.appendEvents([ssh1, ssh2, web, v6, dns]);
    });

    async function ids(text: string): Promise<string[]> {
      const plan = planQuery(text);
      assert.equal(plan.kind, 'events');
      const out = await runQuery(ctx.store, plan, { tenant: 'a', limit: 100 });
      assert.equal(out.kind, 'events');
      return out.kind === 'events' ? out.result.hits.map((h) => h.id) : [];
    }

    async function table(text: string): Promise<TableResult> {
      const out = await runQuery(ctx.store, planQuery(text), { tenant: 'a', limit: 100 });
      assert.equal(out.kind, 'table');
      return out.kind === 'table' ? out.table : { columns: [], rows: [], truncated: false, tookMs: 0 };
    }

    it('compares numbers numerically, whether stored as numbers or numeric text', async () => {
      assert.deepEqual(await ids('destination.port>1024'), [v6.id, web.id]);
      assert.deepEqual(await ids('destination.port >= 8443'), [web.id]);
      assert.deepEqual(await ids('destination.port<=22'), [ssh2.id, ssh1.id]);
      assert.deepEqual(await ids('destination.port:<53'), [ssh2.id, ssh1.id]);
      assert.deepEqual(await ids('http.bytes>100'), [web.id], 'a JSON field');
    });

    it('compares text in case-insensitive order when the value is not a number', async () => {
      assert.deepEqual(await ids('user.name>="B"'), [web.id, ssh1.id]);
      assert.deepEqual(await ids('NOT destination.port>0'), [], 'every event has a port');
    });

    it('compares @timestamp as time', async () => {
      const at = new Date(T0 + 60 * MINUTE).toISOString();
      assert.deepEqual(await ids(`@timestamp>=${at}`), [dns.id, v6.id, web.id]);
      assert.deepEqual(await ids(`@timestamp<${at} AND user.name:root`), [ssh1.id]);
    });

    it('matches addresses inside an IPv4 or IPv6 network, on any element of an array', async () => {
      assert.deepEqual(await ids('source.ip:10.0.0.0/8'), [ssh1.id]);
      assert.deepEqual(await ids('source.ip:172.16.0.0/12'), [ssh2.id], 'a prefix not on an octet boundary');
      assert.deepEqual(await ids('source.ip:172.32.0.0/12'), []);
      assert.deepEqual(await ids('source.ip:0.0.0.0/0'), [web.id, ssh2.id, ssh1.id], 'every IPv4 address, no IPv6');
      assert.deepEqual(await ids('source.ip:2001:db8::/32'), [v6.id]);
      assert.deepEqual(await ids('source.ip:2001:db8:0:1::/64'), [v6.id]);
      assert.deepEqual(await ids('source.ip:2001:db8:0:2::/64'), []);
      assert.deepEqual(await ids('client.ip:192.168.0.0/16'), [dns.id], 'an array field in the JSON');
      assert.deepEqual(await ids('client.ip:fe80::/10'), [dns.id], 'a zone is ignored');
      assert.deepEqual(await ids('NOT source.ip:10.0.0.0/8 AND source.ip:*'), [v6.id, web.id, ssh2.id]);
    });

    it('sorts events by a field, numbers numerically, missing values last, then newest first', async () => {
      assert.deepEqual(await ids('* | sort -destination.port'), [web.id, v6.id, dns.id, ssh2.id, ssh1.id]);
      assert.deepEqual(await ids('* | sort url.path, @timestamp'), [web.id, ssh1.id, ssh2.id, v6.id, dns.id]);
      assert.deepEqual(await ids('* | sort @timestamp | head 2'), [ssh1.id, ssh2.id]);
    });

    it('finds, groups and sorts by how events arrived: source.input and source.kind', async () => {
      const via = (input: string, kind: SourceKind, minute: number) =>
        createEvent({ tenant: 'a', received: T0 + minute * MINUTE, source: { input, kind }, format: 'json', original: '{}', fields: { message: `via ${input}` } });
      const hec = via('hec', 'splunk-hec', 200);
      const fortigate = via('FortiGate', 'syslog-tcp', 201);
      await ctx.store.appendEvents([hec, fortigate]);
      assert.deepEqual(await ids('source.input:hec'), [hec.id]);
      assert.deepEqual(await ids('source.input:fortigate'), [fortigate.id], 'case-insensitively');
      assert.deepEqual(await ids('source.kind:syslog-t*'), [fortigate.id]);
      assert.deepEqual((await ids('source.kind:syslog-udp')).length, 5);
      assert.deepEqual((await ids('NOT source.input:syslog')).sort(), [fortigate.id, hec.id].sort());
      assert.deepEqual(await ids('source.input:* AND NOT source.kind:syslog-udp | sort source.input'), [fortigate.id, hec.id]);
      assert.deepEqual((await table('* | stats count() by source.input, source.kind')).rows, [
        ['syslog', 'syslog-udp', 5],
        ['fortigate', 'syslog-tcp', 1],
        ['hec', 'splunk-hec', 1],
      ]);
      const day = new Date(Math.floor(T0 / 86_400_000) * 86_400_000).toISOString();
      assert.deepEqual((await table('source.kind:syslog* | timechart span=1d count() by source.kind')).rows, [
        [day, 'syslog-tcp', 1],
        [day, 'syslog-udp', 5],
      ]);
    });

    it('projects events to fields', async () => {
      const out = await runQuery(ctx.store, planQuery('user.name:root | fields host.name, destination.port'), { tenant: 'a', limit: 100 });
      assert.equal(out.kind, 'events');
      if (out.kind === 'events') assert.deepEqual(out.fields, ['host.name', 'destination.port']);
    });

    it('counts the matching events', async () => {
      assert.deepEqual((await table('"Failed password" | stats count()')).rows, [[2]]);
      assert.deepEqual((await table('nothing-matches-this | stats count()')).rows, [[0]]);
    });

    it('groups by each value of the by fields, leaving out events without them, biggest first', async () => {
      const t = await table('* | stats count() by host.name');
      assert.deepEqual(t.columns, ['host.name', 'count()']);
      assert.deepEqual(t.rows, [['bastion', 2], ['web-01', 2], ['dns-1', 1], ['dns-2', 1]]);
      const two = await table('destination.port<100 | stats count() by host.name, user.name');
      assert.deepEqual(two.rows, [['bastion', 'admin', 1], ['bastion', 'root', 1]]);
    });

    it('computes distinct counts, sums, averages, minimums and maximums over the values', async () => {
      const t = await table('* | stats dc(user.name) as users, sum(http.bytes), avg(http.bytes), min(destination.port), max(destination.port), count(event.outcome)');
      assert.deepEqual(t.columns, ['users', 'sum(http.bytes)', 'avg(http.bytes)', 'min(destination.port)', 'max(destination.port)', 'count(event.outcome)']);
      assert.deepEqual(t.rows, [[3, 1510, 755, 22, 8443, 3]]);
      const per = await table('* | stats dc(dns.answers), dc(source.ip) by host.name | sort host.name');
      assert.deepEqual(per.rows, [['bastion', 0, 2], ['dns-1', 2, 0], ['dns-2', 2, 0], ['web-01', 0, 2]]);
    });

    it('sorts and cuts the table', async () => {
      const t = await table('* | stats count() by user.name | sort user.name | head 2');
      assert.deepEqual(t.rows, [['admin', 1], ['alice', 1]]);
      assert.equal(t.truncated, true);
      const f = await table('* | stats count() as n, dc(host.name) by user.name | sort -n, user.name | fields user.name, n');
      assert.deepEqual(f.columns, ['user.name', 'n']);
      assert.deepEqual(f.rows, [['root', 2], ['admin', 1], ['alice', 1]]);
    });

    it('lists the top values with their share of the matching events', async () => {
      const t = await table('* | top 1 user.name');
      assert.deepEqual(t.columns, ['user.name', 'count', 'percent']);
      assert.deepEqual(t.rows, [['root', 2, 40]]);
    });

    it('charts over time in aligned buckets, split by a field', async () => {
      const t = await table('* | timechart span=1h count()');
      assert.deepEqual(t.columns, ['_time', 'count()']);
      const hour = (h: number) => new Date(Math.floor(T0 / 3_600_000) * 3_600_000 + h * 3_600_000).toISOString();
      assert.deepEqual(t.rows, [[hour(0), 2], [hour(1), 2], [hour(2), 1]]);
      const by = await table('destination.port:* | timechart span=1h count() by event.outcome');
      assert.deepEqual(by.rows, [[hour(0), 'failure', 2], [hour(1), 'success', 1]]);
    });

    it('aggregates only the events a head before the aggregation keeps', async () => {
      const t = await table('* | sort @timestamp | head 3 | stats count() by host.name');
      assert.deepEqual(t.rows, [['bastion', 2], ['web-01', 1]]);
    });

    it('refuses a sort by a column the aggregation does not output, naming the columns', async () => {
      await assert.rejects(
        ctx.store.aggregate({ tenant: 'a', query: { kind: 'all' }, aggregation: { kind: 'stats', metrics: [{ fn: 'count', name: 'count()' }], by: [] }, sort: [{ field: 'nope', descending: false }], limit: 10 }),
        (e: unknown) => isVigilError(e) && e.code === 'query-invalid' && /count\(\)/.test(e.message),
      );
    });

    it('keeps hostile values in parameters', async () => {
      const hostile = `x'); DROP TABLE events; --`;
      assert.deepEqual(await ids(`user.name>"${hostile}"`), []);
      assert.deepEqual((await table(`* | stats count() by user.name | head 1`)).rows.length, 1, 'the table survived');
    });
  });
}
