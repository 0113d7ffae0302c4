import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { Fields } from '../../core/event.js';
import { corpusHas, corpusPath } from '../../../test/support/corpus.js';
import { mapJsonRecord } from '../json/json-mapping.js';
import { mapBulkDocument } from '../json/bulk-mapping.js';
import { windowsEventFromJson, windowsShapeOf } from './windows-json-shapes.js';

const WHEN = '2026-11-28T10:00:00.000Z';
const DATA = { Image: 'C:\\Windows\\System32\\cmd.exe', CommandLine: 'cmd.exe /c whoami', User: 'CORP\\bob' };

const EVTX_DUMP = {
  Event: {
    System: {
      Provider: { '#attributes': { Name: 'Microsoft-Windows-Sysmon' } },
      EventID: 1,
      Channel: 'Microsoft-Windows-Sysmon/Operational',
      Computer: 'ws1.corp.local',
      EventRecordID: 7,
      TimeCreated: { '#attributes': { SystemTime: WHEN } },
    },
    EventData: { ...DATA, ProcessId: 1444 },
  },
};
const WINLOGBEAT = {
  '@timestamp': WHEN,
  event: { code: '1', kind: 'event' },
  host: { name: 'ws1.corp.local' },
  winlog: { event_id: '1', channel: 'Microsoft-Windows-Sysmon/Operational', computer_name: 'ws1.corp.local', provider_name: 'Microsoft-Windows-Sysmon', record_id: 7, event_data: { ...DATA, ProcessId: '1444' } },
};
const NXLOG = { EventTime: '2026-11-28 10:00:00', Hostname: 'ws1.corp.local', EventID: 1, SourceName: 'Microsoft-Windows-Sysmon', Channel: 'Microsoft-Windows-Sysmon/Operational', RecordNumber: 7, TimeCreated: WHEN, SeverityValue: 2, ...DATA, ProcessId: 1444 };
const MORDOR = { ...NXLOG, '@version': '1', '@timestamp': WHEN, host: 'wec.corp.local', port: 58056, Message: 'Process Create: …' };

/** The native (Sigma) names: not ECS, which are lower-case and dotted. */
function native(fields: Fields): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([k]) => /^[A-Z]/.test(k) && !k.includes('.')));
}

describe('Windows events as JSON', () => {
  it('recognises the four shapes people ship', () => {
    assert.deepEqual([EVTX_DUMP, WINLOGBEAT, NXLOG, MORDOR].map(windowsShapeOf), ['evtx_dump', 'winlogbeat', 'nxlog', 'nxlog']);
    assert.equal(windowsShapeOf({ EventID: 1 }), undefined);
  });

  it('gives the same native fields for the same event in every shape', () => {
    const expected = {
      EventID: 1,
      Channel: 'Microsoft-Windows-Sysmon/Operational',
      Computer: 'ws1.corp.local',
      Provider_Name: 'Microsoft-Windows-Sysmon',
      EventRecordID: 7,
      TimeCreated: WHEN,
      ...DATA,
      ProcessId: 1444,
    };
    for (const shape of [EVTX_DUMP, WINLOGBEAT, NXLOG, MORDOR]) {
      const event = windowsEventFromJson(shape)!;
      assert.deepEqual(native(event.fields), expected, `shape ${event.shape}`);
      assert.equal(event.fields['process.command_line'], 'cmd.exe /c whoami');
      assert.equal(event.time, Date.parse(WHEN));
    }
  });

  it('adds them on every JSON input: NDJSON ingest and Elasticsearch _bulk (Winlogbeat)', () => {
    const limits = { maxJsonDepth: 32, maxFieldsPerEvent: 1024 };
    const viaIngest = mapJsonRecord(NXLOG, limits);
    assert.equal(viaIngest.fields['EventID'], 1);
    assert.equal(viaIngest.fields['Computer'], 'ws1.corp.local');
    const viaBulk = mapBulkDocument(WINLOGBEAT, { index: 'winlogbeat-8.17.0', id: undefined }, limits);
    assert.equal(viaBulk.fields['CommandLine'], 'cmd.exe /c whoami');
    assert.equal(viaBulk.fields['winlog.event_data.CommandLine'], 'cmd.exe /c whoami', 'the shipper\'s own fields stay');
    const dump = mapJsonRecord(EVTX_DUMP, limits);
    assert.equal(dump.fields['Event.System.EventID'], undefined, 'no evtx_dump nesting noise');
    assert.equal(dump.fields['EventID'], 1);
  });

  it('reads the OTRF Security-Datasets Windows exports with their native names', (t) => {
    const file = corpusPath('security-datasets', 'windows', 'schtask_create_2020-12-1907003032.json');
    if (!corpusHas('security-datasets', 'windows', 'schtask_create_2020-12-1907003032.json')) return t.skip(`corpus absent: ${file}`);
    const records = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as unknown);
    const events = records.map((r) => windowsEventFromJson(r));
    assert.ok(events.every((e) => e !== undefined && typeof e.fields['EventID'] === 'number' && typeof e.fields['Computer'] === 'string'));
    assert.ok(events.some((e) => e!.fields['EventID'] === 4698), 'the scheduled task creation is there');
  });
});
