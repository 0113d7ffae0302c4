/**
 * The detection commands as an analyst runs them: `vigil rules lint` names every rule that
 * does not load and why, in text and JSON; `vigil scan` prints a table with the rule's author
 * and a summary by level.
 */
import { strict as assert } from 'node:assert';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { corpusHas, corpusPath } from '../support/corpus.js';
import { runCli } from '../support/vigil-process.js';

it('vigil rules lint reports loaded, skipped and failed rules with reasons, and exits 1 on failures', { timeout: 60_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-lint-'));
  try {
    await mkdir(join(dir, 'sub'));
    await writeFile(
      join(dir, 'good.yml'),
      'title: Good\nid: 8c1d0e4a-2b3c-4d5e-8f90-a1b2c3d4e5f6\nlogsource: { product: linux, service: sshd }\ndetection:\n  keywords: [Invalid user]\n  condition: keywords\nlevel: low\n',
    );
    await writeFile(join(dir, 'sub', 'old.yml'), 'title: Old\nstatus: deprecated\nlogsource: { product: windows }\ndetection:\n  s: { EventID: 1 }\n  condition: s\n');
    await writeFile(join(dir, 'sub', 'typo.yml'), 'title: Typo\nlogsource: { product: windows }\ndetection:\n  selection: { Image|endswit: x.exe }\n  condition: selection\n');
    await writeFile(join(dir, 'sub', 'cond.yml'), 'title: Cond\nlogsource: { product: windows }\ndetection:\n  selection: { EventID: 1 }\n  condition: selectoin\n');
    const json = await runCli(['rules', 'lint', dir, '--json']);
    assert.equal(json.code, 1);
    const report = JSON.parse(json.stdout) as { loaded: number; skipped: number; failed: { file: string; reason: string }[] };
    assert.equal(report.loaded, 1);
    assert.equal(report.skipped, 1);
    assert.deepEqual(report.failed.map((f) => f.file.split('/').pop()).sort(), ['cond.yml', 'typo.yml']);
    assert.match(report.failed.find((f) => f.file.endsWith('typo.yml'))!.reason, /endswit/);
    assert.match(report.failed.find((f) => f.file.endsWith('cond.yml'))!.reason, /selectoin/);
    const text = await runCli(['rules', 'lint', dir]);
    assert.match(text.stdout, /1 rules loaded, 0 correlations, 0 behaviour rules, 0 filters, 1 skipped \(deprecated or unsupported\), 2 failed/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

it('vigil scan prints detections with level, title and author, and a summary by level', { timeout: 60_000, skip: !corpusHas('evtx-attack-samples') && 'corpus absent' }, async () => {
  const file = corpusPath('evtx-attack-samples', 'Privilege Escalation', 'System_7045_namedpipe_privesc.evtx');
  const rules = corpusPath('sigma', 'rules', 'windows', 'builtin', 'system');
  const out = await runCli(['scan', file, '--rules', rules]);
  assert.equal(out.code, 0, out.stderr);
  assert.match(out.stdout, /^time\s+level\s+rule\s+author\s+host\s+user\s+details$/m);
  assert.match(out.stdout, /high\s+Meterpreter or Cobalt Strike Getsystem Service Installation - System\s+Teymur Kheirkhabarov.*ServiceName: WinPwnage/);
  assert.match(out.stdout, /1 events from 1 file\(s\)/);
  assert.match(out.stdout, /detections: critical \d+, high [1-9]\d*, medium \d+, low \d+, informational \d+/);
});
