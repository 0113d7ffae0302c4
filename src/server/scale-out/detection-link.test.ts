import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { pino } from 'pino';
import { natsServerMissing, startNatsServer, type NatsCluster } from '../../../test/support/nats-server.js';
import { parseConfig } from '../../core/config.js';
import { newId } from '../../core/ids.js';
import { Metrics } from '../../core/metrics.js';
import type { AlertRecord } from '../../core/store.js';
import type { AlertNotice } from '../../alerts/alert-feed.js';
import { DuckDbStore } from '../../store/duckdb/duckdb-store.js';
import { dataFolder, ensureDataFolder } from '../data-folder.js';
import { openDetectionStack, type DetectionStack } from '../detection-stack.js';
import { linkDetection, type DetectionLink } from './detection-link.js';

function detection(user: string): AlertRecord {
  const now = Date.now();
  return {
    id: newId(now),
    tenant: 'default',
    created: now,
    ruleId: 'ssh-brute-force',
    ruleTitle: 'SSH brute force',
    ruleAuthor: 'Vigil',
    level: 'high',
    eventIds: [newId(now)],
    state: 'new',
    details: { entities: { 'user.name': user }, time: new Date(now).toISOString() },
  };
}

/**
 * Two processes in one: "combined" runs api and detect (its own detection stack), "console" runs
 * the api role alone; each has its own NATS connection. The DuckDB store stands in for the
 * PostgreSQL both would share.
 */
describe('the detection link: an api role with and without the detect role in its process', { skip: natsServerMissing() }, () => {
  let nats: NatsCluster;
  let dir: string;
  let store: DuckDbStore;
  let stack: DetectionStack;
  let combined: DetectionLink;
  let console: DetectionLink;
  const connections: NatsConnection[] = [];
  const toldConsole: AlertNotice[] = [];

  before(async () => {
    nats = await startNatsServer();
    dir = await mkdtemp(join(tmpdir(), 'vigil-link-'));
    const config = parseConfig({ data: dir, detection: { reloadSeconds: 0 } });
    const folder = dataFolder(config.data);
    ensureDataFolder(folder);
    store = await DuckDbStore.open({ path: join(dir, 'state.duckdb') });
    const log = pino({ level: 'silent' });
    stack = await openDetectionStack({ config, folder, store, readsEvents: true, geoip: undefined, metrics: new Metrics(), log });
    const link = async (api: boolean, detection: DetectionStack | undefined) => {
      const connection = await connect({ servers: [...nats.urls] });
      connections.push(connection);
      return linkDetection({ config, folder, store, connection, api, detection, metrics: new Metrics(), log, closedCheckMs: 60_000 });
    };
    combined = await link(true, stack);
    console = await link(true, undefined);
    console.http.alertFeed!.subscribe((n) => toldConsole.push(n));
  });
  after(async () => {
    await combined.close();
    await console.close();
    for (const c of connections) await c.close();
    await stack.stopWatching();
    await stack.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
    await nats.stop();
  });

  async function until(check: () => boolean | Promise<boolean>, ms = 3000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error('not within the time');
      await sleep(10);
    }
  }

  it('tells the api-only process of alerts the other raised, and the other of its triage', async () => {
    await stack.intake.raise([detection('carol')]);
    await until(() => toldConsole.some((n) => n.change === 'raised'));
    const id = toldConsole.find((n) => n.change === 'raised')!.id;
    const toldCombined: AlertNotice[] = [];
    const stop = combined.http.alertFeed!.subscribe((n) => toldCombined.push(n));
    try {
      await console.http.triage!.apply('default', id, { action: 'ack' }, 'ana');
      await until(() => toldCombined.some((n) => n.id === id && n.change === 'updated'));
    } finally {
      stop();
    }
  });

  it('makes the detect role open a new alert after the api-only process closed one', async () => {
    await stack.intake.raise([detection('dave')]);
    const [first] = (await store.listAlerts('default', 10, { text: 'ssh' })).filter((a) => JSON.stringify(a.details).includes('dave'));
    const received = combined.relay.stats().received;
    await console.http.triage!.apply('default', first!.id, { action: 'close', verdict: 'true_positive' }, 'ana');
    // Told by message (the closure, then the change; the store check is a minute away in this test).
    await until(() => combined.relay.stats().received >= received + 2);
    await stack.intake.raise([detection('dave')]);
    const dave = (await store.listAlerts('default', 10, { text: 'ssh' })).filter((a) => JSON.stringify(a.details).includes('dave'));
    assert.equal(dave.length, 2, 'a new alert for the group');
    assert.equal(dave.find((a) => a.id === first!.id)!.count, 1, 'the closed alert took no detection');
  });

  it('gives the api-only process the risk of the detect process and a rule catalog of its own', async () => {
    const risk = await console.http.risk!('default', 10);
    assert.ok(risk.some((e) => e.value === 'carol' && e.score > 0), JSON.stringify(risk));
    assert.notEqual(console.http.rules, combined.http.rules);
    assert.equal(console.http.rules!.list().length, stack.catalog.list().length);
    assert.equal(console.http.response, undefined, 'no playbooks configured: no response runs to show');
  });
});
