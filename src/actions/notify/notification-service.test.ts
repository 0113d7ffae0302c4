import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { testAlert } from './alert-fixture.test-support.js';
import { NotificationMetrics } from './notification-metrics.js';
import { createNotificationService } from './notification-service.js';
import { parseNotificationsConfig } from './notify-config.js';

describe('notification service', () => {
  it('routes an alert to the matching destinations only and counts the outcomes', async () => {
    const bodies: { path: string; body: string }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        bodies.push({ path: req.url ?? '', body });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const dir = mkdtempSync(join(tmpdir(), 'vigil-notify-'));
    const registry = new Registry();
    const metrics = new NotificationMetrics(registry);
    const service = createNotificationService(
      parseNotificationsConfig({
        destinations: [
          { name: 'identity', type: 'webhook', url: `${base}/identity`, secret: 'sixteen-chars-or-more', allow: ['127.0.0.1'] },
          { name: 'chat', type: 'slack', url: `${base}/chat`, allow: ['127.0.0.1'] },
        ],
        routes: [
          { destinations: ['identity'], tags: ['attack.credential-access'] },
          { destinations: ['chat'], minLevel: 'critical' },
        ],
        retry: { maxTries: 2, baseDelayMs: 10, maxDelayMs: 20 },
      }),
      { dataDir: dir, onOutcome: metrics.onOutcome },
    );
    try {
      service.start();
      const result = service.notify(testAlert({ level: 'high' }));
      assert.deepEqual(Object.keys(result), ['identity']);
      assert.deepEqual(Object.keys(service.notify(testAlert({ level: 'critical', details: {} }))), ['chat']);
      await service.idle();
      assert.deepEqual(bodies.map((b) => b.path).sort(), ['/chat', '/identity']);
      assert.match(await registry.metrics(), /vigil_notification_deliveries_total\{destination="identity",outcome="delivered"\} 1/);
    } finally {
      await service.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
