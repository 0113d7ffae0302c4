import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { corpusHas, corpusPath } from '../../../test/support/corpus.js';
import { parseAccessLine, parseErrorLine, parseWebLine } from './web-log.js';

describe('web server logs', () => {
  it('reads a Combined Log Format line into ECS http, url, user_agent and source fields', () => {
    const p = parseAccessLine('203.0.113.9 - alice [10/Oct/2000:13:55:36 -0700] "GET /admin/login.php?next=%2F HTTP/1.1" 403 512 "http://example.com/" "curl/8.0"')!;
    assert.equal(p.format, 'web-access');
    assert.equal(p.time, Date.UTC(2000, 9, 10, 20, 55, 36));
    assert.equal(p.fields['source.ip'], '203.0.113.9');
    assert.equal(p.fields['user.name'], 'alice');
    assert.equal(p.fields['http.request.method'], 'GET');
    assert.equal(p.fields['url.path'], '/admin/login.php');
    assert.equal(p.fields['url.query'], 'next=%2F');
    assert.equal(p.fields['http.response.status_code'], 403);
    assert.equal(p.fields['event.outcome'], 'failure');
    assert.equal(p.fields['user_agent.original'], 'curl/8.0');
  });

  it('reads Common Log Format (no referrer or agent) and keeps a garbage request line whole', () => {
    const p = parseAccessLine('10.0.0.1 - - [28/Nov/2026:10:00:00 +0000] "\\x16\\x03\\x01" 400 - ')!;
    assert.equal(p.fields['url.original'], '\\x16\\x03\\x01');
    assert.equal(p.fields['http.response.status_code'], 400);
    assert.equal(p.fields['http.response.body.bytes'], undefined);
  });

  it('flags an impossible timestamp instead of guessing', () => {
    const p = parseAccessLine('10.0.0.1 - - [31/Feb/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 1')!;
    assert.equal(p.time, undefined);
    assert.deepEqual(p.flags, ['time-unparsed']);
  });

  it('reads an Apache error line with module, pid and client', () => {
    const p = parseErrorLine('[Wed Oct 11 14:32:52.123456 2000] [core:error] [pid 35708:tid 4328636416] [client 72.15.99.187:4002] File does not exist: /var/www/favicon.ico')!;
    assert.equal(p.time, Date.UTC(2000, 9, 11, 14, 32, 52, 123));
    assert.equal(p.fields['log.level'], 'error');
    assert.equal(p.fields['apache.error.module'], 'core');
    assert.equal(p.fields['process.pid'], 35708);
    assert.equal(p.fields['source.ip'], '72.15.99.187');
    assert.equal(p.fields['source.port'], 4002);
    assert.equal(p.fields['message'], 'File does not exist: /var/www/favicon.ico');
  });

  it("reads Apache's vhost_combined (virtual host and port first)", () => {
    const p = parseWebLine('www.example.com:80 1.1.1.1 - - [12/Mar/2019:10:09:12 +0000] "GET /example?dir=asc HTTP/1.1" 200 10345 "https://www.example.com" "Mozilla/5.0"');
    assert.equal(p?.format, 'web-access');
    assert.equal(p?.fields['url.domain'], 'www.example.com');
    assert.equal(p?.fields['destination.port'], 80);
    assert.equal(p?.fields['source.ip'], '1.1.1.1');
    assert.equal(p?.fields['url.query'], 'dir=asc');
  });

  it('reads error lines without a date (Apache logging to syslog) and with an empty module (`[:error]`)', () => {
    const undated = parseWebLine('[error] [client 64.94.163.159] Client sent malformed Host header');
    assert.equal(undated?.format, 'web-error');
    assert.equal(undated?.time, undefined);
    assert.equal(undated?.fields['log.level'], 'error');
    assert.equal(undated?.fields['source.ip'], '64.94.163.159');
    const php = parseWebLine('[Sun Nov 23 18:49:01.713508 2014] [:error] [pid 15816] [client 141.8.147.9:51507] PHP Notice:  A non well formed numeric value');
    assert.equal(php?.fields['log.level'], 'error');
    assert.equal(php?.fields['source.port'], 51507);
    assert.equal(php?.fields['apache.error.module'], undefined);
    assert.equal(parseWebLine('[notalevel] something'), undefined);
  });

  it('says no to lines that are not web logs, and stays linear on hostile ones', () => {
    assert.equal(parseWebLine('Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user x'), undefined);
    assert.equal(parseWebLine('{"a":1}'), undefined);
    for (const hostile of ['1 - - [x] "' + '\\'.repeat(100_000), '1 - - [x] "' + '\\"'.repeat(50_000), '[' + 'a'.repeat(100_000)]) {
      const started = performance.now();
      parseWebLine(hostile);
      assert.ok(performance.now() - started < 50);
    }
  });

  for (const [dir, file] of [['elastic-examples', 'apache_access_combined.log'], ['loghub', 'Apache_2k.log']] as const) {
    it(`parses every line of the real ${file}`, (t) => {
      if (!corpusHas(dir, file)) return t.skip(`corpus absent: ${corpusPath(dir, file)}`);
      const lines = readFileSync(corpusPath(dir, file), 'utf8').split('\n').map((l) => l.replace(/\r$/, '')).filter(Boolean);
      const failed = lines.filter((l) => parseWebLine(l)?.time === undefined);
      assert.deepEqual(failed.slice(0, 3), [], `${failed.length} of ${lines.length} lines not parsed`);
    });
  }
});
