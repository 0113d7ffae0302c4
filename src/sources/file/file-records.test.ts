import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { jsonRecordMapping } from '../../parsers/json/index.js';
import { FileRecordMapper, detectFileFormat, type FileFormat } from './file-records.js';

function mapper(format: FileFormat | 'auto' = 'auto') {
  return new FileRecordMapper(
    { tenant: 'default', input: 'file', path: '/var/log/auth.log', maxLineBytes: 4096, mapping: jsonRecordMapping, limits: { maxJsonDepth: 16, maxFieldsPerEvent: 64 } },
    format,
  );
}

describe('FileRecordMapper (vigil ingest)', () => {
  it('detects JSON lines by a leading brace and everything else as syslog', () => {
    assert.equal(detectFileFormat('  {"a":1}'), 'json');
    assert.equal(detectFileFormat('Jun 14 15:16:01 combo sshd(pam_unix)[19939]: check pass; user unknown'), 'syslog');
  });

  it('maps a syslog line as the listeners do, with the file as its address', () => {
    const m = mapper();
    const e = m.take('Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; rhost=218.188.2.4', false)[0]!;
    assert.equal(e.format, 'rfc3164');
    assert.equal(e.fields['host.name'], 'combo');
    assert.equal(e.source.kind, 'file');
    assert.equal(e.source.address, '/var/log/auth.log');
    assert.deepEqual(m.counts, { read: 1, unparsed: 0, truncated: 0 });
  });

  it('maps JSON lines to flattened ECS fields and keeps the line as the original', () => {
    const m = mapper('json');
    const line = '{"@timestamp":"2026-11-28T10:00:00Z","user":{"name":"alice"},"message":"login"}';
    const e = m.take(line, false)[0]!;
    assert.equal(e.format, 'json');
    assert.equal(e.fields['user.name'], 'alice');
    assert.equal(e.time, Date.UTC(2026, 10, 28, 10));
    assert.equal(e.original, line);
  });

  it('stores a JSON line that does not parse as a raw event flagged unparsed, and counts it', () => {
    const m = mapper('json');
    const e = m.take('{"user": broken', false)[0]!;
    assert.equal(e.format, 'raw');
    assert.deepEqual(e.flags, ['unparsed']);
    assert.equal(e.fields['message'], '{"user": broken');
    assert.deepEqual(m.counts, { read: 1, unparsed: 1, truncated: 0 });
  });

  it('flags a line the reader cut as truncated', () => {
    const m = mapper('syslog');
    const e = m.take('<13>Jan  1 00:00:00 host app: cut', true)[0]!;
    assert.ok(e.flags.includes('truncated'));
    assert.equal(m.counts.truncated, 1);
  });

  it('detects Apache/Nginx logs and maps their lines to http fields', () => {
    const line = '203.0.113.9 - - [28/Nov/2026:10:00:00 +0000] "POST /wp-login.php HTTP/1.1" 200 1234 "-" "python-requests/2.31"';
    assert.equal(detectFileFormat(line), 'web');
    const m = mapper();
    const e = m.take(line, false)[0]!;
    assert.equal(e.format, 'web-access');
    assert.equal(e.fields['url.path'], '/wp-login.php');
    assert.equal(e.time, Date.UTC(2026, 10, 28, 10));
    assert.equal(m.take('not a web line at all', false)[0]!.flags.includes('unparsed'), true);
  });

  it('assembles an audit log into one event per serial, the last one on flush', () => {
    const m = mapper();
    const lines = [
      'type=SYSCALL msg=audit(1604994496.155:1): syscall=59 success=yes pid=7 uid=0 comm="id" exe="/usr/bin/id"',
      'type=EXECVE msg=audit(1604994496.155:1): argc=1 a0="id"',
      'type=SYSCALL msg=audit(1604994497.000:2): syscall=42 success=no pid=8 uid=0 comm="nc" exe="/bin/nc"',
      'not an audit line',
    ];
    const events = lines.flatMap((l) => m.take(l, false));
    assert.equal(detectFileFormat(lines[0]!), 'auditd');
    assert.deepEqual(events.map((e) => e.format), ['auditd', 'raw']);
    assert.equal(events[0]!.fields['process.command_line'], 'id');
    assert.equal(events[0]!.original, lines.slice(0, 2).join('\n'));
    const last = m.flush();
    assert.equal(last.length, 1);
    assert.equal(last[0]!.fields['event.action'], 'connect');
    assert.equal(last[0]!.fields['event.outcome'], 'failure');
    assert.deepEqual(m.counts, { read: 3, unparsed: 1, truncated: 0 });
  });

  it('reads a whole JSON document: an array of records or CloudTrail\'s {"Records": [...]}', () => {
    const trail = ['{', '  "Records": [', '    {"eventName": "ConsoleLogin", "eventTime": "2026-11-28T10:00:00Z"},', '    {"eventName": "StopLogging", "eventTime": "2026-11-28T10:05:00Z"}', '  ]', '}'];
    assert.equal(detectFileFormat(trail[0]!), 'json-document');
    const m = mapper();
    assert.deepEqual(trail.flatMap((l) => m.take(l, false)), []);
    const events = m.flush();
    assert.deepEqual(events.map((e) => e.fields['eventName']), ['ConsoleLogin', 'StopLogging']);
    assert.equal(events[1]!.original, '{"eventName":"StopLogging","eventTime":"2026-11-28T10:05:00Z"}');
    const array = mapper();
    ['[', '{"a": 1},', '{"a": 2}', ']'].forEach((l) => array.take(l, false));
    assert.equal(array.flush().length, 2);
  });

  it('keeps the lines of a broken JSON document raw instead of dropping them', () => {
    const m = mapper();
    ['[', '{"a": 1', ']'].forEach((l) => m.take(l, false));
    const events = m.flush();
    assert.deepEqual(events.map((e) => e.original), ['[', '{"a": 1', ']']);
    assert.ok(events.every((e) => e.flags.includes('unparsed')));
  });

  it('reads an Apache error log (which starts with "[") as a web log, not JSON', () => {
    assert.equal(detectFileFormat('[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok /etc/httpd/conf/workers2.properties'), 'web');
    assert.notEqual(detectFileFormat('[general]'), 'json-document');
  });

  it('reads IIS W3C extended logs with the columns of their #Fields directive', () => {
    const lines = [
      '#Software: Microsoft Internet Information Services 10.0',
      '#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken',
      '2026-11-28 10:00:00 10.0.0.5 POST /owa/auth.owa - 443 - 203.0.113.9 Mozilla/5.0+(Windows+NT+10.0) - 302 0 0 15',
      'garbage line',
    ];
    assert.equal(detectFileFormat(lines[0]!), 'w3c');
    const m = mapper();
    const events = lines.flatMap((l) => m.take(l, false));
    assert.equal(events.length, 2);
    const e = events[0]!;
    assert.equal(e.time, Date.UTC(2026, 10, 28, 10));
    assert.equal(e.fields['cs-uri-stem'], '/owa/auth.owa', 'native W3C names stay');
    assert.equal(e.fields['url.path'], '/owa/auth.owa');
    assert.equal(e.fields['source.ip'], '203.0.113.9');
    assert.equal(e.fields['user_agent.original'], 'Mozilla/5.0 (Windows NT 10.0)');
    assert.equal(e.fields['http.response.status_code'], 302);
    assert.equal(e.fields['user.name'], undefined, '"-" is no value');
    assert.ok(events[1]!.flags.includes('unparsed'));
  });

  it('skips blank lines', () => {
    const m = mapper();
    assert.deepEqual(m.take('   ', false), []);
    assert.equal(m.counts.read, 0);
  });

  it('reads a Wazuh ruleset test file: only its `log N pass|fail =` lines are records, each in its own format', () => {
    assert.equal(detectFileFormat(';   Copyright (C) 2015, Wazuh Inc.'), 'wazuh-logtest');
    assert.equal(detectFileFormat('[SSHD brute force]'), 'wazuh-logtest');
    assert.notEqual(detectFileFormat('[Wed Oct 11 14:32:52 2000] [error] [client 127.0.0.1] client denied'), 'wazuh-logtest');
    const m = mapper();
    const lines = [
      ';  Tests for products: SSH',
      '',
      '[sshd failed password]',
      'log 1 pass = Feb  9 11:44:56 someserver sshd[1234]: Failed password for root from 10.0.0.1 port 22 ssh2',
      'rule = 5716',
      'alert = 5',
      'decoder = sshd',
      '[web attack]',
      'log 1 pass = 10.0.0.5 - - [1/Apr/2014:00:00:01 -0500] "GET /etc/passwd HTTP/1.1" 403 181',
      'log 2 fail =  type=DAEMON_END msg=audit(1450876093.165:8729): auditd normal halt, sending auid=0 pid=1 res=success',
      'something else = kept, not lost',
    ];
    const events = lines.flatMap((l) => m.take(l, false));
    // A line that is neither a test log line nor the test's bookkeeping is kept raw, never dropped.
    assert.deepEqual(events.map((e) => e.format), ['rfc3164', 'web-access', 'auditd', 'raw']);
    assert.equal(events[0]!.fields['source.ip'], '10.0.0.1');
    assert.equal(events[1]!.fields['url.path'], '/etc/passwd');
    assert.equal(events[1]!.time, Date.UTC(2014, 3, 1, 5, 0, 1));
    assert.deepEqual(m.counts, { read: 4, unparsed: 1, truncated: 0 });
  });

  it('detects each stray line of a syslog file on its own, unless the file was given as syslog', () => {
    const lines = ['Nov 28 10:00:00 web1 nginx: started', '203.0.113.7 - - [28/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 1'];
    assert.deepEqual(lines.flatMap((l) => mapper().take(l, false)).map((e) => e.format), ['rfc3164', 'web-access']);
    const forced = mapper('syslog');
    assert.deepEqual(lines.flatMap((l) => forced.take(l, false)).map((e) => e.format), ['rfc3164', 'raw']);
  });

  it('expands an envelope written on one line into its records', () => {
    const m = mapper('json');
    const events = m.take('{"Records":[{"eventVersion":"1.08","eventSource":"iam.amazonaws.com","eventName":"CreateUser","eventTime":"2026-11-28T10:00:00Z"},{"eventVersion":"1.08","eventSource":"s3.amazonaws.com","eventName":"GetObject","eventTime":"2026-11-28T10:00:01Z"}]}', false);
    assert.deepEqual(events.map((e) => e.fields['eventName']), ['CreateUser', 'GetObject']);
    assert.equal(events[0]!.fields['cloud.provider'], 'aws');
    assert.deepEqual(m.counts, { read: 2, unparsed: 0, truncated: 0 });
  });
});
