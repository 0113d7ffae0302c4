import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { corpusHas, corpusPath } from '../../../test/support/corpus.js';
import { mapJsonRecord } from './json-mapping.js';

const LIMITS = { maxJsonDepth: 32, maxFieldsPerEvent: 1024 };
const DIR = 'security-datasets/linux';
const SYSMON = 'syslog_sysmon_log4shell_cve2021_44228_jndi_reference_2022-05-11181020.json';
const AUOMS = 'syslog_auoms_auditd_log4shell_cve2021_44228_jndi_reference_2022-05-11181020.json';

const row = (message: string, program: string) => ({
  TimeGenerated: '2022-05-11T18:10:21.997Z',
  EventTime: '2022-05-11T18:10:21Z',
  Computer: 'UBUNTU5',
  HostIP: '192.168.2.5',
  Facility: 'authpriv',
  SeverityLevel: 'info',
  ProcessName: program,
  SyslogMessage: message,
  Type: 'Syslog',
});

describe('Azure Monitor Syslog table rows', () => {
  it('read the message as syslog from that program would be read: an sshd failure has its user and source', () => {
    const { fields, time } = mapJsonRecord(row('Failed password for invalid user admin from 203.0.113.4 port 50022 ssh2', 'sshd'), LIMITS);
    assert.equal(time, Date.UTC(2022, 4, 11, 18, 10, 21));
    assert.equal(fields['host.name'], 'UBUNTU5');
    assert.equal(fields['host.ip'], '192.168.2.5');
    assert.equal(fields['user.name'], 'admin');
    assert.equal(fields['source.ip'], '203.0.113.4');
    assert.equal(fields['event.outcome'], 'failure');
  });

  it('read an AUOMS audit record into process and user fields, with the kernel names kept', () => {
    const { fields } = mapJsonRecord(
      row('type=AUOMS_EXECVE audit(1652292621.986:84138): syscall=execve success=no ppid=1340 pid=17790 user=tomcat uid=1001 comm="http-nio-8080-e" exe="/usr/bin/java" cwd="/"', 'auoms'),
      LIMITS,
    );
    assert.equal(fields['auditd.message_type'], 'AUOMS_EXECVE');
    assert.equal(fields['auditd.sequence'], 84138);
    assert.equal(fields['auditd.data.syscall'], 'execve');
    assert.equal(fields['process.pid'], 17790);
    assert.equal(fields['process.parent.pid'], 1340);
    assert.equal(fields['process.executable'], '/usr/bin/java');
    assert.equal(fields['user.name'], 'tomcat');
    assert.equal(fields['event.outcome'], 'failure');
  });

  it('a record that merely has a Type field is left alone', () => {
    const { fields } = mapJsonRecord({ Type: 'Syslog', message: 'x' }, LIMITS);
    assert.equal(fields['host.name'], undefined);
  });

  it('real rows (OTRF Log4Shell dataset): Sysmon for Linux XML becomes Sysmon fields, the reverse shell included', { skip: !corpusHas(DIR, SYSMON) && 'corpus absent' }, () => {
    const rows = readFileSync(corpusPath(DIR, SYSMON), 'utf8').trim().split('\n').map((l) => mapJsonRecord(JSON.parse(l) as Record<string, unknown>, LIMITS).fields);
    const sysmon = rows.filter((f) => f['Channel'] === 'Linux-Sysmon/Operational');
    assert.ok(sysmon.length >= 76, `${sysmon.length} Sysmon events`);
    const shell = sysmon.find((f) => f['EventID'] === 3 && f['Image'] === 'bash' && f['DestinationPort'] === 443);
    assert.ok(shell, 'bash connecting out to port 443');
    assert.equal(shell['DestinationIp'], '192.168.2.6');
  });

  it('real rows (OTRF Log4Shell dataset): every AUOMS row is an execution with its process and user', { skip: !corpusHas(DIR, AUOMS) && 'corpus absent' }, () => {
    const rows = readFileSync(corpusPath(DIR, AUOMS), 'utf8').trim().split('\n').map((l) => mapJsonRecord(JSON.parse(l) as Record<string, unknown>, LIMITS).fields);
    assert.equal(rows.length, 50);
    assert.ok(rows.every((f) => f['auditd.message_type'] === 'AUOMS_EXECVE' && typeof f['process.pid'] === 'number' && typeof f['process.executable'] === 'string'));
    assert.deepEqual([...new Set(rows.map((f) => f['user.name']))].sort(), ['nobody', 'tomcat']);
  });
});
