import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createEvent, type Event, type Fields } from '../../core/event.js';
import type { AlertRecord } from '../../core/store.js';
import { SeededRandom } from '../../../test/support/seeded-random.js';
import { BEACON_RULE_ID, BEACON_RULE_TITLE, BeaconDetector, DomainSet, normaliseDomain, type BeaconDetectorOptions } from './beacon-detector.js';

const T0 = Date.UTC(2026, 0, 5, 8);
const MIN = 60_000;
const HOUR = 3_600_000;

let port = 40_000;
function conn(time: number, src: string, dst: string, dport: number, bytes?: number, extra: Fields = {}, tenant = 'acme'): Event {
  port = port >= 65_000 ? 40_000 : port + 1;
  const fields: Fields = {
    'source.ip': src,
    'source.port': port,
    'destination.ip': dst,
    'destination.port': dport,
    'network.transport': 'tcp',
    'event.dataset': 'zeek.conn',
    ...extra,
  };
  if (bytes !== undefined) fields['source.bytes'] = bytes;
  return createEvent({ tenant, received: time, time, source: { input: 'test', kind: 'file' }, format: 'zeek', original: '{}', fields });
}

function dnsQuery(time: number, src: string, name: string, extra: Fields = {}): Event {
  return conn(time, src, '10.0.0.2', 53, undefined, { 'dns.question.name': name, 'event.dataset': 'zeek.dns', ...extra });
}

function webRequest(time: number, src: string, domain: string): Event {
  return conn(time, src, '10.0.0.3', 3128, 420, { 'url.domain': domain, 'event.dataset': 'squid.access' });
}

/** A 60 s timer with ±2 s jitter and ~300 bytes per check-in. */
function beaconEvents(r: SeededRandom, from: number, count: number, make: (t: number, bytes: number) => Event, period = MIN): Event[] {
  const out: Event[] = [];
  for (let i = 0; i < count; i++) out.push(make(from + i * period + (r.next() * 2 - 1) * 2_000, 300 + r.int(-8, 8)));
  return out;
}

/**
 * Noise: 40 internal hosts browsing (Poisson visits, a few connections each, page sizes), each
 * mostly to its own handful of favourite sites so that their pairs get scored too, plus periodic
 * traffic that is not a beacon.
 */
function noise(r: SeededRandom, from: number, hours: number): Event[] {
  const out: Event[] = [];
  const externals = Array.from({ length: 300 }, (_, i) => `198.18.${i >> 8}.${(i & 255) + 1}`);
  for (let h = 0; h < 40; h++) {
    const src = `10.1.0.${h + 10}`;
    const favourites = Array.from({ length: 4 }, () => r.pick(externals));
    let t = from;
    for (;;) {
      t += -Math.log(1 - r.next()) * 90_000;
      if (t > from + hours * HOUR) break;
      const burst = r.int(1, 6);
      const dst = r.next() < 0.8 ? r.pick(favourites) : r.pick(externals);
      for (let k = 0; k < burst; k++) out.push(conn(t + k * r.int(50, 3_000), src, dst, r.pick([80, 443]), Math.round(Math.exp(7 + 1.2 * (r.next() * 2 - 1) * 1.7))));
    }
  }
  for (let i = 0; i * 30_000 < hours * HOUR; i++) {
    const t = from + i * 30_000;
    out.push(conn(t, '10.1.0.50', '10.0.0.2', 53, 60)); // internal → internal: a resolver
    out.push(conn(t + 1_000, '10.1.0.51', '239.255.255.250', 1900, 120)); // SSDP multicast
    out.push(conn(t + 2_000, '203.0.113.77', '10.1.0.52', 22, 300)); // external → internal
    out.push(conn(t + 3_000, '10.1.0.53', '192.0.2.123', 123, 48)); // NTP to an allowlisted server
    out.push(conn(t + 4_000, '10.1.0.54', '192.0.2.200', 443, 500, { 'tls.client.server_name': 'telemetry.vendor.example' })); // allowlisted by name
    out.push(conn(t + 5_000, '10.1.0.55', '10.0.0.2', 53, undefined, { 'dns.question.name': 'dc01.corp.example.local' })); // internal name
    out.push(conn(t + 6_000, '10.1.0.56', '10.0.0.2', 53, undefined, { 'dns.question.name': 'wpad' })); // single label
    out.push(conn(t + 7_000, 'fe80::1', 'ff02::fb', 5353, 100)); // link-local to multicast
  }
  return out;
}

const OPTIONS: BeaconDetectorOptions = { allowlist: ['192.0.2.0/25', 'vendor.example', '*.updates.example'], now: () => 0 };

function run(detector: BeaconDetector, events: Event[], batch = 500): AlertRecord[] {
  events.sort((a, b) => a.time - b.time);
  const alerts: AlertRecord[] = [];
  for (let i = 0; i < events.length; i += batch) alerts.push(...detector.detect(events.slice(i, i + batch)));
  return alerts;
}

describe('beacon detector: what it reports', () => {
  it('raises exactly one alert for one beacon hidden in noisy traffic, naming the pair, the score and the newest events', (t) => {
    const r = new SeededRandom(1);
    const beacon = beaconEvents(r, T0 + 10 * MIN, 180, (t, b) => conn(t, '10.1.0.5', '203.0.113.10', 443, b));
    const detector = new BeaconDetector(OPTIONS);
    const alerts = run(detector, [...noise(r, T0, 4), ...beacon]);

    assert.equal(alerts.length, 1, JSON.stringify(alerts.map((a) => a.details['entities'])));
    const [alert] = alerts;
    assert.ok(alert);
    assert.equal(alert.ruleId, BEACON_RULE_ID);
    assert.equal(alert.ruleTitle, BEACON_RULE_TITLE);
    assert.equal(alert.ruleAuthor, 'Vigil');
    assert.equal(alert.tenant, 'acme');
    assert.equal(alert.state, 'new');
    assert.equal(alert.created, 0);
    assert.deepEqual(alert.details['entities'], { 'source.ip': '10.1.0.5', 'destination.ip': '203.0.113.10', 'destination.port': 443 });
    assert.equal(alert.details['kind'], 'behaviour');
    assert.equal(alert.details['destination'], '203.0.113.10:443');
    assert.deepEqual(alert.details['tags'], ['attack.command-and-control', 'attack.t1071']);
    const score = alert.details['score'] as number;
    assert.ok(score >= 0.8);
    assert.equal(alert.level, score >= 0.9 ? 'high' : 'medium');
    const interval = alert.details['interval'] as { medianSeconds: number; madSeconds: number };
    assert.ok(Math.abs(interval.medianSeconds - 60) < 1 && interval.madSeconds < 2, JSON.stringify(interval));
    const connections = alert.details['connections'] as number;
    assert.ok(connections >= 20 && connections <= 180);
    assert.match(String(alert.details['description']), /10\.1\.0\.5 connected to 203\.0\.113\.10:443 \d+ times/);
    assert.match(String(alert.details['description']), /allowlist/);
    for (const k of ['interval', 'intervalSymmetry', 'intervalDispersion', 'size', 'count']) assert.equal(typeof (alert.details['parts'] as Record<string, unknown>)[k], 'number', k);

    // The alert's events are the beacon's newest, in order, at most 100.
    const beaconIds = beacon.map((e) => e.id);
    assert.ok(alert.eventIds.length >= 20 && alert.eventIds.length <= 100);
    const last = beaconIds.indexOf(alert.eventIds.at(-1)!);
    assert.deepEqual(alert.eventIds, beaconIds.slice(last - alert.eventIds.length + 1, last + 1));
    assert.equal(detector.stats.alerts, 1);
    // The browsing pairs were scored too, and stayed below the threshold.
    assert.ok(detector.stats.scored > 100, String(detector.stats.scored));
    const top = detector.topPairs(5);
    assert.equal(top[0]?.destination, '203.0.113.10');
    t.diagnostic(`beacon ${score}; best browsing pairs ${top.slice(1).map((p) => `${p.source}→${p.destination}:${p.port} ${p.connections} conns ${p.score ?? p.notScored}`).join(', ')}`);
    assert.ok((top[1]?.score ?? 0) < 0.6, JSON.stringify(top[1]));
  });

  it('alerts as soon as the pair has enough check-ins (20), not at the end of the window', () => {
    const r = new SeededRandom(2);
    const detector = new BeaconDetector();
    const events = beaconEvents(r, T0, 40, (t, b) => conn(t, '10.1.0.5', '203.0.113.10', 443, b));
    let firedAt = -1;
    events.forEach((e, i) => {
      if (detector.detect([e]).length > 0) firedAt = i + 1;
    });
    assert.equal(firedAt, 20);
  });

  it('alerts once per pair per window: again only after 24 h of event time', () => {
    const r = new SeededRandom(3);
    const detector = new BeaconDetector();
    const events = beaconEvents(r, T0, 40 * 60, (t, b) => conn(t, '10.1.0.5', '203.0.113.10', 443, b)); // 40 hours
    const alerts = run(detector, events, 100);
    assert.equal(alerts.length, 2);
    const [a, b] = alerts.map((x) => Date.parse(String(x.details['time'])));
    assert.ok(b! - a! >= 24 * HOUR && b! - a! < 25 * HOUR, `${(b! - a!) / HOUR} h`);
  });

  it('keys DNS queries by the name asked and web requests by the host, with the matching ATT&CK technique', () => {
    const r = new SeededRandom(4);
    const detector = new BeaconDetector();
    const alerts = run(detector, [
      ...beaconEvents(r, T0, 30, (t) => dnsQuery(t, '10.1.0.7', 'C2.Evil.Example.'), 5 * MIN),
      ...beaconEvents(r, T0, 30, (t) => webRequest(t, '10.1.0.8', 'cdn.bad.example')),
    ]);
    assert.equal(alerts.length, 2);
    const dns = alerts.find((a) => a.details['via'] === 'dns');
    const web = alerts.find((a) => a.details['via'] === 'web');
    assert.deepEqual(dns?.details['entities'], { 'source.ip': '10.1.0.7', 'destination.domain': 'c2.evil.example' });
    assert.ok((dns?.details['tags'] as string[]).includes('attack.t1071.004'));
    assert.match(String(dns?.details['description']), /10\.1\.0\.7 looked up c2\.evil\.example/);
    assert.deepEqual(web?.details['entities'], { 'source.ip': '10.1.0.8', 'destination.domain': 'cdn.bad.example', 'destination.port': 3128 });
    assert.ok((web?.details['tags'] as string[]).includes('attack.t1071.001'));
    // Web requests carry bytes; DNS queries do not, so their size part is left out.
    assert.equal((dns?.details['parts'] as Record<string, unknown>)['size'], null);
    assert.equal(typeof (web?.details['parts'] as Record<string, unknown>)['size'], 'number');
  });

  it('keeps tenants apart: the same beacon in two tenants is two alerts, each in its tenant', () => {
    const r = new SeededRandom(5);
    const detector = new BeaconDetector();
    const make = (tenant: string) => beaconEvents(r, T0, 25, (t, b) => conn(t, '10.1.0.5', '203.0.113.10', 443, b, {}, tenant));
    const alerts = run(detector, [...make('acme'), ...make('globex')]);
    assert.deepEqual(alerts.map((a) => a.tenant).sort(), ['acme', 'globex']);
  });

  it('finds the beacon when events arrive out of order within the window', () => {
    const r = new SeededRandom(6);
    const detector = new BeaconDetector();
    const events = beaconEvents(r, T0, 60, (t, b) => conn(t, '10.1.0.5', '203.0.113.10', 443, b));
    const shuffled = events.map((e) => ({ e, k: r.next() })).sort((x, y) => x.k - y.k).map((x) => x.e);
    const alerts = detector.detect(shuffled);
    assert.equal(alerts.length, 1);
  });
});

describe('beacon detector: what it does not report', () => {
  const periodic = (make: (t: number, b: number) => Event, options: BeaconDetectorOptions = OPTIONS) => {
    const r = new SeededRandom(7);
    const detector = new BeaconDetector(options);
    return { alerts: run(detector, beaconEvents(r, T0, 200, make)), detector };
  };

  it('ignores a perfectly periodic destination on the allowlist (address, network, domain, or server name of an address)', () => {
    assert.equal(periodic((t, b) => conn(t, '10.1.0.5', '192.0.2.9', 443, b)).alerts.length, 0);
    assert.equal(periodic((t) => dnsQuery(t, '10.1.0.5', 'time.vendor.example')).alerts.length, 0);
    assert.equal(periodic((t) => webRequest(t, '10.1.0.5', 'eu.updates.example')).alerts.length, 0);
    assert.equal(periodic((t, b) => conn(t, '10.1.0.5', '198.51.100.4', 443, b, { 'tls.client.server_name': 'api.vendor.example' })).alerts.length, 0);
    // The same traffic without the allowlist is a beacon.
    assert.equal(periodic((t, b) => conn(t, '10.1.0.5', '192.0.2.9', 443, b), {}).alerts.length, 1);
  });

  it('ignores internal destinations: private addresses, multicast, link-local, internal and single-label names', () => {
    for (const make of [
      (t: number, b: number) => conn(t, '10.1.0.5', '10.0.0.2', 53, b),
      (t: number, b: number) => conn(t, '10.1.0.5', '172.16.4.4', 443, b),
      (t: number, b: number) => conn(t, '192.168.1.5', 'fd00::10', 443, b),
      (t: number, b: number) => conn(t, '10.1.0.5', '239.255.255.250', 1900, b),
      (t: number, b: number) => conn(t, '10.1.0.5', '169.254.169.254', 80, b),
      (t: number, b: number) => conn(t, '10.1.0.5', '255.255.255.255', 67, b),
      (t: number) => dnsQuery(t, '10.1.0.5', 'dc01.ad.corp'),
      (t: number) => dnsQuery(t, '10.1.0.5', 'printer.local'),
      (t: number) => dnsQuery(t, '10.1.0.5', '4.0.0.10.in-addr.arpa'),
      (t: number) => dnsQuery(t, '10.1.0.5', 'wpad'),
    ]) {
      const { alerts, detector } = periodic(make, {});
      assert.equal(alerts.length, 0);
      assert.equal(detector.pairs, 0);
    }
  });

  it('treats a name as internal when it is under a configured internal domain', () => {
    assert.equal(periodic((t) => dnsQuery(t, '10.1.0.5', 'fs01.acme-ad.example'), { internalDomains: ['acme-ad.example'] }).alerts.length, 0);
    assert.equal(periodic((t) => dnsQuery(t, '10.1.0.5', 'fs01.acme-ad.example'), {}).alerts.length, 1);
  });

  it('ignores external sources (inbound traffic) and honours configured internal networks', () => {
    assert.equal(periodic((t, b) => conn(t, '203.0.113.77', '10.1.0.52', 22, b), {}).alerts.length, 0);
    assert.equal(periodic((t, b) => conn(t, '203.0.113.77', '198.51.100.1', 22, b), {}).alerts.length, 0);
    // With 203.0.113.0/24 declared internal, the same traffic outbound is a beacon.
    assert.equal(periodic((t, b) => conn(t, '203.0.113.77', '198.51.100.1', 22, b), { internalNetworks: ['203.0.113.0/24'] }).alerts.length, 1);
  });

  it('ignores DNS answers logged as their own record (their source is the server)', () => {
    assert.equal(periodic((t) => dnsQuery(t, '10.1.0.5', 'c2.evil.example', { 'dns.type': 'answer' }), {}).alerts.length, 0);
  });

  it('never alerts on a pair with fewer connections than minConnections', () => {
    const r = new SeededRandom(8);
    const detector = new BeaconDetector({ minConnections: 30 });
    const alerts = run(detector, beaconEvents(r, T0, 29, (t, b) => conn(t, '10.1.0.5', '203.0.113.10', 443, b)));
    assert.equal(alerts.length, 0);
    assert.equal(detector.stats.scored, 0);
  });

  it('counts repeated records of one connection once (session start and end, several logs of one flow)', () => {
    const r = new SeededRandom(9);
    const detector = new BeaconDetector();
    const events: Event[] = [];
    for (const e of beaconEvents(r, T0, 19, (t, b) => conn(t, '10.1.0.5', '203.0.113.10', 443, b))) {
      events.push(e);
      // The end of the same session 3 s later, same ports.
      events.push(createEvent({ ...e, received: e.time + 3_000, time: e.time + 3_000, fields: { ...e.fields, 'event.action': 'connection_teardown' } }));
    }
    assert.equal(run(detector, events).length, 0);
    assert.equal(detector.stats.merged, 19);
  });
});

describe('beacon detector: bounded state', () => {
  it('caps the pairs: beyond maxPairs the least recently active pair is evicted and counted', () => {
    const detector = new BeaconDetector({ maxPairs: 100 });
    const events: Event[] = [];
    for (let i = 0; i < 1_000; i++) events.push(conn(T0 + i, '10.1.0.5', `198.18.${i >> 8}.${i & 255}`, 443, 100));
    detector.detect(events);
    assert.equal(detector.pairs, 100);
    assert.equal(detector.stats.evicted, 900);
  });

  it('keeps an active beacon while a flood of one-off destinations churns through the cap', () => {
    const r = new SeededRandom(10);
    const detector = new BeaconDetector({ maxPairs: 1_000 });
    const events = beaconEvents(r, T0, 40, (t, b) => conn(t, '10.1.0.5', '203.0.113.10', 443, b));
    let n = 0;
    for (let minute = 0; minute < 40; minute++) {
      for (let k = 0; k < 400; k++, n++) events.push(conn(T0 + minute * MIN + k * 100, '10.1.0.6', `198.${18 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}`, 443, 100));
    }
    const alerts = run(detector, events, 1_000);
    assert.equal(alerts.length, 1);
    assert.ok(detector.stats.evicted > 10_000);
    assert.equal(detector.pairs, 1_000);
  });

  it('drops pairs idle for a whole window of event time, tenant by tenant', () => {
    const detector = new BeaconDetector({ windowHours: 1 });
    const events: Event[] = [];
    for (let i = 0; i < 5_000; i++) events.push(conn(T0 + i, '10.1.0.5', `198.18.${i >> 8}.${i & 255}`, 443, 100));
    detector.detect(events);
    assert.equal(detector.pairs, 5_000);
    // A replay of old logs in another tenant does not expire acme's pairs...
    const old: Event[] = [];
    for (let i = 0; i < 10_000; i++) old.push(conn(T0 - 48 * HOUR + i, '10.1.0.5', '203.0.113.1', 443, 1, {}, 'globex'));
    detector.detect(old);
    assert.equal(detector.stats.expired, 0);
    // ...but two hours later in acme's own time they go.
    const later: Event[] = [];
    for (let i = 0; i < 10_000; i++) later.push(conn(T0 + 2 * HOUR + i, '10.1.0.7', '203.0.113.2', 443, 1));
    detector.detect(later);
    assert.ok(detector.stats.expired >= 5_000, String(detector.stats.expired));
    assert.ok(detector.pairs <= 2);
  });

  it('counts and drops connections older than the pair window', () => {
    const detector = new BeaconDetector({ windowHours: 1 });
    detector.detect([conn(T0 + 3 * HOUR, '10.1.0.5', '203.0.113.10', 443, 1), conn(T0, '10.1.0.5', '203.0.113.10', 443, 1)]);
    assert.equal(detector.stats.late, 1);
  });

  it('re-scores a growing pair only now and then (amortised), not on every connection', () => {
    const r = new SeededRandom(11);
    const detector = new BeaconDetector({ threshold: 1.01 }); // never alerts, so it keeps scoring
    run(detector, beaconEvents(r, T0, 1_000, (t, b) => conn(t, '10.1.0.5', '203.0.113.10', 443, b)));
    // At most one scoring per 20 connections: a quarter of the ring (128) between scorings once full.
    assert.ok(detector.stats.scored > 5 && detector.stats.scored < 1_000 / 20, String(detector.stats.scored));
  });

  it('rejects allowlist entries and networks that are neither addresses, networks nor domains', () => {
    assert.throws(() => new BeaconDetector({ allowlist: ['10.0.0.0/33'] }), /prefix/);
    assert.throws(() => new BeaconDetector({ allowlist: ['not a domain'] }), /allowlist/);
    assert.throws(() => new BeaconDetector({ internalNetworks: ['10.0.0/8'] }), /not an IP/);
    assert.throws(() => new BeaconDetector({ minConnections: 0 }), /minConnections/);
  });
});

describe('beacon detector: names', () => {
  it('normalises names (case, trailing dot, port) and matches a domain and everything under it', () => {
    assert.equal(normaliseDomain('WWW.Example.COM.'), 'www.example.com');
    assert.equal(normaliseDomain('example.com:8080'), 'example.com');
    const set = new DomainSet(['example.com', '*.vendor.example', '.other.example']);
    assert.ok(set.has('example.com') && set.has('a.b.example.com'));
    assert.ok(set.has('vendor.example') && set.has('x.vendor.example'));
    assert.ok(set.has('y.other.example'));
    assert.ok(!set.has('notexample.com') && !set.has('com'));
  });
});
