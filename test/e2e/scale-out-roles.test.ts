/**
 * The scale-out roles as an operator runs them: a real nats-server with JetStream, a fresh
 * PostgreSQL schema, ClickHouse embedded (chdb) in a folder, and three `vigil serve` processes:
 * `--role ingest`, `--role detect` and `--role store,api` (together, because the embedded
 * ClickHouse is opened by one process). Events go in over HTTP ingest with a ledger of what was
 * acknowledged; the store process is killed with SIGKILL mid-stream and started again; through
 * the api role every acknowledged event is then found exactly once, and the built-in rule the
 * CloudTrail events trip has raised its alert (rule author, id and title). The api role runs no
 * detect role, yet its console has the live alert queue, response approval, triage that reaches
 * the detect role, suppressions, risk and the rule catalog (src/server/scale-out/detection-link.ts).
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect as natsConnect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { freePort } from '../../bench/free-port.js';
import { TEST_POSTGRES_URL, dropSchema, uniqueSchema, withPostgres } from '../../src/store/postgres/postgres-test-server.js';
import { startRole as startRoleProcess, type RoleProcess } from '../support/role-process.js';
import { SseClient } from '../../src/api/sse-client.test-support.js';
import { NATS_SERVER, natsServerMissing } from '../support/nats-server.js';

const CLOUDTRAIL_RULE = { id: 'a1b35411-a59d-4a20-943e-d259f11400e9', title: 'AWS CloudTrail Logging Stopped or Deleted', author: 'Vigil' };
const BATCHES = Number(process.env['VIGIL_ROLES_BATCHES'] ?? 60);
const PER_BATCH = 50;

function startRole(config: string, data: string, roles: string): Promise<RoleProcess> {
  return startRoleProcess({ config, data, roles, syslog: true });
}

interface NatsProcess {
  readonly url: string;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port and store. */
  restart(): Promise<void>;
}

async function startNats(dir: string): Promise<NatsProcess> {
  const port = await freePort();
  let stopNow: () => Promise<void> = async () => undefined;
  const launch = async () => {
    const child = spawn(NATS_SERVER, ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    stopNow = async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    };
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`nats-server exited:\n${output}`);
      const open = await new Promise<boolean>((resolve) => {
        const socket = connect(port, '127.0.0.1', () => {
          socket.destroy();
          resolve(true);
        });
        socket.on('error', () => resolve(false));
      });
      if (open && /Server is ready/.test(output)) return;
      if (Date.now() > deadline) throw new Error(`nats-server not ready:\n${output}`);
      await sleep(100);
    }
  };
  await launch();
  return { url: `nats://127.0.0.1:${port}`, stop: () => stopNow(), restart: launch };
}

/** One ledger event; every `seq` is posted once and acknowledged at most once. */
function ledgerEvent(run: string, seq: number): string {
  return JSON.stringify({ message: `ledger ${run} ${seq}`, run, seq, 'host.name': `web-${seq % 7}` });
}

function stopLogging(run: string, seq: number, userName = 'mallory'): string {
  return JSON.stringify({
    eventVersion: '1.09',
    eventSource: 'cloudtrail.amazonaws.com',
    eventName: 'StopLogging',
    eventTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    awsRegion: 'eu-west-1',
    eventType: 'AwsApiCall',
    requestParameters: { name: `trail-${run}` },
    userIdentity: { type: 'IAMUser', userName, arn: `arn:aws:iam::111122223333:user/${userName}`, accountId: '111122223333' },
    recipientAccountId: '111122223333',
    sourceIPAddress: '183.62.140.253',
    run,
    seq,
  });
}

await withPostgres('scale-out roles end to end', () => {
  // With VIGIL_REQUIRE_NATS (CI) a missing nats-server throws here instead of skipping.
  const missing = natsServerMissing();
  describe('vigil serve --role: ingest, detect, store+api over NATS, ClickHouse and PostgreSQL', { skip: missing, timeout: 600_000 }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-roles-'));
    const schema = uniqueSchema('vigil_roles');
    const config = join(dir, 'vigil.yaml');
    const runPrefix = `r${Date.now().toString(36)}`;
    let nats: NatsProcess | undefined;
    let storeApi: RoleProcess | undefined;
    let ingest: RoleProcess | undefined;
    let detect: RoleProcess | undefined;
    let adminToken = '';
    let ingestToken = '';

    const api = async (path: string, init: RequestInit = {}) =>
      fetch(`${storeApi!.http}${path}`, { ...init, headers: { authorization: `Bearer ${adminToken}`, ...(init.headers as Record<string, string>) } });

    /** What a sender knows: which events the ingest role acknowledged, and how many batches it refused. */
    class Ledger {
      readonly acknowledged = new Set<number>();
      refused = 0;
      posted = 0;
      constructor(readonly run: string) {}

      /**
       * Posts `batches` batches of PER_BATCH events from `senders` concurrent senders; `at(b)` runs
       * when batch b is taken (a kill, a restart), holding up only that sender.
       */
      async send(batches: number, senders: number, at: (batch: number) => Promise<void> = async () => undefined): Promise<void> {
        let next = 0;
        const sender = async () => {
          for (let b = next++; b < batches; b = next++) {
            await at(b);
            const lines: string[] = [];
            const seqs: number[] = [];
            for (let i = 0; i < PER_BATCH; i++) {
              const seq = b * PER_BATCH + i;
              // Every tenth batch carries one CloudTrail StopLogging: the built-in rule fires on it.
              lines.push(i === 0 && b % 10 === 0 ? stopLogging(this.run, seq) : ledgerEvent(this.run, seq));
              seqs.push(seq);
            }
            this.posted += seqs.length;
            const res = await fetch(`${ingest!.http}/api/v1/ingest`, {
              method: 'POST',
              headers: { authorization: `Bearer ${ingestToken}`, 'content-type': 'application/x-ndjson' },
              body: lines.join('\n'),
            }).catch(() => undefined);
            await res?.arrayBuffer();
            if (res?.status === 200) for (const s of seqs) this.acknowledged.add(s);
            else this.refused++;
          }
        };
        await Promise.all(Array.from({ length: senders }, sender));
      }

      /** Every seq → how many stored copies the api role finds. */
      async storedCopies(): Promise<Map<number, number>> {
        const res = await api(`/api/v1/search?q=${encodeURIComponent(`run:${this.run}`)}&limit=10000`);
        assert.equal(res.status, 200, await res.clone().text());
        const body = (await res.json()) as { hits: { fields: Record<string, unknown> }[] };
        const copies = new Map<number, number>();
        for (const hit of body.hits) {
          const seq = Number(hit.fields['seq']);
          copies.set(seq, (copies.get(seq) ?? 0) + 1);
        }
        return copies;
      }

      /**
       * Waits until every acknowledged event is stored, then checks: none lost, none twice.
       * Resolves with when the last of them was first seen stored (performance.now()).
       */
      async checkStoredOnce(ms = 60_000): Promise<number> {
        const deadline = Date.now() + ms;
        let copies = new Map<number, number>();
        let allStoredAt = Number.NaN;
        while (Date.now() < deadline) {
          copies = await this.storedCopies();
          if ([...this.acknowledged].every((s) => copies.has(s))) {
            allStoredAt = performance.now();
            break;
          }
          await sleep(200);
        }
        // A moment more: a duplicate written after the last acknowledged event would show now.
        await sleep(1000);
        copies = await this.storedCopies();
        const lost = [...this.acknowledged].filter((s) => !copies.has(s));
        const duplicated = [...copies].filter(([, n]) => n > 1).map(([s]) => s);
        assert.deepEqual({ lost: lost.length, duplicated: duplicated.length }, { lost: 0, duplicated: 0 }, `lost ${lost.slice(0, 10).join(',')} duplicated ${duplicated.slice(0, 10).join(',')}`);
        // An event whose 200 never came may still be stored (once): at-least-once towards the sender.
        const unknown = [...copies.keys()].filter((s) => !this.acknowledged.has(s));
        assert.ok(unknown.length <= this.refused * PER_BATCH, `${unknown.length} stored events were never posted`);
        return allStoredAt;
      }
    }

    before(async () => {
      mkdirSync(join(dir, 'nats'));
      // A playbook the detect role starts for the CloudTrail rule; its destructive step waits for approval.
      mkdirSync(join(dir, 'playbooks'));
      writeFileSync(join(dir, 'respond.sh'), `#!/bin/sh\necho "$@" >> '${join(dir, 'responded.log')}'\n`, { mode: 0o755 });
      writeFileSync(
        join(dir, 'playbooks', 'contain.yml'),
        [
          'name: contain-cloudtrail-stopper',
          `when: { rules: [${CLOUDTRAIL_RULE.id}] }`,
          'maxRunsPerHour: 100',
          'steps:',
          '  - name: contain',
          '    destructive: true',
          `    run: { program: ${join(dir, 'respond.sh')}, args: [contain, '{{entities.user.name}}'] }`,
          '',
        ].join('\n'),
      );
      nats = await startNats(join(dir, 'nats'));
      writeFileSync(
        config,
        [
          'scaleOut:',
          `  nats: { servers: ["${nats.url}"], partitions: 4 }`,
          `  clickhouse: { path: "${join(dir, 'clickhouse')}" }`,
          `  postgres: { url: "${TEST_POSTGRES_URL}", schema: ${schema}, poolSize: 4 }`,
          'pipeline: { batchSize: 500 }',
          'detection: { reloadSeconds: 0 }',
          `response: { playbooks: ["${join(dir, 'playbooks')}"] }`,
          'log: { level: warn }',
          '',
        ].join('\n'),
      );
      storeApi = await startRole(config, join(dir, 'store-api'), 'store,api');
      adminToken = readFileSync(join(dir, 'store-api', 'admin-token'), 'utf8').trim();
      const created = await api('/api/v1/tokens', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'roles-test', role: 'ingest' }) });
      assert.equal(created.status, 201, await created.clone().text());
      ingestToken = ((await created.json()) as { token: string }).token;
      [ingest, detect] = await Promise.all([startRole(config, join(dir, 'ingest'), 'ingest'), startRole(config, join(dir, 'detect'), 'detect')]);
    });

    after(async () => {
      for (const p of [ingest, detect, storeApi]) await p?.stop().catch(() => undefined);
      await nats?.stop();
      await dropSchema(schema).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    });

    it('each role answers /healthz with its roles and /metrics with its counters', async () => {
      for (const [p, roles] of [[ingest!, ['ingest']], [detect!, ['detect']], [storeApi!, ['store', 'api']]] as const) {
        const health = await fetch(`${p.http}/healthz`);
        assert.equal(health.status, 200);
        const body = (await health.json()) as { roles: string[]; nats: string; status: string };
        assert.deepEqual(body.roles.sort(), [...roles].sort());
        assert.equal(body.nats, 'connected');
        const metrics = await fetch(`${p.http}/metrics`, { headers: { authorization: `Bearer ${adminToken}` } });
        assert.equal(metrics.status, 200);
        assert.match(await metrics.text(), /vigil_nats_disconnects_total 0/);
      }
      // A role says where the other surface lives.
      const wrong = await fetch(`${ingest!.http}/api/v1/search?q=x`, { headers: { authorization: `Bearer ${adminToken}` } });
      assert.equal(wrong.status, 404);
      assert.match(await wrong.text(), /vigil serve --role api/);
    });

    it('stores every acknowledged event exactly once across a SIGKILL of the store role, and detects on the side', async () => {
      const ledger = new Ledger(`${runPrefix}a`);
      const started = performance.now();
      await ledger.send(BATCHES, 4, async (b) => {
        // Mid-stream: the store role dies without a word while the other senders go on.
        if (b === Math.floor(BATCHES / 3)) assert.equal(await storeApi!.stop('SIGKILL'), 'SIGKILL');
        if (b === Math.floor((2 * BATCHES) / 3)) storeApi = await startRole(config, join(dir, 'store-api'), 'store,api');
      });
      await ledger.checkStoredOnce();
      const seconds = (performance.now() - started) / 1000;
      assert.ok(ledger.acknowledged.size > 0 && ledger.refused < BATCHES / 10, `${ledger.refused} of ${BATCHES} batches refused`);
      process.stdout.write(`# scale-out roles: ${ledger.acknowledged.size} of ${ledger.posted} events acknowledged (${ledger.refused} batches refused), all stored once in ${seconds.toFixed(1)} s including a SIGKILL and restart of the store role\n`);
      const run = ledger.run;

      // Enriched at ingest: the store role saw the GeoIP fields the ingest role added.
      const enriched = await api(`/api/v1/search?q=${encodeURIComponent(`run:${run} eventName:StopLogging`)}&limit=1`);
      const hit = ((await enriched.json()) as { hits: { fields: Record<string, unknown> }[] }).hits[0];
      assert.ok(hit, 'a StopLogging event is stored');
      assert.equal(hit.fields['source.geo.country_iso_code'], 'CN', JSON.stringify(hit.fields));
      assert.equal(typeof hit.fields['source.as.number'], 'number');

      // The detect role raised the built-in rule's alert into PostgreSQL; the api role lists it.
      const deadline = Date.now() + 60_000;
      let alerts: { ruleId: string; ruleTitle: string; ruleAuthor: string; count: number }[] = [];
      while (Date.now() < deadline) {
        const res = await api(`/api/v1/alerts?rule=${CLOUDTRAIL_RULE.id}`);
        alerts = ((await res.json()) as { alerts: typeof alerts }).alerts;
        if (alerts.length > 0) break;
        await sleep(500);
      }
      assert.ok(alerts.length > 0, `no alert of ${CLOUDTRAIL_RULE.title}; detect output:\n${detect!.output().slice(-3000)}`);
      for (const a of alerts) assert.deepEqual({ id: a.ruleId, title: a.ruleTitle, author: a.ruleAuthor }, CLOUDTRAIL_RULE);
    });

    it('serves the console from detection in another process: live alerts, response approval, triage that reaches detect, suppressions, risk and rules', async () => {
      // The store+api process runs no detect role: everything below crosses NATS or PostgreSQL.
      const run = `${runPrefix}d`;
      const user = `mallory-${run}`;
      const json = async <T>(res: Response, status = 200): Promise<T> => {
        assert.equal(res.status, status, await res.clone().text());
        return (await res.json()) as T;
      };
      type AlertView = { id: string; state: string; count: number; ruleId: string; details: Record<string, unknown> };
      const ofUser = async () => (await json<{ alerts: AlertView[] }>(await api(`/api/v1/alerts?rule=${CLOUDTRAIL_RULE.id}`))).alerts.filter((a) => JSON.stringify(a.details).includes(user));
      const sendStopLogging = async (seq: number) => {
        const res = await fetch(`${ingest!.http}/api/v1/ingest`, { method: 'POST', headers: { authorization: `Bearer ${ingestToken}`, 'content-type': 'application/json' }, body: stopLogging(run, seq, user) });
        assert.equal(res.status, 200, await res.text());
        return performance.now();
      };
      const stream = await SseClient.open(`${storeApi!.http}/api/v1/alerts/stream`, { authorization: `Bearer ${adminToken}` });
      try {
        assert.equal(stream.response.status, 200);
        await stream.comment(1);
        /** The next alert notice of `change` about this test's user, and when it came. */
        let read = stream.messages.length;
        const nextNotice = async (change: string): Promise<{ id: string; at: number }> => {
          for (;;) {
            const m = await stream.next((x) => x.event === 'alert' && (JSON.parse(x.data) as { change: string }).change === change, 30_000, read);
            const at = performance.now();
            read = stream.messages.indexOf(m) + 1;
            const { id } = JSON.parse(m.data) as { id: string };
            const alert = await json<AlertView>(await api(`/api/v1/alerts/${id}`));
            if (JSON.stringify(alert.details).includes(user)) return { id, at };
          }
        };

        // 1. Raised by the detect process, seen live by an SSE client of the api process.
        const sent = await sendStopLogging(0);
        const raised = await nextNotice('raised');
        const liveSeconds = (raised.at - sent) / 1000;
        process.stdout.write(`# live alert: ingest acknowledged -> detect raised -> SSE client of the api role in ${liveSeconds.toFixed(2)} s\n`);
        assert.ok(liveSeconds < 15, `${liveSeconds} s`);

        // 1b. Its playbook run waits in the detect process; the api process lists it and approves it there.
        type RunView = { id: string; alertId: string; status: string; by?: string };
        let run: RunView | undefined;
        const runDeadline = Date.now() + 10_000;
        while (!run && Date.now() < runDeadline) {
          run = (await json<{ runs: RunView[]; configured: boolean }>(await api('/api/v1/response/runs'))).runs.find((r) => r.alertId === raised.id);
          if (!run) await sleep(100);
        }
        assert.equal(run?.status, 'awaiting-approval', JSON.stringify(run));
        const approved = await json<RunView>(await api(`/api/v1/response/runs/${run.id}/approve`, { method: 'POST' }));
        assert.equal(approved.status, 'done');
        assert.equal(readFileSync(join(dir, 'responded.log'), 'utf8'), `contain ${user}\n`, 'the step ran in the detect process');

        // 2. Closed on the api process: PostgreSQL says closed, and the detect process opens a new
        //    alert for the next detection of the group instead of adding it to the closed one.
        const closed = await json<AlertView>(await api(`/api/v1/alerts/${raised.id}/actions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ action: 'close', verdict: 'true_positive' }) }));
        assert.equal(closed.state, 'closed');
        await sendStopLogging(1);
        const reopened = await nextNotice('raised');
        assert.notEqual(reopened.id, raised.id);
        const alerts = await ofUser();
        assert.deepEqual(
          alerts.map((a) => ({ id: a.id, state: a.state, count: a.count })).sort((a, b) => (a.id === raised.id ? -1 : b.id === raised.id ? 1 : 0)),
          [
            { id: raised.id, state: 'closed', count: 1 },
            { id: reopened.id, state: 'new', count: 1 },
          ],
        );
        const detectMetrics = await (await fetch(`${detect!.http}/metrics`, { headers: { authorization: `Bearer ${adminToken}` } })).text();
        assert.match(detectMetrics, /vigil_alert_relay_messages_total\{direction="in",kind="closed"\} [1-9]/, 'the closure came by message, not by the 10 s store check');

        // 3. Risk: the overview of the api process asks the detect process's ledger.
        const overview = await json<{ topEntities: { field: string; value: string; score: number }[] }>(await api('/api/v1/overview'));
        const risky = overview.topEntities.find((e) => e.value === user);
        assert.ok(risky && risky.score > 0, JSON.stringify(overview.topEntities));

        // 4. A suppression added on the api process holds on the detect process at once (not at its 10 s re-read).
        const suppression = await json<{ id: string }>(
          await api('/api/v1/suppressions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ruleId: CLOUDTRAIL_RULE.id, fields: { 'user.name': user }, reason: 'e2e: a known admin' }) }),
          201,
        );
        await sendStopLogging(2);
        const deadline = Date.now() + 8000;
        let hits = 0;
        while (hits === 0 && Date.now() < deadline) {
          await sleep(200);
          const list = await json<{ suppressions: { id: string; hits: number }[] }>(await api('/api/v1/suppressions'));
          hits = list.suppressions.find((x) => x.id === suppression.id)?.hits ?? 0;
        }
        assert.equal(hits, 1, 'the suppression took the detection');
        assert.equal((await ofUser()).length, 2, 'and no alert was raised for it');
        const told = await (await fetch(`${detect!.http}/metrics`, { headers: { authorization: `Bearer ${adminToken}` } })).text();
        assert.match(told, /vigil_alert_relay_messages_total\{direction="in",kind="suppressions"\} [1-9]/);
      } finally {
        await stream.close();
      }

      // 5. The rules of the detect roles, listed by the api process from the same rule paths.
      const rules = await json<{ rules: { id: string; title: string; author: string; enabled: boolean }[] }>(await api('/api/v1/rules'));
      assert.ok(rules.rules.length > 50, `${rules.rules.length} rules`);
      const rule = rules.rules.find((r) => r.id === CLOUDTRAIL_RULE.id);
      assert.deepEqual(rule && { id: rule.id, title: rule.title, author: rule.author }, CLOUDTRAIL_RULE);
      const imported = await api('/api/v1/rules/import', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ files: [{ path: 'x.yml', content: 'title: x' }] }) });
      assert.equal(imported.status, 409);
      assert.match(await imported.text(), /--role detect/);
    });

    // nats-server is stopped with SIGTERM (a clean shutdown) mid-stream and started again 1.5 s
    // later. This lost 50-350 acknowledged events in most runs while the stream had interest
    // retention: nats-server 2.9.10 stops a stream's consumers before the stream when it shuts
    // down, and acknowledges a publish to an interest stream without consumers without storing
    // it. The stream now has limits retention and the bus trims it (docs/scaling.md, "What an
    // acknowledgement means on nats-server 2.9"); src/bus/jetstream/jetstream-bus.test.ts covers
    // a SIGKILL of the server.
    it('rides out a NATS restart: no crash, the disconnection counted, every acknowledged event stored once', async () => {
      const ledger = new Ledger(`${runPrefix}b`);
      await ledger.send(BATCHES, 4, async (b) => {
        if (b === Math.floor(BATCHES / 3)) {
          await nats!.stop();
          await sleep(1500);
          await nats!.restart();
        }
      });
      const readers = async () => {
        const views = await Promise.all([storeApi!, detect!].map(async (p) => ((await (await fetch(`${p.http}/healthz`)).json()) as { consumers: unknown }).consumers));
        const nc = await natsConnect({ servers: [nats!.url] });
        try {
          const jsm = await jetstreamManager(nc);
          const stream = (await jsm.streams.info('VIGIL_EVENTS')).state;
          const consumers = await Promise.all(['store', 'detect'].map(async (c) => {
            const i = await jsm.consumers.info('VIGIL_EVENTS', c);
            return { c, delivered: i.delivered.stream_seq, ackFloor: i.ack_floor.stream_seq, pending: i.num_pending, ackPending: i.num_ack_pending, redelivered: i.num_redelivered, waiting: i.num_waiting };
          }));
          return JSON.stringify({ views, stream: { messages: stream.messages, first: stream.first_seq, last: stream.last_seq, deleted: stream.num_deleted }, consumers });
        } finally {
          await nc.close();
        }
      };
      await ledger.checkStoredOnce().catch(async (e: Error) => assert.fail(`${e.message}\nreaders: ${await readers()}\nstore output:\n${storeApi!.output().slice(-4000)}`));
      for (const p of [ingest!, detect!, storeApi!]) {
        assert.equal(p.child.exitCode, null, `a role exited:\n${p.output().slice(-2000)}`);
        const health = await fetch(`${p.http}/healthz`);
        assert.equal(health.status, 200);
        const metrics = await (await fetch(`${p.http}/metrics`, { headers: { authorization: `Bearer ${adminToken}` } })).text();
        const disconnects = Number(/^vigil_nats_disconnects_total (\d+)/m.exec(metrics)?.[1]);
        assert.ok(disconnects >= 1, `vigil_nats_disconnects_total ${disconnects}`);
      }
      // Second copies the store dropped by id (the bus hands one out when it cannot tell it had it).
      const store = ((await (await fetch(`${storeApi!.http}/healthz`)).json()) as { consumers: Record<string, Record<string, number>> }).consumers['store'] ?? {};
      process.stdout.write(
        `# NATS restart: ${ledger.acknowledged.size} of ${ledger.posted} events acknowledged (${ledger.refused} batches refused with 503 while it was away), all stored once; ` +
          `store reader: ${store['delivered']} handed out, ${store['duplicateIds']} second copies dropped by id, ${store['reacknowledged']} redeliveries of committed events acknowledged again, ${store['readFromStream']} read from the stream\n`,
      );
    });

    it('throughput through the roles (a figure, measured on a shared 2-core machine)', async () => {
      const ledger = new Ledger(`${runPrefix}c`);
      const started = performance.now();
      // 9,000 events: one search page (10,000) still lists them all.
      await ledger.send(180, 8);
      const acknowledgedAt = performance.now();
      const seconds = ((await ledger.checkStoredOnce()) - started) / 1000;
      process.stdout.write(
        `# throughput: ${ledger.acknowledged.size} events acknowledged by ingest in ${((acknowledgedAt - started) / 1000).toFixed(1)} s, searchable through the api role after ${seconds.toFixed(1)} s: ${(ledger.acknowledged.size / seconds).toFixed(0)} events/s end to end\n`,
      );
    });
  });
});
