import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { createEvent, type Event, type EventFormat, type Fields } from '../../core/event.js';
import { VigilError } from '../../core/errors.js';
import { decodeEvtx } from '../../parsers/evtx/index.js';
import { windowsEventFields } from '../../parsers/windows/windows-event-ecs.js';
import { mapJsonRecord } from '../../parsers/json/json-mapping.js';
import { jsonRecordMapping } from '../../parsers/json/index.js';
import { parseLine } from '../../parsers/line/line-parser.js';
import { FileRecordMapper } from '../../sources/file/file-records.js';
import { corpusHas, corpusPath } from '../../../test/support/corpus.js';
import { LogsourceMap, SHIPPED_LOGSOURCES_FILE, type EventSourceMatch } from './logsource-map.js';
import { MappedRuleEvent } from './rule-event.js';

const LIMITS = { maxJsonDepth: 64, maxFieldsPerEvent: 1024 };
const SOURCE = { input: 'test', kind: 'file' as const };

function event(format: EventFormat, fields: Fields, original = ''): Event {
  return createEvent({ tenant: 'default', received: Date.now(), source: SOURCE, format, original, fields });
}

function jsonEvent(record: Record<string, unknown>): Event {
  const mapped = mapJsonRecord(record, LIMITS);
  return event('json', mapped.fields, JSON.stringify(record));
}

function lineEvent(text: string): Event {
  const parsed = parseLine(text, 'auto', Date.now());
  return event(parsed.format, parsed.fields, text);
}

function fileEvents(path: string, lines: readonly string[]): Event[] {
  const mapper = new FileRecordMapper({ tenant: 'default', input: 'file', path, maxLineBytes: 1 << 20, mapping: jsonRecordMapping, limits: LIMITS }, 'auto');
  const out: Event[] = [];
  for (const l of lines) out.push(...mapper.take(l, false));
  out.push(...mapper.flush());
  return out;
}

function keysOf(matches: readonly EventSourceMatch[]): string[] {
  return matches.map((m) => m.key);
}

/** The event as the rules of `key` see it. */
function viewAs(map: LogsourceMap, e: Event, key: string): MappedRuleEvent {
  const match = map.sourcesOf(e).find((m) => m.key === key);
  assert.ok(match, `expected the event in ${key}; it is in ${keysOf(map.sourcesOf(e)).join(', ') || 'nothing'}`);
  return new MappedRuleEvent(e, match.renames);
}

/** Every record of every .evtx file under a corpus folder, as Vigil stores it. */
function evtxEvents(...folder: string[]): Event[] {
  const out: Event[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.toLowerCase().endsWith('.evtx')) {
        for (const r of decodeEvtx(readFileSync(p)).records) {
          const w = windowsEventFields(r.event);
          out.push(event('windows', w.fields, JSON.stringify(r.event)));
        }
      }
    }
  };
  walk(corpusPath(...folder));
  return out;
}

const SYSMON_LINUX_LINE =
  '<14>Nov 28 10:00:00 web-1 sysmon: <Event><System><Provider Name="Linux-Sysmon" Guid="{ff032593-a8d3-4f13-b0d6-01fc615a0f97}"/><EventID>1</EventID><Version>5</Version>' +
  '<TimeCreated SystemTime="2026-11-28T10:00:00.123Z"/><EventRecordID>99</EventRecordID><Channel>Linux-Sysmon/Operational</Channel>' +
  '<Computer>web-1</Computer><Security UserId="0"/></System><EventData><Data Name="ProcessId">4242</Data><Data Name="Image">/usr/bin/curl</Data>' +
  '<Data Name="CommandLine">curl -s http://x/a.sh</Data><Data Name="User">root</Data><Data Name="ParentImage">/bin/bash</Data></EventData></Event>';

/** One execve as auditd writes it (OTRF Security-Datasets, sh_arp_cache), then a connect with no EXECVE record. */
const AUDIT_LINES = [
  'type=SYSCALL msg=audit(1604994496.155:92733): arch=c000003e syscall=59 success=yes exit=0 a0=558e251634a0 a1=558e25162a50 a2=558e25160800 a3=8 items=2 ppid=29002 pid=1631 auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=pts0 ses=104 comm="arp" exe="/usr/sbin/arp" key="recon"',
  'type=EXECVE msg=audit(1604994496.155:92733): argc=2 a0="arp" a1="-a"',
  'type=CWD msg=audit(1604994496.155:92733): cwd="/home/wardog"',
  'type=PATH msg=audit(1604994496.155:92733): item=0 name="/usr/sbin/arp" inode=13181 dev=08:01 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0',
  'type=PATH msg=audit(1604994496.155:92733): item=1 name="/lib64/ld-linux-x86-64.so.2" inode=29514 dev=08:01 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0',
  'type=PROCTITLE msg=audit(1604994496.155:92733): proctitle=617270002D61',
  'type=SYSCALL msg=audit(1604994497.001:92740): arch=c000003e syscall=42 success=yes exit=0 a0=3 a1=7ffd6b1c a2=10 a3=0 items=0 ppid=1 pid=2001 auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=(none) ses=104 comm="nc" exe="/usr/bin/nc.openbsd" key="network_connect_4"',
  'type=EOE msg=audit(1604994497.001:92740): ',
];

const ZEEK_DNS = {
  _path: 'dns', ts: 1521911721.255387, uid: 'C8DRTq362Fwi6wM8ib', 'id.orig_h': '10.47.7.154', 'id.orig_p': 41843, 'id.resp_h': '10.0.0.100', 'id.resp_p': 53,
  proto: 'udp', trans_id: 16402, query: 'aadcxuxc4ws0c0jzflx7n6w.example.com', qclass_name: 'C_INTERNET', qtype: 16, qtype_name: 'TXT', rcode_name: 'NOERROR',
  AA: false, TC: false, RD: true, RA: true, Z: 0, answers: ['v=spf1 -all'], rejected: false,
};

describe('LogsourceMap: keys of rules', () => {
  const map = LogsourceMap.load();

  it('ships its mappings in config/sigma/logsources.yml, resolved from the module location', () => {
    assert.match(SHIPPED_LOGSOURCES_FILE, /config[\\/]sigma[\\/]logsources\.yml$/);
    assert.ok(map.keys().length > 100, `${map.keys().length} keys`);
  });

  it('answers product/category/service with * for an absent part, without regard to case', () => {
    assert.equal(map.ruleKey({ product: 'windows' }), 'windows/*/*');
    assert.equal(map.ruleKey({ product: 'windows', service: 'security' }), 'windows/*/security');
    assert.equal(map.ruleKey({ product: 'windows', category: 'process_creation' }), 'windows/process_creation/*');
    assert.equal(map.ruleKey({ category: 'process_creation' }), '*/process_creation/*');
    assert.equal(map.ruleKey({ product: 'Windows', category: 'Process_Creation ' }), 'windows/process_creation/*');
    assert.equal(map.ruleKey({ product: 'linux', service: 'auditd' }), 'linux/*/auditd');
    assert.equal(map.ruleKey({ category: 'webserver' }), '*/webserver/*');
    assert.equal(map.ruleKey({ category: 'network', service: 'dns' }), '*/network/dns');
  });

  it('covers every Windows category of the taxonomy and the Windows services', () => {
    const categories = ['process_creation', 'file_change', 'network_connection', 'sysmon_status', 'process_termination', 'driver_load', 'image_load', 'create_remote_thread',
      'raw_access_thread', 'process_access', 'file_event', 'registry_event', 'registry_add', 'registry_delete', 'registry_set', 'registry_rename', 'create_stream_hash',
      'pipe_created', 'wmi_event', 'dns_query', 'file_delete', 'clipboard_capture', 'process_tampering', 'file_delete_detected', 'file_block_executable',
      'file_block_shredding', 'file_executable_detected', 'sysmon_error', 'file_access', 'file_rename', 'ps_classic_start', 'ps_classic_provider_start',
      'ps_classic_script', 'ps_module', 'ps_script'];
    for (const category of categories) assert.ok(map.ruleKey({ product: 'windows', category }), `windows/${category}`);
    const services = ['security', 'system', 'application', 'sysmon', 'powershell', 'powershell-classic', 'taskscheduler', 'wmi', 'windefend', 'dns-server', 'bits-client',
      'applocker', 'codeintegrity-operational', 'firewall-as', 'ntlm', 'printservice-admin', 'printservice-operational', 'smbclient-security', 'security-mitigations',
      'msexchange-management', 'openssh', 'terminalservices-localsessionmanager', 'dns-client', 'appxdeployment-server', 'iis-configuration', 'lsa-server'];
    for (const service of services) assert.ok(map.ruleKey({ product: 'windows', service }), `windows/${service}`);
  });

  it('has no key for a log source nothing maps, nor for an empty logsource', () => {
    assert.equal(map.ruleKey({ product: 'jvm', category: 'application' }), undefined);
    assert.equal(map.ruleKey({ product: 'windows', category: 'no_such_thing' }), undefined);
    assert.equal(map.ruleKey({}), undefined);
    assert.equal(map.ruleKey({ product: '  ' }), undefined);
  });
});

describe('LogsourceMap: routing of Windows events', () => {
  const map = LogsourceMap.load();

  it('puts a real Sysmon process creation in its category, the Sysmon service and all of Windows, with no renames', (t) => {
    if (!corpusHas('evtx-attack-samples')) return t.skip('corpus absent: evtx-attack-samples');
    const sysmon1 = evtxEvents('evtx-attack-samples').find((e) => e.fields['Channel'] === 'Microsoft-Windows-Sysmon/Operational' && e.fields['EventID'] === 1);
    assert.ok(sysmon1, 'a Sysmon 1 record in evtx-attack-samples');
    const keys = keysOf(map.sourcesOf(sysmon1));
    for (const k of ['windows/process_creation/*', '*/process_creation/*', 'windows/*/sysmon', 'windows/*/*']) assert.ok(keys.includes(k), `${k} in ${keys.join(', ')}`);
    assert.ok(!keys.some((k) => k.startsWith('linux/')), 'not Linux');
    assert.equal(keys[0], 'windows/process_creation/*', 'most specific first');
    const view = viewAs(map, sysmon1, 'windows/process_creation/*');
    assert.equal(view.value('Image'), sysmon1.fields['Image']);
    assert.equal(map.sourcesOf(sysmon1).find((m) => m.key === 'windows/process_creation/*')!.renames.size, 0);
  });

  it('gives a Security 4688 the Sysmon names for process_creation rules, and its own for Security rules', (t) => {
    if (!corpusHas('evtx-to-mitre-attack')) return t.skip('corpus absent: evtx-to-mitre-attack');
    const e = evtxEvents('evtx-to-mitre-attack').find((x) => x.fields['EventID'] === 4688 && typeof x.fields['ParentProcessName'] === 'string');
    assert.ok(e, 'a Security 4688 record with ParentProcessName');
    const keys = keysOf(map.sourcesOf(e));
    for (const k of ['windows/process_creation/*', '*/process_creation/*', 'windows/*/security', 'windows/*/*']) assert.ok(keys.includes(k), `${k} in ${keys.join(', ')}`);
    const proc = viewAs(map, e, 'windows/process_creation/*');
    assert.equal(proc.value('Image'), e.fields['NewProcessName']);
    assert.equal(proc.value('ParentImage'), e.fields['ParentProcessName']);
    assert.equal(proc.value('ProcessId'), e.fields['NewProcessId']);
    assert.equal(proc.value('ParentProcessId'), e.fields['ProcessId']);
    assert.equal(proc.value('User'), e.fields['SubjectUserName']);
    assert.equal(proc.value('CommandLine'), e.fields['CommandLine'], 'same name: read as is');
    assert.equal(proc.lowered('Image'), String(e.fields['NewProcessName']).toLowerCase());
    // Generic process_creation rules (no product) see the same names.
    assert.equal(viewAs(map, e, '*/process_creation/*').value('Image'), e.fields['NewProcessName']);
    // Security rules read the event's own names: ProcessId is the creator there.
    const security = viewAs(map, e, 'windows/*/security');
    assert.equal(security.value('ProcessId'), e.fields['ProcessId']);
    assert.equal(security.value('Image'), undefined);
  });

  it('routes every record of the corpus to Windows, and only to keys rules can name', (t) => {
    if (!corpusHas('evtx-attack-samples')) return t.skip('corpus absent: evtx-attack-samples');
    const known = new Set(map.keys());
    const events = evtxEvents('evtx-attack-samples');
    if (corpusHas('evtx-to-mitre-attack')) events.push(...evtxEvents('evtx-to-mitre-attack'));
    assert.ok(events.length > 50);
    for (const e of events) {
      const keys = keysOf(map.sourcesOf(e));
      assert.ok(keys.includes('windows/*/*'), `${String(e.fields['Channel'])} ${String(e.fields['EventID'])}: ${keys.join(', ')}`);
      for (const k of keys) assert.ok(known.has(k), k);
      if (e.fields['Channel'] === 'Security') assert.ok(keys.includes('windows/*/security'));
      if (e.fields['Channel'] === 'System') assert.ok(keys.includes('windows/*/system'));
    }
  });

  it('reads Microsoft Defender detections by SigmaHQ\'s Defender names, and as antivirus events (Signature, Filename, Action)', (t) => {
    if (!corpusHas('sigma', 'regression_data')) return t.skip('corpus absent: sigma/regression_data');
    const e = evtxEvents('sigma', 'regression_data').find((x) => x.fields['Channel'] === 'Microsoft-Windows-Windows Defender/Operational' && x.fields['EventID'] === 1119);
    if (!e) return t.skip('no Defender 1119 record in the corpus');
    const keys = keysOf(map.sourcesOf(e));
    const defender = viewAs(map, e, 'windows/*/windefend');
    assert.equal(defender.value('ThreatName'), e.fields['Threat Name'], 'SigmaHQ joins the words of Defender\'s names');
    assert.equal(defender.value('SourceName'), e.fields['Source Name']);
    assert.ok(keys.includes('windows/*/*'));
    const av = viewAs(map, e, '*/antivirus/*');
    assert.equal(av.value('Signature'), e.fields['Threat Name']);
    assert.equal(av.value('Filename'), e.fields['Path']);
    assert.equal(av.value('Action'), e.fields['Action Name']);
  });

  it('keeps Sysmon for Linux out of Windows: it is Linux process creation', () => {
    const e = lineEvent(SYSMON_LINUX_LINE);
    assert.equal(e.fields['Channel'], 'Linux-Sysmon/Operational');
    const keys = keysOf(map.sourcesOf(e));
    for (const k of ['linux/process_creation/*', '*/process_creation/*', 'linux/*/sysmon', 'linux/*/*', 'linux/*/syslog']) assert.ok(keys.includes(k), `${k} in ${keys.join(', ')}`);
    assert.ok(!keys.some((k) => k.startsWith('windows/')), keys.join(', '));
    assert.equal(viewAs(map, e, 'linux/process_creation/*').value('Image'), '/usr/bin/curl');
  });

  it('answers the same frozen result for events of the same sources, sharing equal rename maps', () => {
    const a = event('windows', { Channel: 'Microsoft-Windows-Sysmon/Operational', EventID: 13, TargetObject: 'HKLM\\x' });
    const b = event('json', { Channel: 'microsoft-windows-sysmon/operational', EventID: '13' });
    const ra = map.sourcesOf(a);
    assert.equal(map.sourcesOf(b), ra, 'case and number/text do not matter; the answer is cached');
    assert.ok(Object.isFrozen(ra));
    assert.deepEqual(keysOf(ra).slice(0, 2).sort(), ['windows/registry_event/*', 'windows/registry_set/*']);
    const set = ra.find((m) => m.key === 'windows/registry_set/*')!;
    const generic = ra.find((m) => m.key === 'windows/*/*')!;
    assert.equal(set.renames, generic.renames, 'both without renames: one map');
  });

  it('routes an event of no known source nowhere', () => {
    assert.deepEqual(map.sourcesOf(event('raw', { message: 'hello' })), []);
  });
});

describe('LogsourceMap: routing of Linux, cloud, network and web events', () => {
  const map = LogsourceMap.load();

  it('gives auditd rules the raw audit keys on a grouped EXECVE event', () => {
    const [exec, connect] = fileEvents('/var/log/audit/audit.log', AUDIT_LINES);
    assert.ok(exec && connect);
    assert.equal(exec.format, 'auditd');
    const keys = keysOf(map.sourcesOf(exec));
    for (const k of ['linux/*/auditd', 'linux/process_creation/*', '*/process_creation/*', 'linux/*/*']) assert.ok(keys.includes(k), `${k} in ${keys.join(', ')}`);
    const audit = viewAs(map, exec, 'linux/*/auditd');
    assert.ok((audit.value('type') as readonly string[]).includes('EXECVE'), 'type: any record type of the event');
    assert.equal(audit.value('a0'), 'arp', 'a0 is the first EXECVE argument, not the SYSCALL register');
    assert.equal(audit.value('a1'), '-a');
    assert.equal(audit.value('a2'), undefined);
    assert.equal(audit.value('exe'), '/usr/sbin/arp');
    assert.equal(audit.value('comm'), 'arp');
    assert.deepEqual(audit.value('name'), ['/usr/sbin/arp', '/lib64/ld-linux-x86-64.so.2']);
    assert.equal(audit.value('key'), 'recon');
    assert.equal(audit.value('SYSCALL'), 'execve');
    assert.equal(audit.value('cwd'), '/home/wardog');
    const proc = viewAs(map, exec, 'linux/process_creation/*');
    assert.equal(proc.value('Image'), '/usr/sbin/arp');
    assert.equal(proc.value('CommandLine'), 'arp -a');
    assert.equal(proc.value('CurrentDirectory'), '/home/wardog');

    // No EXECVE record: not a process creation, and a0 is the syscall's own argument.
    const keys2 = keysOf(map.sourcesOf(connect));
    assert.ok(keys2.includes('linux/*/auditd') && !keys2.includes('linux/process_creation/*'), keys2.join(', '));
    const audit2 = viewAs(map, connect, 'linux/*/auditd');
    assert.equal(audit2.value('a0'), 3);
    assert.equal(audit2.value('key'), 'network_connect_4');
    assert.equal(audit2.value('SYSCALL'), 'connect');
  });

  it('puts syslog programs in their Linux services', () => {
    const sshd = lineEvent('<38>Mar 27 13:13:52 host1 sshd[2734]: Failed password for invalid user admin from 203.0.113.5 port 50642 ssh2');
    const keys = keysOf(map.sourcesOf(sshd));
    for (const k of ['linux/*/sshd', 'linux/*/auth', 'linux/*/syslog', 'linux/*/*']) assert.ok(keys.includes(k), `${k} in ${keys.join(', ')}`);
    const cron = lineEvent('<78>Mar 27 13:17:01 host1 CRON[3000]: (root) CMD (cd / && run-parts --report /etc/cron.hourly)');
    assert.ok(keysOf(map.sourcesOf(cron)).includes('linux/*/cron'));
  });

  it('routes a CloudTrail record with its native names', (t) => {
    const file = corpusPath('stratus-red-team', 'detonation-logs', 'aws.defense-evasion.cloudtrail-stop.json');
    if (!corpusHas('stratus-red-team', 'detonation-logs', 'aws.defense-evasion.cloudtrail-stop.json')) return t.skip('corpus absent: stratus-red-team');
    const records = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>[];
    const stop = records.find((r) => r['eventName'] === 'StopLogging') ?? records[0]!;
    const e = jsonEvent(stop);
    assert.deepEqual(keysOf(map.sourcesOf(e)), ['aws/*/cloudtrail', '*/*/cloudtrail', 'aws/*/*']);
    const view = viewAs(map, e, 'aws/*/cloudtrail');
    assert.equal(view.value('eventName'), stop['eventName']);
    assert.equal(view.value('eventSource'), 'cloudtrail.amazonaws.com');
  });

  it('reads a CloudTrail record inside an EventBridge envelope by its CloudTrail names', () => {
    const e = jsonEvent({
      version: '0', id: 'x', 'detail-type': 'AWS API Call via CloudTrail', source: 'aws.iam', account: '123456789012', time: '2026-01-01T00:00:00Z', region: 'us-east-1',
      detail: { eventVersion: '1.08', eventTime: '2026-01-01T00:00:00Z', eventSource: 'iam.amazonaws.com', eventName: 'CreateUser', userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::123456789012:user/a' }, sourceIPAddress: '198.51.100.1', awsRegion: 'us-east-1' },
    });
    const view = viewAs(map, e, 'aws/*/cloudtrail');
    assert.equal(view.value('eventName'), 'CreateUser');
    assert.equal(view.value('userIdentity.type'), 'IAMUser');
  });

  it('routes a Zeek dns record to zeek/dns, the generic dns category and network/dns', () => {
    const e = jsonEvent(ZEEK_DNS);
    const keys = keysOf(map.sourcesOf(e));
    for (const k of ['zeek/*/dns', 'zeek/*/*', '*/dns/*', '*/network/dns']) assert.ok(keys.includes(k), `${k} in ${keys.join(', ')}`);
    const zeek = viewAs(map, e, 'zeek/*/dns');
    assert.equal(zeek.value('query'), ZEEK_DNS.query);
    assert.equal(zeek.value('qtype_name'), 'TXT');
    const dns = viewAs(map, e, '*/dns/*');
    assert.equal(dns.value('record_type'), 'TXT');
    assert.deepEqual(dns.value('answer'), ['v=spf1 -all']);
    assert.equal(viewAs(map, e, '*/network/dns').value('dns.question.name'), ZEEK_DNS.query);
  });

  it('gives proxy rules W3C names on a Zeek http record', () => {
    const e = jsonEvent({ _path: 'http', ts: 1521911721.2, uid: 'Cx', 'id.orig_h': '10.0.0.5', 'id.orig_p': 50000, 'id.resp_h': '93.184.216.34', 'id.resp_p': 80, method: 'GET', host: 'example.com', uri: '/a.php?cmd=id', user_agent: 'sqlmap/1.5', status_code: 200 });
    const proxy = viewAs(map, e, '*/proxy/*');
    assert.equal(proxy.value('c-useragent'), 'sqlmap/1.5');
    assert.equal(proxy.value('cs-host'), 'example.com');
    assert.equal(proxy.value('c-uri'), '/a.php?cmd=id');
    assert.equal(proxy.value('cs-method'), 'GET');
    assert.equal(viewAs(map, e, 'zeek/*/http').value('c-useragent'), 'sqlmap/1.5');
  });

  it('gives webserver rules W3C names on an Apache access line and on an IIS W3C line', () => {
    const apache = fileEvents('/var/log/apache2/access.log', [
      '83.149.9.216 - - [17/May/2015:10:05:03 +0000] "GET /cgi-bin/x.php?file=../../../etc/passwd HTTP/1.1" 404 203 "-" "Nikto/2.1.6"',
    ])[0]!;
    assert.equal(apache.format, 'web-access');
    const web = viewAs(map, apache, '*/webserver/*');
    assert.equal(web.value('cs-method'), 'GET');
    assert.equal(web.value('cs-uri-query'), '/cgi-bin/x.php?file=../../../etc/passwd', 'the request target, as the rules use it');
    assert.equal(web.value('cs-uri-stem'), '/cgi-bin/x.php');
    assert.equal(web.value('sc-status'), 404);
    assert.equal(web.value('c-ip'), '83.149.9.216');
    assert.equal(web.value('cs-user-agent'), 'Nikto/2.1.6');
    assert.equal(web.value('cs-referer'), undefined);

    const iis = fileEvents('u_ex260101.log', [
      '#Software: Microsoft Internet Information Services 10.0',
      '#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken',
      '2026-01-01 10:00:00 10.0.0.1 GET /owa/auth/x.aspx cmd=whoami 443 - 203.0.113.7 Mozilla/5.0+(Windows) - 200 0 0 15',
    ])[0]!;
    const w3c = viewAs(map, iis, '*/webserver/*');
    assert.equal(w3c.value('cs-uri-query'), 'cmd=whoami', 'IIS keeps its own cs-uri-query');
    assert.equal(w3c.value('cs-uri-stem'), '/owa/auth/x.aspx');
    assert.equal(w3c.value('cs-user-agent'), 'Mozilla/5.0 (Windows)');
    assert.equal(w3c.value('sc-status'), 200);
  });

  it('gives firewall rules src_ip/dst_port on a device connection log', () => {
    const e = lineEvent('<134>Mar 27 13:13:52 fw1 filterlog[1234]: 5,,,1000000103,igb1,match,block,in,4,0x0,,64,0,0,DF,6,tcp,60,203.0.113.9,10.0.0.5,51515,22,0,S,1,,64240,,mss');
    const fw = viewAs(map, e, '*/firewall/*');
    assert.equal(fw.value('src_ip'), e.fields['source.ip']);
    assert.equal(fw.value('dst_port'), e.fields['destination.port']);
    assert.ok(fw.value('dst_port') !== undefined, 'pfSense filterlog parsed');
  });

  it('routes Azure sign-ins by the dataset the parser sets', () => {
    const e = event('json', { 'event.dataset': 'azure.signinlogs', ResultType: 50126 });
    assert.ok(keysOf(map.sourcesOf(e)).includes('azure/*/signinlogs'));
  });
});

describe('LogsourceMap: user files', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-logsources-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  const security4688 = () =>
    event('windows', { Channel: 'Security', EventID: 4688, NewProcessName: 'C:\\x.exe', SubjectUserName: 'alice', TargetUserName: 'bob', ProcessId: '0x10', NewProcessId: '0x20' });

  it('adds a log source of the user\'s own, with renames', () => {
    const file = write('myapp.yml', [
      'logsources:',
      '  - product: myapp',
      '    service: audit',
      '    events:',
      '      - where: { event.dataset: myapp.audit }',
      '        fields: { actor: [user.name, "user.id"], first_arg: "process.args[1]" }',
    ].join('\n'));
    const map = LogsourceMap.load([file]);
    assert.equal(map.ruleKey({ product: 'myapp', service: 'audit' }), 'myapp/*/audit');
    assert.equal(map.ruleKey({ product: 'myapp' }), 'myapp/*/*');
    const e = event('json', { 'event.dataset': 'myapp.audit', 'user.id': 'u-1', 'process.args': ['a', 'b'] });
    const view = viewAs(map, e, 'myapp/*/audit');
    assert.equal(view.value('actor'), 'u-1', 'first present source wins');
    assert.equal(view.value('first_arg'), 'b', 'indexed source');
    assert.equal(map.ruleKey({ product: 'windows', service: 'security' }), 'windows/*/security', 'shipped mappings stay');
  });

  it('overrides one rename of a shipped alternative, keeping the others; a later file wins', () => {
    const first = write('override1.yml', [
      'logsources:',
      '  - product: windows',
      '    category: process_creation',
      '    events:',
      '      - where: { Channel: Security, EventID: [4688] }',
      '        fields:',
      '          User: TargetUserName',
      '          ParentProcessId: ~',
    ].join('\n'));
    const map = LogsourceMap.load([first]);
    const view = viewAs(map, security4688(), 'windows/process_creation/*');
    assert.equal(view.value('User'), 'bob');
    assert.equal(view.value('Image'), 'C:\\x.exe', 'other renames kept');
    assert.equal(view.value('ParentProcessId'), undefined, 'a null removes the rename (and the event has no ParentProcessId)');
    const second = write('override2.yml', 'logsources:\n  - product: windows\n    category: process_creation\n    events:\n      - where: { EventID: 4688, Channel: security }\n        fields: { User: [SubjectDomainName, SubjectUserName] }\n');
    const both = LogsourceMap.load([first, second]);
    assert.equal(viewAs(both, security4688(), 'windows/process_creation/*').value('User'), 'alice', 'same conditions, in any order and case: the same alternative');
  });

  it('replaces or disables a definition with replace: true', () => {
    const file = write('replace.yml', [
      'logsources:',
      '  - { product: windows, service: dns-server, replace: true, events: [] }',
      '  - product: windows',
      '    category: process_creation',
      '    replace: true',
      '    events:',
      '      - where: { Channel: Microsoft-Windows-Sysmon/Operational, EventID: 1 }',
    ].join('\n'));
    const map = LogsourceMap.load([file]);
    assert.equal(map.ruleKey({ product: 'windows', service: 'dns-server' }), undefined);
    assert.ok(!keysOf(map.sourcesOf(security4688())).includes('windows/process_creation/*'), '4688 no longer process creation');
  });

  it('reports bad data with the file, the entry and the place in it', () => {
    const bad = write('bad.yml', [
      'logsources:',
      '  - product: windows',
      '    service: security',
      '    events: [ { where: { Channel: Security } } ]',
      '  - product: windows',
      '    category: process_creation',
      '    events:',
      '      - where: { Channel: Security, EventID: { min: 1 } }',
    ].join('\n'));
    assert.throws(
      () => LogsourceMap.load([bad]),
      (e: unknown) => {
        assert.ok(e instanceof VigilError);
        assert.equal(e.code, 'config-invalid');
        assert.ok(e.message.includes(bad), e.message);
        assert.ok(e.message.includes('logsources[1] (product: windows, category: process_creation)'), e.message);
        assert.ok(e.message.includes('events[0].where.EventID'), e.message);
        return true;
      },
    );
    const cases: [string, RegExp][] = [
      ['logsources:\n  - product: x\n    events: [ { fields: { a: b } } ]\n', /logsources\[0\] \(product: x\): events\[0\]: needs a `where` or a `present`/],
      ['logsources:\n  - product: x\n    evnts: []\n', /logsources\[0\] \(product: x\): unknown key `evnts`/],
      ['logsources:\n  - events: [ { present: [a] } ]\n', /logsources\[0\]: needs at least one of product, category, service/],
      ['logsources:\n  - product: brand_new\n', /logsources\[0\] \(product: brand_new\): has no `events`/],
      ['logsources:\n  - product: x\n    events: [ { where: { $nope: 1 } } ]\n', /unknown event property `\$nope`/],
      ['logsources:\n  - product: x\n    events: [ { present: [a], fields: { b: [1] } } ]\n', /events\[0\]\.fields\.b: a source must be a field name/],
      ['logsources: [\n', /bad-yaml\.yml:\d+: not valid YAML/],
      ['version: 2\nlogsources: []\n', /version: unsupported version 2/],
    ];
    cases.forEach(([text, expected], i) => {
      const file = write(i === 6 ? 'bad-yaml.yml' : `bad${i}.yml`, text);
      assert.throws(() => LogsourceMap.load([file]), (e: unknown) => e instanceof VigilError && expected.test(e.message) && e.message.startsWith(file), `case ${i}: ${text}`);
    });
    assert.throws(() => LogsourceMap.load([join(dir, 'missing.yml')]), /missing\.yml: cannot read/);
  });
});

describe('LogsourceMap: the SigmaHQ rules', () => {
  it('maps the log source of at least 98% of the corpus rules', (t) => {
    if (!corpusHas('sigma', 'rules')) return t.skip('corpus absent: sigma/rules');
    const map = LogsourceMap.load();
    let total = 0;
    let mapped = 0;
    const unmapped = new Map<string, number>();
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const p = join(dir, name);
        if (statSync(p).isDirectory()) walk(p);
        else if (/\.ya?ml$/.test(name)) {
          for (const doc of parseAllDocuments(readFileSync(p, 'utf8'))) {
            const rule = doc.toJS() as { status?: string; logsource?: { product?: string; category?: string; service?: string } } | null;
            if (!rule?.logsource || rule.status === 'deprecated' || rule.status === 'unsupported') continue;
            total++;
            if (map.ruleKey(rule.logsource) !== undefined) mapped++;
            else {
              const { product, category, service } = rule.logsource;
              const k = [product && `product: ${product}`, category && `category: ${category}`, service && `service: ${service}`].filter(Boolean).join(', ');
              unmapped.set(k, (unmapped.get(k) ?? 0) + 1);
            }
          }
        }
      }
    };
    walk(corpusPath('sigma', 'rules'));
    const list = [...unmapped].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${n} × {${k}}`).join('; ');
    const share = mapped / total;
    t.diagnostic(`${mapped}/${total} rules mapped (${(share * 100).toFixed(2)}%); unmapped: ${list || 'none'}`);
    assert.ok(total > 1000, `${total} rules read`);
    assert.ok(share >= 0.98, `only ${mapped}/${total} rules have a log source; unmapped: ${list}`);
  });
});
