import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { corpusHas, corpusPath } from '../../../test/support/corpus.js';
import { jsonRecordMapping } from '../../parsers/json/index.js';
import { LogsourceMap } from './logsource-map.js';
import { runRuleTests } from './rule-tests.js';

const routing = LogsourceMap.load();

describe('vigil rules test', () => {
  it('all 202 SigmaHQ regression tests pass, run as live detection runs them (routing and mappings included)', { skip: !corpusHas('sigma', 'regression_data') && 'corpus absent: set VIGIL_CORPUS' }, async () => {
    const folders = ['rules', 'rules-emerging-threats', 'rules-threat-hunting'].map((f) => corpusPath('sigma', f));
    const results = await runRuleTests(folders, { routing, mapping: jsonRecordMapping });
    const regression = results.filter((r) => r.test.startsWith('regression'));
    assert.equal(regression.length, 202);
    assert.deepEqual(regression.filter((r) => !r.passed).map((r) => `${r.file}: ${r.detail}`), []);
  });

  it('runs the positive and negative examples beside a rule, and says which failed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-rule-tests-'));
    try {
      writeFileSync(
        join(dir, 'whoami.yml'),
        [
          'title: Whoami',
          'id: 6ef1c1f4-1a3a-4a4b-9a51-2f5d2bd4c001',
          'author: Vigil tests',
          'logsource: { product: windows, category: process_creation }',
          'detection:',
          '  selection: { Image|endswith: \\whoami.exe }',
          '  condition: selection',
          'level: low',
        ].join('\n'),
      );
      writeFileSync(
        join(dir, 'whoami.tests.yml'),
        [
          'positive:',
          '  - { Event: { System: { EventID: 1, Channel: Microsoft-Windows-Sysmon/Operational }, EventData: { Image: C:\\Windows\\System32\\whoami.exe } } }',
          '  - { EventID: 4688, Channel: Security, NewProcessName: C:\\Windows\\System32\\WHOAMI.EXE }',
          'negative:',
          '  - { EventID: 1, Channel: Microsoft-Windows-Sysmon/Operational, Image: C:\\Windows\\System32\\cmd.exe }',
          '  - { EventID: 1, Channel: Microsoft-Windows-Sysmon/Operational, Image: C:\\Windows\\System32\\whoami.exe }',
        ].join('\n'),
      );
      const results = await runRuleTests([dir], { routing, mapping: jsonRecordMapping });
      assert.deepEqual(
        results.map((r) => [r.test, r.passed]),
        [
          ['positive 1', true],
          ['positive 2', true],
          ['negative 1', true],
          ['negative 2', false],
        ],
      );
      assert.match(results[3]!.detail, /negative example/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
