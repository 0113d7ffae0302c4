import { after, before, test } from 'node:test';
import http from 'node:http';
import { startTestServer, TEST_LIMITS, type TestServer } from '../../api/test-server.test-support.js';
let t: TestServer;
before(async () => { t = await startTestServer({ limits: { ...TEST_LIMITS, maxBodyBytes: 32 * 1024 * 1024 } }); });
after(async () => { await t.close(); });
function send(body: Buffer, path: string, type: string): Promise<string> {
  const url = new URL(t.url);
  return new Promise((resolve) => {
    const req = http.request({ host: url.hostname, port: Number(url.port), method: 'POST', path, agent: false, headers: { authorization: `Bearer ${t.tokens.ingest}`, 'content-type': type, 'content-length': body.length } }, (res) => {
      res.resume(); res.on('end', () => resolve(String(res.statusCode)));
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve('cut ' + e.code));
    req.end(body);
  });
}
test('prof', async () => {
  const obj = `{${Array.from({ length: 1_000_000 }, (_, i) => `"k${i}":${i}`).join(',')}}`;
  const bodies = { ingest: [Buffer.from(obj + '\n'), '/api/v1/ingest', 'application/x-ndjson'], hec: [Buffer.from(`{"event":${obj}}`), '/services/collector/event', 'application/json'], bulk: [Buffer.from(`{"index":{}}\n${obj}\n`), '/_bulk', 'application/x-ndjson'] } as const;
  for (const [name, [b, p, ty]] of Object.entries(bodies)) {
    const cpu0 = process.cpuUsage(); const t0 = performance.now();
    for (let i = 0; i < 30; i++) await send(b as Buffer, p, ty);
    const c = process.cpuUsage(cpu0);
    console.log(name, ((performance.now() - t0) / 30).toFixed(1), 'ms/req wall', ((c.user + c.system) / 1000 / 30).toFixed(1), 'ms cpu/req (client+server)');
  }
});
