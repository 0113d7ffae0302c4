/**
 * A rule is one thing with one meaning: a retro-hunt (`vigil hunt`) over stored history gives
 * the same hits the live engine raised on the same events, correlations and behaviour rules
 * included. Real data: OpenSSH_2k, the Kerberos spray and the created-then-deleted account.
 */
import { strict as assert } from 'node:assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { it } from 'node:test';
import { corpusHas, corpusPath } from '../support/corpus.js';
import { runCli } from '../support/vigil-process.js';

const RULES = fileURLToPath(new URL('../../config/rules', import.meta.url));
const FILES = [
  ['loghub', 'OpenSSH_2k.log'],
  ['evtx-attack-samples', 'Credential Access', 'kerberos_pwd_spray_4771.evtx'],
  ['evtx-to-mitre-attack', 'TA0003-Persistence', 'T1136-Create account', 'ID4720-4726 Fast created-deleted user.evtx'],
  ['evtx-to-mitre-attack', 'TA0005-Defense Evasion', 'T1070.001-Clear Windows event logs', 'ID104-1102-Event log cleared.evtx'],
];
const present = FILES.every((f) => corpusHas(...f));

it('vigil hunt over stored history finds exactly what live detection raised on the same events', { timeout: 180_000, skip: !present && 'corpus absent: ../shared/corpus' }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-hunt-'));
  try {
    const data = join(dir, 'data');
    // Raw detections live: no grouping, no budget, no risk alerts (they are not rules).
    await writeFile(join(dir, 'vigil.yaml'), 'alerts:\n  groupWindowMinutes: 0\n  budget: { perRuleDaily: 0 }\n  risk: { enabled: false }\ndetection:\n  beacons: { enabled: false }\n');
    const ingest = await runCli(['ingest', ...FILES.map((f) => corpusPath(...f)), '--data', data, '--config', join(dir, 'vigil.yaml'), '--json']);
    assert.equal(ingest.code, 0, ingest.stderr);
    const alerts = await runCli(['alerts', '--json', '--limit', '10000', '--data', data, '--config', join(dir, 'vigil.yaml')]);
    const live = alerts.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { ruleId: string; details: { time: string } })
      .map((a) => `${a.ruleId} ${a.details.time}`)
      .sort();
    assert.ok(live.length >= 40, `${live.length} live alerts`);

    const hunt = await runCli(['hunt', RULES, '--json', '--data', data, '--config', join(dir, 'vigil.yaml')]);
    assert.equal(hunt.code, 0, hunt.stderr);
    const retro = hunt.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { rule: { id: string; author: string }; timestamp: string })
      .map((d) => `${d.rule.id} ${d.timestamp}`)
      .sort();
    assert.deepEqual(retro, live);
    assert.match(hunt.stderr, /stored events hunted/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
