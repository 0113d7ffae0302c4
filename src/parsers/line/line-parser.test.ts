import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseLine } from './line-parser.js';

const NOW = Date.UTC(2026, 10, 28, 12);

describe('one line, whatever its format', () => {
  it('auto: a JSON object, a raw audit record, an access line and syslog each get their own parser', () => {
    const json = parseLine('{"@timestamp":"2026-11-28T10:00:00Z","source":{"ip":"10.0.0.1"}}', 'auto', NOW);
    assert.equal(json.format, 'json');
    assert.equal(json.fields['source.ip'], '10.0.0.1');
    assert.equal(json.time, Date.UTC(2026, 10, 28, 10));

    const audit = parseLine('type=USER_LOGIN msg=audit(1700000000.123:42): pid=1 uid=0 auid=0 ses=1 msg=\'op=login acct="root" exe="/usr/sbin/sshd" hostname=? addr=10.0.0.9 terminal=ssh res=failed\'', 'auto', NOW);
    assert.equal(audit.format, 'auditd');
    assert.equal(audit.time, 1700000000123);
    assert.equal(audit.fields['auditd.message_type'], 'USER_LOGIN');

    const web = parseLine('203.0.113.7 - - [28/Nov/2026:10:00:00 +0000] "GET /admin HTTP/1.1" 403 12 "-" "curl/8"', 'auto', NOW);
    assert.equal(web.format, 'web-access');
    assert.equal(web.fields['url.path'], '/admin');

    const syslog = parseLine('<38>Nov 28 11:59:00 web1 sshd[42]: Failed password for root from 198.51.100.2 port 40000 ssh2', 'auto', NOW);
    assert.equal(syslog.format, 'rfc3164');
    assert.equal(syslog.fields['source.ip'], '198.51.100.2');
  });

  it('auto: an Event XML JSON tree is a Windows event; a brace that is not JSON falls back to syslog, kept raw', () => {
    const windows = parseLine('{"Event":{"System":{"EventID":4625,"Channel":"Security","Computer":"dc1"},"EventData":{"TargetUserName":"bob"}}}', 'auto', NOW);
    assert.equal(windows.format, 'windows');
    assert.equal(windows.fields['EventID'], 4625);
    assert.equal(windows.fields['TargetUserName'], 'bob');
    const broken = parseLine('{"unclosed": ', 'auto', NOW);
    assert.equal(broken.format, 'raw');
    assert.deepEqual(broken.flags, ['unparsed']);
    assert.equal(broken.fields['message'], '{"unclosed": ');
  });

  it('an explicit format is not second-guessed: a line not in it is kept raw and flagged', () => {
    const access = '203.0.113.7 - - [28/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 1';
    assert.equal(parseLine(access, 'syslog', NOW).format, 'raw');
    assert.equal(parseLine(access, 'web', NOW).format, 'web-access');
    const notJson = parseLine('<13>Nov 28 12:00:00 host app: hello', 'json', NOW);
    assert.deepEqual([notJson.format, notJson.flags], ['raw', ['unparsed']]);
  });

  it('raw keeps the line as the message without calling it a failure', () => {
    const raw = parseLine('anything at all', 'raw', NOW);
    assert.deepEqual([raw.format, raw.flags, raw.fields['message']], ['raw', [], 'anything at all']);
  });

  it('cef: with or without a syslog header', () => {
    const bare = parseLine('CEF:0|Security|threatmanager|1.0|100|worm successfully stopped|10|src=10.0.0.1 dst=2.1.2.2 spt=1232', 'cef', NOW);
    assert.equal(bare.format, 'device');
    assert.equal(bare.fields['source.ip'], '10.0.0.1');
    const headed = parseLine('<134>Nov 28 11:00:00 fw1 CEF:0|Security|threatmanager|1.0|100|worm successfully stopped|10|src=10.0.0.1 dst=2.1.2.2', 'cef', NOW);
    assert.equal(headed.format, 'rfc3164');
    assert.equal(headed.fields['host.name'], 'fw1');
    assert.equal(headed.fields['destination.ip'], '2.1.2.2');
  });

  it('JSON lines are bounded: nesting past the limit is kept raw and flagged, as a file import does', () => {
    const deep = '{"a":'.repeat(100) + '1' + '}'.repeat(100);
    const parsed = parseLine(deep, 'json', NOW, { limits: { maxJsonDepth: 8, maxFieldsPerEvent: 10 } });
    assert.deepEqual([parsed.format, parsed.flags], ['raw', ['unparsed']]);
    const wide = JSON.stringify(Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, i])));
    const capped = parseLine(wide, 'json', NOW, { limits: { maxJsonDepth: 8, maxFieldsPerEvent: 10 } });
    assert.equal(capped.format, 'json');
    assert.ok(capped.flags.includes('truncated'));
  });

  it('a CR left by CRLF framing does not stop a web or audit line from being read', () => {
    assert.equal(parseLine('[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok\r', 'auto', NOW).format, 'web-error');
    assert.equal(parseLine('type=DAEMON_END msg=audit(1450876093.165:8729): res=success\r\n', 'auto', NOW).format, 'auditd');
  });
});
