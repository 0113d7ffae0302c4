/**
 * History means the same on ClickHouse as on DuckDB. Real data (the hunt-parity corpus: OpenSSH_2k,
 * the Kerberos spray, the created-then-deleted account, the cleared log) is ingested with
 * `vigil ingest` into DuckDB, then copied batch by batch into the ClickHouse event store (chdb,
 * embedded ClickHouse). On both: the query language (query-language.test.ts's questions, with
 * their independently counted figures where they are cheap to restate), the retro-hunt of every
 * shipped rule (hunt-parity.test.ts), and a retention run followed by a chain verify.
 */
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { EventStore, Store } from '../../src/core/store.js';
import { builtinPlaceholders } from '../../src/detect/builtin-rules.js';
import { DetectionRun, type Detection } from '../../src/detect/detection.js';
import { huntOver } from '../../src/detect/retro-hunt.js';
import { LogsourceMap } from '../../src/detect/sigma/logsource-map.js';
import { loadRules } from '../../src/detect/sigma/rule-loader.js';
import { planQuery, runQuery } from '../../src/search/query-plan.js';
import { ChdbEngine } from '../../src/store/clickhouse/chdb-engine.js';
import { ClickHouseEventStore } from '../../src/store/clickhouse/clickhouse-store.js';
import { DuckDbStore } from '../../src/store/duckdb/duckdb-store.js';
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
const TENANT = 'default';

/** The questions of test/e2e/query-language.test.ts (and a few more shapes), asked of both stores. */
const QUERIES = [
  '"Failed password" AND source.ip:183.62.140.253 | stats count()',
  '"Failed password"',
  'failed',
  'user.name:root AND "Failed password"',
  '"Failed password" AND source.ip:183.62.14?.*',
  '"Failed password" AND user.name:adm*',
  '"POSSIBLE BREAK-IN ATTEMPT"',
  'process.pid>25000',
  'process.pid >= 25000',
  'process.pid<24300',
  '"Failed password" AND source.ip:183.0.0.0/8',
  '"Failed password" AND source.ip:112.64.0.0/10',
  'source.ip:*',
  '"Failed password" AND NOT source.ip:183.62.140.253',
  '("Failed password" OR "Invalid user") AND NOT user.name:root',
  '"Failed password" | stats count() by source.ip | head 3',
  '"Failed password" | stats dc(source.ip)',
  '"Failed password" | top 2 source.ip',
  '"Failed password" | stats count() as n by source.ip | sort n, source.ip | head 1',
  '"Failed password" | timechart span=1h count()',
  '"Failed password" | sort -process.pid | head 5 | fields process.pid, source.ip',
  'EventID:4771 | stats count() by event.outcome, host.name',
  'EventID:*47* | stats count(), dc(user.name), min(EventID), max(EventID) by source.kind',
  'Channel:Security AND NOT EventID:4771 | sort EventID',
  'authentication failure | timechart span=10m count() by host.name',
  '* | stats count() by source.kind, event.outcome | sort source.kind, -count()',
  'source.geo.country_iso_code:* | top 5 source.geo.country_iso_code',
  'source.ip:* | stats avg(process.pid), sum(source.as.number) by host.name',
  '"pam_unix(sshd:auth)" AND NOT user.name:* | head 20',
  'message:*break-in*',
];

describe('history on ClickHouse and on DuckDB gives the same answers', { skip: present ? false : 'corpus absent: ../shared/corpus', timeout: 300_000 }, () => {
  let dir: string;
  let duck: DuckDbStore;
  let ch: EventStore;
  let copied = 0;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-ch-parity-'));
    const data = join(dir, 'data');
    await writeFile(join(dir, 'vigil.yaml'), 'alerts:\n  groupWindowMinutes: 0\n  budget: { perRuleDaily: 0 }\n  risk: { enabled: false }\ndetection:\n  beacons: { enabled: false }\n');
    const ingest = await runCli(['ingest', ...FILES.map((f) => corpusPath(...f)), '--data', data, '--config', join(dir, 'vigil.yaml'), '--json']);
    assert.equal(ingest.code, 0, ingest.stderr);
    duck = await DuckDbStore.open({ path: join(data, 'events.duckdb'), readOnly: true, memoryLimit: '256MB', threads: 1 });
    ch = await ClickHouseEventStore.open(await ChdbEngine.open(join(dir, 'clickhouse')), { chainKey: randomBytes(32) });
    // Batch by batch in stored order, as the store role would append what the bus delivers.
    let cursor: string | undefined;
    do {
      const page = await duck.scanEvents({ tenant: TENANT, limit: 1000, ...(cursor ? { cursor } : {}) });
      await ch.appendEvents(page.events);
      copied += page.events.length;
      cursor = page.cursor;
    } while (cursor);
  });

  after(async () => {
    await ch?.close();
    await duck?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('holds every event, unchanged', async () => {
    assert.ok(copied > 2000, `${copied} events`);
    assert.equal(await ch.countEvents(TENANT), await duck.countEvents(TENANT));
    const sample = await duck.search({ tenant: TENANT, query: { kind: 'all' }, limit: 300 });
    assert.deepEqual(await ch.eventsByIds(TENANT, sample.hits.map((e) => e.id)), sample.hits);
  });

  it('answers every question of the query language alike, the acceptance figure included', async () => {
    const ask = async (store: Store | EventStore, text: string) => {
      const out = await runQuery(store as Store, planQuery(text), { tenant: TENANT, limit: 10_000 });
      if (out.kind === 'table') return { columns: out.table.columns, rows: out.table.rows, truncated: out.table.truncated };
      return { total: out.result.total, ids: out.result.hits.map((h) => h.id), fields: out.fields };
    };
    for (const text of QUERIES) {
      const expected = await ask(duck, text);
      assert.deepEqual(await ask(ch, text), expected, text);
      assert.ok((expected.total ?? expected.rows?.length ?? 0) > 0, `${text} finds something: a question without an answer proves nothing`);
    }
    const ssh = (await readFile(corpusPath('loghub', 'OpenSSH_2k.log'), 'utf8')).split('\n');
    assert.deepEqual((await ask(ch, QUERIES[0]!)).rows, [[ssh.filter((l) => /Failed password.*183\.62\.140\.253/.test(l)).length]]);
    assert.deepEqual((await ask(ch, QUERIES[0]!)).rows, [[286]]);
  });

  it('hunts every shipped rule over history to the same detections', async () => {
    const ruleSet = loadRules([RULES], { placeholders: builtinPlaceholders() });
    const hunt = async (store: Pick<Store, 'scanEvents'>) => {
      const found: string[] = [];
      const emit = (d: Detection) => found.push(`${d.kind} ${d.rule.id} ${d.time} ${d.eventIds.join(',')}`);
      const progress = await huntOver(store, TENANT, new DetectionRun(ruleSet, LogsourceMap.load()), emit);
      assert.equal(progress.events, copied);
      return found;
    };
    const onDuck = await hunt(duck);
    assert.ok(onDuck.length >= 40, `${onDuck.length} detections`);
    assert.deepEqual(await hunt(ch), onDuck, 'same detections in the same order');
  });

  it('deletes under retention what DuckDB would, and the chain still verifies with its signatures', async () => {
    const before = await ch.verifyChain();
    assert.deepEqual(before.problems, []);
    assert.equal(before.events, copied);
    assert.equal(before.signaturesChecked, true);
    // DuckDB is opened read-only here: its side of the figure is counted with a search.
    const oldest = await duck.search({ tenant: TENANT, query: { kind: 'all' }, sort: [{ field: '@timestamp', descending: false }], limit: 1 });
    const cutoff = (oldest.hits[0]?.received ?? 0) + 1;
    const expired = (await duck.scanEvents({ tenant: TENANT, limit: 10_000 })).events.filter((e) => e.received < cutoff && e.source.kind === 'file').length;
    assert.ok(expired > 0);
    const run = await ch.enforceRetention({ rule: 'files', selector: { tenant: TENANT, sourceKind: 'file' }, except: [], cutoff, now: Date.now() });
    assert.equal(run.deleted, expired);
    assert.equal(run.signed, true);
    const report = await ch.verifyChain();
    assert.deepEqual(report.problems, []);
    assert.equal(report.events, copied - expired);
    assert.equal(report.tombstones, expired);
    assert.equal(await ch.countEvents(TENANT), copied - expired);
  });
});
