import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { natsServerMissing, startNatsServer, type NatsCluster } from '../../../test/support/nats-server.js';
import type { RiskEntity } from '../../alerts/risk-entities.js';
import { answerRiskRequests, askRisk } from './risk-exchange.js';

const bob = (score: number, rules: number, lastSeen: number): RiskEntity => ({ field: 'user.name', value: 'bob', score, rules, lastSeen });

describe('risk across processes: the api role asks every detect role', { skip: natsServerMissing() }, () => {
  let nats: NatsCluster;
  const connections: NatsConnection[] = [];
  const open = async () => {
    const c = await connect({ servers: [...nats.urls] });
    connections.push(c);
    return c;
  };
  before(async () => {
    nats = await startNatsServer();
  });
  after(async () => {
    for (const c of connections) await c.close();
    await nats.stop();
  });

  it('is empty, quickly, when no detect role answers', async () => {
    const started = performance.now();
    assert.deepEqual(await askRisk(await open(), 'acme', 10), []);
    assert.ok(performance.now() - started < 600);
  });

  it('sums an entity over the ledgers, keeps the largest rule count, and asks for the tenant of the subject', async () => {
    const asked: string[] = [];
    const detect1 = await open();
    const detect2 = await open();
    answerRiskRequests(detect1, (tenant, limit) => (asked.push(`${tenant}:${limit}`), [bob(40, 2, 1000), { field: 'source.ip', value: '203.0.113.7', score: 50, rules: 1, lastSeen: 900 }]));
    answerRiskRequests(detect2, () => [bob(15, 1, 2000)]);
    await Promise.all([detect1.flush(), detect2.flush()]);
    const api = await open();
    const started = performance.now();
    const top = await askRisk(api, 'acme', 5);
    const ms = performance.now() - started;
    assert.deepEqual(top, [bob(55, 2, 2000), { field: 'source.ip', value: '203.0.113.7', score: 50, rules: 1, lastSeen: 900 }]);
    assert.deepEqual(asked, ['acme:5']);
    assert.ok(ms < 500, `answered in ${ms.toFixed(0)} ms, not at the time limit`);
    assert.deepEqual(await askRisk(api, 'acme', 1), [bob(55, 2, 2000)], 'the limit applies to the merged list');
  });
});
