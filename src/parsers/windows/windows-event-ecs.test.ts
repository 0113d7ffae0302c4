import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { corpusHas, corpusPath } from '../../../test/support/corpus.js';
import { jsonRecordMapping } from '../json/index.js';
import { decodeEvtx } from '../evtx/index.js';
import { FileRecordMapper } from '../../sources/file/file-records.js';
import { fileLines } from '../../sources/file/file-lines.js';
import { isWindowsEventTree, windowsEventFields } from './windows-event-ecs.js';

const LOGON_FAILURE = {
  Event: {
    System: {
      Provider: { '#attributes': { Name: 'Microsoft-Windows-Security-Auditing' } },
      EventID: 4625,
      Channel: 'Security',
      Computer: 'dc1.corp.local',
      TimeCreated: { '#attributes': { SystemTime: '2026-11-28T10:00:00.123456Z' } },
      EventRecordID: 42,
    },
    EventData: { TargetUserName: 'administrator', TargetDomainName: 'CORP', SubjectUserName: '-', IpAddress: '203.0.113.9', IpPort: '51515', LogonType: 3, WorkstationName: 'KALI' },
  },
};

function mapper(path: string) {
  return new FileRecordMapper({ tenant: 'default', input: 'file', path, maxLineBytes: 1 << 20, mapping: jsonRecordMapping, limits: { maxJsonDepth: 64, maxFieldsPerEvent: 1024 } }, 'auto');
}

describe('Windows events', () => {
  it('keep Sigma\'s native names and gain ECS names for a failed logon', () => {
    assert.equal(isWindowsEventTree(LOGON_FAILURE), true);
    const { fields, time } = windowsEventFields(LOGON_FAILURE);
    assert.equal(fields['EventID'], 4625);
    assert.equal(fields['TargetUserName'], 'administrator');
    assert.equal(fields['event.code'], '4625');
    assert.equal(fields['event.outcome'], 'failure');
    assert.deepEqual(fields['event.category'], ['authentication']);
    assert.equal(fields['user.name'], 'administrator');
    assert.equal(fields['source.ip'], '203.0.113.9');
    assert.equal(fields['host.name'], 'dc1.corp.local');
    assert.equal(fields['user.effective.name'], undefined, '"-" is no value');
    assert.equal(time, Date.UTC(2026, 10, 28, 10, 0, 0, 123));
  });

  it('read from an .evtx file give the same fields as the evtx_dump JSON export of the same event', async (t) => {
    const root = corpusPath('sigma', 'regression_data');
    if (!corpusHas('sigma', 'regression_data')) return t.skip(`corpus absent: ${root}`);
    const pairs: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const p = join(dir, name);
        if (statSync(p).isDirectory()) walk(p);
        else if (name.endsWith('.evtx')) pairs.push(p);
      }
    };
    walk(root);
    let compared = 0;
    for (const evtx of pairs.slice(0, 60)) {
      const fromEvtx = mapper(evtx);
      const events = [];
      for await (const line of fileLines(evtx, 1 << 20)) events.push(...fromEvtx.take(line.text, line.truncated));
      const fromJson = mapper(evtx.replace(/\.evtx$/, '.json'));
      const exported = readFileSync(evtx.replace(/\.evtx$/, '.json'), 'utf8').split('\n');
      const jsonEvents = [...exported.flatMap((l) => fromJson.take(l, false)), ...fromJson.flush()];
      assert.ok(jsonEvents.length >= 1);
      for (const je of jsonEvents) {
        const match: (typeof events)[number] | undefined = events.find((e) => e.fields['EventRecordID'] === je.fields['EventRecordID']);
        assert.ok(match, `${evtx}: record ${String(je.fields['EventRecordID'])} decoded`);
        assert.deepEqual({ ...match.fields }, { ...je.fields });
        assert.equal(match.format, 'windows');
        compared++;
      }
    }
    t.diagnostic(`${compared} events compared over ${pairs.length} .evtx/.json pairs`);
  });

  it('map Sysmon process creation to ECS process fields', (t) => {
    const file = corpusPath('evtx-attack-samples', 'Lateral Movement', 'LM_wmiexec_impacket_sysmon_whoami.evtx');
    if (!corpusHas('evtx-attack-samples', 'Lateral Movement', 'LM_wmiexec_impacket_sysmon_whoami.evtx')) return t.skip(`corpus absent: ${file}`);
    const { records } = decodeEvtx(readFileSync(file));
    const creation = records.map((r) => windowsEventFields(r.event).fields).find((f) => f['EventID'] === 1);
    assert.ok(creation);
    assert.equal(creation['process.command_line'], creation['CommandLine']);
    assert.equal(creation['process.parent.executable'], creation['ParentImage']);
    assert.deepEqual(creation['event.category'], ['process']);
    assert.equal(creation['event.module'], 'sysmon');
  });

  it('map Security 4688 to the new process, with its ProcessId as the parent', () => {
    const { fields } = windowsEventFields({
      Event: {
        System: { Provider: { '#attributes': { Name: 'Microsoft-Windows-Security-Auditing' } }, EventID: 4688, Channel: 'Security', Computer: 'fs01' },
        EventData: { NewProcessId: '0x1a2c', NewProcessName: 'C:\\Windows\\System32\\whoami.exe', ProcessId: '0x3e8', ParentProcessName: 'C:\\Windows\\System32\\cmd.exe', CommandLine: 'whoami /all' },
      },
    });
    assert.equal(fields['process.pid'], '0x1a2c');
    assert.equal(fields['process.parent.pid'], '0x3e8');
    assert.equal(fields['process.executable'], 'C:\\Windows\\System32\\whoami.exe');
    assert.equal(fields['process.name'], 'whoami.exe');
    assert.equal(fields['process.parent.executable'], 'C:\\Windows\\System32\\cmd.exe');
    assert.equal(fields['process.command_line'], 'whoami /all');
  });
});
