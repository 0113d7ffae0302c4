/**
 * The built-in detections as a user meets them: real attack logs go in through `vigil ingest`
 * (no server: the embedded pipeline, GeoIP enrichment and the built-in pack on by default) and
 * the alerts come out of `vigil alerts --json`, each naming its rule, author and entities.
 */
import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { corpusHas, corpusPath } from '../support/corpus.js';
import { runCli, startVigil } from '../support/vigil-process.js';

interface AlertLine {
  id: string;
  ruleTitle: string;
  ruleAuthor: string;
  ruleId: string;
  level: string;
  eventIds: string[];
  details: { entities?: Record<string, unknown>; tags?: string[] };
}

interface Coverage {
  events: number;
  cannotFire: { title: string; author: string; id: string; reason: string }[];
  techniques: { technique: string }[];
}

const OPENSSH = ['loghub', 'OpenSSH_2k.log'];
const SPRAY = ['evtx-attack-samples', 'Credential Access', 'kerberos_pwd_spray_4771.evtx'];
const present = corpusHas(...OPENSSH) && corpusHas(...SPRAY);

it('vigil ingest then vigil alerts --json: SSH brute force from exactly the six sources, the Kerberos spray, entities and authors', { timeout: 180_000, skip: !present && 'corpus absent: ../shared/corpus' }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-acceptance-'));
  try {
    const data = join(dir, 'data');
    const ingest = await runCli(['ingest', corpusPath(...OPENSSH), corpusPath(...SPRAY), '--data', data, '--json']);
    assert.equal(ingest.code, 0, ingest.stderr);
    const out = await runCli(['alerts', '--json', '--limit', '10000', '--data', data]);
    assert.equal(out.code, 0, out.stderr);
    const alerts = out.stdout.trim().split('\n').map((l) => JSON.parse(l) as AlertLine);

    const bruteForce = alerts.filter((a) => a.ruleTitle === 'SSH Brute Force From One Source');
    const sources = [...new Set(bruteForce.map((a) => String(a.details.entities?.['source.ip'])))].sort();
    assert.deepEqual(sources, ['103.99.0.122', '112.95.230.3', '183.62.140.253', '185.190.58.151', '187.141.143.180', '5.188.10.180']);
    assert.ok(bruteForce.every((a) => a.eventIds.length >= 10), 'each brute-force alert names the failures it counted');
    assert.equal(alerts.filter((a) => a.ruleTitle === 'SSH Login Success After Brute Force From Same Source').length, 0);

    const spray = alerts.filter((a) => /Kerberos/.test(a.ruleTitle) && /Spray/i.test(a.ruleTitle));
    assert.equal(spray.length, 1, alerts.map((a) => a.ruleTitle).join('; '));
    assert.equal(spray[0]!.details.entities?.['source.ip'], '172.16.66.1');

    // Enrichment at alert time and risk: the worst source's alert knows its country and network, and its risk.
    const worstAlert = bruteForce.find((a) => a.details.entities?.['source.ip'] === '183.62.140.253')!;
    const geo = (worstAlert.details as { context?: { geo?: Record<string, Record<string, unknown>> } }).context?.geo?.['183.62.140.253'];
    assert.equal(geo?.['geo.country_iso_code'], 'CN');
    assert.equal(typeof geo?.['as.number'], 'number');
    assert.equal(typeof (worstAlert.details as { risk?: Record<string, number> }).risk?.['source.ip=183.62.140.253'], 'number');
    for (const a of alerts) {
      assert.equal(a.ruleAuthor, 'Vigil', `${a.ruleTitle}: author`);
      assert.ok(a.ruleId.length > 0 && a.level.length > 0);
      assert.ok(Object.keys(a.details.entities ?? {}).length > 0, `${a.ruleTitle}: entities`);
      assert.ok((a.details.tags ?? []).some((t) => t.startsWith('attack.t')), `${a.ruleTitle}: ATT&CK technique`);
    }

    // Events were enriched before the rules saw them: the worst source has a country.
    const search = await runCli(['search', 'source.ip:183.62.140.253', '--data', data, '--json', '--limit', '1']);
    assert.equal(search.code, 0, search.stderr);
    assert.match(search.stdout, /"source\.geo\.country_iso_code":"CN"/);

    // vigil coverage, from the data folder, then from the running server: the same answer.
    const offline = await runCli(['coverage', '--json', '--data', data]);
    assert.equal(offline.code, 0, offline.stderr);
    const report = JSON.parse(offline.stdout) as Coverage;
    // Every stored event is judged: OpenSSH_2k's 2,000 lines and the spray file's 12 records.
    assert.equal(report.events, 2012);
    const cannot = new Map(report.cannotFire.map((c) => [c.title, c]));
    assert.equal(cannot.get('SSH Brute Force From One Source'), undefined);
    assert.equal(cannot.get('AWS CloudTrail Logging Stopped or Deleted')?.reason, 'log-source-never-seen');
    assert.ok(report.cannotFire.every((c) => c.author === 'Vigil' && c.id.length > 0));
    assert.ok(report.techniques.some((t) => t.technique === 'T1110'));
    const server = await startVigil(data);
    try {
      const live = await runCli(['coverage', '--json', '--data', data]);
      assert.equal(live.code, 0, live.stderr);
      assert.deepEqual(JSON.parse(live.stdout), report);
      const text = await runCli(['coverage', '--data', data]);
      assert.match(text.stdout, /Rules that cannot fire here/);
      assert.match(text.stdout, /ATT&CK techniques covered by rules that can fire/);

      // Triage through the running server: grouped alerts, moves with history, suppressions that take effect at once.
      const worst = bruteForce.filter((a) => a.details.entities?.['source.ip'] === '183.62.140.253');
      assert.equal(worst.length, 1, 'one alert for the worst source, its detections grouped');
      assert.ok((worst[0] as unknown as { count: number }).count >= 20);
      const id = worst[0]!.id;
      assert.equal((await runCli(['alert', id, 'ack', '--data', data])).code, 0);
      const refused = await runCli(['alert', id, 'close', '--data', data]);
      assert.notEqual(refused.code, 0);
      assert.match(refused.stderr, /closing needs a verdict/);
      const closed = await runCli(['alert', id, 'close', '--verdict', 'true_positive', '--comment', 'blocked at the firewall', '--json', '--data', data]);
      assert.equal(closed.code, 0, closed.stderr);
      const after = JSON.parse(closed.stdout) as { state: string; verdict: string; history: { by: string; action: string }[] };
      assert.equal(after.state, 'closed');
      assert.equal(after.verdict, 'true_positive');
      assert.deepEqual(after.history.map((h) => [h.by, h.action]), [['vigil', 'created'], ['admin', 'state'], ['admin', 'state']]);
      const suppress = await runCli(['suppress', 'add', '--field', 'source.ip=187.141.143.180', '--reason', 'pen test', '--for', '1d', '--json', '--data', data]);
      assert.equal(suppress.code, 0, suppress.stderr);
      const again = await runCli(['ingest', corpusPath(...OPENSSH), '--data', data, '--json']);
      assert.equal(again.code, 0, again.stderr);
      const listed = JSON.parse((await runCli(['suppress', 'list', '--json', '--data', data])).stdout.trim()) as { hits: number };
      assert.ok(listed.hits > 0, 'the suppression dropped detections of the second pass');
      const noisy = await runCli(['rules', 'noisy', '--all', '--json', '--data', data]);
      assert.equal(noisy.code, 0, noisy.stderr);
      const figures = noisy.stdout.trim().split('\n').map((l) => JSON.parse(l) as { ruleTitle: string; verdicts: { true_positive: number }; suppressed: number });
      const bf = figures.find((f) => f.ruleTitle === 'SSH Brute Force From One Source');
      assert.equal(bf?.verdicts.true_positive, 1);
      assert.ok((bf?.suppressed ?? 0) > 0);
    } finally {
      await server.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
