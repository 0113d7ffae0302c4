/**
 * A rule is one thing with one meaning: the same rules over the same files give the same
 * detections live (`vigil serve`, files sent with `vigil ingest`, alerts read from the API) as
 * one-shot (`vigil scan --json`), correlations included. Real data: the EVTX files of
 * EVTX-ATTACK-SAMPLES and the created-then-deleted account of EVTX-to-MITRE-Attack, with
 * SigmaHQ's Windows rules and Vigil's correlation fixtures.
 */
import { strict as assert } from 'node:assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { corpusHas, corpusPath } from '../support/corpus.js';
import { runCli, startVigil } from '../support/vigil-process.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/sigma/correlations', import.meta.url));
const present = corpusHas('evtx-attack-samples') && corpusHas('sigma', 'rules', 'windows');

it('live detection and vigil scan find the same detections in the same files', { timeout: 180_000, skip: !present && 'corpus absent: set VIGIL_CORPUS' }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-parity-'));
  const rules = [corpusPath('sigma', 'rules', 'windows'), FIXTURES];
  const files = [corpusPath('evtx-attack-samples'), corpusPath('evtx-to-mitre-attack', 'TA0003-Persistence', 'T1136-Create account')];
  try {
    const scan = await runCli(['scan', ...files, '--rules', ...rules, '--json']);
    assert.equal(scan.code, 0, scan.stderr);
    const offline = scan.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { rule: { id: string }; timestamp: string })
      .map((d) => `${d.rule.id} ${d.timestamp}`)
      .sort();
    assert.ok(offline.length >= 40, `only ${offline.length} detections offline`);
    assert.ok(offline.some((d) => d.startsWith('2f8e1c1a-5b7e-4f1e-9a41-7d3c1b0a9e02 ')), 'the spray correlation fired offline');

    // Raw detections on both sides: no grouping, no budget, no risk alerts on the live side.
    await writeFile(join(dir, 'vigil.yaml'), `detection:\n  rules: ${JSON.stringify(rules)}\n  reloadSeconds: 0\nalerts:\n  groupWindowMinutes: 0\n  budget: { perRuleDaily: 0 }\n  risk: { enabled: false }\n`);
    const server = await startVigil(join(dir, 'data'), ['--config', join(dir, 'vigil.yaml')]);
    try {
      const ingest = await runCli(['ingest', ...files, '--data', join(dir, 'data'), '--json']);
      assert.equal(ingest.code, 0, ingest.stderr);
      let live: string[] = [];
      for (let i = 0; i < 200 && live.length < offline.length; i++) {
        const res = await fetch(`${server.info.http}/api/v1/alerts?limit=10000`, { headers: { authorization: `Bearer ${server.token}` } });
        const body = (await res.json()) as { alerts: { ruleId: string; ruleAuthor: string; details: { time: string } }[] };
        assert.ok(body.alerts.every((a) => typeof a.ruleAuthor === 'string'));
        live = body.alerts.map((a) => `${a.ruleId} ${a.details.time}`).sort();
        if (live.length < offline.length) await sleep(100);
      }
      assert.deepEqual(live, offline);
    } finally {
      await server.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
