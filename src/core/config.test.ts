import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from './config.js';
import { VigilError } from './errors.js';

function refusal(raw: unknown): string {
  try {
    parseConfig(raw);
  } catch (error) {
    assert.ok(error instanceof VigilError);
    return error.message;
  }
  assert.fail('the configuration was accepted');
}

describe('vigil.yaml', () => {
  it('an empty file is a working embedded server: syslog read per message, no extra inputs', () => {
    const config = parseConfig({});
    assert.equal(config.syslog.format, 'auto');
    assert.deepEqual(config.syslog.inputs, []);
    assert.equal(config.http.listen, '127.0.0.1:8080');
  });

  it('syslog inputs each have a name, ports, a format and an optional zone', () => {
    const config = parseConfig({
      syslog: { inputs: [{ name: 'fortigate', udp: '0.0.0.0:5515', format: 'syslog', timeZone: 'Europe/Berlin' }, { name: 'cef', tcp: '127.0.0.1:5516', format: 'cef' }] },
    });
    assert.deepEqual(
      config.syslog.inputs.map((i) => [i.name, i.udp, i.tcp, i.format, i.timeZone]),
      [
        ['fortigate', '0.0.0.0:5515', false, 'syslog', 'Europe/Berlin'],
        ['cef', false, '127.0.0.1:5516', 'cef', undefined],
      ],
    );
  });

  it('says which key is wrong and what to write', () => {
    assert.match(refusal({ syslog: { format: 'xml' } }), /syslog\.format/);
    assert.match(refusal({ syslog: { inputs: [{ name: 'a', udp: '127.0.0.1:1' }, { name: 'a', udp: '127.0.0.1:2' }] } }), /each input needs its own name/);
    assert.match(refusal({ syslog: { inputs: [{ name: 'syslog' }] } }), /taken by the main listeners/);
    assert.match(refusal({ syslog: { inputs: [{ name: 'Bad Name' }] } }), /syslog\.inputs\.0\.name/);
    assert.match(refusal({ files: [{ path: '/var/log/x', format: 'pcap' }] }), /files\.0\.format/);
  });

  it('turns GeoIP enrichment on with the bundled data, and resolves operator files against the config folder', () => {
    assert.deepEqual(parseConfig({}).enrich.geoip, { enabled: true });
    const config = parseConfig({ enrich: { geoip: { city: 'geo/City.mmdb', asn: '/abs/ASN.mmdb' } } }, 'vigil.yaml', '/etc/vigil');
    assert.equal(config.enrich.geoip.city, '/etc/vigil/geo/City.mmdb');
    assert.equal(config.enrich.geoip.asn, '/abs/ASN.mmdb');
    assert.match(refusal({ enrich: { geoip: { city: '' } } }), /enrich\.geoip\.city: path to a City \.mmdb/);
    assert.match(refusal({ enrich: { geoip: { country: 'x' } } }), /enrich\.geoip: unknown key\(s\) country/);
  });

  it('without scaleOut Vigil is the embedded server; with it, NATS, ClickHouse and PostgreSQL get defaults and resolved paths', () => {
    assert.equal(parseConfig({}).scaleOut, undefined);
    const config = parseConfig(
      {
        scaleOut: {
          nats: { servers: ['nats://n1:4222', 'tls://n2:4222'], credentials: 'nats/vigil.creds', tls: { ca: 'nats/ca.pem' } },
          clickhouse: { url: 'https://ch.internal:8443', username: 'vigil', password: 'x', database: 'vigil' },
          postgres: { url: 'postgres://vigil@db:5432/vigil', schema: 'vigil' },
        },
      },
      'vigil.yaml',
      '/etc/vigil',
    );
    const scaleOut = config.scaleOut!;
    assert.deepEqual(
      { stream: scaleOut.nats.stream, replicas: scaleOut.nats.replicas, partitions: scaleOut.nats.partitions, creds: scaleOut.nats.credentials, ca: scaleOut.nats.tls?.ca },
      { stream: 'VIGIL_EVENTS', replicas: 1, partitions: 16, creds: '/etc/vigil/nats/vigil.creds', ca: '/etc/vigil/nats/ca.pem' },
    );
    assert.equal(scaleOut.postgres.poolSize, 10);
    assert.equal(scaleOut.clickhouse.ttlDays, 0);
    const embedded = parseConfig({ scaleOut: { nats: { servers: ['nats://127.0.0.1:4222'] }, clickhouse: { path: 'ch' }, postgres: { url: 'postgres://p@h/d' } } }, 'vigil.yaml', '/srv');
    assert.equal(embedded.scaleOut!.clickhouse.path, '/srv/ch');
  });

  it('refuses a scaleOut section that cannot work, naming the key', () => {
    const base = { nats: { servers: ['nats://n:4222'] }, clickhouse: { url: 'http://ch:8123' }, postgres: { url: 'postgres://p@h/d' } };
    assert.match(refusal({ scaleOut: { ...base, clickhouse: { url: 'http://ch:8123', path: '/x' } } }), /scaleOut\.clickhouse: give url .* or path/);
    assert.match(refusal({ scaleOut: { ...base, clickhouse: {} } }), /scaleOut\.clickhouse: give url/);
    assert.match(refusal({ scaleOut: { ...base, clickhouse: { url: 'http://vigil:pw@ch:8123' } } }), /scaleOut\.clickhouse\.url: .*without user or password/);
    assert.match(refusal({ scaleOut: { ...base, nats: { servers: [] } } }), /scaleOut\.nats\.servers: at least one/);
    assert.match(refusal({ scaleOut: { ...base, nats: { servers: ['http://n:4222'] } } }), /scaleOut\.nats\.servers\.0: a NATS URL/);
    assert.match(refusal({ scaleOut: { ...base, nats: { servers: ['nats://n:4222'], user: 'u' } } }), /both user and password/);
    assert.match(refusal({ scaleOut: { ...base, nats: { servers: ['nats://n:4222'], token: 't', credentials: 'c' } } }), /one of user\/password, token or credentials/);
    assert.match(refusal({ scaleOut: { ...base, postgres: { url: 'mysql://h/d' } } }), /scaleOut\.postgres\.url/);
    assert.match(refusal({ scaleOut: { ...base, postgres: { url: 'postgres://h/d', schema: 'Bad-Name' } } }), /scaleOut\.postgres\.schema/);
    assert.match(refusal({ scaleOut: { nats: base.nats, clickhouse: base.clickhouse } }), /scaleOut\.postgres/);
  });
});
