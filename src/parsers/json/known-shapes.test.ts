import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { corpusHas, corpusPath } from '../../../test/support/corpus.js';
import { mapJsonRecord } from './json-mapping.js';

const limits = { maxJsonDepth: 32, maxFieldsPerEvent: 1024 };
const map = (record: Record<string, unknown>) => mapJsonRecord(record, limits);

const TRAIL = {
  eventVersion: '1.08',
  userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::123456789012:user/alice', accountId: '123456789012', userName: 'alice' },
  eventTime: '2026-11-28T10:00:00Z',
  eventSource: 'cloudtrail.amazonaws.com',
  eventName: 'StopLogging',
  awsRegion: 'eu-west-1',
  sourceIPAddress: '203.0.113.9',
  userAgent: 'aws-cli/2.0',
  errorCode: 'AccessDenied',
};

describe('JSON from known sources gets ECS names beside its own', () => {
  it('AWS CloudTrail: action, provider, user, source, outcome and event time', () => {
    const { fields, time } = map(TRAIL);
    assert.equal(fields['eventName'], 'StopLogging', 'native name stays for Sigma');
    assert.equal(fields['event.action'], 'StopLogging');
    assert.equal(fields['event.provider'], 'cloudtrail.amazonaws.com');
    assert.equal(fields['user.name'], 'alice');
    assert.equal(fields['source.ip'], '203.0.113.9');
    assert.equal(fields['event.outcome'], 'failure');
    assert.equal(fields['cloud.region'], 'eu-west-1');
    assert.equal(time, Date.UTC(2026, 10, 28, 10));
  });

  it('CloudTrail inside an EventBridge envelope', () => {
    const { fields } = map({ version: '0', 'detail-type': 'AWS API Call via CloudTrail', source: 'aws.cloudtrail', detail: TRAIL });
    assert.equal(fields['event.action'], 'StopLogging');
    assert.equal(fields['user.name'], 'alice');
  });

  it('Google Cloud audit log entries', () => {
    const { fields, time } = map({
      protoPayload: {
        '@type': 'type.googleapis.com/google.cloud.audit.AuditLog',
        methodName: 'SetIamPolicy',
        serviceName: 'cloudresourcemanager.googleapis.com',
        authenticationInfo: { principalEmail: 'mallory@example.com' },
        requestMetadata: { callerIp: '198.51.100.4' },
      },
      resource: { labels: { project_id: 'prod-1' } },
      timestamp: '2026-11-28T10:00:00Z',
    });
    assert.equal(fields['event.action'], 'SetIamPolicy');
    assert.equal(fields['user.email'], 'mallory@example.com');
    assert.equal(fields['source.ip'], '198.51.100.4');
    assert.equal(fields['cloud.project.id'], 'prod-1');
    assert.equal(fields['event.outcome'], 'success');
    assert.equal(time, Date.UTC(2026, 10, 28, 10));
  });

  it('journald entries, with the sshd message read like syslog', () => {
    const { fields, time } = map({
      __REALTIME_TIMESTAMP: '1795860000123456',
      _HOSTNAME: 'web-1',
      SYSLOG_IDENTIFIER: 'sshd',
      _PID: '4242',
      PRIORITY: '6',
      MESSAGE: 'Failed password for invalid user admin from 198.51.100.7 port 50022 ssh2',
    });
    assert.equal(time, 1795860000123);
    assert.equal(fields['host.name'], 'web-1');
    assert.equal(fields['event.action'], 'ssh_login');
    assert.equal(fields['event.outcome'], 'failure');
    assert.equal(fields['source.ip'], '198.51.100.7');
    assert.equal(fields['process.pid'], 4242);
  });

  it('osquery differential results', () => {
    const { fields, time } = map({ name: 'listening_ports', hostIdentifier: 'db-1', unixTime: 1795860000, action: 'added', columns: { pid: '811', port: '4444', path: '/tmp/.x/nc', username: 'www-data' } });
    assert.equal(fields['host.name'], 'db-1');
    assert.equal(fields['event.action'], 'osquery_added');
    assert.equal(fields['process.executable'], '/tmp/.x/nc');
    assert.equal(fields['process.pid'], 811);
    assert.equal(time, 1795860000000);
  });

  it('every CloudTrail record of the Stratus Red Team detonations gets an action and a provider', (t) => {
    const dir = corpusPath('stratus-red-team', 'detonation-logs');
    if (!corpusHas('stratus-red-team', 'detonation-logs')) return t.skip(`corpus absent: ${dir}`);
    let n = 0;
    for (const name of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
      const doc = JSON.parse(readFileSync(`${dir}/${name}`, 'utf8')) as unknown;
      const records = (Array.isArray(doc) ? doc : ((doc as { Records?: unknown[] }).Records ?? [doc])) as Record<string, unknown>[];
      for (const r of records) {
        const { fields } = map(r);
        assert.equal(typeof fields['event.action'], 'string', `${name}: ${JSON.stringify(r).slice(0, 120)}`);
        assert.equal(fields['cloud.provider'], 'aws');
        n++;
      }
    }
    t.diagnostic(`${n} CloudTrail records`);
  });
});
