import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EventShape } from '../core/store.js';
import { BUILTIN_RULES, builtinPlaceholders } from './builtin-rules.js';
import { computeCoverage } from './coverage.js';
import { LogsourceMap } from './sigma/logsource-map.js';
import { loadRules } from './sigma/rule-loader.js';

const routing = LogsourceMap.load();
const pack = loadRules([BUILTIN_RULES], { placeholders: builtinPlaceholders() });
const valueFields = routing.conditionFields();

function shape(format: string, fields: Record<string, string | null>, count = 10, extra: string[] = []): EventShape {
  const values = Object.fromEntries(valueFields.map((f) => [f, fields[f] ?? null]));
  return { format, sourceKind: 'file', fields: [...new Set([...Object.keys(fields), ...extra])].sort(), values, count, first: 0, last: 1 };
}

// What sshd's failed logins look like once stored (loghub OpenSSH_2k), and kernel lines with no ECS fields.
const SSHD = shape('rfc3164', { 'process.name': 'sshd', 'event.action': 'ssh_login', 'event.outcome': 'failure', 'event.category': '["authentication"]', 'source.ip': 'x', 'user.name': 'x', 'host.name': 'x', 'system.auth.ssh.method': 'x' }, 500, ['message']);
const KERNEL = shape('rfc3164', { 'process.name': 'kernel', 'host.name': 'x' }, 76);
// Kerberos pre-authentication failures (4771) from an EVTX file.
const KERBEROS = shape('windows', { Channel: 'Security', EventID: '4771', Provider_Name: 'Microsoft-Windows-Security-Auditing', 'event.module': 'windows', TargetUserName: 'x', IpAddress: 'x', Status: 'x', Computer: 'x' }, 9);

describe('coverage: which enabled rules can fire on the data this installation has', () => {
  const report = computeCoverage(pack, routing, [SSHD, KERNEL, KERBEROS]);
  const cannot = (title: string) => report.cannotFire.find((c) => c.title === title);

  it('counts the events and shapes it judged', () => {
    assert.equal(report.events, 585);
    assert.equal(report.shapes, 3);
    assert.equal(report.enabled.rules, pack.rules.length);
  });

  it('sshd rules and their correlations can fire; rules of sources never seen cannot, with the reason and the DRL credits', () => {
    for (const title of ['SSH Login Failure Reported by sshd', 'SSH Brute Force From One Source', 'SSH Password Spraying From One Source']) {
      assert.ok(pack.rules.some((r) => r.meta.title === title) || pack.correlations.some((c) => c.title === title), `${title} is in the pack`);
      assert.equal(cannot(title), undefined, `${title} can fire`);
    }
    const trail = cannot('AWS CloudTrail Logging Stopped or Deleted');
    assert.equal(trail?.reason, 'log-source-never-seen');
    assert.equal(trail?.logsource, 'aws/*/cloudtrail');
    assert.equal(trail?.author, 'Vigil');
    assert.match(trail?.id ?? '', /^[0-9a-f-]{36}$/);
    assert.equal(cannot('AWS Console Login Brute Force From One Address')?.reason, 'inputs-cannot-fire');
    assert.equal(cannot('Principal Reading Far More Data Than Usual')?.kind, 'behaviour');
  });

  it('a rule whose log source is seen but whose fields never occur there cannot fire, naming the missing fields', () => {
    const logon = cannot('Windows Logon by a User Account');
    assert.equal(logon?.reason, 'fields-never-seen');
    assert.deepEqual(logon?.missing, ['LogonType']);
    for (const title of ['Kerberos Pre-Authentication Failure', 'Kerberos Password Spraying From One Address']) {
      assert.ok(pack.rules.some((r) => r.meta.title === title) || pack.correlations.some((c) => c.title === title), `${title} is in the pack`);
      assert.equal(cannot(title), undefined, `${title} can fire on 4771 events`);
    }
  });

  it('lists sources no rule can match, and the ATT&CK techniques the firing rules cover', () => {
    assert.deepEqual(report.uncoveredSources.map((s) => [s.format, s.logsources[0], s.events]), [['rfc3164', 'linux/*/syslog', 76]]);
    const t1110 = report.techniques.find((t) => t.technique === 'T1110');
    assert.ok(t1110 && t1110.rules >= 3 && t1110.tactics.includes('credential-access'));
    assert.ok(report.techniquesNotCovered.includes('T1530'), 'S3 collection: no CloudTrail data here');
    assert.ok(!report.techniquesNotCovered.includes('T1110'));
  });

  it('with no data, nothing can fire and every technique is uncovered', () => {
    const empty = computeCoverage(pack, routing, []);
    assert.equal(empty.canFire.rules, 0);
    assert.equal(empty.techniques.length, 0);
    assert.equal(empty.cannotFire.length, pack.rules.length + pack.correlations.length + pack.behaviours.length);
  });
});
