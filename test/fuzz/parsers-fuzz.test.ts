/**
 * Every parser's public entry point under fast-check (seeded, so a failure reproduces with the
 * seed and path fast-check prints): real-looking lines of each format mutated (deletions,
 * insertions of hostile characters up to 5,000 long, truncations, splices), plus arbitrary
 * Unicode text. None may throw, and none may take longer than a second on one input; nothing may
 * pollute Object.prototype. `FUZZ_RUNS` sets the cases per parser (npm test: 2,000;
 * test/reliability/fuzz.reliability.ts runs 50,000).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseSyslog } from '../../src/parsers/syslog/syslog-parser.js';
import { parseWebLine } from '../../src/parsers/web/web-log.js';
import { parseLine } from '../../src/parsers/line/line-parser.js';
import { parseAuditRecord } from '../../src/parsers/auditd/audit-record.js';
import { AuditGrouper } from '../../src/parsers/auditd/audit-grouper.js';
import { auditEventFields } from '../../src/parsers/auditd/audit-event.js';
import { ZeekTsvReader } from '../../src/parsers/zeek/zeek-tsv.js';
import { mapJsonRecord } from '../../src/parsers/json/json-mapping.js';
import { mapHecEvent } from '../../src/parsers/json/hec-mapping.js';
import { mapBulkDocument } from '../../src/parsers/json/bulk-mapping.js';
import { windowsEventFromJson } from '../../src/parsers/windows/windows-json-shapes.js';
import { eventXmlFields } from '../../src/parsers/windows/event-xml.js';
import { parseCefOrLeef } from '../../src/parsers/cef/cef.js';
import { W3cLogReader } from '../../src/parsers/iis/w3c-log.js';
import { decodeEvtx } from '../../src/parsers/evtx/index.js';
import { buildEvtx, sampleChunk } from '../support/evtx-fixture-builder.js';

const RUNS = Number(process.env['FUZZ_RUNS'] ?? 2_000);
const SEED = Number(process.env['FUZZ_SEED'] ?? 20261207);

const ALPHABET = ' \t"\'[]{}()<>=:;,.-/\\\n\r\0%*?ÿé日\u202e\u001b0123456789abcdefxyzABCDEF|^$#@';

type Mutation = { at: number; op: number; ch: string; n: number; to: number };

const mutation: fc.Arbitrary<Mutation> = fc.record({
  at: fc.nat(),
  op: fc.integer({ min: 0, max: 3 }),
  ch: fc.constantFrom(...ALPHABET),
  n: fc.oneof({ weight: 19, arbitrary: fc.integer({ min: 1, max: 8 }) }, { weight: 1, arbitrary: fc.constant(5000) }),
  to: fc.nat(),
});

function apply(seed: string, ops: readonly Mutation[]): string {
  let s = seed;
  for (const { at: rawAt, op, ch, n, to } of ops) {
    const at = rawAt % (s.length + 1);
    if (op === 0) s = s.slice(0, at) + s.slice(at + n);
    else if (op === 1) s = s.slice(0, at) + ch.repeat(n) + s.slice(at);
    else if (op === 2) s = s.slice(0, at);
    else s = s.slice(0, at) + s.slice(to % (s.length + 1));
  }
  return s;
}

/** Mutated seeds (most cases) and arbitrary text, printable or not. */
function lines(seeds: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 8, arbitrary: fc.tuple(fc.constantFrom(...seeds), fc.array(mutation, { minLength: 1, maxLength: 6 })).map(([s, ops]) => apply(s, ops)) },
    { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(...ALPHABET), maxLength: 200 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 300 }) },
  );
}

function timed(name: string, run: () => unknown): void {
  const started = performance.now();
  run();
  const ms = performance.now() - started;
  if (ms > 1000) throw new Error(`${name} took ${ms.toFixed(0)} ms on one input`);
}

function fuzz(name: string, seeds: string[], run: (input: string) => unknown): void {
  it(`${name}: ${RUNS} mutated inputs, no throw, each under 1 s`, () => {
    fc.assert(fc.property(lines(seeds), (input) => timed(name, () => run(input))), { seed: SEED, numRuns: RUNS });
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined, 'no input polluted Object.prototype');
  });
}

const limits = { maxJsonDepth: 32, maxFieldsPerEvent: 256 };

describe('parser fuzzing', () => {
  fuzz('syslog', [
    '<34>Oct 11 22:14:15 mymachine su[230]: \'su root\' failed for lonvick on /dev/pts/8',
    '<165>1 2003-10-11T22:14:15.003Z host app 1 ID47 [exampleSDID@32473 iut="3" eventSource="App\\"x"] msg',
    'Dec 10 06:55:46 LabSZ sshd[24200]: Failed password for invalid user webmaster from 173.234.31.186 port 38926 ssh2',
    '<86>Nov 28 10:00:00 h sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/sh',
    '<4>Nov 28 10:00:00 fw kernel: [UFW BLOCK] IN=eth0 OUT= SRC=1.2.3.4 DST=5.6.7.8 PROTO=TCP SPT=1 DPT=22',
    '<134>Feb 25 14:09:07 fw CEF:0|Vendor|Prod|1.0|100|name \\| x|10|src=10.0.0.1 dst=2.1.2.2 msg=a\\=b c',
    '<134>Feb 25 14:09:07 fw LEEF:2.0|V|P|1|41|^|src=10.0.1.8^dst=10.0.0.5^dstPort=22',
    '<14>Nov 28 10:00:00 h sysmon: <Event><System><Provider Name="Linux-Sysmon"/><EventID>1</EventID><Computer>h</Computer></System><EventData><Data Name="Image">/bin/sh</Data></EventData></Event>',
    '%ASA-4-106023: Deny tcp src outside:203.0.113.9/51515 dst inside:10.0.0.5/22 by access-group "outside_in"',
    'date=2016-06-14 time=12:22:01 devname=Edge devid=FGT logid=1 user="root" action=login status=failed srcip=1.2.3.4',
    '<134>Nov  8 12:37:34 pfSense filterlog: 5,,,1000102433,em0,match,block,in,4,0x0,,128,24677,0,none,17,udp,186,10.9.0.119,10.9.0.255,17500,17600,166',
    '172.16.5.10 6705: Feb 17 13:40:03.673: %PARSER-5-CFGLOG_LOGGEDCMD: User:admin  logged command:no access-session port-control',
    '<189>Feb 17 13:40:03 r1 6705: *Feb 17 13:40:03.673 UTC: %SEC_LOGIN-4-LOGIN_FAILED: Login failed [user: admin] [Source: 10.1.1.9] [localport: 22]',
    '2018/10/05 09:52:14 USG6300 %%01URL/4/FILTER(l): The URL filtering policy was matched. (SyslogId=1906054, SrcIp=1.1.1.1)',
    '2020-03-23 06:47:42.801612-0700  localhost sshd[3186]: error: PAM: unknown user',
    '2015 Nov 13 13:40:01 ether rsyslogd-2177: imuxsock begins',
    '1 2019-05-15T16:25:50Z HOSTNAME CheckPoint 19710 - [action:"Drop"; ifdir:"inbound"; src:"11.22.33.77"; dst:"11.22.33.55"; proto:"17"; ike::"a; b"; x:"\\"q\\""]',
    '<14>Apr 30 06:00:00 pa1 1,2021/07/15 11:58:58,1321564321,TRAFFIC,end,0,2021/07/15 11:59:02,10.210.0.84,51.11.168.232,,,DENY-ALL,,,not-applicable,vsys1,IN,OUT,ethernet1/1,,LF,2021/07/15 11:59:02,0,1,500,500,0,0,0x0,udp,deny,"a,b",0',
    'device="SFW" date=2019-10-09 time=17:19:06 timezone="+08" device_name="XG210" log_id=010101010101 log_type="Firewall" status="Deny" src_ip=1.1.1.1 dst_ip=2.2.2.2 src_port=1 dst_port=2 protocol="TCP"',
    'Oct  5 2018 10:52:19 USG6300 %%01POLICY/6/POLICYPERMIT(l):vsys=public, protocol=17, source-ip=1.1.1.1, source-port=2426, destination-ip=2.2.2.2',
    'Sep 23 13:54:55 192.168.1.1 junos-flow: 2017-09-23T13:54:54.803Z srx RT_FLOW - RT_FLOW_SESSION_DENY [junos@2636.1.1.1.2.39 source-address="192.168.1.1" source-port="1080" destination-address="192.168.1.2"]',
    'Jul  7 05:02:34 ssg5 ssg5: NetScreen device_id=ssg5  [Root]system-emergency-00005: SYN flood! From 192.168.18.53:41437 to 192.168.17.251:9612, proto TCP (zone Untrust int  ethernet0/0). Occurred 1 times. (2016-07-07 05:02:32)',
  ], (l) => parseSyslog(l, Date.now()));

  fuzz('any line (auto-detected)', [
    '{"TimeGenerated":"2022-05-11T18:10:21Z","Computer":"U5","ProcessName":"auoms","SyslogMessage":"type=AUOMS_EXECVE audit(1652292621.986:84138): pid=1 exe=\\"/bin/sh\\"","Type":"Syslog"}',
    '{"time":"2026-11-28T10:00:00Z","resourceId":"/SUBSCRIPTIONS/1/RESOURCEGROUPS/G","operationName":"MICROSOFT.AUTHORIZATION/ROLEASSIGNMENTS/WRITE","category":"Administrative","resultType":"Success","callerIpAddress":"1.2.3.4"}',
    '{"category":"SignInLogs","operationName":"Sign-in activity","properties":{"userPrincipalName":"a@b.c","ipAddress":"1.2.3.4","status":{"errorCode":50126}},"resourceId":"/tenants/x/providers/Microsoft.aadiam"}',
    '{"Records":[{"eventSource":"iam.amazonaws.com","eventName":"CreateUser","eventTime":"2026-11-28T10:00:00Z"}]}',
    'type=EXECVE msg=audit(1604994496.155:92733): argc=2 a0="arp" a1=2D61',
    '10.0.0.5 - - [1/Apr/2014:00:00:01 -0500] "POST /wp-comments-post.php HTTP/1.1" 403 181 "-" "Googlebot/1',
    'www.example.com:80 1.1.1.1 - - [12/Mar/2019:10:09:12 +0000] "GET /x HTTP/1.1" 200 1 "-" "-"',
    '[error] [client 64.94.163.159] Client sent malformed Host header',
  ], (l) => {
    for (const format of ['auto', 'cef', 'json'] as const) parseLine(l, format, Date.now(), { limits });
  });

  fuzz('web logs', [
    '203.0.113.9 - alice [10/Oct/2000:13:55:36 -0700] "GET /a?b=c HTTP/1.1" 200 512 "http://x/" "curl/8.0"',
    '[Wed Oct 11 14:32:52.123456 2000] [core:error] [pid 35708:tid 4328636416] [client 72.15.99.187:4002] File does not exist',
  ], parseWebLine);

  fuzz('auditd', [
    'type=SYSCALL msg=audit(1604994496.155:92733): arch=c000003e syscall=59 success=yes ppid=1 pid=2 comm="arp" exe="/usr/sbin/arp" key=(null)',
    'type=EXECVE msg=audit(1604994496.155:92733): argc=2 a0="arp" a1=2D61',
    `type=USER_AUTH msg=audit(1610903558.178:595): pid=2954 uid=0 msg='op=PAM:authentication acct="root" exe="/usr/bin/chfn" res=success'`,
  ], (l) => {
    const grouper = new AuditGrouper();
    parseAuditRecord(l);
    for (const g of [...grouper.push(l).done, ...grouper.flush()]) auditEventFields(g.records);
  });

  fuzz('zeek tsv', ['1521911799.739898\tC2\t10.0.0.227\t59849\t10.47.8.50\t22\tT\t(empty)\ta,b'], (l) => {
    const reader = new ZeekTsvReader();
    for (const h of ['#separator \\x09', '#set_separator\t,', '#path\tssh', '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tauth_success\tclient\tset', '#types\ttime\tstring\taddr\tport\taddr\tport\tbool\tstring\tset[string]']) reader.header(h);
    reader.header(l);
    reader.record(l);
  });

  fuzz('json records (all shapes)', [
    '{"timestamp":"2018-03-24T14:37:19.037299-0600","event_type":"alert","src_ip":"1.2.3.4","alert":{"signature":"x"}}',
    '{"ts":"2018-03-24T17:16:39Z","uid":"C2","id.orig_h":"10.0.0.227","_path":"ssh"}',
    '{"Event":{"System":{"EventID":4625,"Channel":"Security","Computer":"dc"},"EventData":{"TargetUserName":"a"}}}',
    '{"winlog":{"event_id":"1","channel":"c","event_data":{"Image":"x"}},"@timestamp":"2026-01-01T00:00:00Z"}',
    '{"EventID":1,"Hostname":"h","SourceName":"s","Channel":"c","__proto__":{"x":1}}',
  ], (l) => {
    let value: unknown;
    try {
      value = JSON.parse(l);
    } catch {
      return;
    }
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      mapJsonRecord(value as Record<string, unknown>, limits);
      windowsEventFromJson(value);
    }
  });

  it(`evtx: ${RUNS} mutated files, no throw, each under 1 s`, () => {
    const file = buildEvtx([sampleChunk(1, ['cmd.exe /c whoami', 'powershell -enc AAAA']), sampleChunk(3, ['a', 'b'])]);
    const flips = fc.array(fc.tuple(fc.nat({ max: file.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 20 });
    const cut = fc.option(fc.nat({ max: file.length }), { freq: 4 });
    fc.assert(
      fc.property(flips, cut, (changes, end) => {
        const copy = Buffer.from(file);
        for (const [at, byte] of changes) copy[at] = byte;
        timed('evtx', () => decodeEvtx(end === null ? copy : copy.subarray(0, end)));
      }),
      { seed: SEED, numRuns: RUNS },
    );
    assert.equal(({} as Record<string, unknown>)['x'], undefined, 'no hostile input polluted Object.prototype');
  });

  fuzz('cef and leef', [
    'CEF:0|Vendor|Prod|1.0|100|name \\| x|10|src=10.0.0.1 dst=2.1.2.2 msg=a\\=b c cs1Label=k cs1=v',
    'LEEF:2.0|V|P|1|41|^|src=10.0.1.8^dst=10.0.0.5^dstPort=22',
    'LEEF:1.0|Microsoft|MSExchange|2013|15345|src=10.50.1.1\tdst=2.10.20.20\tsev=5',
  ], parseCefOrLeef);

  fuzz('windows event xml', [
    '<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><Provider Name="Microsoft-Windows-Security-Auditing"/><EventID>4625</EventID><TimeCreated SystemTime="2026-11-28T10:00:00.000Z"/><Channel>Security</Channel><Computer>dc</Computer></System><EventData><Data Name="TargetUserName">a&amp;b</Data><Data Name="__proto__">x</Data></EventData></Event>',
  ], eventXmlFields);

  fuzz('iis w3c', [
    '#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) sc-status sc-substatus sc-win32-status time-taken',
    '2026-11-28 10:00:00 10.0.0.1 GET /a.aspx q=1 443 - 203.0.113.9 Mozilla/5.0+(Windows) 200 0 0 15',
  ], (l) => {
    const reader = new W3cLogReader();
    reader.directive('#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) sc-status sc-substatus sc-win32-status time-taken __proto__');
    if (!reader.directive(l)) reader.record(l);
  });

  it(`json objects of any shape (HEC, bulk, records) with hostile keys: ${RUNS} cases`, () => {
    const key = fc.oneof(fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'event', 'fields', 'time', 'host', 'source', 'Event', 'System', 'EventID', 'winlog', 'Records', 'eventSource', 'protoPayload', '_path', 'ts', 'event_type', '__REALTIME_TIMESTAMP', 'MESSAGE', 'hostIdentifier', 'columns', 'resourceId', 'operationName', 'category'), fc.string({ maxLength: 12 }));
    const { tree } = fc.letrec((tie) => ({
      tree: fc.oneof({ depthSize: 'small', withCrossShrink: true }, fc.jsonValue({ maxDepth: 1 }), tie('object'), fc.array(tie('tree'), { maxLength: 4 })),
      object: fc.dictionary(key, tie('tree'), { maxKeys: 8, noNullPrototype: true }),
    }));
    const object = fc.dictionary(key, tree, { maxKeys: 10, noNullPrototype: true });
    fc.assert(
      fc.property(object, fc.constantFrom<Record<string, string>>({}, { index: 'i' }, { index: '__proto__' }), (record, extra) => {
        // JSON.parse makes `__proto__` an own key, as ingest sees it; the arbitrary may not.
        const parsed = JSON.parse(JSON.stringify(record)) as Record<string, unknown>;
        timed('json', () => {
          mapJsonRecord(parsed as never, limits);
          windowsEventFromJson(parsed);
          // hec-body.ts has checked that `event` is a text or an object before mapping.
          const event = parsed['event'];
          const ok = typeof event === 'string' || (typeof event === 'object' && event !== null && !Array.isArray(event));
          mapHecEvent({ ...parsed, event: ok ? event : parsed } as never, limits);
          mapBulkDocument(parsed as never, extra as never, limits);
        });
      }),
      { seed: SEED, numRuns: RUNS },
    );
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
    assert.equal(Object.getPrototypeOf({}), Object.prototype);
  });
});
