import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { natsServerMissing, startNatsServer, type NatsCluster } from '../../../test/support/nats-server.js';
import { alertOf, type Alert } from '../../core/alert.js';
import { isVigilError } from '../../core/errors.js';
import { readPlaybook } from '../../actions/response/playbook.js';
import { ResponseEngine } from '../../actions/response/response-engine.js';
import { answerResponseRequests, RemoteResponse } from './response-exchange.js';

const RULE = 'd89356b4-4e74-4ea5-a187-9a51354d3d06';

function alert(id: string, ip: string): Alert {
  return alertOf({ id, tenant: 't', created: Date.now(), ruleId: RULE, ruleTitle: 'SSH Brute Force From One Source', ruleAuthor: 'Vigil', level: 'high', eventIds: ['e'], state: 'new', details: { entities: { 'source.ip': ip } } });
}

describe('automated response across processes: runs held by detect roles, decided through an api role', { skip: natsServerMissing() }, () => {
  let nats: NatsCluster;
  let dir: string;
  let ledger: string;
  const connections: NatsConnection[] = [];
  const engines: ResponseEngine[] = [];
  let desk: RemoteResponse;

  before(async () => {
    nats = await startNatsServer();
    dir = await mkdtemp(join(tmpdir(), 'vigil-response-x-'));
    ledger = join(dir, 'blocklist.log');
    // A stand-in firewall: one line per call with its arguments.
    const firewall = join(dir, 'firewall');
    await writeFile(firewall, `#!/bin/sh\necho "$@" >> '${ledger}'\n`);
    await chmod(firewall, 0o755);
    const playbook = readPlaybook({ name: 'block', when: { rules: [RULE] }, steps: [{ name: 'block', destructive: true, run: { program: firewall, args: ['add', '{{entities.source.ip}}'] } }] }, 'block.yml');
    // Two detect processes, each with its own engine and connection.
    for (let i = 0; i < 2; i++) {
      const engine = ResponseEngine.open({ playbooks: [playbook] });
      const connection = await connect({ servers: [...nats.urls] });
      connections.push(connection);
      engines.push(engine);
      answerResponseRequests(connection, engine);
      await connection.flush();
    }
    const api = await connect({ servers: [...nats.urls] });
    connections.push(api);
    desk = new RemoteResponse({ connection: api, playbooks: [playbook], approveWaitMs: 10_000 });
  });
  after(async () => {
    for (const c of connections) await c.close();
    await rm(dir, { recursive: true, force: true });
    await nats.stop();
  });

  it('lists the runs of every detect role, newest first, of the asking tenant only', async () => {
    await engines[0]!.onAlerts([alert('a1', '203.0.113.10')]);
    await engines[1]!.onAlerts([alert('a2', '203.0.113.11')]);
    const runs = await desk.runs('t');
    assert.deepEqual(runs.map((r) => [r.alertId, r.status]).sort(), [['a1', 'awaiting-approval'], ['a2', 'awaiting-approval']]);
    assert.deepEqual(await desk.runs('other'), []);
  });

  it('approves on the detect role holding the run, which runs the step and records who approved', async () => {
    const run = engines[1]!.runs('t').find((r) => r.alertId === 'a2')!;
    const approved = await desk.approve('t', run.id, 'ana');
    assert.deepEqual({ status: approved.status, by: approved.by }, { status: 'done', by: 'ana' });
    assert.equal(engines[1]!.runs('t').find((r) => r.id === run.id)!.status, 'done');
    assert.equal(await readFile(ledger, 'utf8'), 'add 203.0.113.11\n');
  });

  it('rejects, and carries the detect role\'s refusal back as the same error', async () => {
    const run = engines[0]!.runs('t').find((r) => r.alertId === 'a1')!;
    assert.equal((await desk.reject('t', run.id, 'bo', 'false positive')).status, 'rejected');
    await assert.rejects(desk.approve('t', run.id, 'ana'), (e: unknown) => isVigilError(e) && e.code === 'bad-request' && /rejected/.test(e.message));
  });

  it('answers an unknown run or tenant with not found at once, not after the approval wait', async () => {
    const started = performance.now();
    await assert.rejects(desk.approve('t', 'no-such-run', 'ana'), (e: unknown) => isVigilError(e) && e.code === 'not-found');
    await assert.rejects(desk.approve('other', engines[0]!.runs('t')[0]!.id, 'ana'), (e: unknown) => isVigilError(e) && e.code === 'not-found');
    assert.ok(performance.now() - started < 2000);
    assert.equal(await readFile(ledger, 'utf8'), 'add 203.0.113.11\n', 'nothing else ran');
  });
});
