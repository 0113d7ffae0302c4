import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { Fields } from '../../../core/event.js';
import { corpusHas, corpusPath } from '../../../../test/support/corpus.js';
import { parseSyslog } from '../syslog-parser.js';
import { addAppMessageFields } from './index.js';
import { ACCOUNT_RULES, CRON_RULES, LOGIND_RULES, SUDO_RULES, SU_RULES } from './account-rules.js';
import { FTPD_RULES } from './ftpd-rules.js';
import { PAM_RULES } from './pam-rules.js';
import { SSHD_RULES } from './sshd-rules.js';

const received = Date.UTC(2026, 10, 28, 12);
const fieldsOf = (line: string): Fields => parseSyslog(line, received).fields;

describe('ECS fields from Linux program messages', () => {
  it('reads a failed sshd password for an invalid user as a failed ssh_login with user and source', () => {
    const f = fieldsOf('Dec 10 06:55:46 LabSZ sshd[24200]: Failed password for invalid user webmaster from 173.234.31.186 port 38926 ssh2');
    assert.deepEqual(f['event.category'], ['authentication']);
    assert.equal(f['event.action'], 'ssh_login');
    assert.equal(f['event.outcome'], 'failure');
    assert.equal(f['user.name'], 'webmaster');
    assert.equal(f['source.ip'], '173.234.31.186');
    assert.equal(f['source.port'], 38926);
    assert.equal(f['event.reason'], 'invalid user');
  });

  it('keeps user names with spaces as sshd logged them, so the attempt still counts (loghub OpenSSH_2k lines 185 and 189)', () => {
    const invalid = fieldsOf('Dec 10 08:24:32 LabSZ sshd[24361]: Invalid user  0101 from 5.188.10.180');
    assert.equal(invalid['event.action'], 'ssh_invalid_user');
    assert.equal(invalid['user.name'], ' 0101');
    assert.equal(invalid['source.ip'], '5.188.10.180');
    const failed = fieldsOf('Dec 10 08:24:35 LabSZ sshd[24361]: Failed password for invalid user  0101 from 5.188.10.180 port 36279 ssh2');
    assert.equal(failed['event.action'], 'ssh_login');
    assert.equal(failed['event.outcome'], 'failure');
    assert.equal(failed['user.name'], ' 0101');
    assert.equal(failed['source.port'], 36279);
    const named = fieldsOf('Dec 10 11:04:45 LabSZ sshd[25539]: Failed password for invalid user user from 103.99.0.122 port 52683 ssh2');
    assert.equal(named['user.name'], 'user');
    assert.equal(fieldsOf('Dec 10 08:24:32 LabSZ sshd[24361]: input_userauth_request: invalid user  0101 [preauth]')['user.name'], ' 0101');
  });

  it('reads an accepted publickey login as a successful ssh_login', () => {
    const f = fieldsOf('<38>1 2026-11-28T10:00:00Z web-1 sshd 99 - - Accepted publickey for deploy from 2001:db8::7 port 50022 ssh2: ED25519 SHA256:abc');
    assert.equal(f['event.outcome'], 'success');
    assert.equal(f['system.auth.ssh.method'], 'publickey');
    assert.equal(f['source.ip'], '2001:db8::7');
    assert.deepEqual(f['event.type'], ['start']);
  });

  it('flags reverse-mapping break-in attempts with the address', () => {
    const f = fieldsOf('Dec 10 06:55:46 LabSZ sshd[24200]: reverse mapping checking getaddrinfo for ns.example.com [173.234.31.186] failed - POSSIBLE BREAK-IN ATTEMPT!');
    assert.equal(f['event.action'], 'ssh_break_in_attempt');
    assert.equal(f['source.ip'], '173.234.31.186');
  });

  it('reads PAM failures in both the message form and the old tag form', () => {
    const modern = fieldsOf('Dec 10 06:55:48 LabSZ sshd[24200]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=173.234.31.186  user=root');
    assert.equal(modern['event.action'], 'pam_authentication_failure');
    assert.equal(modern['user.name'], 'root');
    assert.equal(modern['system.auth.pam.service'], 'sshd');
    const old = fieldsOf('Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=218.188.2.4 ');
    assert.equal(old['event.outcome'], 'failure');
    assert.equal(old['source.ip'], '218.188.2.4');
    assert.equal(old['system.auth.pam.service'], 'sshd');
  });

  it('reads sudo commands, and a refusal as a failure that started nothing', () => {
    const ok = fieldsOf('<86>Nov 28 10:00:00 h sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/systemctl restart nginx');
    assert.equal(ok['event.outcome'], 'success');
    assert.equal(ok['user.name'], 'alice');
    assert.equal(ok['user.effective.name'], 'root');
    assert.equal(ok['process.command_line'], '/usr/bin/systemctl restart nginx');
    const refused = fieldsOf('<86>Nov 28 10:00:00 h sudo:    mallory : user NOT in sudoers ; TTY=pts/1 ; PWD=/tmp ; USER=root ; COMMAND=/bin/cat /etc/shadow');
    assert.equal(refused['event.outcome'], 'failure');
    assert.equal(refused['event.reason'], 'user NOT in sudoers');
    assert.deepEqual(refused['event.type'], ['info']);
  });

  it('reads account changes from shadow-utils as iam events', () => {
    const created = fieldsOf('<86>Nov 28 10:00:00 h useradd[812]: new user: name=backdoor, UID=0, GID=0, home=/root, shell=/bin/bash');
    assert.equal(created['event.action'], 'user_created');
    assert.equal(created['user.name'], 'backdoor');
    assert.equal(created['user.id'], '0');
    const added = fieldsOf('<86>Nov 28 10:00:00 h usermod[813]: add \'backdoor\' to group \'sudo\'');
    assert.equal(added['event.action'], 'user_added_to_group');
    assert.equal(added['group.name'], 'sudo');
  });

  it('reads UFW and iptables lines as network events with both ends', () => {
    const f = fieldsOf('<4>Nov 28 10:00:00 fw kernel: [12345.678901] [UFW BLOCK] IN=eth0 OUT= MAC=aa:bb SRC=203.0.113.9 DST=10.0.0.5 LEN=60 PROTO=TCP SPT=51515 DPT=22 WINDOW=29200');
    assert.equal(f['event.action'], 'firewall_blocked');
    assert.deepEqual(f['event.type'], ['connection', 'denied']);
    assert.equal(f['destination.port'], 22);
    assert.equal(f['network.transport'], 'tcp');
    assert.equal(f['rule.name'], 'UFW BLOCK');
  });

  it('reads access lines that nginx sends through syslog', () => {
    const f = fieldsOf('<190>Nov 28 10:00:00 web-1 nginx: 203.0.113.9 - - [28/Nov/2026:10:00:00 +0000] "GET /.env HTTP/1.1" 404 153 "-" "zgrab/0.x"');
    assert.equal(f['url.path'], '/.env');
    assert.equal(f['http.response.status_code'], 404);
    assert.equal(f['source.ip'], '203.0.113.9');
    assert.match(String(f['message']), /^203\.0\.113\.9 /, 'the syslog message stays the message');
  });

  it('reads the message inside "message repeated N times"', () => {
    const f = fieldsOf('Dec 10 07:00:00 LabSZ sshd[1]: message repeated 5 times: [ Failed password for root from 1.2.3.4 port 22 ssh2]');
    assert.equal(f['event.action'], 'ssh_login');
    assert.equal(f['user.name'], 'root');
  });

  it('leaves messages it does not know alone', () => {
    const f = fieldsOf('<86>Nov 28 10:00:00 h myapp[1]: Failed password for root from 1.2.3.4 port 22 ssh2');
    assert.equal(f['event.action'], undefined);
    assert.equal(addAppMessageFields({ message: 'x' }), false);
  });

  it('matches every rule in linear time on long hostile lines', () => {
    const rules = [...SSHD_RULES, ...PAM_RULES, ...SUDO_RULES, ...SU_RULES, ...ACCOUNT_RULES, ...LOGIND_RULES, ...CRON_RULES, ...FTPD_RULES];
    const hostile = [
      'a '.repeat(30_000),
      'Failed password for ' + 'x'.repeat(60_000),
      'authentication failure; ' + 'k= '.repeat(20_000),
      'alice : ' + 'A=b ; '.repeat(10_000) + 'TTY',
      'Received disconnect from ' + '1:'.repeat(30_000),
      '(' + 'u'.repeat(60_000),
    ];
    for (const text of hostile) {
      for (const rule of rules) {
        const started = performance.now();
        rule.pattern.exec(text);
        const ms = performance.now() - started;
        assert.ok(ms < 50, `${rule.pattern} took ${ms.toFixed(1)} ms on a ${text.length}-char line`);
      }
    }
  });

  for (const [file, minimum] of [['OpenSSH_2k.log', 0.99], ['Linux_2k.log', 0.85]] as const) {
    it(`understands at least ${minimum * 100} % of the real lines in loghub ${file}`, (t) => {
      if (!corpusHas('loghub', file)) return t.skip(`corpus absent: ${corpusPath('loghub', file)}`);
      const lines = readFileSync(corpusPath('loghub', file), 'utf8').split('\n').filter((l) => l.trim());
      const understood = lines.filter((l) => fieldsOf(l)['event.action'] !== undefined).length;
      t.diagnostic(`${understood} of ${lines.length} lines normalised`);
      assert.ok(understood / lines.length >= minimum, `${understood}/${lines.length}`);
    });
  }
});
