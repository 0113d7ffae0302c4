import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadRules } from './rule-loader.js';

const RULE = (category: string) => `title: t
id: b18c9d4c-fac9-4708-bd06-dd5bfacf200f
logsource:
    category: ${category}
    product: windows
detection:
    selection:
        CommandLine|contains: x
    condition: selection
`;

describe('loadRules on broken YAML', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-rule-loader-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  // Found by test/fuzz/sigma-loader-fuzz.test.ts: the YAML library throws from toJS (not into
  // doc.errors) and the exception escaped loadRules, so one bad file broke a whole reload.
  it('reports an alias to a missing anchor as a failed file, and loads the other files', () => {
    writeFileSync(join(dir, 'bad.yml'), RULE('*process_creation'));
    writeFileSync(join(dir, 'good.yml'), RULE('process_creation').replace('b18c9d4c', 'c18c9d4c'));
    const set = loadRules([dir]);
    assert.equal(set.rules.length, 1);
    assert.equal(set.failed.length, 1);
    assert.match(set.failed[0]!.file, /bad\.yml$/);
    assert.match(set.failed[0]!.reason, /^YAML: .*alias/i);
  });

  it('reports a billion-laughs file (too many aliases) as a failed file', () => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 10; i++) lines.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`);
    writeFileSync(join(dir, 'laughs.yml'), `${lines.join('\n')}\n`);
    const started = performance.now();
    const set = loadRules([join(dir, 'laughs.yml')]);
    assert.ok(performance.now() - started < 1000);
    assert.equal(set.failed.length, 1);
    assert.match(set.failed[0]!.reason, /^YAML: /);
  });
});
