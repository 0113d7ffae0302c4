import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { corpusHas, corpusPath } from '../../../test/support/corpus.js';
import { parseSyslog } from '../syslog/syslog-parser.js';

const fieldsOf = (line: string) => parseSyslog(line, Date.UTC(2026, 10, 28)).fields;

describe('network devices', () => {
  it('pfSense filterlog: decision, interface, both ends', () => {
    const f = fieldsOf('<134>Nov  8 12:37:34 pfSense filterlog: 5,,,1000102433,em0,match,block,in,4,0x0,,128,24677,0,none,17,udp,186,10.9.0.119,10.9.0.255,17500,17600,166');
    assert.equal(f['event.action'], 'block');
    assert.deepEqual(f['event.type'], ['connection', 'denied']);
    assert.equal(f['observer.ingress.interface.name'], 'em0');
    assert.equal(f['source.ip'], '10.9.0.119');
    assert.equal(f['destination.port'], 17600);
    assert.equal(f['network.transport'], 'udp');
  });

  it('Cisco ASA: message id and severity, and the endpoints of connection and deny messages, with or without a syslog header', () => {
    const built = fieldsOf('<166>Nov 28 10:00:00 asa1 %ASA-6-302013: Built inbound TCP connection 1 for outside:203.0.113.9/51515 (203.0.113.9/51515) to inside:10.0.0.5/22 (10.0.0.5/22)');
    assert.equal(built['event.code'], '302013');
    assert.equal(built['event.action'], 'connection_built');
    assert.equal(built['source.ip'], '203.0.113.9');
    assert.equal(built['destination.port'], 22);
    const deny = parseSyslog('%ASA-4-106023: Deny tcp src outside:203.0.113.9/51515 dst inside:10.0.0.5/22 by access-group "outside_in"', 0);
    assert.equal(deny.format, 'device');
    assert.equal(deny.fields['event.action'], 'firewall_blocked');
    assert.equal(deny.fields['log.level'], 'warning');
    assert.equal(deny.fields['destination.ip'], '10.0.0.5');
  });

  it('FortiGate key=value: native pairs kept, ECS added, a failed admin login is a failed authentication', () => {
    const f = fieldsOf('<189>Nov 28 10:00:00 fw1 date=2016-06-14 time=12:22:01 devname=Edge devid=FGT logid=0100032002 type=event subtype=system level=alert logdesc="Admin login failed" user="root" ui=ssh(222.186.130.227) action=login status=failed');
    assert.equal(f['logid'], '0100032002');
    assert.equal(f['observer.name'], 'Edge');
    assert.equal(f['user.name'], 'root');
    assert.equal(f['event.outcome'], 'failure');
    assert.deepEqual(f['event.category'], ['authentication']);
    assert.equal(f['process.name'], undefined);
  });

  it('SonicWall key=value without a syslog header', () => {
    const p = parseSyslog('id=firewall sn=C0EAE4599999 time="2019-02-27 12:55:40 UTC" fw=2.228.169.242 pri=5 c=0 m=1197 msg="NAT Mapping" src=10.12.14.9::X0-V500 dst=217.56.236.4::X3 proto=icmp', 0);
    assert.equal(p.format, 'device');
    assert.equal(p.fields['source.ip'], '10.12.14.9');
    assert.equal(p.fields['destination.ip'], '217.56.236.4');
    assert.equal(p.fields['network.transport'], 'icmp');
  });

  it('parses the device logs of the Wazuh ruleset tests', (t) => {
    if (!corpusHas('wazuh-ruleset-tests', 'cases.jsonl')) return t.skip(`corpus absent: ${corpusPath('wazuh-ruleset-tests', 'cases.jsonl')}`);
    const rows = readFileSync(corpusPath('wazuh-ruleset-tests', 'cases.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { file: string; log: string });
    for (const [file, minimum] of [['ini/cisco_asa.ini', 0.98], ['ini/fortigate.ini', 1], ['ini/SonicWall.ini', 1], ['ini/pfsense.ini', 1], ['ini/iptables.ini', 1], ['ini/pix.ini', 0.95]] as const) {
      const logs = rows.filter((r) => r.file === file);
      const parsed = logs.filter((r) => parseSyslog(r.log, 0).format !== 'raw').length;
      t.diagnostic(`${file}: ${parsed}/${logs.length}`);
      assert.ok(logs.length > 0 && parsed / logs.length >= minimum, `${file}: ${parsed}/${logs.length}`);
    }
  });
});
