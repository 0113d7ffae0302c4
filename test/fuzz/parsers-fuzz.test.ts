/**
 * Every parser gets 10,000 random and mutated inputs (seeded, so a failure reproduces): none
 * may throw out of its public entry point, and none may take longer than a second on one
 * input. Mutations start from real-looking lines of each format, since purely random bytes
 * rarely get past a header check.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSyslog } from '../../src/parsers/syslog/syslog-parser.js';
import { parseWebLine } from '../../src/parsers/web/web-log.js';
import { parseAuditRecord } from '../../src/parsers/auditd/audit-record.js';
import { AuditGrouper } from '../../src/parsers/auditd/audit-grouper.js';
import { auditEventFields } from '../../src/parsers/auditd/audit-event.js';
import { ZeekTsvReader } from '../../src/parsers/zeek/zeek-tsv.js';
import { mapJsonRecord } from '../../src/parsers/json/json-mapping.js';
import { windowsEventFromJson } from '../../src/parsers/windows/windows-json-shapes.js';
import { decodeEvtx } from '../../src/parsers/evtx/index.js';
import { buildEvtx, sampleChunk } from '../support/evtx-fixture-builder.js';
import { SeededRandom } from '../support/seeded-random.js';

const CASES = 10_000;

/** A seeded PRNG as a function, so a failing case reproduces. */
function random(seed: number): () => number {
  const r = new SeededRandom(seed);
  return () => r.next();
}

const ALPHABET = ' \t"\'[]{}()<>=:;,.-/\\\n\r\0%*?ÿé日\u202e0123456789abcdefxyzABCDEF';

function mutate(seed: string, rnd: () => number): string {
  let s = seed;
  const ops = 1 + Math.floor(rnd() * 6);
  for (let i = 0; i < ops; i++) {
    const at = Math.floor(rnd() * (s.length + 1));
    const op = rnd();
    if (op < 0.3) s = s.slice(0, at) + s.slice(at + 1 + Math.floor(rnd() * 8));
    else if (op < 0.6) s = s.slice(0, at) + ALPHABET[Math.floor(rnd() * ALPHABET.length)]!.repeat(1 + Math.floor(rnd() * (rnd() < 0.05 ? 5000 : 4))) + s.slice(at);
    else if (op < 0.8) s = s.slice(0, at);
    else s = s.slice(0, at) + s.slice(Math.floor(rnd() * s.length));
  }
  return s;
}

function fuzz(name: string, seeds: string[], run: (input: string) => unknown): void {
  it(`${name}: ${CASES} mutated inputs, no throw, each under 1 s`, () => {
    const rnd = random(name.length * 7919);
    let slowest = 0;
    for (let i = 0; i < CASES; i++) {
      const input = i % 10 === 0 ? Array.from({ length: Math.floor(rnd() * 200) }, () => ALPHABET[Math.floor(rnd() * ALPHABET.length)]).join('') : mutate(seeds[i % seeds.length]!, rnd);
      const started = performance.now();
      try {
        run(input);
      } catch (error) {
        assert.fail(`${name} threw on case ${i} (${JSON.stringify(input.slice(0, 200))}): ${(error as Error).message}`);
      }
      slowest = Math.max(slowest, performance.now() - started);
    }
    assert.ok(slowest < 1000, `slowest case took ${slowest.toFixed(0)} ms`);
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
  ], (l) => parseSyslog(l, Date.now()));

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

  it(`evtx: ${CASES} mutated files, no throw, each under 1 s`, () => {
    const file = buildEvtx([sampleChunk(1, ['cmd.exe /c whoami', 'powershell -enc AAAA']), sampleChunk(3, ['a', 'b'])]);
    const rnd = random(42);
    let slowest = 0;
    for (let i = 0; i < CASES; i++) {
      const copy = Buffer.from(file);
      const flips = 1 + Math.floor(rnd() * 20);
      for (let f = 0; f < flips; f++) copy[Math.floor(rnd() * copy.length)] = Math.floor(rnd() * 256);
      const input = rnd() < 0.2 ? copy.subarray(0, Math.floor(rnd() * copy.length)) : copy;
      const started = performance.now();
      decodeEvtx(input);
      slowest = Math.max(slowest, performance.now() - started);
    }
    assert.equal(({} as Record<string, unknown>)["x"], undefined, "no hostile input polluted Object.prototype");
    assert.ok(slowest < 1000, `slowest case took ${slowest.toFixed(0)} ms`);
  });
});
