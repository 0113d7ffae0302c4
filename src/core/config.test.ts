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
});
