/**
 * Acceptance over the shared corpus of real logs: every data file gets the format it really is,
 * at least 99 % of its records become structured fields, and the records carry the fields of
 * their source (a CloudTrail record is recognised as AWS, a Zeek line as Zeek…), not merely
 * flattened JSON. Needs `../shared/corpus` (or VIGIL_CORPUS); skips with a message without it.
 */
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import type { Event } from '../../core/event.js';
import { jsonRecordMapping } from '../../parsers/json/index.js';
import { CORPUS_ROOT, corpusHas } from '../../../test/support/corpus.js';
import { checkFile } from './file-check.js';

interface Expectation {
  readonly path: RegExp;
  readonly format: string;
  /** What a record of this source must carry once parsed. */
  readonly marker?: (e: Event) => boolean;
  /** Share of records that must carry the marker (default all). */
  readonly markerShare?: number;
}

const has = (...keys: string[]) => (e: Event) => keys.every((k) => e.fields[k] !== undefined);
const is = (key: string, value: unknown) => (e: Event) => e.fields[key] === value;
const windows = has('EventID', 'Channel', 'Computer');

/** First match wins. */
const EXPECTED: readonly Expectation[] = [
  { path: /\.evtx$/, format: 'evtx', marker: windows },
  { path: /^sigma\/regression_data\/.*\.jsoncls?$|^sigma\/regression_data\/.*\.json$/, format: 'json-document', marker: windows },
  { path: /^sigma\/regression_data\/.*\.raw$/, format: 'syslog', marker: is('cisco.ios.mnemonic', 'CFGLOG_LOGGEDCMD') },
  { path: /^elastic-beats-auditd\/.*\.log$|^security-datasets\/linux\/.*\.log$/, format: 'auditd', marker: has('auditd.message_type', 'auditd.sequence') },
  { path: /^elastic-examples\/apache_access_combined\.log$/, format: 'web', marker: has('http.request.method', 'http.response.status_code', 'source.ip') },
  { path: /^loghub\/Apache_2k\.log$/, format: 'web', marker: has('log.level') },
  { path: /^loghub\/(Linux|OpenSSH)_2k\.log$/, format: 'syslog', marker: has('host.name', 'process.name') },
  { path: /^panther-analysis-tests\/azure-.*\.logs\.ndjson$/, format: 'json', marker: is('cloud.provider', 'azure') },
  // 8 of Panther's 143 are hand-made fragments (`{"methodName": …}` alone), not LogEntries.
  { path: /^panther-analysis-tests\/gcp-audit\.logs\.ndjson$/, format: 'json', marker: is('cloud.provider', 'gcp'), markerShare: 0.94 },
  { path: /^panther-analysis-tests\/.*\.ndjson$/, format: 'json' },
  { path: /^security-datasets\/linux\/syslog_sysmon_.*\.json$/, format: 'json', marker: has('EventID', 'Channel'), markerShare: 0.8 },
  { path: /^security-datasets\/linux\/syslog_auoms_.*\.json$/, format: 'json', marker: is('auditd.message_type', 'AUOMS_EXECVE') },
  { path: /^security-datasets\/windows\/.*\.json$/, format: 'json', marker: windows },
  { path: /^(security-datasets\/zeek|zed-sample-data\/zeek-default)\/.*\.log$/, format: 'zeek', marker: is('event.module', 'zeek') },
  { path: /^zed-sample-data\/zeek-json\/.*\.json$/, format: 'json', marker: is('event.module', 'zeek') },
  { path: /^zed-sample-data\/derived\/.*rfc5424\.log$/, format: 'syslog', marker: (e) => e.format === 'rfc5424' },
  { path: /^stratus-red-team\/.*\.json$/, format: 'json-document', marker: is('cloud.provider', 'aws') },
  { path: /^suricata-sample-data\/.*alerts-only\.json$/, format: 'json-document', marker: is('event.module', 'suricata') },
  { path: /^suricata-sample-data\/.*\.ndjson$/, format: 'json', marker: is('event.module', 'suricata') },
  { path: /^wazuh-ruleset-tests\/cases\.jsonl$/, format: 'json' },
  { path: /^wazuh-ruleset-tests\/ini\/.*\.ini$/, format: 'wazuh-logtest' },
];

/** Not logs: licences, descriptions, rule files and the corpus's own indexes. */
const NOT_DATA = /(^|\/)(LICENSE[^/]*|CITATION|README[^/]*|[^/]*\.ya?ml|[^/]*\.md)$|^sigma\/rules|^sigma\/regression_mapping\.jsonl$|^expected\//;

function dataFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    const rel = relative(CORPUS_ROOT, path);
    if (NOT_DATA.test(rel)) continue;
    if (statSync(path).isDirectory()) dataFiles(path, out);
    else out.push(rel);
  }
  return out;
}

describe('every data file of the corpus', { skip: corpusHas('README.md') ? false : `corpus not found at ${CORPUS_ROOT}; set VIGIL_CORPUS` }, () => {
  const files = corpusHas('README.md') ? dataFiles(CORPUS_ROOT) : [];

  it('has an expectation: a new kind of file in the corpus needs a line in EXPECTED', () => {
    assert.ok(files.length > 400, `only ${files.length} data files found`);
    const unknown = files.filter((f) => !EXPECTED.some((x) => x.path.test(f)));
    assert.deepEqual(unknown, []);
  });

  it('is detected as what it is, parsed to at least 99 %, and carries the fields of its source', async () => {
    const problems: string[] = [];
    for (const file of files) {
      const expected = EXPECTED.find((x) => x.path.test(file));
      if (!expected) continue;
      let marked = 0;
      const check = await checkFile(join(CORPUS_ROOT, file), 'auto', jsonRecordMapping, (e) => {
        if (expected.marker?.(e)) marked++;
      });
      if (check.format !== expected.format) problems.push(`${file}: detected ${check.format}, expected ${expected.format}`);
      if (check.records === 0) problems.push(`${file}: no records`);
      else if (check.parsed / check.records < 0.99) problems.push(`${file}: ${check.parsed} of ${check.records} parsed; e.g. ${check.failures.join(' | ')}`);
      if (expected.marker && marked < (expected.markerShare ?? 1) * check.records) {
        problems.push(`${file}: ${marked} of ${check.records} records carry the fields of their source`);
      }
    }
    assert.deepEqual(problems, []);
  });
});
