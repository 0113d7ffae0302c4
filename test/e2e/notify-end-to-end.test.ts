/**
 * Notifications as configured in vigil.yaml: a signed webhook to a receiver (allowed on
 * loopback for this destination only) gets the brute-force alerts of OpenSSH_2k, each once,
 * identified by its delivery id, with the rule's title, author and entities.
 */
import { strict as assert } from 'node:assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { verifyWebhookSignature } from '../../src/actions/notify/webhook-notifier.js';
import { corpusHas, corpusPath } from '../support/corpus.js';
import { runCli, startVigil } from '../support/vigil-process.js';

const OPENSSH = ['loghub', 'OpenSSH_2k.log'];

it('a webhook receives every new alert once, signed, with title, author and entities', { timeout: 120_000, skip: !corpusHas(...OPENSSH) && 'corpus absent: ../shared/corpus' }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-notify-e2e-'));
  const deliveries = new Map<string, { body: string; headers: IncomingMessage['headers'] }>();
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      deliveries.set(String(req.headers['x-vigil-delivery']), { body, headers: req.headers });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const port = (receiver.address() as AddressInfo).port;
  try {
    await writeFile(
      join(dir, 'vigil.yaml'),
      [
        'notifications:',
        '  destinations:',
        '    - name: soc',
        '      type: webhook',
        `      url: http://127.0.0.1:${port}/hook`,
        '      secret: s3cret-s3cret-s3cret',
        '      allow: [127.0.0.1]',
        '  routes:',
        '    - destinations: [soc]',
        '      minLevel: medium',
      ].join('\n') + '\n',
    );
    const data = join(dir, 'data');
    const server = await startVigil(data, ['--config', join(dir, 'vigil.yaml')]);
    try {
      const ingest = await runCli(['ingest', corpusPath(...OPENSSH), '--data', data, '--json']);
      assert.equal(ingest.code, 0, ingest.stderr);
      const alerts = (await runCli(['alerts', '--json', '--limit', '1000', '--data', data])).stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: string; level: string });
      const expected = alerts.filter((a) => ['medium', 'high', 'critical'].includes(a.level)).length;
      for (let i = 0; i < 100 && deliveries.size < expected; i++) await sleep(100);
      assert.equal(deliveries.size, expected, 'one delivery per new alert');
      for (const { body, headers } of deliveries.values()) {
        assert.ok(verifyWebhookSignature('s3cret-s3cret-s3cret', String(headers['x-vigil-timestamp']), body, String(headers['x-vigil-signature'])));
        assert.match(body, /SSH (Brute Force|Password Spraying) From One Source/);
        assert.match(body, /Vigil/);
        assert.match(body, /source\.ip/);
      }
    } finally {
      await server.stop();
    }
  } finally {
    await new Promise((r) => receiver.close(r));
    await rm(dir, { recursive: true, force: true });
  }
});
