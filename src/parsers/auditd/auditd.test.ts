import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { corpusHas, corpusPath } from '../../../test/support/corpus.js';
import { auditEventFields } from './audit-event.js';
import { AuditGrouper } from './audit-grouper.js';
import { decodeAuditHex, parseAuditRecord } from './audit-record.js';

const EXEC = [
  'type=SYSCALL msg=audit(1604994496.155:92733): arch=c000003e syscall=59 success=yes exit=0 a0=558e251634a0 a1=558e25162a50 a2=558e25160800 a3=8 items=2 ppid=29002 pid=1631 auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=pts0 ses=104 comm="arp" exe="/usr/sbin/arp" key="recon"',
  'type=EXECVE msg=audit(1604994496.155:92733): argc=3 a0="sh" a1="-c" a2=6563686F20226869207468657265220A',
  'type=CWD msg=audit(1604994496.155:92733): cwd=2F746D702F6D7920646972',
  'type=PATH msg=audit(1604994496.155:92733): item=0 name="/usr/sbin/arp" inode=13181 dev=08:01 mode=0100755 nametype=NORMAL',
  'type=PROCTITLE msg=audit(1604994496.155:92733): proctitle=617270002D61',
  'type=EOE msg=audit(1604994496.155:92733): ',
];

function groups(lines: string[]) {
  const grouper = new AuditGrouper();
  const out = [];
  for (const l of lines) out.push(...grouper.push(l).done);
  out.push(...grouper.flush());
  return out;
}

describe('Linux audit log (auditd)', () => {
  it('reads a record header, quoted, bare and nested msg=\'…\' values', () => {
    const r = parseAuditRecord(`type=USER_AUTH msg=audit(1610903558.178:595): pid=2954 uid=0 auid=1000 ses=14 msg='op=PAM:authentication acct="root" exe="/usr/bin/chfn" hostname=ubuntu addr=127.0.0.1 terminal=pts/2 res=success'`)!;
    assert.equal(r.type, 'USER_AUTH');
    assert.equal(r.serial, 595);
    assert.equal(r.time, 1610903558178);
    assert.equal(r.fields.get('acct'), 'root');
    assert.equal(r.fields.get('res'), 'success');
    assert.equal(r.fields.get('op'), 'PAM:authentication');
  });

  it('groups the records of one serial into one event with ECS process fields and decoded hex arguments', () => {
    const g = groups(EXEC);
    assert.equal(g.length, 1);
    const f = auditEventFields(g[0]!.records);
    assert.equal(f['event.action'], 'execve');
    assert.deepEqual(f['event.category'], ['process']);
    assert.equal(f['event.outcome'], 'success');
    assert.deepEqual(f['process.args'], ['sh', '-c', 'echo "hi there"\n']);
    assert.equal(f['process.working_directory'], '/tmp/my dir');
    assert.equal(f['process.title'], 'arp -a');
    assert.equal(f['process.executable'], '/usr/sbin/arp');
    assert.equal(f['process.parent.pid'], 29002);
    assert.equal(f['user.audit.id'], 1000);
    assert.equal(f['file.path'], '/usr/sbin/arp');
    assert.deepEqual(f['tags'], ['recon']);
    assert.equal(f['auditd.data.a0'], '558e251634a0', 'SYSCALL arguments are hex numbers, not strings to decode');
    assert.equal(g[0]!.original.split('\n').length, EXEC.length);
  });

  it('starts a new event when the serial changes, without waiting for EOE', () => {
    const g = groups([EXEC[0]!, EXEC[0]!.replace(':92733', ':92734'), EXEC[3]!.replace(':92733', ':92734')]);
    assert.deepEqual(g.map((x) => x.records.length), [1, 2]);
  });

  it('reads user-space account records as iam events', () => {
    const f = auditEventFields(groups([`type=ADD_USER msg=audit(1610903553.730:591): pid=2945 uid=0 auid=1000 ses=14 msg='op=adding user id=1004 exe="/usr/sbin/useradd" hostname=ubuntu addr=127.0.0.1 terminal=pts/2 res=success'`])[0]!.records);
    assert.deepEqual(f['event.category'], ['iam']);
    assert.equal(f['event.action'], 'add_user');
    assert.equal(f['source.ip'], '127.0.0.1');
  });

  it('refuses what is not an audit line and is not fooled by hostile input', () => {
    assert.equal(parseAuditRecord('Nov 28 10:00:00 host sshd[1]: hi'), undefined);
    assert.equal(decodeAuditHex('zz'), undefined);
    const long = `type=SYSCALL msg=audit(1.000:1): ${'a='.repeat(50_000)} msg='${'b="'.repeat(20_000)}`;
    const started = performance.now();
    const r = parseAuditRecord(long);
    assert.ok(r);
    assert.ok(performance.now() - started < 200);
    const proto = parseAuditRecord(`type=X msg=audit(1.000:1): __proto__=polluted constructor=x`)!;
    assert.equal(proto.fields.has('__proto__'), false);
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  });

  it('bounds an event to 64 records', () => {
    const flood = Array.from({ length: 200 }, (_, i) => `type=PATH msg=audit(1.000:7): item=${i} name="/x${i}"`);
    assert.deepEqual(groups(flood).map((g) => g.records.length), [64, 64, 64, 8]);
  });

  for (const [dir, file, events] of [
    ['security-datasets/linux', 'sh_arp_cache_2020-11-10074812.log', 2],
    ['elastic-beats-auditd', 'useradd.log', 8],
  ] as const) {
    it(`groups the real ${file} into ${events} events, every line in one`, (t) => {
      if (!corpusHas(dir, file)) return t.skip(`corpus absent: ${corpusPath(dir, file)}`);
      const lines = readFileSync(corpusPath(dir, file), 'utf8').split('\n').filter(Boolean);
      assert.ok(lines.every((l) => parseAuditRecord(l) !== undefined));
      const g = groups(lines);
      assert.equal(g.length, events);
      assert.equal(g.reduce((n, x) => n + x.records.length, 0), lines.length);
    });
  }
});
