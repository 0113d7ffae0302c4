import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSyslog } from '../syslog/syslog-parser.js';

const NOW = Date.UTC(2026, 10, 28, 12);

describe('Cisco IOS system messages', () => {
  it('without a syslog header (Sigma regression data, cisco_cli_dot1x_disabled): host, sequence, clock, command and user', () => {
    const p = parseSyslog('172.16.5.10 6705: Feb 17 13:40:03.673: %PARSER-5-CFGLOG_LOGGEDCMD: User:admin  logged command:no access-session port-control', NOW);
    assert.equal(p.format, 'device');
    assert.equal(p.time, Date.UTC(2026, 1, 17, 13, 40, 3, 673));
    assert.equal(p.fields['host.name'], '172.16.5.10');
    assert.equal(p.fields['event.sequence'], 6705);
    assert.equal(p.fields['event.code'], 'PARSER-5-CFGLOG_LOGGEDCMD');
    assert.equal(p.fields['log.level'], 'notice');
    assert.equal(p.fields['user.name'], 'admin');
    assert.equal(p.fields['cisco.ios.command'], 'no access-session port-control');
    assert.deepEqual(p.fields['event.type'], ['change']);
  });

  it('with a PRI and the unsynchronised-clock star: the device clock is the event time', () => {
    const p = parseSyslog('<189>6705: *Feb 17 13:40:03.673: %SYS-5-CONFIG_I: Configured from console by admin on vty0 (10.1.1.1)', NOW);
    assert.equal(p.time, Date.UTC(2026, 1, 17, 13, 40, 3, 673));
    assert.deepEqual(p.flags, []);
    assert.equal(p.fields['log.syslog.priority'], 189);
    assert.equal(p.fields['user.name'], 'admin');
    assert.equal(p.fields['source.ip'], '10.1.1.1');
  });

  it('behind a full syslog header: a failed login is a failed authentication with user, source and reason', () => {
    const p = parseSyslog('<189>Feb 17 13:40:03 router1 6705: Feb 17 13:40:03.673: %SEC_LOGIN-4-LOGIN_FAILED: Login failed [user: admin] [Source: 10.1.1.9] [localport: 22] [Reason: Login Authentication Failed] at 13:40:03 UTC Fri Feb 17 2023', NOW);
    assert.equal(p.fields['host.name'], 'router1');
    assert.equal(p.fields['process.name'], undefined);
    assert.equal(p.fields['event.sequence'], 6705);
    assert.equal(p.fields['event.outcome'], 'failure');
    assert.deepEqual(p.fields['event.category'], ['authentication']);
    assert.equal(p.fields['source.ip'], '10.1.1.9');
    assert.equal(p.fields['destination.port'], 22);
    assert.equal(p.fields['event.reason'], 'Login Authentication Failed');
  });

  it('a percent sign in an ordinary message is not an IOS message', () => {
    const p = parseSyslog('<13>Nov 28 11:00:00 host app: disk at 95%: %full soon', NOW);
    assert.equal(p.fields['event.code'], undefined);
    assert.equal(p.fields['process.name'], 'app');
  });
});
