/**
 * Partitioned detection as an operator runs it: a real nats-server, a fresh PostgreSQL schema
 * and two `vigil serve --role detect` processes with `scaleOut.detect` (4 detection partitions,
 * workers 0 and 1). The test publishes a generated stream (late events, old data replayed,
 * quiet spells, two tenants; rules with every correlation and behaviour type) onto the events
 * stream, and reads the alerts the workers raised from PostgreSQL. With grouping and budgets
 * off, each detection is one alert: the correlation and behaviour alerts equal, one for one,
 * the detections of one `DetectionRun` over the same events, also in a run where the worker
 * reading the events is killed with SIGKILL mid-stream and started again (it resumes its
 * partitions from their checkpoints; what it delivered after them comes again and is dropped
 * by detection id).
 */
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { JetStreamBus } from '../../src/bus/jetstream/jetstream-bus.js';
import { partitionOf } from '../../src/bus/jetstream/event-subjects.js';
import type { Event } from '../../src/core/event.js';
import { DetectionRun, type Detection } from '../../src/detect/detection.js';
import { generate } from '../support/generated-detection-stream.js';
import { difference } from '../../src/detect/partition/partitioned-run.test-support.js';
import { LogsourceMap } from '../../src/detect/sigma/logsource-map.js';
import { loadRules } from '../../src/detect/sigma/rule-loader.js';
import type { Alert } from '../../src/core/alert.js';
import { PostgresStateStore } from '../../src/store/postgres/postgres-state-store.js';
import { TEST_POSTGRES_URL, adminQuery, dropSchema, uniqueSchema, withPostgres } from '../../src/store/postgres/postgres-test-server.js';
import { startRole, type RoleProcess } from '../support/role-process.js';
import { natsServerMissing, startNatsServer, type NatsCluster } from '../support/nats-server.js';

const RULES = fileURLToPath(new URL('../fixtures/sigma/partition-synthetic', import.meta.url));
const EVENT_PARTITIONS = 4;
const DETECT_PARTITIONS = 4;
const TENANTS = ['acme', 'globex'];
const STREAM = { name: 'VIGIL_EVENTS', partitions: EVENT_PARTITIONS, maxBytes: 256 * 1024 ** 2, consumers: [{ name: 'store' }, { name: 'detect', partitioned: true }] };

function startDetect(config: string, data: string): Promise<RoleProcess> {
  return startRole({ config, data, roles: 'detect' });
}

/** What an alert shows of a correlation or behaviour detection, comparable with a DetectionRun's. */
function detectionText(d: Detection): string | undefined {
  if (d.kind === 'correlation') {
    const h = d.hit;
    return text(['correlation', d.tenant, d.rule.id, d.rule.level, h.type, h.group, iso(h.windowStart), iso(h.windowEnd), h.value, d.eventIds, h.eventIdsTruncated]);
  }
  if (d.kind === 'behaviour') {
    const h = d.hit;
    return text(['behaviour', d.tenant, d.rule.id, d.rule.level, h.type, h.group, iso(d.time), h.value, h.observed, d.eventIds]);
  }
  return undefined;
}

function alertText(a: Alert): string | undefined {
  const x = a.details as Record<string, unknown>;
  if (x['kind'] === 'correlation') {
    const w = x['window'] as { start: string; end: string };
    return text(['correlation', a.tenant, a.ruleId, a.level, x['type'], x['group'], w.start, w.end, x['value'], a.eventIds, x['eventIdsTruncated']]);
  }
  if (x['kind'] === 'behaviour') return text(['behaviour', a.tenant, a.ruleId, a.level, x['type'], x['group'], x['time'], x['value'], x['observed'], a.eventIds]);
  return undefined;
}

const iso = (ms: number) => new Date(ms).toISOString();
/** Through JSON and back, so both sides spell values alike (undefined dropped, -0 as 0). */
const text = (value: unknown[]) => JSON.stringify(JSON.parse(JSON.stringify(value)));

/** One process, no flush: what live detection has reported once the last event is in. */
function singleProcess(events: readonly Event[]): string[] {
  const run = new DetectionRun(loadRules([RULES]), LogsourceMap.load());
  const out: string[] = [];
  for (const e of events) for (const d of run.process(e)) {
    const t = detectionText(d);
    if (t !== undefined) out.push(t);
  }
  return out;
}

interface Deployment {
  readonly workers: RoleProcess[];
  readonly configs: string[];
  readonly dataDirs: string[];
  readonly state: PostgresStateStore;
  readonly schema: string;
  readonly bus: JetStreamBus;
  close(): Promise<void>;
}

async function deploy(nats: NatsCluster, dir: string, checkpointSeconds: number): Promise<Deployment> {
  const schema = uniqueSchema('vigil_detect_workers');
  const configs: string[] = [];
  const dataDirs: string[] = [];
  for (const worker of [0, 1]) {
    const config = join(dir, `vigil-w${worker}.yaml`);
    writeFileSync(
      config,
      [
        'scaleOut:',
        `  nats: { servers: ["${nats.urls[0]}"], partitions: ${EVENT_PARTITIONS}, maxBytes: ${STREAM.maxBytes} }`,
        `  clickhouse: { path: "${join(dir, 'clickhouse')}" }`,
        `  postgres: { url: "${TEST_POSTGRES_URL}", schema: ${schema}, poolSize: 4 }`,
        `  detect: { partitions: ${DETECT_PARTITIONS}, workers: 2, worker: ${worker}, checkpointSeconds: ${checkpointSeconds} }`,
        'pipeline: { batchSize: 200 }',
        `detection: { builtin: false, rules: ["${RULES}"], reloadSeconds: 0 }`,
        // One detection, one alert: no grouping, no daily budget, no risk alerts.
        'alerts: { groupWindowMinutes: 0, budget: { perRuleDaily: 0 }, risk: { enabled: false } }',
        'log: { level: warn }',
        '',
      ].join('\n'),
    );
    configs.push(config);
    const data = join(dir, `w${worker}`);
    mkdirSync(data);
    dataDirs.push(data);
  }
  const workers = await Promise.all(configs.map((c, i) => startDetect(c, dataDirs[i]!)));
  const state = await PostgresStateStore.open({ url: TEST_POSTGRES_URL, schema });
  const bus = await JetStreamBus.open({ servers: [...nats.urls], stream: STREAM });
  return {
    workers,
    configs,
    dataDirs,
    state,
    schema,
    bus,
    close: async () => {
      for (const w of workers) await w.stop().catch(() => undefined);
      await bus.close();
      await state.close();
      await dropSchema(schema).catch(() => undefined);
    },
  };
}

async function stateAlerts(state: PostgresStateStore): Promise<string[]> {
  const out: string[] = [];
  for (const tenant of TENANTS) for (const a of await state.listAlerts(tenant, 10_000)) {
    const t = alertText(a);
    if (t !== undefined) out.push(t);
  }
  return out;
}

/** Correlation and behaviour detections delivered by the partitions of one worker (ids d:<epoch>:<partition>:…). */
async function delivered(d: Deployment, worker: number): Promise<number> {
  const [row] = await adminQuery<{ n: string }>(`SELECT count(*) AS n FROM detect_deliveries WHERE id LIKE 'd:%' AND split_part(id, ':', 3)::int % 2 = $1`, [worker], d.schema);
  return Number(row!.n);
}

/** Checkpoints saved by the partitions of one worker. */
async function checkpointed(d: Deployment, worker: number): Promise<number> {
  const [row] = await adminQuery<{ n: string }>('SELECT count(*) AS n FROM detect_checkpoints WHERE partition % 2 = $1', [worker], d.schema);
  return Number(row!.n);
}

/** Waits until the workers raised `count` correlation and behaviour alerts, then a moment more (a repeat would show). */
async function settled(d: Deployment, count: number, ms = 120_000): Promise<string[]> {
  const deadline = Date.now() + ms;
  let alerts = await stateAlerts(d.state);
  while (alerts.length < count && Date.now() < deadline) {
    await sleep(500);
    alerts = await stateAlerts(d.state);
  }
  await sleep(3000);
  return stateAlerts(d.state);
}

function assertSame(expected: readonly string[], alerts: readonly string[], d: Deployment): void {
  const { onlyFirst, onlySecond } = difference(expected, alerts);
  assert.deepEqual(
    { onlySingleProcess: onlyFirst.slice(0, 5), onlyWorkers: onlySecond.slice(0, 5), missing: onlyFirst.length, extra: onlySecond.length },
    { onlySingleProcess: [], onlyWorkers: [], missing: 0, extra: 0 },
    `worker output:\n${d.workers.map((w) => w.output().slice(-2000)).join('\n---\n')}`,
  );
}

await withPostgres('detect workers end to end', () => {
  const missing = natsServerMissing();
  describe('two detect workers (vigil serve --role detect, scaleOut.detect) over NATS and PostgreSQL', { skip: missing, timeout: 600_000 }, () => {
    const events = generate(21, 4000);
    const expected = singleProcess(events);
    // Events without host.name all route to one events partition: that worker runs the stateless stage.
    const statelessWorker = partitionOf('', EVENT_PARTITIONS) % 2;
    const cleanups: (() => Promise<void>)[] = [];
    after(async () => {
      for (const c of cleanups.reverse()) await c().catch(() => undefined);
    });

    it('the fixture stream sets off correlations and behaviour detections of every kind', () => {
      const kinds = new Set(expected.map((t) => `${(JSON.parse(t) as string[])[0]}:${(JSON.parse(t) as string[])[4]}`));
      assert.ok(expected.length > 300, `${expected.length} detections`);
      assert.ok([...kinds].some((k) => k.startsWith('correlation:')) && [...kinds].some((k) => k.startsWith('behaviour:')), [...kinds].join(' '));
    });

    it('alerts equal one DetectionRun on the same events', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'vigil-detect-workers-'));
      const nats = await startNatsServer();
      cleanups.push(async () => {
        await nats.stop();
        await rm(dir, { recursive: true, force: true });
      });
      const d = await deploy(nats, dir, 0.5);
      cleanups.push(() => d.close());
      const started = performance.now();
      for (let at = 0; at < events.length; at += 250) await d.bus.publish(events.slice(at, at + 250));
      const alerts = await settled(d, expected.length);
      process.stdout.write(`# detect workers: ${events.length} events, ${alerts.length} correlation and behaviour alerts in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
      assertSame(expected, alerts, d);
      const rows = await adminQuery<{ partition: number }>('SELECT partition FROM detect_checkpoints ORDER BY partition', [], d.schema);
      assert.deepEqual(rows.map((r) => r.partition), [0, 1, 2, 3], 'each partition saved its checkpoint');
    });

    it('also when the worker reading the events is killed with SIGKILL mid-stream and started again', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'vigil-detect-workers-'));
      const nats = await startNatsServer();
      cleanups.push(async () => {
        await nats.stop();
        await rm(dir, { recursive: true, force: true });
      });
      // Checkpoints every 2 s: the worker dies with some saved and detections delivered after the last.
      const d = await deploy(nats, dir, 2);
      cleanups.push(() => d.close());
      const chunk = 250;
      let killed = false;
      let beforeKill = 0;
      let checkpointsBeforeKill = 0;
      for (let at = 0; at < events.length; at += chunk) {
        await d.bus.publish(events.slice(at, at + chunk));
        if (!killed && at >= events.length * 0.4) {
          // It dies once its own partitions have delivered detections (after their last checkpoint).
          const deadline = Date.now() + 30_000;
          while (((await delivered(d, statelessWorker)) < 50 || (await checkpointed(d, statelessWorker)) === 0) && Date.now() < deadline) await sleep(50);
          beforeKill = await delivered(d, statelessWorker);
          checkpointsBeforeKill = await checkpointed(d, statelessWorker);
          assert.equal(await d.workers[statelessWorker]!.stop('SIGKILL'), 'SIGKILL');
          killed = true;
          // Events go on arriving while it is down.
          for (let more = 0; more < 2 && at + chunk < events.length; more++) {
            at += chunk;
            await d.bus.publish(events.slice(at, at + chunk));
          }
          d.workers[statelessWorker] = await startDetect(d.configs[statelessWorker]!, d.dataDirs[statelessWorker]!);
        }
      }
      assert.ok(killed);
      assert.ok(beforeKill >= 50, `the killed worker's partitions had delivered ${beforeKill} detections`);
      assert.ok(checkpointsBeforeKill > 0, 'and saved a checkpoint: the restart restores it');
      const alerts = await settled(d, expected.length);
      assertSame(expected, alerts, d);
      const [deliveries] = await adminQuery<{ n: string }>('SELECT count(*) AS n FROM detect_deliveries', [], d.schema);
      assert.ok(Number(deliveries!.n) >= expected.length, `${deliveries!.n} delivery ids recorded`);
    });
  });
});
