import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createEvent, type Event } from '../core/event.js';
import { Metrics } from '../core/metrics.js';
import { SigmaDetector } from './sigma-detector.js';

const rule = (title: string, image: string) =>
  [
    `title: ${title}`,
    'id: 5d7c2a10-0f5e-4b7a-9a3b-1c2d3e4f5a6b',
    'author: Vigil tests',
    'tags: [attack.execution, attack.t1059]',
    'logsource: { product: windows, category: process_creation }',
    'detection:',
    `  selection: { Image|endswith: '${image}' }`,
    '  condition: selection',
    'level: high',
  ].join('\n');

function sysmon1(image: string, tenant = 'acme'): Event {
  return createEvent({
    tenant,
    received: Date.now(),
    time: Date.UTC(2026, 10, 28, 10),
    source: { input: 'test', kind: 'file' },
    format: 'windows',
    original: '{}',
    fields: { EventID: 1, Channel: 'Microsoft-Windows-Sysmon/Operational', Computer: 'ws1', Image: image, 'host.name': 'ws1' },
  });
}

describe('live Sigma detection', () => {
  it('turns a match into an alert with the rule id, title, level, author, tags and the event id, in the event tenant', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-detector-'));
    try {
      writeFileSync(join(dir, 'whoami.yml'), rule('Whoami Execution', '\\whoami.exe'));
      const metrics = new Metrics();
      const detector = await SigmaDetector.open({ rules: [dir], reloadSeconds: 0, metrics });
      const event = sysmon1('C:\\Windows\\System32\\whoami.exe');
      const [alert, ...rest] = detector.detect([event, sysmon1('C:\\Windows\\System32\\cmd.exe')]);
      assert.equal(rest.length, 0);
      assert.equal(alert?.tenant, 'acme');
      assert.equal(alert?.ruleId, '5d7c2a10-0f5e-4b7a-9a3b-1c2d3e4f5a6b');
      assert.equal(alert?.ruleTitle, 'Whoami Execution');
      assert.equal(alert?.ruleAuthor, 'Vigil tests');
      assert.equal(alert?.level, 'high');
      assert.deepEqual(alert?.eventIds, [event.id]);
      assert.deepEqual(alert?.details['tags'], ['attack.execution', 'attack.t1059']);
      assert.equal(alert?.details['host'], 'ws1');
      assert.deepEqual(alert?.details['entities'], { 'host.name': 'ws1' });
      const text = await metrics.registry.getSingleMetricAsString('vigil_detections_total');
      assert.match(text, /kind="rule",level="high"} 1/);
      detector.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reloads changed rule files without a restart, and keeps the old set when the new one loads nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-detector-'));
    try {
      const file = join(dir, 'rule.yml');
      writeFileSync(file, rule('Whoami Execution', '\\whoami.exe'));
      const detector = await SigmaDetector.open({ rules: [dir], reloadSeconds: 0 });
      assert.equal(detector.detect([sysmon1('C:\\x\\net.exe')]).length, 0);
      assert.equal(await detector.reload(), false, 'nothing changed');
      writeFileSync(file, rule('Net Execution', '\\net.exe') + '\n# edited\n');
      assert.equal(await detector.reload(), true);
      assert.equal(detector.detect([sysmon1('C:\\x\\net.exe')])[0]?.ruleTitle, 'Net Execution');
      writeFileSync(file, 'title: broken\ndetection: {}\n');
      assert.equal(await detector.reload(), false);
      assert.equal(detector.detect([sysmon1('C:\\x\\net.exe')])[0]?.ruleTitle, 'Net Execution');
      detector.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
