import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { parseConfig } from '../../core/config.js';
import { Metrics } from '../../core/metrics.js';
import { isVigilError } from '../../core/errors.js';
import { DuckDbStore } from '../../store/duckdb/duckdb-store.js';
import { dataFolder, ensureDataFolder } from '../data-folder.js';
import { IMPORT_ELSEWHERE, openDetectionViews, type DetectionViews } from './detection-views.js';

const CLOUDTRAIL_RULE = { id: 'a1b35411-a59d-4a20-943e-d259f11400e9', title: 'AWS CloudTrail Logging Stopped or Deleted', author: 'Vigil' };

describe('the rule catalog of an api role without the detect role', () => {
  let dir: string;
  let store: DuckDbStore;
  let views: DetectionViews;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-views-'));
    const config = parseConfig({ data: dir, detection: { reloadSeconds: 0 } });
    const folder = dataFolder(config.data);
    ensureDataFolder(folder);
    store = await DuckDbStore.open({ path: join(dir, 'events.duckdb') });
    views = await openDetectionViews({ config, folder, store, metrics: new Metrics(), log: pino({ level: 'silent' }), switchRefreshMs: 50 });
  });
  after(async () => {
    views.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('lists the rules the detect roles load from the same configuration, with author, id and title', () => {
    const rules = views.catalog.list();
    assert.ok(rules.length > 50, `${rules.length} rules`);
    const rule = views.catalog.find(CLOUDTRAIL_RULE.id);
    assert.deepEqual({ id: rule?.id, title: rule?.title, author: rule?.author }, CLOUDTRAIL_RULE);
    assert.equal(rule?.builtin, true);
    assert.match(rule?.file ?? '', /^builtin\//);
    assert.match(views.catalog.source(CLOUDTRAIL_RULE.id) ?? '', /StopLogging/);
  });

  it('shows a rule switched through another process once it re-reads the store', async () => {
    assert.equal(views.catalog.enabled('default', CLOUDTRAIL_RULE.id), true);
    await store.setRuleState({ tenant: 'default', ruleId: CLOUDTRAIL_RULE.id, enabled: false, changed: Date.now(), changedBy: 'elsewhere' });
    const deadline = Date.now() + 2000;
    while (views.catalog.enabled('default', CLOUDTRAIL_RULE.id) && Date.now() < deadline) await sleep(20);
    assert.equal(views.catalog.enabled('default', CLOUDTRAIL_RULE.id), false);
  });

  it('refuses a rule import, saying where to import instead', async () => {
    await assert.rejects(
      () => views.catalog.import([{ path: 'x.yml', content: 'title: x' }]),
      (e: unknown) => isVigilError(e) && e.status === 409 && e.message === IMPORT_ELSEWHERE && /--role detect/.test(e.message),
    );
  });

  it('reports detection coverage of the loaded rules: with no event stored, no rule can fire', async () => {
    const report = await views.coverage('default');
    assert.equal(report.events, 0);
    assert.equal(report.canFire.rules, 0);
    assert.ok(report.enabled.rules > 50, `${report.enabled.rules} rules enabled`);
  });
});
