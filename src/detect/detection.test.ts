/**
 * Correlations over real attack logs: the Kerberos spray of EVTX-ATTACK-SAMPLES fires a
 * value_count rule once; the account created and deleted 78 s later (EVTX-to-MITRE-Attack)
 * fires a temporal_ordered rule once. The base rules only feed the correlations
 * (`generate: false`), so they raise nothing on their own.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { corpusHas, corpusPath } from '../../test/support/corpus.js';
import { jsonRecordMapping } from '../parsers/json/index.js';
import { checkFile } from '../sources/file/file-check.js';
import { DetectionRun, type Detection } from './detection.js';
import { LogsourceMap } from './sigma/logsource-map.js';
import { loadRules } from './sigma/rule-loader.js';

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/sigma/correlations', import.meta.url));
const SPRAY = ['evtx-attack-samples', 'Credential Access', 'kerberos_pwd_spray_4771.evtx'];
const CREATED_DELETED = ['evtx-to-mitre-attack', 'TA0003-Persistence', 'T1136-Create account', 'ID4720-4726 Fast created-deleted user.evtx'];

async function detectionsOf(file: string): Promise<Detection[]> {
  const set = loadRules([FIXTURES]);
  assert.deepEqual(set.failed, []);
  const run = new DetectionRun(set, LogsourceMap.load());
  const out: Detection[] = [];
  await checkFile(file, 'auto', jsonRecordMapping, (event) => out.push(...run.process(event)));
  out.push(...run.flush());
  return out;
}

describe('correlations on real attack logs', () => {
  it('Kerberos spraying: nine accounts refused from one address within nine seconds fire the value_count rule once', { skip: !corpusHas(...SPRAY) && 'corpus absent' }, async () => {
    const detections = await detectionsOf(corpusPath(...SPRAY));
    assert.deepEqual(detections.map((d) => [d.kind, d.rule.title]), [['correlation', 'Kerberos Password Spraying From One Address']]);
    const [hit] = detections;
    assert.ok(hit?.kind === 'correlation');
    assert.equal(hit.rule.author, 'Vigil tests');
    assert.equal(hit.rule.level, 'high');
    assert.match(String(hit.hit.group['IpAddress']), /172\.16\.66\.1$/);
    assert.ok(hit.hit.value >= 5);
    assert.equal(hit.eventIds.length, hit.hit.value);
  });

  it('an account created and deleted 78 seconds later fires the temporal_ordered rule once', { skip: !corpusHas(...CREATED_DELETED) && 'corpus absent' }, async () => {
    const detections = await detectionsOf(corpusPath(...CREATED_DELETED));
    assert.deepEqual(detections.map((d) => [d.kind, d.rule.title]), [['correlation', 'User Created Then Deleted Within Two Minutes']]);
    const [hit] = detections;
    assert.ok(hit?.kind === 'correlation');
    assert.deepEqual(hit.hit.group, { TargetUserName: 'admin-kriss' });
    assert.equal(hit.eventIds.length, 2);
  });
});
