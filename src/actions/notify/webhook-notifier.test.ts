import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { testAlert } from './alert-fixture.test-support.js';
import type { DeliveryOutcome } from './delivery-queue.js';
import { verifyWebhookSignature, WebhookNotifier, type WebhookDestination } from './webhook-notifier.js';

const SECRET = 'a-test-secret-of-enough-length';

interface Received {
  readonly delivery: string;
  readonly timestamp: string;
  readonly signature: string;
  readonly body: string;
}

/** A receiver on 127.0.0.1:`port` that records every request and answers 200. */
async function startReceiver(port: number, received: Received[]): Promise<Server> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({
        delivery: String(req.headers['x-vigil-delivery']),
        timestamp: String(req.headers['x-vigil-timestamp']),
        signature: String(req.headers['x-vigil-signature']),
        body: Buffer.concat(chunks).toString('utf8'),
      });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return server;
}

async function stopServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
}

/** A port nothing listens on (yet). */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

function destination(port: number, overrides: Partial<WebhookDestination> = {}): WebhookDestination {
  return { name: 'soc-hook', url: `http://127.0.0.1:${port}/vigil`, format: 'json', secret: SECRET, allow: ['127.0.0.1'], ...overrides };
}

describe('webhook notifier', () => {
  let dir: string;
  const servers: Server[] = [];
  const notifiers: WebhookNotifier[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-webhook-'));
  });
  afterEach(async () => {
    for (const n of notifiers.splice(0)) await n.close();
    for (const s of servers.splice(0)) await stopServer(s);
    rmSync(dir, { recursive: true, force: true });
  });

  function notifier(dest: WebhookDestination, outcomes: DeliveryOutcome[] = [], retry = { maxTries: 40, baseDelayMs: 20, maxDelayMs: 80 }): WebhookNotifier {
    const n = new WebhookNotifier({ destination: dest, journalDir: join(dir, 'journal'), deadLetterFile: join(dir, 'dead-letter.ndjson'), retry, timeoutMs: 2000, onOutcome: (o) => outcomes.push(o) });
    notifiers.push(n);
    return n;
  }

  it('delivers every alert once a receiver that was down comes back, with verifiable signatures and stable delivery ids', async () => {
    const port = await freePort();
    const outcomes: DeliveryOutcome[] = [];
    const n = notifier(destination(port), outcomes);
    n.start();
    const alerts = [testAlert(), testAlert(), testAlert(), testAlert()];
    const ids = alerts.map((a) => n.notify(a));
    assert.ok(ids.every((id) => typeof id === 'string'), 'enqueue answers at once with a delivery id');
    while (outcomes.filter((o) => o.kind === 'retrying').length < 3) await new Promise((r) => setTimeout(r, 10));

    const received: Received[] = [];
    servers.push(await startReceiver(port, received));
    await n.idle();

    const unique = new Map(received.map((r) => [r.delivery, r]));
    assert.deepEqual([...unique.keys()].sort(), [...(ids as string[])].sort(), 'each delivery arrived, duplicates share an id');
    for (const r of received) {
      assert.ok(verifyWebhookSignature(SECRET, r.timestamp, r.body, r.signature), 'signature verifies with the secret');
      assert.ok(!verifyWebhookSignature('another-secret-entirely', r.timestamp, r.body, r.signature));
      assert.match(r.signature, /^sha256=[0-9a-f]{64}$/);
    }
    const bodies = [...unique.values()].map((r) => JSON.parse(r.body) as { alert: { id: string; ruleTitle: string } });
    assert.deepEqual(bodies.map((b) => b.alert.id).sort(), alerts.map((a) => a.id).sort());
    assert.equal(n.stats.delivered, 4);
    assert.equal(n.pending, 0);
  });

  it('writes a delivery that failed maxTries times to the dead-letter file, owner-only, with the reason', async () => {
    const port = await freePort();
    const n = notifier(destination(port), [], { maxTries: 3, baseDelayMs: 5, maxDelayMs: 10 });
    n.start();
    const id = n.notify(testAlert());
    await n.idle();
    const file = join(dir, 'dead-letter.ndjson');
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!['deliveryId'], id);
    assert.equal(lines[0]!['attempts'], 3);
    assert.match(String(lines[0]!['reason']), /gave up after 3 attempts: cannot reach 127\.0\.0\.1.*ECONNREFUSED/);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(n.stats.deadLettered, 1);
  });

  it('dead-letters a redirect at once instead of following it', async () => {
    const redirecting = createServer((req, res) => {
      req.resume();
      res.writeHead(307, { location: 'http://169.254.169.254/' }).end();
    });
    await new Promise<void>((r) => redirecting.listen(0, '127.0.0.1', r));
    servers.push(redirecting);
    const n = notifier(destination((redirecting.address() as AddressInfo).port));
    n.start();
    n.notify(testAlert());
    await n.idle();
    const line = JSON.parse(readFileSync(join(dir, 'dead-letter.ndjson'), 'utf8').trim()) as Record<string, unknown>;
    assert.equal(line['attempts'], 1);
    assert.match(String(line['reason']), /not retried: .*307.*redirect/);
  });

  it('dead-letters a loopback destination that is not on its allow list, without retrying', async () => {
    const n = notifier(destination(9, { allow: [] }));
    n.start();
    n.notify(testAlert());
    await n.idle();
    assert.match(readFileSync(join(dir, 'dead-letter.ndjson'), 'utf8'), /not retried: 127\.0\.0\.1 is a loopback/);
  });

  it('re-sends pending deliveries from the journal after a restart, under the same delivery ids', async () => {
    const port = await freePort();
    const outcomes: DeliveryOutcome[] = [];
    const first = notifier(destination(port), outcomes, { maxTries: 10, baseDelayMs: 60_000, maxDelayMs: 60_000 });
    first.start();
    const ids = [first.notify(testAlert()), first.notify(testAlert()), first.notify(testAlert())];
    while (!outcomes.some((o) => o.kind === 'retrying')) await new Promise((r) => setTimeout(r, 10));
    await first.close();

    const received: Received[] = [];
    servers.push(await startReceiver(port, received));
    const second = notifier(destination(port));
    assert.equal(second.pending, 3, 'the new instance read the journal');
    second.start();
    await second.idle();
    assert.deepEqual(received.map((r) => r.delivery), ids);
    assert.equal(readFileSync(join(dir, 'journal', 'soc-hook.pending.ndjson'), 'utf8'), '', 'the journal is compacted when nothing is pending');

    const third = notifier(destination(port));
    assert.equal(third.pending, 0, 'finished deliveries are not sent again');
  });

  it('never blocks the caller and counts what it drops when the queue is full', async () => {
    const port = await freePort();
    const dropped: DeliveryOutcome[] = [];
    const n = new WebhookNotifier({ destination: destination(port), journalDir: join(dir, 'journal'), deadLetterFile: join(dir, 'dl.ndjson'), maxPending: 2, retry: { maxTries: 5, baseDelayMs: 60_000, maxDelayMs: 60_000 }, onOutcome: (o) => o.kind === 'dropped' && dropped.push(o) });
    notifiers.push(n);
    n.start();
    const started = performance.now();
    const ids = [n.notify(testAlert()), n.notify(testAlert()), n.notify(testAlert())];
    assert.ok(performance.now() - started < 200);
    assert.equal(ids[2], undefined);
    assert.equal(n.stats.dropped, 1);
    assert.equal(dropped.length, 1);
  });

  it('sends Slack and Teams bodies when the destination asks for them', async () => {
    const received: Received[] = [];
    const server = await startReceiver(0, received);
    servers.push(server);
    const port = (server.address() as AddressInfo).port;
    const alert = testAlert({ ruleTitle: 'Login <from> & "there"' });
    for (const format of ['slack', 'teams-messagecard', 'teams-adaptive'] as const) {
      const n = notifier(destination(port, { name: `chat-${format}`, format }));
      n.start();
      n.notify(alert);
      await n.idle();
    }
    const [slack, card, adaptive] = received.map((r) => JSON.parse(r.body) as Record<string, unknown>);
    assert.equal(slack!['text'], '*[HIGH]* Login &lt;from&gt; &amp; "there" (rule by Vigil)');
    assert.ok(Array.isArray(slack!['blocks']));
    assert.match(JSON.stringify(slack!['blocks']), /203\.0\.113\.7/);
    assert.equal(card!['@type'], 'MessageCard');
    assert.equal(card!['title'], '[HIGH] Login &lt;from&gt; &amp; &quot;there&quot;');
    assert.equal(adaptive!['type'], 'message');
    assert.match(JSON.stringify(adaptive), /AdaptiveCard.*user\.name.*root/);
  });

  it('renders a JSON template with escaped values', async () => {
    const received: Received[] = [];
    const server = await startReceiver(0, received);
    servers.push(server);
    const n = notifier(destination((server.address() as AddressInfo).port, { template: '{"title": "{{rule.title}}", "ip": "{{entities.source.ip}}"}' }));
    n.start();
    n.notify(testAlert({ ruleTitle: 'quote " and \\ backslash\nnewline' }));
    await n.idle();
    assert.deepEqual(JSON.parse(received[0]!.body), { title: 'quote " and \\ backslash\nnewline', ip: '203.0.113.7' });
  });
});
