import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSyslog } from './syslog-parser.js';
import { timeZone } from './time-zone.js';

const received = Date.UTC(2025, 5, 20, 12, 0, 0);

describe('RFC 3164 (BSD) messages', () => {
  it('reads RFC 3164 §5.4 example 1', () => {
    const parsed = parseSyslog("<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8", received);
    assert.equal(parsed.format, 'rfc3164');
    assert.equal(parsed.time, Date.UTC(2024, 9, 11, 22, 14, 15));
    assert.deepEqual(parsed.flags, []);
    assert.deepEqual(parsed.fields, {
      message: "'su root' failed for lonvick on /dev/pts/8",
      'log.syslog.priority': 34,
      'log.syslog.facility.code': 4,
      'log.syslog.facility.name': 'auth',
      'log.syslog.severity.code': 2,
      'log.syslog.severity.name': 'critical',
      'host.hostname': 'mymachine',
      'host.name': 'mymachine',
      'process.name': 'su',
      'log.syslog.appname': 'su',
    });
  });

  it('reads RFC 3164 §5.4 example 2: a space-padded day and an IP address as HOSTNAME', () => {
    const parsed = parseSyslog('<13>Feb  5 17:32:18 10.0.0.99 Use the BFG!', received);
    assert.equal(parsed.time, Date.UTC(2025, 1, 5, 17, 32, 18));
    assert.equal(parsed.fields['host.name'], '10.0.0.99');
    // §4.1.3: the TAG ends at the first non-alphanumeric character, here the space.
    assert.equal(parsed.fields['process.name'], 'Use');
    assert.equal(parsed.fields.message, 'the BFG!');
  });

  it('reads RFC 3164 §5.4 example 3: a zone and year after the time', () => {
    const parsed = parseSyslog(
      "<165>Aug 24 05:34:00 CST 1987 mymachine myproc[10]: %% It's time to make the do-nuts.  %%  Ingredients: Mix=OK, Jated=Yes, Ingredients=OK, Frosting=OK",
      received,
    );
    assert.equal(parsed.time, Date.UTC(1987, 7, 24, 11, 34, 0)); // CST = UTC-6 (RFC 5322 §4.3)
    assert.equal(parsed.fields['host.name'], 'mymachine');
    assert.equal(parsed.fields['process.name'], 'myproc');
    assert.equal(parsed.fields['process.pid'], 10);
    assert.equal(parsed.fields['log.syslog.procid'], '10');
    assert.match(String(parsed.fields.message), /^%% It's time/);
  });

  it('reads RFC 3164 §5.4 example 4: a PRI with no valid timestamp makes the rest the message (§4.3.3)', () => {
    const parsed = parseSyslog("<0>1990 Oct 22 10:52:01 TZ-6 scapegoat.dmz.example.org 10.1.2.3 sched[0]: That's All Folks!", received);
    assert.equal(parsed.format, 'rfc3164');
    assert.equal(parsed.time, undefined);
    assert.deepEqual(parsed.flags, ['time-unparsed']);
    assert.equal(parsed.fields['log.syslog.severity.name'], 'emergency');
    assert.equal(parsed.fields['log.syslog.facility.name'], 'kern');
    assert.equal(parsed.fields.message, "1990 Oct 22 10:52:01 TZ-6 scapegoat.dmz.example.org 10.1.2.3 sched[0]: That's All Folks!");
    assert.equal(parsed.fields['host.name'], undefined);
  });

  it('reads a /var/log line with no PRI, and a program name with parentheses', () => {
    const parsed = parseSyslog('Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; rhost=218.188.2.4 \r\n', received);
    assert.equal(parsed.format, 'rfc3164');
    assert.equal(parsed.time, Date.UTC(2025, 5, 14, 15, 16, 1));
    assert.equal(parsed.fields['log.syslog.priority'], undefined);
    assert.equal(parsed.fields['host.name'], 'combo');
    assert.equal(parsed.fields['process.name'], 'sshd(pam_unix)');
    assert.equal(parsed.fields['process.pid'], 19939);
    assert.equal(parsed.fields.message, 'authentication failure; rhost=218.188.2.4 ');
  });

  it('reads an RFC 3339 timestamp in place of the BSD one (rsyslog high-precision format)', () => {
    const parsed = parseSyslog('<86>2024-03-05T10:11:12.123456+01:00 web1 sudo[4242]: alice : TTY=pts/0 ; COMMAND=/bin/ls', received);
    assert.equal(parsed.format, 'rfc3164');
    assert.equal(parsed.time, Date.UTC(2024, 2, 5, 9, 11, 12, 123));
    assert.equal(parsed.fields['host.name'], 'web1');
    assert.equal(parsed.fields['process.name'], 'sudo');
    assert.equal(parsed.fields.message, 'alice : TTY=pts/0 ; COMMAND=/bin/ls');
  });

  it('reads a message without HOSTNAME, as local senders write it', () => {
    const parsed = parseSyslog('<13>Oct 11 22:14:15 sshd[12]: Accepted publickey for bob', received);
    assert.equal(parsed.fields['host.name'], undefined);
    assert.equal(parsed.fields['process.name'], 'sshd');
    assert.equal(parsed.fields['process.pid'], 12);
    assert.equal(parsed.fields.message, 'Accepted publickey for bob');
    const noPid = parseSyslog('<13>Oct 11 22:14:15 su: hello', received);
    assert.equal(noPid.fields['host.name'], undefined);
    assert.equal(noPid.fields['process.name'], 'su');
    assert.equal(noPid.fields.message, 'hello');
  });

  it('accepts zero-padded, unpadded and space-padded days', () => {
    for (const day of ['05', '5', ' 5']) {
      const parsed = parseSyslog(`<13>Feb ${day} 17:32:18 host app: x`, received);
      assert.equal(parsed.time, Date.UTC(2025, 1, 5, 17, 32, 18), `day ${JSON.stringify(day)}`);
      assert.equal(parsed.fields['host.name'], 'host');
    }
  });

  it('keeps the TAG when a version follows it without a colon (sysklogd "syslogd 1.4.1: restart.")', () => {
    const parsed = parseSyslog('Jun 19 04:09:11 combo syslogd 1.4.1: restart.', received);
    assert.equal(parsed.fields['process.name'], 'syslogd');
    assert.equal(parsed.fields.message, '1.4.1: restart.');
  });

  it('skips the colon Cisco IOS writes after the timestamp', () => {
    const parsed = parseSyslog('<189>Mar  1 18:46:11.123: router1 %SYS-5-CONFIG_I: Configured from console', received);
    assert.equal(parsed.time, Date.UTC(2025, 2, 1, 18, 46, 11, 123));
    assert.equal(parsed.fields['host.name'], 'router1');
    assert.equal(parsed.fields['process.name'], '%SYS-5-CONFIG_I');
  });

  it('reads a year written before the time', () => {
    assert.equal(parseSyslog('<13>Mar  1 2019 00:00:01 host app: x', received).time, Date.UTC(2019, 2, 1, 0, 0, 1));
  });

  it('flags an impossible date but still reads host, tag and message', () => {
    const parsed = parseSyslog('<13>Feb 30 12:00:00 host app[1]: body', received);
    assert.equal(parsed.format, 'rfc3164');
    assert.equal(parsed.time, undefined);
    assert.deepEqual(parsed.flags, ['time-unparsed']);
    assert.equal(parsed.fields['host.name'], 'host');
    assert.equal(parsed.fields.message, 'body');
  });

  it('keeps a non-numeric PID as log.syslog.procid only', () => {
    const parsed = parseSyslog('<13>Feb  5 17:32:18 host app[worker-3]: body', received);
    assert.equal(parsed.fields['log.syslog.procid'], 'worker-3');
    assert.equal('process.pid' in parsed.fields, false);
  });
});

describe('placing a BSD timestamp, which has no year', () => {
  it('puts a December line received in early January in the previous year', () => {
    const t = parseSyslog('Dec 31 23:59:50 h app: x', Date.UTC(2025, 0, 1, 0, 0, 10)).time;
    assert.equal(t, Date.UTC(2024, 11, 31, 23, 59, 50));
  });

  it('puts a line up to a day ahead of the receive time in the same or next year (a fast sender clock)', () => {
    assert.equal(parseSyslog('Jan  1 00:30:00 h app: x', Date.UTC(2024, 11, 31, 23, 0, 0)).time, Date.UTC(2025, 0, 1, 0, 30, 0));
    assert.equal(parseSyslog('Jun 21 06:00:00 h app: x', Date.UTC(2025, 5, 20, 12, 0, 0)).time, Date.UTC(2025, 5, 21, 6, 0, 0));
  });

  it('puts a line more than a day ahead in the previous year', () => {
    assert.equal(parseSyslog('Jun 23 06:00:00 h app: x', Date.UTC(2025, 5, 20, 12, 0, 0)).time, Date.UTC(2024, 5, 23, 6, 0, 0));
  });

  it('puts Feb 29 in the most recent leap year', () => {
    assert.equal(parseSyslog('Feb 29 10:00:00 h app: x', Date.UTC(2025, 2, 1)).time, Date.UTC(2024, 1, 29, 10, 0, 0));
    assert.equal(parseSyslog('Feb 29 10:00:00 h app: x', Date.UTC(2027, 2, 1)).time, Date.UTC(2024, 1, 29, 10, 0, 0));
  });

  it('reads the wall clock in the configured zone, daylight saving included (July is 11 days ahead, so last year)', () => {
    const berlin = timeZone('Europe/Berlin');
    assert.equal(parseSyslog('Jul  1 12:00:00 h app: x', received, { zone: berlin }).time, Date.UTC(2024, 6, 1, 10, 0, 0));
    assert.equal(parseSyslog('Jan 10 12:00:00 h app: x', received, { zone: berlin }).time, Date.UTC(2025, 0, 10, 11, 0, 0));
    assert.equal(parseSyslog('Jan 10 12:00:00 h app: x', received, { zone: timeZone('+05:30') }).time, Date.UTC(2025, 0, 10, 6, 30, 0));
  });

  it('reads the numeric date-times devices write in place of the BSD timestamp (Huawei USG, firewalld, macOS), in the configured zone unless they carry an offset', () => {
    const berlin = timeZone('Europe/Berlin');
    const slash = parseSyslog('2018/10/05 09:52:14 USG6300 %%01URL/4/FILTER(l): The URL filtering policy was matched.', received, { zone: berlin });
    assert.equal(slash.time, Date.UTC(2018, 9, 5, 7, 52, 14));
    assert.equal(slash.fields['host.name'], 'USG6300');
    const dash = parseSyslog('2018-10-05 10:52:13 USG6300 %%01SECLOG/6/SESSION_TEARDOWN(l):IPVer=4', received);
    assert.equal(dash.time, Date.UTC(2018, 9, 5, 10, 52, 13));
    const offset = parseSyslog('2020-03-23 06:47:42.801612-0700  localhost sshd[3186]: error: PAM: unknown user', received, { zone: berlin });
    assert.equal(offset.time, Date.UTC(2020, 2, 23, 13, 47, 42, 801));
    assert.equal(offset.fields['process.name'], 'sshd');
    const python = parseSyslog('2024-01-02 03:04:05,678 worker app: started', received);
    assert.equal(python.time, Date.UTC(2024, 0, 2, 3, 4, 5, 678));
    const impossible = parseSyslog('2024-02-30 03:04:05 host app: x', received);
    assert.deepEqual([impossible.time, impossible.flags], [undefined, ['time-unparsed']]);
  });

  it('reads a year-first timestamp in a file line (but not after a PRI: see example 4)', () => {
    const p = parseSyslog('2015 Nov 13 13:40:01 ether rsyslogd-2177: imuxsock begins to drop messages', received);
    assert.equal(p.time, Date.UTC(2015, 10, 13, 13, 40, 1));
    assert.equal(p.fields['host.name'], 'ether');
    assert.equal(p.fields['process.name'], 'rsyslogd-2177');
  });

  it('reads RFC 5424 whose PRI a relay or file writer left out', () => {
    const p = parseSyslog('1 2019-05-15T16:25:50Z fw1 app 19710 - - hello', received);
    assert.equal(p.format, 'rfc5424');
    assert.equal(p.time, Date.UTC(2019, 4, 15, 16, 25, 50));
    assert.equal(p.fields['log.syslog.priority'], undefined);
    assert.equal(p.fields['message'], 'hello');
  });
});
