import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { natsServerMissing, startNatsServer, type NatsCluster } from '../../../test/support/nats-server.js';
import { AlertFeed, type AlertNotice } from '../../alerts/alert-feed.js';
import { AlertRelay, type AlertRelayOptions, type ClosedAlert } from './alert-relay.js';

/** One "process": its own NATS connection, feed and relay, and what its feed was told. */
interface Node {
  readonly relay: AlertRelay;
  readonly feed: AlertFeed;
  readonly told: AlertNotice[];
  readonly closed: ClosedAlert[];
  readonly suppressions: string[];
}

describe('AlertRelay: the alert feed between scale-out processes over NATS core', { skip: natsServerMissing() }, () => {
  let nats: NatsCluster;
  const connections: NatsConnection[] = [];
  const relays: AlertRelay[] = [];
  before(async () => {
    nats = await startNatsServer();
  });
  after(async () => {
    for (const r of relays) r.close();
    for (const c of connections) await c.close();
    await nats.stop();
  });

  async function node(role: 'api' | 'detect', options: Partial<AlertRelayOptions> = {}): Promise<Node> {
    const connection = await connect({ servers: [...nats.urls] });
    connections.push(connection);
    const feed = new AlertFeed();
    const told: AlertNotice[] = [];
    const closed: ClosedAlert[] = [];
    const suppressions: string[] = [];
    feed.subscribe((n) => told.push(n));
    const relay = new AlertRelay({
      connection,
      feed,
      relayChanges: role === 'api',
      ...(role === 'detect' ? { onClosed: (a: ClosedAlert) => closed.push(a), onSuppressionsChanged: (t: string) => suppressions.push(t) } : {}),
      ...options,
    });
    relays.push(relay);
    await relay.flush();
    return { relay, feed, told, closed, suppressions };
  }

  async function until(check: () => boolean, ms = 2000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!check()) {
      if (Date.now() > deadline) throw new Error('not within the time');
      await sleep(5);
    }
  }

  it('tells an api process of the alerts a detect process raised, within milliseconds, once, and never back to their origin', async () => {
    const detect = await node('detect');
    const apiA = await node('api');
    const apiB = await node('api');
    const started = performance.now();
    detect.feed.publish([{ tenant: 'acme', id: 'a1', change: 'raised' }]);
    await until(() => apiA.told.length > 0 && apiB.told.length > 0);
    const ms = performance.now() - started;
    assert.ok(ms < 1000, `${ms} ms`);
    // A moment more: an echo or a loop between the api nodes would show now.
    await sleep(200);
    assert.deepEqual(apiA.told, [{ tenant: 'acme', id: 'a1', change: 'raised' }]);
    assert.deepEqual(apiB.told, [{ tenant: 'acme', id: 'a1', change: 'raised' }]);
    assert.deepEqual(detect.told, [{ tenant: 'acme', id: 'a1', change: 'raised' }], 'the origin is told once, by its own intake');
    assert.equal(apiA.relay.stats().published, 0, 'a relayed notice is not published again');
    assert.equal(apiB.relay.stats().published, 0);
  });

  it('tells the other api processes of triage done on one, and not the detect processes feed', async () => {
    const detect = await node('detect');
    const apiA = await node('api');
    const apiB = await node('api');
    apiA.feed.publish([{ tenant: 'acme', id: 'a2', change: 'updated' }]);
    await until(() => apiB.told.length > 0);
    await sleep(100);
    assert.deepEqual(apiB.told, [{ tenant: 'acme', id: 'a2', change: 'updated' }]);
    assert.deepEqual(apiA.told, [{ tenant: 'acme', id: 'a2', change: 'updated' }]);
    assert.deepEqual(detect.told, [], 'a detect role has no console: changes are not relayed into its feed');
  });

  it('tells the detect processes of a closure and of changed suppressions, with the tenant from the subject', async () => {
    const detect1 = await node('detect');
    const detect2 = await node('detect');
    const api = await node('api');
    api.relay.closed({ tenant: 'acme', id: 'a3', groupKey: 'rule-1|user.name=bob' });
    api.relay.suppressionsChanged('globex');
    await until(() => detect1.closed.length > 0 && detect2.closed.length > 0 && detect1.suppressions.length > 0 && detect2.suppressions.length > 0);
    assert.deepEqual(detect1.closed, [{ tenant: 'acme', id: 'a3', groupKey: 'rule-1|user.name=bob' }]);
    assert.deepEqual(detect2.closed, detect1.closed);
    assert.deepEqual(detect1.suppressions, ['globex']);
    assert.deepEqual(api.closed, []);
  });

  it('skips what it cannot read and goes on: not JSON, a wrong shape, an unknown change', async () => {
    const api = await node('api');
    const raw = connections.at(-1)!;
    raw.publish('vigil.alerts.acme.changed', 'not json');
    raw.publish('vigil.alerts.acme.changed', JSON.stringify({ o: 'x', id: 7, change: 'raised' }));
    raw.publish('vigil.alerts.acme.changed', JSON.stringify({ o: 'x', id: 'a4', change: 'deleted' }));
    raw.publish('vigil.alerts.acme.changed', JSON.stringify({ o: 'x', id: 'a5', change: 'raised' }));
    await until(() => api.told.length > 0);
    assert.deepEqual(api.told, [{ tenant: 'acme', id: 'a5', change: 'raised' }]);
  });

  it('stops relaying when closed', async () => {
    const detect = await node('detect');
    const api = await node('api');
    api.relay.close();
    detect.feed.publish([{ tenant: 'acme', id: 'a6', change: 'raised' }]);
    await detect.relay.flush();
    await sleep(200);
    assert.deepEqual(api.told, []);
  });
});
