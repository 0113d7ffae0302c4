import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createEvent, type Event, type Fields } from '../../core/event.js';
import { Metrics } from '../../core/metrics.js';
import { jsonRecordMapping } from '../../parsers/json/index.js';
import { checkFile } from '../../sources/file/file-check.js';
import { corpusHas, corpusPath } from '../../../test/support/corpus.js';
import { detectIndicator } from './indicator.js';
import { IndicatorIndex } from './indicator-index.js';
import { IntelDetector, matchEvent, sysmonHashes } from './intel-detector.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/intel/', import.meta.url));

function event(fields: Fields, time = Date.now(), tenant = 'acme'): Event {
  return createEvent({ tenant, received: Date.now(), time, source: { input: 'test', kind: 'file' }, format: 'json', original: '{}', fields });
}

const summary = (alerts: readonly { ruleId: string; details: Record<string, unknown> }[]) =>
  alerts.map((a) => `${a.ruleId} ${(a.details['indicator'] as { value: string }).value} @${String(a.details['field'])}`);

describe('threat-intelligence detection', () => {
  let detector: IntelDetector;
  before(async () => {
    // Fixture files carry their checkout's mtime: no default expiry, so the tests do not age.
    detector = await IntelDetector.open({ paths: [FIXTURES], defaultTtlDays: 0, reloadSeconds: 0 });
  });
  after(() => detector.close());

  it('loads every fixture format', () => {
    const { stats } = detector;
    assert.deepEqual(stats.files.map((f) => f.format).sort(), ['csv', 'list', 'misp', 'stix']);
    assert.equal(stats.indicators, 10 + 6 + 8 + 9);
    assert.equal(stats.byType.cidr, 2);
  });

  it('raises one alert per event and indicator, carrying the rule, the indicator, the field and the event', () => {
    const e = event({ 'source.ip': '10.1.2.3', 'destination.ip': '203.0.113.45', 'destination.port': 443, DestinationIp: '203.0.113.45', 'related.ip': ['10.1.2.3', '203.0.113.45'], 'host.name': 'ws7', 'user.name': 'alice' });
    const alerts = detector.detect([e]);
    assert.equal(alerts.length, 1);
    const [alert] = alerts;
    assert.equal(alert?.tenant, 'acme');
    assert.equal(alert?.ruleId, 'vigil-intel-ipv4');
    assert.equal(alert?.ruleTitle, 'Known-bad IP address (threat intelligence)');
    assert.equal(alert?.ruleAuthor, 'Vigil');
    assert.equal(alert?.level, 'high', 'confidence 85');
    assert.equal(alert?.state, 'new');
    assert.deepEqual(alert?.eventIds, [e.id]);
    const d = alert!.details;
    assert.equal(d['kind'], 'intel');
    assert.deepEqual(d['indicator'], {
      type: 'ipv4',
      value: '203.0.113.45',
      source: 'bundle.stix.json',
      description: 'HTTPS beacon destination of the Invoice Loader',
      confidence: 85,
      expires: '2099-01-01T00:00:00.000Z',
      added: '2026-01-10T08:00:00.000Z',
      reference: 'indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f',
    });
    assert.equal(d['field'], 'destination.ip', 'the first field, ECS before native');
    assert.deepEqual(d['tags'], ['attack.command_and_control']);
    assert.deepEqual(d['entities'], { 'host.name': 'ws7', 'user.name': 'alice', 'source.ip': '10.1.2.3', 'destination.ip': '203.0.113.45', 'destination.port': 443 });
    assert.equal(d['time'], new Date(e.time).toISOString());
  });

  it('matches addresses inside listed networks, in native Sysmon fields too', () => {
    const sysmon3 = event({ EventID: 3, Image: 'C:\\Users\\bob\\AppData\\Local\\Temp\\upd.exe', SourceIp: '10.0.0.5', DestinationIp: '198.51.100.23', DestinationPort: 443 });
    assert.deepEqual(summary(detector.detect([sysmon3])), ['vigil-intel-cidr 198.51.100.0/24 @DestinationIp']);
    const v6 = event({ 'destination.ip': '2001:db8:dead:42::7' });
    assert.deepEqual(summary(detector.detect([v6])), ['vigil-intel-cidr 2001:db8:dead::/48 @destination.ip']);
    const inbound = event({ 'source.ip': '192.0.2.10', 'destination.ip': '10.0.0.8' });
    const [a] = detector.detect([inbound]);
    assert.equal(a?.details['field'], 'source.ip');
    assert.deepEqual(a?.details['tags'], [], 'an inbound source is not command and control');
  });

  it('matches subdomains of listed domains in DNS, TLS and HTTP fields, and the hosts of URLs', () => {
    const dns = event({ 'dns.question.name': 'www.Login-Evil.example.net' });
    assert.deepEqual(summary(detector.detect([dns])), ['vigil-intel-domain login-evil.example.net @dns.question.name']);
    const sysmon22 = event({ EventID: 22, QueryName: 'cdn.c2.loader.example', QueryResults: 'type:  5 edge.example.com;::ffff:192.0.2.55;' });
    assert.deepEqual(summary(detector.detect([sysmon22])), ['vigil-intel-ipv4 192.0.2.55 @QueryResults', 'vigil-intel-domain c2.loader.example @QueryName']);
    const tls = event({ 'tls.client.server_name': 'panel.loader.example' });
    assert.deepEqual(summary(detector.detect([tls])), ['vigil-intel-domain panel.loader.example @tls.client.server_name']);
    const proxy = event({ 'url.full': 'https://a.stealer-panel.example/admin' });
    const [alert] = detector.detect([proxy]);
    assert.equal(alert?.ruleId, 'vigil-intel-domain');
    assert.equal(alert?.level, 'medium', 'confidence 60');
    assert.equal(alert?.details['observed'], 'a.stealer-panel.example');
    assert.deepEqual(detector.detect([event({ 'dns.question.name': 'notevil.example' })]), []);
  });

  it('matches URLs, joining a path to its host as Zeek writes them', () => {
    const zeekHttp = event({ 'url.domain': 'files.example.org', 'url.original': '/payload/invoice-loader.exe', 'http.request.method': 'GET' });
    assert.deepEqual(summary(detector.detect([zeekHttp])), ['vigil-intel-url http://files.example.org/payload/invoice-loader.exe @url.original']);
    const full = event({ 'url.original': 'HTTPS://CDN.example.com/dl/stealer.dll' });
    assert.deepEqual(summary(detector.detect([full])), ['vigil-intel-url https://cdn.example.com/dl/stealer.dll @url.original']);
  });

  it("matches the hashes in Sysmon's Hashes string, and not its IMPHASH", () => {
    const hashes = 'SHA1=7F97D3976AA63D1577ECD06CE7C275A766347A25,MD5=A571E269EB13406B5F711C977DA8B0FF,SHA256=6DACDEE80812E5778BB336F3E588B66543FFBA9111C84BE66A5FF2CDF85938DF,IMPHASH=8941FD2086CD8B761F7DD6BEBDBD397B';
    assert.deepEqual(sysmonHashes(hashes).length, 3);
    const sysmon1 = event({ EventID: 1, Image: 'C:\\Users\\bob\\Downloads\\invoice.exe', Hashes: hashes, 'host.name': 'ws7' });
    const alerts = detector.detect([sysmon1]);
    assert.deepEqual(summary(alerts).sort(), [
      'vigil-intel-md5 a571e269eb13406b5f711c977da8b0ff @Hashes',
      'vigil-intel-sha256 6dacdee80812e5778bb336f3e588b66543ffba9111c84be66a5ff2cdf85938df @Hashes',
    ]);
    assert.equal(alerts[0]?.ruleTitle, 'Known-bad file hash (threat intelligence)');
    assert.deepEqual(alerts[0]?.details['tags'], []);
    const ecs = event({ 'file.hash.sha1': '853292F159D5E15EE70701C11D5DAF4C46887B68' });
    assert.deepEqual(summary(detector.detect([ecs])), ['vigil-intel-sha1 853292f159d5e15ee70701c11d5daf4c46887b68 @file.hash.sha1']);
  });

  it('judges expiry at the event time: an expired indicator still matches events from before its expiry', () => {
    assert.deepEqual(detector.detect([event({ 'destination.ip': '203.0.113.99' })]), [], 'expired 2020-01-01');
    assert.deepEqual(summary(detector.detect([event({ 'destination.ip': '203.0.113.99' }, Date.UTC(2019, 5, 1))])), ['vigil-intel-ipv4 203.0.113.99 @destination.ip']);
    assert.deepEqual(detector.detect([event({ 'dns.question.name': 'old-c2.example' })]), []);
    assert.equal(detector.detect([event({ 'dns.question.name': 'old-c2.example' }, Date.UTC(2021, 0, 1))]).length, 1);
  });

  it('never matches revoked STIX indicators, to_ids false MISP attributes or skipped patterns', () => {
    const e = event({ 'destination.ip': '192.0.2.200', 'source.ip': '192.0.2.99', 'file.hash.md5': 'c2395ca70582a2a2320b1919083a661a' });
    assert.deepEqual(detector.detect([e]), []);
  });

  it('costs nothing for an event that matches nothing', () => {
    const batch = [
      event({}),
      event({ message: 'hello', 'source.ip': '10.0.0.1', 'destination.ip': '10.0.0.2', 'dns.question.name': 'intranet.corp.example.com', 'url.original': '/index.html', Hashes: 'MD5=00000000000000000000000000000000' }),
      event({ 'related.ip': [], 'destination.ip': null, 'url.domain': '', 'source.ip': 7 as unknown as string }),
    ];
    assert.deepEqual(detector.detect(batch), []);
  });

  it('counts detections in the metrics', async () => {
    const metrics = new Metrics();
    const d = await IntelDetector.open({ paths: [join(FIXTURES, 'feed.csv')], defaultTtlDays: 0, reloadSeconds: 0, metrics });
    d.detect([event({ 'destination.ip': '203.0.113.66' })]);
    assert.match(await metrics.registry.getSingleMetricAsString('vigil_detections_total'), /kind="intel",level="high"} 1/);
    d.close();
  });

  it('lends its index for matching stored events again when new indicators arrive', () => {
    const stored = [event({ 'destination.ip': '192.0.2.180' }, Date.UTC(2025, 0, 1)), event({ 'destination.ip': '192.0.2.181' }, Date.UTC(2025, 0, 1))];
    const fresh = IndicatorIndex.from([{ ...detectIndicator('192.0.2.181')!, source: 'new.txt', added: Date.now() }]);
    const matches = stored.flatMap((e) => matchEvent(fresh, e).map((m) => ({ id: e.id, value: m.indicator.value, field: m.field })));
    assert.deepEqual(matches, [{ id: stored[1]!.id, value: '192.0.2.181', field: 'destination.ip' }]);
    assert.equal(detector.index.match('203.0.113.45', 'ipv4').length, 1);
  });

  describe('reloading', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-intel-detector-'));
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('swaps in changed files without a restart, and keeps the old set when the new one loads nothing', async () => {
      const file = join(dir, 'feed.txt');
      writeFileSync(file, '192.0.2.150\n');
      const logs: string[] = [];
      const log = { info: (_: object, m: string) => logs.push(m), warn: (_: object, m: string) => logs.push(m) };
      const d = await IntelDetector.open({ paths: [dir], defaultTtlDays: 90, reloadSeconds: 0, log });
      assert.equal(d.detect([event({ 'destination.ip': '192.0.2.151' })]).length, 0);
      assert.equal(await d.reload(), false, 'nothing changed');
      writeFileSync(file, '192.0.2.150\n192.0.2.151 # added later\n');
      assert.equal(await d.reload(), true);
      assert.equal(d.detect([event({ 'destination.ip': '192.0.2.151' })]).length, 1);
      writeFileSync(file, '');
      assert.equal(await d.reload(), false);
      assert.equal(d.detect([event({ 'destination.ip': '192.0.2.151' })]).length, 1, 'previous set kept');
      assert.ok(logs.includes('intel reload loaded no indicators; keeping the previous set'));
      d.close();
    });

    it('opens with a missing path, reporting it', async () => {
      const d = await IntelDetector.open({ paths: [join(dir, 'absent')], defaultTtlDays: 90, reloadSeconds: 0 });
      assert.equal(d.stats.indicators, 0);
      assert.equal(d.stats.files[0]?.format, 'unreadable');
      assert.deepEqual(d.detect([event({ 'destination.ip': '192.0.2.151' })]), []);
      d.close();
    });
  });

  describe('on real Zeek data', () => {
    const CONN = ['security-datasets', 'zeek', 'LSASS_campaign_01', 'conn.log'];
    it('matches the connections to a listed destination in the LSASS campaign conn.log, and nothing else', { skip: !corpusHas(...CONN) && 'needs the shared corpus' }, async () => {
      const events: Event[] = [];
      const check = await checkFile(corpusPath(...CONN), 'auto', jsonRecordMapping, (e) => events.push(e));
      assert.equal(check.format, 'zeek');
      assert.ok(events.length > 100);
      const dir = mkdtempSync(join(tmpdir(), 'vigil-intel-zeek-'));
      try {
        // 10.0.5.13 is the web server the campaign's host fetched from; the rest are not in the log.
        writeFileSync(join(dir, 'lsass.txt'), '10.0.5.13 # staging server\n192.0.2.0/24\nevil.example\n6dacdee80812e5778bb336f3e588b66543ffba9111c84be66a5ff2cdf85938df\n');
        const d = await IntelDetector.open({ paths: [dir], defaultTtlDays: 0, reloadSeconds: 0 });
        const alerts = d.detect(events);
        const expected = events.filter((e) => e.fields['destination.ip'] === '10.0.5.13');
        assert.ok(expected.length > 0);
        assert.equal(alerts.length, expected.length);
        assert.deepEqual(new Set(summary(alerts)), new Set(['vigil-intel-ipv4 10.0.5.13 @destination.ip']));
        assert.deepEqual(alerts.map((a) => a.eventIds[0]), expected.map((e) => e.id));
        assert.equal(alerts[0]?.details['time'], new Date(expected[0]!.time).toISOString());
        d.close();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
