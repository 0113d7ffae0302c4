/**
 * evtxNativeFields: the flat names Sigma rules use for Windows events (`EventID`, `Channel`,
 * `Image`, `TargetUserName`…), read from decoded Sysmon and Security records.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { corpusHas, corpusPath } from '../../../test/support/corpus.js';
import { decodeEvtx } from './evtx-decoder.js';
import { evtxNativeFields } from './evtx-native-fields.js';
import { BinXmlWriter, buildChunk, buildEvtx, templateInstance, utf16Value } from '../../../test/support/evtx-fixture-builder.js';

const SYSMON = 'sigma/regression_data/rules-threat-hunting/windows/image_load/image_load_win_werfaultsecure_dbgcore_dbghelp_load/8a2f4b1c-3d5e-4f7a-9b2c-1e4f6d8a9c2b.evtx';
const SECURITY = 'sigma/regression_data/rules/windows/builtin/security/win_security_susp_scheduled_task_delete_or_disable/7595ba94-cf3b-4471-aa03-4f6baa9e5fad.evtx';
const WMI = 'sigma/regression_data/rules/windows/builtin/wmi/win_wmi_activity_nteventlogfile_cleareventlog/d4f1a2b3-7c8e-4d5f-b6a9-1e0c2d3f4e5b.evtx';

function firstRecordFields(path: string): ReturnType<typeof evtxNativeFields> {
  const { records } = decodeEvtx(readFileSync(corpusPath(path)));
  assert.ok(records[0] !== undefined);
  return evtxNativeFields(records[0].event);
}

test('a Sysmon image-load record gives System fields and every EventData value by name', (t) => {
  if (!corpusHas(SYSMON)) return t.skip(`corpus absent: ${SYSMON}`);
  const f = firstRecordFields(SYSMON);
  assert.equal(f['EventID'], 7);
  assert.equal(f['Channel'], 'Microsoft-Windows-Sysmon/Operational');
  assert.equal(f['Computer'], 'swachchhanda');
  assert.equal(f['Provider_Name'], 'Microsoft-Windows-Sysmon');
  assert.equal(f['Level'], 4);
  assert.equal(f['Task'], 7);
  assert.equal(f['Opcode'], 0);
  assert.equal(f['Keywords'], '0x8000000000000000');
  assert.equal(f['EventRecordID'], 571146);
  assert.equal(f['TimeCreated'], '2025-11-27T07:40:10.165324Z');
  assert.equal(f['ProcessID'], 3544);
  assert.equal(f['ThreadID'], 4272);
  assert.equal(f['UserID'], 'S-1-5-18');
  assert.equal(f['Image'], 'C:\\Windows\\System32\\WerFaultSecure.exe');
  assert.equal(f['ImageLoaded'], 'C:\\Windows\\System32\\dbgcore.dll');
  assert.equal(f['ProcessId'], 4460);
  assert.equal(f['ProcessGuid'], '0197231E-005A-6928-A50B-000000000D00');
  assert.equal(f['Signed'], 'true');
});

test('a Security 4701 record gives Subject* and task fields; an empty Security element gives no UserID', (t) => {
  if (!corpusHas(SECURITY)) return t.skip(`corpus absent: ${SECURITY}`);
  const f = firstRecordFields(SECURITY);
  assert.equal(f['EventID'], 4701);
  assert.equal(f['Channel'], 'Security');
  assert.equal(f['Provider_Name'], 'Microsoft-Windows-Security-Auditing');
  assert.equal(f['SubjectUserSid'], 'S-1-5-21-2555720767-1205513275-3893774561-1001');
  assert.equal(f['SubjectUserName'], 'xodih');
  assert.equal(f['SubjectLogonId'], '0x3144c');
  assert.equal(f['TaskName'], '\\Microsoft\\Windows\\SystemRestore\\SR');
  assert.equal(f['ClientProcessId'], 5204);
  assert.equal(f['UserID'], undefined);
});

test('UserData leaves are flattened by their own names', (t) => {
  if (!corpusHas(WMI)) return t.skip(`corpus absent: ${WMI}`);
  const f = firstRecordFields(WMI);
  assert.equal(f['ClientProcessId'], 25920);
  assert.equal(f['ResultCode'], '0x80041003');
  assert.match(String(f['Operation']), /cleareventlog$/);
});

test('hostile Data names cannot reach the prototype or replace System fields', () => {
  const body = (w: BinXmlWriter): void => {
    w.open('Event', false).closeStart();
    w.open('System', false).closeStart().open('EventID', false).closeStart().text('4688').end().end();
    w.open('EventData', false).closeStart();
    for (const [i, name] of ['__proto__', 'EventID', 'constructor', 'NewProcessName'].entries()) {
      w.open('Data', true).attribute('Name').text(name).closeStart().sub(i, 0x01).end();
    }
    w.end().end();
  };
  const values = ['{"polluted":true}', '1', 'x', 'C:\\Windows\\System32\\cmd.exe'].map(utf16Value);
  const { records, damage } = decodeEvtx(buildEvtx([buildChunk([(w) => void templateInstance(w, body, values)], 1)]));
  assert.deepEqual(damage, []);
  const f = evtxNativeFields(records[0]?.event ?? {});
  assert.deepEqual(f, { EventID: '4688', NewProcessName: 'C:\\Windows\\System32\\cmd.exe' });
  assert.equal(Object.getPrototypeOf(f), Object.prototype);
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
});
