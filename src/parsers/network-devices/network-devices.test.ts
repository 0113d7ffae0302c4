import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { corpusHas, corpusPath } from '../../../test/support/corpus.js';
import { SeededRandom } from '../../../test/support/seeded-random.js';
import type { Fields } from '../../core/event.js';
import { parseSyslog, parseSyslogUnguarded } from '../syslog/syslog-parser.js';
import { deviceLineFields } from '../syslog/app-messages/index.js';
import { addCheckPointFields } from './check-point.js';
import { addHuaweiFields } from './huawei-usg.js';
import { addNetScreenFields } from './netscreen.js';
import { addPaloAltoFields, splitCsv } from './palo-alto-csv.js';

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

  // Real device lines below are from the Wazuh ruleset tests (wazuh/wazuh, ruleset/testing/tests/*.ini,
  // GPL v2 log data): paloalto.ini, checkpoint_smart1.ini, sophos_fw.ini, huawei_usg.ini, junos.ini,
  // netscreen.ini, firewalld.ini.

  it('Palo Alto TRAFFIC: columns under their PAN-OS names, the session in ECS, a deny is a denied connection', () => {
    const p = parseSyslog('0,2021/07/15 11:58:58,1321564321,TRAFFIC,N/A,0,2021/07/15 11:59:02,10.210.0.84,51.11.168.232,,,DENY-ALL,,,not-applicable,vsys1,INSPECTION,INSPECTION,ethernet1/1,,AWS-PANORAMA,2021/07/15 11:59:02,0,1,500,500,0,0,0x0,udp,deny,0,0,0,1,2021/07/15 11:59:02,0,any,0,91501273,0x8000000000000000,10.0.0.0-10.255.255.255,YYYYYYYYYYYY,0,1,0,policy-deny,150,42,25,260,,P1A-GWLB-CORE-FW01,from-policy,,,0,,0,,N/A,0,0,0,0,49543e97-7c8c-44a3-bbd9-031caeb1a65e,0,0,,,,,,,,0.0.0.0,,,,,,,,,,,,,,,,,,,,,,,,,,,2021-07-15T11:59:03.547+01:00,,', 0);
    const f = p.fields;
    assert.equal(p.format, 'device');
    assert.equal(f['type'], 'TRAFFIC');
    assert.equal(f['src'], '10.210.0.84');
    assert.equal(f['dport'], '500');
    assert.equal(f['rule'], 'DENY-ALL');
    assert.equal(f['session_end_reason'], 'policy-deny');
    assert.equal(f['high_res_timestamp'], '2021-07-15T11:59:03.547+01:00');
    assert.equal(f['source.ip'], '10.210.0.84');
    assert.equal(f['destination.ip'], '51.11.168.232');
    assert.equal(f['source.port'], 500);
    assert.equal(f['destination.port'], 500);
    assert.equal(f['network.transport'], 'udp');
    assert.equal(f['event.action'], 'deny');
    assert.equal(f['event.outcome'], 'failure');
    assert.deepEqual(f['event.category'], ['network']);
    assert.deepEqual(f['event.type'], ['connection', 'denied']);
    assert.equal(f['rule.name'], 'DENY-ALL');
    assert.equal(f['observer.name'], 'P1A-GWLB-CORE-FW01');
    assert.equal(f['observer.vendor'], 'Palo Alto Networks');
    assert.equal(f['observer.product'], 'PAN-OS');
    assert.equal(f['source.nat.ip'], undefined, 'an empty NAT column is no address');
  });

  it('Palo Alto THREAT: the threat, its severity and the reset verdict; a quoted column stays one column', () => {
    const f = fieldsOf('<14>Jul 12 09:46:23 UAT-INTERNET-FW-01 1,2021/07/12 09:46:23,321321321,THREAT,vulnerability,0,2021/07/12 09:46:00,199.195.252.165,172.30.250.61,199.195.252.165,10.20.0.19,GPS-UAT-MODULR-Web-443-OUT,,,web-browsing,vsys1,YYYYYYYYYYY,ZZZZZZZZZZZ,ethernet1/1,tunnel.2,UATH-LogForwarding,2021/07/12 09:46:00,51557,1,55094,443,55094,443,0x502000,tcp,reset-both,"getuser",DCS-2530L Unauthenticated Information Disclosure Vulnerability(90255),any,high,client-to-server,561,0xa000000000000000,United States,172.16.0.0-172.31.255.255,0,,0,,,1,,,,,,,,0,41,225,0,0,,UAT-INTERNET-FW-01,,,,,0,,0,,N/A,info-leak,AppThreat-8428-6809,0x2,0,4294967295,,"  ",dd3035a9-452f-4073-a1bc-169f4b453e6a,0,,0.0.0.0,,,,,,,,,,,,,,,,,,,,,,,,,,,0,2021-07-12T09:46:01.359+01:00,,  ,');
    assert.equal(f['host.name'], 'UAT-INTERNET-FW-01');
    assert.equal(f['process.name'], undefined, 'the CSV is not a program tag');
    assert.ok(String(f['message']).startsWith('1,2021/07/12 09:46:23,321321321,THREAT,'));
    assert.equal(f['threatid'], 'DCS-2530L Unauthenticated Information Disclosure Vulnerability(90255)');
    assert.equal(f['misc'], 'getuser');
    assert.equal(f['thr_category'], 'info-leak');
    assert.equal(f['rule_uuid'], 'dd3035a9-452f-4073-a1bc-169f4b453e6a');
    assert.equal(f['log.level'], 'high');
    assert.equal(f['event.action'], 'reset-both');
    assert.deepEqual(f['event.type'], ['connection', 'denied']);
    assert.deepEqual(f['event.category'], ['network', 'intrusion_detection']);
    assert.equal(f['destination.nat.ip'], '10.20.0.19');
    assert.equal(f['destination.port'], 443);
    assert.deepEqual(splitCsv('a,"b, c",d""e,"f ""g"""'), ['a', 'b, c', 'd""e', 'f "g"']);
  });

  it('Palo Alto THREAT url: the URL filtering log names its URL', () => {
    const f = fieldsOf('<14>Feb  9 00:00:00 PA-VM 1,2020/02/09 00:00:00,012801000000,THREAT,url,2049,2020/02/09 00:00:00,10.1.1.5,203.0.113.80,0.0.0.0,0.0.0.0,web-out,corp\\alice,,web-browsing,vsys1,trust,untrust,ethernet1/2,ethernet1/1,fwd,2020/02/09 00:00:00,4321,1,51000,80,0,0,0x40b000,tcp,block-url,"example.com/login.php?a=1,2",(9999),malware,informational,client-to-server,123,0x0,10.0.0.0-10.255.255.255,United States,0,text/html');
    assert.equal(f['url.original'], 'example.com/login.php?a=1,2');
    assert.equal(f['user.name'], 'corp\\alice');
    assert.equal(f['event.action'], 'block-url');
    assert.deepEqual(f['event.type'], ['connection', 'denied']);
  });

  it('Palo Alto SYSTEM and CONFIG: event id, severity and description; the admin, command and result', () => {
    const system = fieldsOf('Apr 30 06:00:00 xx-xx-xx.xx 1,2020/02/09 00:00:00,00000000,SYSTEM,general,0,2020/00/00 00:00:00,,general,,0,0,general,critical,"xxxxxxxxxxxxxxx",0000000,0x0,0,0,0,0,,XXX-XX-XX');
    assert.equal(system['eventid'], 'general');
    assert.equal(system['module'], 'general');
    assert.equal(system['opaque'], 'xxxxxxxxxxxxxxx');
    assert.equal(system['event.code'], 'general');
    assert.equal(system['log.level'], 'critical');
    // The default CONFIG layout (no before/after change detail), as PAN-OS writes it; this one
    // also has no hostname, so the RFC 3164 parser first took the CSV's first column for one.
    const config = fieldsOf('Mar 25 23:59:02 1,2013/03/25 23:59:02,01606001116,CONFIG,0,0,2012/04/09 09:00:20,192.168.0.2,,edit,admin,Web,Succeeded, vsys  vsys1 profiles data-objects  PII,0,0x0');
    assert.equal(config['host.name'], undefined);
    assert.equal(config['cmd'], 'edit');
    assert.equal(config['path'], ' vsys  vsys1 profiles data-objects  PII');
    assert.equal(config['seqno'], '0');
    assert.equal(config['user.name'], 'admin');
    assert.equal(config['event.action'], 'edit');
    assert.equal(config['event.outcome'], 'success');
    assert.equal(config['source.ip'], '192.168.0.2');
    assert.deepEqual(config['event.category'], ['configuration']);
  });

  it('Palo Alto: a line cut after the type column is still a Palo Alto line, with what it has', () => {
    const f = fieldsOf('Apr 30 06:00:00 xx-xx-xx.xx 1,2020/02/09 00:00:00,00000000,THREAT,');
    assert.equal(f['type'], 'THREAT');
    assert.equal(f['serial'], '00000000');
    assert.equal(f['observer.serial_number'], '00000000');
    assert.equal(f['observer.vendor'], 'Palo Alto Networks');
    assert.equal(fieldsOf('Apr 30 06:00:00 xx-xx-xx.xx 1,2020/02/09 00:00:00,00000000,OTHERS,')['type'], 'OTHERS');
    const into: Fields = Object.create(null) as Fields;
    assert.equal(addPaloAltoFields('1,2020/02/09 00:00:0', into), false, 'no comma after the receive time: not PAN-OS');
    assert.equal(addPaloAltoFields('hello, world', into), false);
  });

  it('Check Point: key:"value" pairs after an RFC 5424 header are vendor fields, with ECS for the connection', () => {
    const line = String.raw`1 2019-05-15T16:25:50Z HOSTNAME CheckPoint 19710 - [action:"Drop"; flags:"400644"; ifdir:"inbound"; ifname:"eth2"; logid:"0"; loguid:"{0x0,0x0,0x0,0x0}"; origin:"11.22.33.44"; originsicname:"CN=TR-DC-FW-INT-B-5600,O=Internet-QRO..g7hgcu"; sequencenum:"11"; time:"1557937550"; version:"5"; __policy_id_tag:"product=VPN-1 & FireWall-1[db_tag={C12F833B-77C9-3941-9B06-075E9D2A86A2};mgmt=TR-DC-VCON-2-INT;date=1557764162;policy_name=FW-INT-TR\]"; dst:"11.22.33.55"; inzone:"Internal"; layer_name:"FW-INT-TR Security"; layer_uuid:"75569106-7e80-4c4e-ab23-b0848f2cb41b"; match_id:"244"; parent_rule:"0"; rule_action:"Drop"; rule_name:"CleanUp Rule"; rule_uid:"b9d9605b-a71e-4664-a042-3fbd041b0b41"; outzone:"Internal"; product:"VPN-1 & FireWall-1"; proto:"17"; s_port:"55036"; service:"1514"; service_id:"ptos_avaya"; src:"11.22.33.77"; ]`;
    // With a PRI, as a sender puts it on the wire (PRI-less detection is the syslog parser's concern).
    const p = parseSyslog(`<134>${line}`, 0);
    const f = p.fields;
    assert.equal(p.format, 'rfc5424');
    assert.equal(f['process.name'], 'CheckPoint');
    assert.equal(f['host.name'], 'HOSTNAME');
    assert.equal(f['message'], line.slice(line.indexOf('[')), 'the bracket part is not RFC 5424 SD: it stays the message');
    assert.equal(f['action'], 'Drop');
    assert.equal(f['s_port'], '55036');
    assert.equal(f['service_id'], 'ptos_avaya');
    assert.equal(f['__policy_id_tag'], 'product=VPN-1 & FireWall-1[db_tag={C12F833B-77C9-3941-9B06-075E9D2A86A2};mgmt=TR-DC-VCON-2-INT;date=1557764162;policy_name=FW-INT-TR]');
    assert.equal(f['source.ip'], '11.22.33.77');
    assert.equal(f['source.port'], 55036);
    assert.equal(f['destination.ip'], '11.22.33.55');
    assert.equal(f['destination.port'], 1514);
    assert.equal(f['network.transport'], 'udp');
    assert.equal(f['event.action'], 'drop');
    assert.equal(f['event.outcome'], 'failure');
    assert.deepEqual(f['event.category'], ['network']);
    assert.deepEqual(f['event.type'], ['connection', 'denied']);
    assert.equal(f['rule.name'], 'CleanUp Rule');
    assert.equal(f['observer.name'], 'TR-DC-FW-INT-B-5600');
    assert.equal(f['observer.vendor'], 'Check Point');
    assert.equal(f['observer.product'], 'VPN-1 & FireWall-1');
    assert.equal(f['network.direction'], 'inbound');
    // Called directly on the message, without any header.
    const direct: Fields = Object.create(null) as Fields;
    assert.equal(addCheckPointFields(line.slice(line.indexOf('[')), direct), true);
    assert.equal(direct['src'], '11.22.33.77');
    assert.equal(direct['event.action'], 'drop');
  });

  it('Check Point: repeated keys keep every value; stray colons, cut lines and a missing MSGID are tolerated', () => {
    const f: Fields = Object.create(null) as Fields;
    addCheckPointFields('[action:"Key Install"; ike::"Informational Exchange Received Delete IKE-SA from Peer: 11.22.33.66; Cookies: 891f38892b0e6bd6"; rule_name:"SafeCharge SEC"; rule_name:"Implicit Cleanup"; src:"11.22.33.99"; ]', f);
    assert.equal(f['ike'], 'Informational Exchange Received Delete IKE-SA from Peer: 11.22.33.66; Cookies: 891f38892b0e6bd6');
    assert.deepEqual(f['rule_name'], ['SafeCharge SEC', 'Implicit Cleanup']);
    assert.deepEqual(f['rule.name'], ['SafeCharge SEC', 'Implicit Cleanup']);
    assert.equal(f['event.action'], 'key install');
    const cut = parseSyslog('<134>1 2019-05-15T16:27:08Z HOSTNAME CheckPoint 19710 - [action:"Flag";...', 0).fields;
    assert.equal(cut['action'], 'Flag');
    assert.equal(cut['event.action'], 'flag');
    const junk = parseSyslog('<134>1 2019-05-15T16:27:08Z HOSTNAME CheckPoint 19710 - [action:""; VPN routing...', 0).fields;
    assert.equal(junk['action'], '');
    assert.equal(junk['event.action'], undefined);
    const noMsgId = parseSyslog('<134>1 2019-05-15T16:27:08Z HOSTNAME CheckPoint 19710 [action:"Accept"; src:"10.0.0.1"]', 0).fields;
    assert.equal(noMsgId['log.syslog.msgid'], undefined);
    assert.equal(noMsgId['source.ip'], '10.0.0.1');
    // A whole line whose header no parser took still gives its body.
    assert.equal(deviceLineFields(' 1 2019-05-15T16:27:08Z HOSTNAME CheckPoint 19710 - [action:"Flag";...')?.['action'], 'Flag');
  });

  it('Sophos XG (SFOS) key=value: vendor pairs kept, ECS for the connection, the status is the verdict', () => {
    const p = parseSyslog('device="SFW" date=2019-10-09 time=17:19:06 timezone="+08" device_name="XG210" device_id=AAAAAAAA1234567 log_id=010101010101 log_type="Firewall" log_component="Firewall Rule" log_subtype="Denied" status="Deny" priority=Information duration=0 fw_rule_id=14 policy_type=1 user_name="" user_gp="" iap=2 ips_policy_id=0 appfilter_policy_id=0 application="" application_risk=0 application_technology="" application_category="" in_interface="Port3" out_interface="Port2" src_mac=11:22:aa:bb:22:11 src_ip=11.22.33.44 src_country_code= dst_ip=44.33.22.11 dst_country_code= protocol="TCP" src_port=52667 dst_port=10051 sent_pkts=0  recv_pkts=0 sent_bytes=0 recv_bytes=0 tran_src_ip= tran_src_port=0 tran_dst_ip= tran_dst_port=0 srczonetype="" srczone="" dstzonetype="" dstzone="" dir_disp="" connid="" vconnid="" hb_health="No Heartbeat" message="" appresolvedby="Signature"th="No Heartbeat', 0);
    const f = p.fields;
    assert.equal(p.format, 'device');
    assert.equal(f['log_id'], '010101010101');
    assert.equal(f['log_subtype'], 'Denied');
    assert.equal(f['fw_rule_id'], '14');
    assert.equal(f['source.ip'], '11.22.33.44');
    assert.equal(f['source.port'], 52667);
    assert.equal(f['destination.ip'], '44.33.22.11');
    assert.equal(f['destination.port'], 10051);
    assert.equal(f['network.transport'], 'tcp');
    assert.equal(f['event.action'], 'deny');
    assert.deepEqual(f['event.type'], ['connection', 'denied']);
    assert.equal(f['event.code'], '010101010101');
    assert.equal(f['log.level'], 'information');
    assert.equal(f['rule.id'], '14');
    assert.equal(f['observer.name'], 'XG210');
    assert.equal(f['observer.vendor'], 'Sophos');
    assert.equal(f['user.name'], undefined, 'an empty user_name is no user');
    const tagged = fieldsOf('<30>Oct  9 17:19:06 XG210 device="SFW" date=2019-10-09 time=17:19:06 device_name="XG210" log_id=010101010101 log_type="Firewall" log_subtype="Allowed" status="Allow" src_ip=11.22.33.44 dst_ip=44.33.22.11 protocol="TCP" src_port=52667 dst_port=10051 user_name="bob"');
    assert.equal(tagged['event.action'], 'allow');
    assert.equal(tagged['user.name'], 'bob');
    assert.deepEqual(tagged['event.type'], ['connection', 'allowed']);
    // Sophos sends no timestamp after the PRI: the whole rest is the message.
    assert.equal(fieldsOf('<30>device="SFW" date=2019-10-09 time=17:19:06 log_id=010101010101 log_type="Firewall" status="Deny" src_ip=11.22.33.44')['source.ip'], '11.22.33.44');
  });

  it('Sophos UTM key=value: the packet filter verdict, rule and interface', () => {
    const f = fieldsOf('<30>Nov 28 10:00:00 utm ulogd[5102]: id="2001" severity="info" sys="SecureNet" sub="packetfilter" name="Packet dropped" action="drop" fwrule="60001" initf="eth0" srcip="192.0.2.7" dstip="198.51.100.2" proto="17" srcport="5353" dstport="53"');
    assert.equal(f['observer.vendor'], 'Sophos');
    assert.equal(f['observer.product'], 'UTM');
    assert.equal(f['rule.id'], '60001');
    assert.equal(f['observer.ingress.interface.name'], 'eth0');
    assert.equal(f['network.transport'], 'udp');
    assert.deepEqual(f['event.type'], ['connection', 'denied']);
    assert.equal(f['event.reason'], 'Packet dropped');
  });

  it('Huawei USG: module, severity and log name from the message id; the pairs in all three spellings', () => {
    const url = fieldsOf('2018/10/05 09:52:14 USG6300 %%01URL/4/FILTER(l): The URL filtering policy was matched. (SyslogId=1906054, VSys="public", Policy="Internet Access", SrcIp=1.1.1.1, DstIp=2.2.2.2, SrcPort=5702, DstPort=80, SrcZone=dmz, DstZone=untrust, User="unknown", Protocol=TCP, Application="google", Profile="prof1", Type=Pre-defined, EventNum=1, Category="Search Engines/Portals", SubCategory="Search Engines", Page="*", Host="www.google.com", Item="none", Action=Alert)');
    assert.equal(url['module'], 'URL');
    assert.equal(url['severity'], 4);
    assert.equal(url['mnemonic'], 'FILTER');
    assert.equal(url['event.code'], 'URL/4/FILTER');
    assert.equal(url['log.level'], 'warning');
    assert.equal(url['Category'], 'Search Engines/Portals');
    assert.equal(url['source.ip'], '1.1.1.1');
    assert.equal(url['destination.port'], 80);
    assert.equal(url['rule.name'], 'Internet Access');
    assert.equal(url['event.action'], 'alert');
    assert.equal(url['url.domain'], 'www.google.com');
    assert.equal(url['user.name'], undefined, '"unknown" is no user');
    assert.equal(url['observer.name'], 'USG6300');
    assert.equal(url['event.reason'], 'The URL filtering policy was matched.');
    const permit = fieldsOf('Oct  5 2018 10:52:19 USG6300 %%01POLICY/6/POLICYPERMIT(l):vsys=public, protocol=17, source-ip=1.1.1.1, source-port=2426, destination-ip=2.2.2.2, destination-port=2234, time=2018/10/5 09:52:19, source-zone=dmz, destination-zone=untrust, rule-name=Internet Access.');
    assert.equal(permit['source-ip'], '1.1.1.1');
    assert.equal(permit['time'], '2018/10/5 09:52:19');
    assert.equal(permit['rule-name'], 'Internet Access', "the sentence's full stop is not part of the rule name");
    assert.equal(permit['network.transport'], 'udp');
    assert.equal(permit['destination.port'], 2234);
    assert.deepEqual(permit['event.type'], ['connection', 'allowed']);
    const teardown = fieldsOf('2018-10-05 10:52:13 USG6300 %%01SECLOG/6/SESSION_TEARDOWN(l):IPVer=4,Protocol=tcp,SourceIP=1.1.1.1,DestinationIP=2.2.2.2,SourcePort=6182,DestinationPort=443,BeginTime=1538736476,EndTime=1538736733,SendPkts=21,SendBytes=2135,RcvPkts=18,RcvBytes=1534,SourceVpnID=0,DestinationVpnID=0,PolicyName=Internet Access.');
    assert.equal(teardown['SourceIP'], '1.1.1.1');
    assert.equal(teardown['destination.port'], 443);
    assert.equal(teardown['source.bytes'], 2135);
    assert.equal(teardown['event.action'], 'session_teardown');
    assert.deepEqual(teardown['event.type'], ['connection', 'allowed', 'end']);
    const direct: Fields = Object.create(null) as Fields;
    assert.equal(addHuaweiFields('%%01POLICY/6/POLICYDENY(l)', 'vsys=public, protocol=6, source-ip=10.0.0.1, destination-port=22', direct), true);
    assert.deepEqual(direct['event.type'], ['connection', 'denied']);
    assert.equal(addHuaweiFields('%ASA-6-302013', 'x', direct), false);
    assert.equal(parseSyslog('%%01POLICY/6/POLICYDENY(l): vsys=public, source-ip=10.0.0.1', 0).fields['source.ip'], '10.0.0.1', 'without a syslog header');
  });

  it('Juniper SRX: the junos@ structured data, relayed inside RFC 3164 or sent as RFC 5424', () => {
    const deny = fieldsOf('Sep 23 13:54:55 192.168.1.1 junos-flow: 2017-09-23T13:54:54.803Z sis-srx-mic-01 RT_FLOW - RT_FLOW_SESSION_DENY [junos@2636.1.1.1.2.39 source-address="192.168.1.1" source-port="1080" destination-address="192.168.1.2" destination-port="8010" service-name="junos-dns-udp" protocol-id="17" icmp-type="0" policy-name="Local-Default-Deny" source-zone-name="trust" destination-zone-name="untrust" application="UNKNOWN" nested-application="UNKNOWN" username="N/A" roles="N/A" packet-incoming-interface="intf2.302" encrypted="UNKNOWN" reason="policy deny"]');
    assert.equal(deny['source-address'], '192.168.1.1');
    assert.equal(deny['policy-name'], 'Local-Default-Deny');
    assert.equal(deny['service-name'], 'junos-dns-udp');
    assert.equal(deny['source.ip'], '192.168.1.1');
    assert.equal(deny['source.port'], 1080);
    assert.equal(deny['destination.ip'], '192.168.1.2');
    assert.equal(deny['destination.port'], 8010);
    assert.equal(deny['network.transport'], 'udp');
    assert.equal(deny['rule.name'], 'Local-Default-Deny');
    assert.equal(deny['observer.ingress.zone'], 'trust');
    assert.equal(deny['observer.egress.zone'], 'untrust');
    assert.equal(deny['event.code'], 'RT_FLOW_SESSION_DENY');
    assert.equal(deny['event.action'], 'flow_deny');
    assert.deepEqual(deny['event.type'], ['connection', 'denied']);
    assert.equal(deny['observer.name'], 'sis-srx-mic-01');
    assert.equal(deny['user.name'], undefined, '"N/A" is no user');
    const screen = fieldsOf('Aug 24 04:58:58 192.168.1.1 junos-ids: 2017-08-24T04:58:58.724Z sis-srx-EUH-03 RT_IDS - RT_SCREEN_IP [junos@1.1.1.1.2.1 attack-name="IP spoofing!" source-address="1.1.1.1" destination-address="1.1.1.1" protocol-id="17" source-zone-name="mpls-untrust" interface-name="xxxx.111" action="drop"]');
    assert.equal(screen['attack-name'], 'IP spoofing!');
    assert.equal(screen['event.action'], 'drop');
    assert.deepEqual(screen['event.type'], ['connection', 'denied']);
    const native = fieldsOf('<14>1 2017-09-23T13:54:54.803Z srx1 RT_FLOW - RT_FLOW_SESSION_CREATE [junos@2636.1.1.1.2.39 source-address="10.0.0.5" source-port="50000" destination-address="192.0.2.1" destination-port="443" protocol-id="6" policy-name="out"]');
    assert.equal(native['source-address'], '10.0.0.5');
    assert.equal(native['network.transport'], 'tcp');
    assert.equal(native['event.action'], 'flow_started');
    assert.deepEqual(native['event.type'], ['connection', 'allowed', 'start']);
  });

  it('Juniper NetScreen: device id, level and message code, and the endpoints the message names', () => {
    const flood = fieldsOf('Jul  7 05:02:34 ssg5.17.168.192.in-addr.arpa ssg5: NetScreen device_id=ssg5  [Root]system-emergency-00005: SYN flood! From 192.168.18.53:41437 to 192.168.17.251:9612, proto TCP (zone Untrust int  ethernet0/0). Occurred 1 times. (2016-07-07 05:02:32)');
    assert.equal(flood['device_id'], 'ssg5');
    assert.equal(flood['level'], 'emergency');
    assert.equal(flood['log.level'], 'emergency');
    assert.equal(flood['event.code'], '00005');
    assert.equal(flood['event.reason'], 'SYN flood! From 192.168.18.53:41437 to 192.168.17.251:9612, proto TCP (zone Untrust int  ethernet0/0). Occurred 1 times.');
    assert.equal(flood['source.ip'], '192.168.18.53');
    assert.equal(flood['source.port'], 41437);
    assert.equal(flood['destination.ip'], '192.168.17.251');
    assert.equal(flood['destination.port'], 9612);
    assert.equal(flood['network.transport'], 'tcp');
    assert.equal(flood['observer.ingress.zone'], 'Untrust');
    assert.equal(flood['observer.ingress.interface.name'], 'ethernet0/0');
    assert.equal(flood['observer.name'], 'ssg5');
    const admin = fieldsOf('2014-05-23T10:39:20.681154-04:00 10.10.10.1 ssg5-serial: NetScreen device_id=0275112227993284  [Root]system-warning-00515: Management session via SSH from 10.10.10.100:0 for admin netscreen has timed out (2014-05-23 11:11:39)');
    assert.equal(admin['user.name'], 'netscreen');
    assert.equal(admin['source.ip'], '10.10.10.100');
    assert.equal(admin['event.code'], '00515');
    const traffic: Fields = Object.create(null) as Fields;
    addNetScreenFields('NetScreen device_id=fw1  [Root]system-notification-00257(traffic): start_time="2009-03-11 10:54:31" duration=0 policy_id=320001 service=udp/port:7001 proto=17 src zone=Null dst zone=self action=Deny sent=0 rcvd=0 src=192.0.2.9 dst=198.51.100.1 src_port=7001 dst_port=7001 session_id=0', traffic);
    assert.equal(traffic['src_zone'], 'Null');
    assert.equal(traffic['source.ip'], '192.0.2.9');
    assert.equal(traffic['destination.port'], 7001);
    assert.equal(traffic['network.transport'], 'udp');
    assert.equal(traffic['event.action'], 'deny');
    assert.deepEqual(traffic['event.type'], ['connection', 'denied']);
  });

  it('firewalld: the level word of its own lines is log.level, a leading error code error.code', () => {
    const f = fieldsOf("Jul 18 10:51:43 localhost firewalld: 2014-07-18 10:51:43 ERROR: COMMAND_FAILED: '/sbin/iptables -D INPUT_ZONES -t filter -i enp1s0 -g IN_public' failed: iptables: No chain/target/match by that name.");
    assert.equal(f['log.level'], 'error');
    assert.equal(f['error.code'], 'COMMAND_FAILED');
    assert.equal(fieldsOf('Jul 18 10:51:43 localhost firewalld: WARNING: ICMP type is not supported')['log.level'], 'warning');
  });

  it('vendor keys never reach a prototype, and hostile device lines take linear time', () => {
    const cp = parseSyslog('<134>1 2019-05-15T16:25:50Z h CheckPoint 1 - [__proto__:"x"; constructor:"y"; toString:"z"; prototype:"w"; src:"10.0.0.1"]', 0).fields;
    assert.equal(Object.getPrototypeOf(cp), Object.prototype);
    assert.equal(Object.hasOwn(cp, 'constructor'), false);
    assert.equal(Object.hasOwn(cp, 'prototype'), false);
    assert.equal(typeof cp.toString, 'function');
    assert.equal(cp['src'], '10.0.0.1');
    const hu = parseSyslog('Nov 28 10:00:00 usg %%01X/4/Y(l): a (__proto__=1, constructor=2, SrcIp=10.0.0.2)', 0).fields;
    assert.equal(Object.getPrototypeOf(hu), Object.prototype);
    assert.equal(Object.hasOwn(hu, 'constructor'), false);
    assert.equal(hu['source.ip'], '10.0.0.2');
    for (const line of [
      '1,2020/02/09 00:00:00,' + '"'.repeat(5000),
      '1,2020/02/09 00:00:00,s,TRAFFIC,' + ','.repeat(100_000),
      '<134>1 2019-05-15T16:25:50Z h CheckPoint 1 - [' + 'a:'.repeat(50_000),
      '<134>1 2019-05-15T16:25:50Z h CheckPoint 1 - [a:"' + '\\'.repeat(50_000),
      'x %%01A/1/B(l): (' + 'K=,'.repeat(50_000),
      'NetScreen device_id=x [Root]system-a-1: From ' + '1'.repeat(100_000),
      'NetScreen device_id=x [Root]system-a-1(traffic): ' + 'src zone='.repeat(10_000),
      'Sep 23 13:54:55 h junos-flow: 2017-09-23T13:54:54.803Z h RT_FLOW - X [junos@1 a="' + 'b'.repeat(50_000),
    ]) {
      const started = performance.now();
      parseSyslog(line, 0);
      assert.ok(performance.now() - started < 500, line.slice(0, 60));
    }
  });

  it('never throws on mutated lines of the new device formats, through the syslog parser and directly', () => {
    // The fuzz suite's syslog seeds predate these formats; these reach their scanners' corners.
    const seeds = [
      '<14>Apr 30 06:00:00 fw 1,2020/02/09 00:00:00,0001,THREAT,url,0,2020/02/09 00:00:00,10.0.0.1,10.0.0.2,,,r,,,web,vsys1,a,b,e1,e2,l,2020/02/09 00:00:00,1,1,1,80,0,0,0x0,tcp,alert,"x.com/a,b",(1),c,low,client-to-server',
      '<134>1 2019-05-15T16:25:50Z H CheckPoint 1 - [action:"Drop"; ike::"a; b"; x:"\\]\\"q"; src:"1.2.3.4"; s_port:"1"; ]',
      'device="SFW" log_id=1 log_type="Firewall" status="Deny" src_ip=1.2.3.4 dst_ip=5.6.7.8 src_port=1 dst_port=2 protocol="TCP"',
      '2018/10/05 09:52:14 USG %%01URL/4/FILTER(l): Text. (SrcIp=1.1.1.1, Policy="a, b", Action=Alert)',
      'Sep 23 13:54:55 h junos-flow: 2017-09-23T13:54:54.803Z h RT_FLOW - RT_FLOW_SESSION_DENY [junos@2636.1 source-address="1.1.1.1" destination-port="2"]',
      'Jul  7 05:02:34 h ssg5: NetScreen device_id=x  [Root]system-emergency-00005: SYN flood! From 1.2.3.4:1 to 5.6.7.8:2, proto TCP (zone U int  e0/0). (2016-07-07 05:02:32)',
      'Jul 18 10:51:43 h firewalld: 2014-07-18 10:51:43 ERROR: ZONE_ALREADY_SET: x',
    ];
    const alphabet = ' "[]();:,=%/\\0123456789aAzZ_-.';
    const r = new SeededRandom(2636);
    for (let n = 0; n < 5000; n++) {
      let line = r.pick(seeds);
      for (let e = r.int(1, 4); e > 0; e--) {
        const at = r.int(0, line.length);
        line = r.next() < 0.5 ? line.slice(0, at) + r.pick([...alphabet]) + line.slice(at) : line.slice(0, at) + line.slice(at + r.int(1, 6));
      }
      const fields = parseSyslogUnguarded(line, 0).fields;
      assert.equal(typeof fields['message'], 'string', line);
      deviceLineFields(line);
      addCheckPointFields(line, Object.create(null) as Fields);
      addPaloAltoFields(line, Object.create(null) as Fields);
      addNetScreenFields(line, Object.create(null) as Fields);
      addHuaweiFields(line.slice(0, Math.max(0, line.indexOf(':'))), line, Object.create(null) as Fields);
    }
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
    // Firewalls with their own parsers: every line must give the vendor's fields, not just a syslog header.
    for (const [file, field] of [['ini/paloalto.ini', 'observer.vendor'], ['ini/checkpoint_smart1.ini', 'observer.vendor'], ['ini/sophos_fw.ini', 'observer.vendor'], ['ini/huawei_usg.ini', 'observer.vendor'], ['ini/junos.ini', 'observer.vendor'], ['ini/netscreen.ini', 'observer.vendor'], ['ini/firewalld.ini', 'log.level']] as const) {
      const logs = rows.filter((r) => r.file === file);
      const parsed = logs.filter((r) => parseSyslog(r.log, 0).fields[field] !== undefined).length;
      t.diagnostic(`${file}: ${parsed}/${logs.length} with ${field}`);
      assert.ok(logs.length > 0 && parsed === logs.length, `${file}: ${parsed}/${logs.length} with ${field}`);
    }
  });
});
