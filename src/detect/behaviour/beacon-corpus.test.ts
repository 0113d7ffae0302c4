/**
 * The beacon detector on real Zeek logs. Neither capture holds a host talking to the internet
 * (every address is private), so with the defaults nothing can fire; each is also run with a
 * narrower "internal" network, so that real, machine-made traffic gets scored, to see what the
 * scoring makes of it and that every alert is sound.
 *
 * - security-datasets LSASS_campaign_01: one workstation, its domain controller and an attacker
 *   host, 26 seconds of traffic.
 * - zed-sample-data (WRCCDC 2018, Zeek logs of a student defence competition): red-team hosts
 *   (10.128.0.0/9 and up) attacking the teams' networks (10.47.0.0/16) with automated tools;
 *   the only internet addresses are in notice.log (TLS certificate validation notices).
 *   There is no conn.log in zed-sample-data; its rdp, ssh, ntlm, smb_mapping, dce_rpc, ftp and
 *   kerberos logs each carry the connection's addresses and ports, so they are connection-like.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import type { Event } from '../../core/event.js';
import type { AlertRecord } from '../../core/store.js';
import { jsonRecordMapping } from '../../parsers/json/index.js';
import { checkFile } from '../../sources/file/file-check.js';
import { corpusHas, corpusPath } from '../../../test/support/corpus.js';
import { BeaconDetector, type BeaconDetectorOptions } from './beacon-detector.js';

const LSASS = ['security-datasets', 'zeek', 'LSASS_campaign_01'];
const ZED = ['zed-sample-data'];

interface Run {
  readonly detector: BeaconDetector;
  readonly alerts: AlertRecord[];
  readonly events: Map<string, Event>;
}

async function runOn(files: readonly string[], options: BeaconDetectorOptions): Promise<Run> {
  const detector = new BeaconDetector(options);
  const alerts: AlertRecord[] = [];
  const events = new Map<string, Event>();
  for (const file of files) {
    const check = await checkFile(file, 'auto', jsonRecordMapping, (event) => {
      events.set(event.id, event);
      alerts.push(...detector.detect([event]));
    });
    assert.equal(check.raw, 0, `${file}: ${check.failures.join(' | ')}`);
  }
  return { detector, alerts, events };
}

function filesIn(...parts: string[]): string[] {
  const dir = corpusPath(...parts);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.log') || f.endsWith('.json'))
    .sort()
    .map((f) => join(dir, f));
}

/** Every alert names a pair with enough connections, a score over the threshold, and events of that pair. */
function assertSound(run: Run, minConnections: number, threshold: number): void {
  for (const alert of run.alerts) {
    const d = alert.details;
    const entities = d['entities'] as Record<string, string | number>;
    assert.ok((d['checkIns'] as number) >= minConnections && (d['connections'] as number) >= minConnections, JSON.stringify(d));
    assert.ok((d['score'] as number) >= threshold);
    assert.ok(alert.eventIds.length > 0 && alert.eventIds.length <= 100);
    for (const id of alert.eventIds) {
      const event = run.events.get(id);
      assert.ok(event, `alert names an event that was not read: ${id}`);
      assert.equal(event.fields['source.ip'], entities['source.ip']);
      if (entities['destination.ip'] !== undefined) assert.equal(event.fields['destination.ip'], entities['destination.ip']);
      if (entities['destination.port'] !== undefined) assert.equal(event.fields['destination.port'], entities['destination.port']);
    }
  }
}

function report(t: TestContext, run: Run): void {
  t.diagnostic(`stats ${JSON.stringify(run.detector.stats)}, pairs kept ${run.detector.pairs}`);
  for (const a of run.alerts) {
    t.diagnostic(`ALERT ${a.level} ${a.details['score']} ${JSON.stringify(a.details['entities'])} ${a.details['checkIns']} check-ins every ${(a.details['interval'] as { medianSeconds: number }).medianSeconds} s`);
  }
  for (const p of run.detector.topPairs(6)) {
    t.diagnostic(`pair ${p.source} → ${p.destination}${p.port === undefined ? '' : `:${p.port}`}: ${p.connections} connections, ${p.checkIns} check-ins, ${p.score ?? p.notScored}${p.medianIntervalSeconds === null ? '' : `, median gap ${p.medianIntervalSeconds} s`}`);
  }
}

describe('beacon detection on real Zeek logs', () => {
  it('LSASS campaign (Security-Datasets): no alert, since no internal host talks to an external address', { skip: !corpusHas(...LSASS) && 'corpus absent (security-datasets/zeek/LSASS_campaign_01)' }, async (t) => {
    const run = await runOn([corpusPath(...LSASS, 'conn.log')], {});
    report(t, run);
    assert.equal(run.detector.stats.events, 112);
    assert.equal(run.detector.stats.connections, 0);
    assert.deepEqual(run.alerts, []);
  });

  it('LSASS campaign with only the workstation internal: its DNS to the domain controller is scored, and 26 s of traffic is no beacon', { skip: !corpusHas(...LSASS) && 'corpus absent (security-datasets/zeek/LSASS_campaign_01)' }, async (t) => {
    const files = filesIn(...LSASS);
    const run = await runOn(files, { internalNetworks: ['192.168.1.41/32'] });
    report(t, run);
    assert.ok(run.detector.stats.connections > 100);
    assert.ok(run.detector.stats.scored > 0);
    assertSound(run, 20, 0.8);
    assert.deepEqual(run.alerts, []);
    const dns = run.detector.topPairs().find((p) => p.destination === '192.168.1.4' && p.port === 53);
    assert.ok(dns && dns.score !== null && dns.score < 0.8, JSON.stringify(dns));
  });

  it('zed-sample-data (WRCCDC 2018): no alert with the defaults; the only outbound records are TLS certificate notices, at most 3 per destination', { skip: !corpusHas(...ZED) && 'corpus absent (zed-sample-data)' }, async (t) => {
    const files = [...filesIn(...ZED, 'zeek-json'), ...filesIn(...ZED, 'zeek-default')];
    const run = await runOn(files, {});
    report(t, run);
    assert.ok(run.detector.stats.events > 10_000);
    assert.ok(run.detector.stats.connections > 0 && run.detector.stats.connections < 1_000);
    assert.equal(run.detector.stats.scored, 0);
    assert.deepEqual(run.detector.topPairs(), []); // no pair reached minConnections
    assert.deepEqual(run.alerts, []);
  });

  it('zed-sample-data with the red team as "internal": a 1 s RDP brute force is not a timer; SMB automation every 12 s scores 0.70 to 0.75, below the default threshold', { skip: !corpusHas(...ZED) && 'corpus absent (zed-sample-data)' }, async (t) => {
    const files = filesIn(...ZED, 'zeek-json');
    const internal = { internalNetworks: ['10.128.0.0/9'] };

    const strict = await runOn(files, internal);
    report(t, strict);
    assert.deepEqual(strict.alerts, []);
    const top = strict.detector.topPairs(500);
    const rdp = top.filter((p) => p.source === '10.164.94.120' && p.port === 3389 && p.connections >= 100);
    assert.ok(rdp.length >= 5, 'the RDP brute force pairs are kept');
    for (const p of rdp) assert.ok(p.notScored === 'period-too-short' || (p.score ?? 0) < 0.8, JSON.stringify(p));

    // Lowered to 0.7, the SMB automation fires: check the alerts are sound.
    const loose = await runOn(files, { ...internal, threshold: 0.7 });
    report(t, loose);
    assertSound(loose, 20, 0.7);
    assert.ok(loose.alerts.length >= 1 && loose.alerts.length <= 5, String(loose.alerts.length));
    for (const a of loose.alerts) {
      const e = a.details['entities'] as Record<string, unknown>;
      assert.equal(e['destination.port'], 445);
      assert.equal(a.level, 'medium');
    }
  });
});
