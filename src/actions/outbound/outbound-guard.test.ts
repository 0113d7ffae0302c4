import { strict as assert } from 'node:assert';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { OutboundPolicy, OutboundRefusedError, resolveVetted, vetUrl, type Resolver } from './outbound-guard.js';
import { OutboundRequestError, sendOutbound } from './outbound-request.js';

const none = new OutboundPolicy();

async function refusal(promise: Promise<unknown>): Promise<OutboundRefusedError> {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof OutboundRefusedError, `expected a refusal, got ${String(e)}`);
    return e;
  }
  assert.fail('expected the guard to refuse');
}

const fixed = (answers: Record<string, string[]>): Resolver => ({
  async lookupAll(host) {
    const a = answers[host];
    if (!a) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
    return a.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  },
});

describe('outbound guard at save time', () => {
  for (const url of ['http://127.0.0.1/hook', 'http://10.0.0.1/hook', 'http://169.254.169.254/latest/meta-data/', 'http://[::1]:8080/', 'https://[fd00:ec2::254]/', 'http://[::ffff:127.0.0.1]/', 'http://100.64.1.1/', 'http://[fe80::1]/', 'http://0.0.0.0/', 'http://224.0.0.1/', 'http://192.168.1.10/']) {
    it(`refuses ${url}`, async () => {
      const e = await refusal(vetUrl(url, none));
      assert.equal(e.reason, 'forbidden-address');
      assert.match(e.message, /allow list/);
    });
  }

  it('refuses a host name that resolves to loopback (localhost)', async () => {
    const e = await refusal(vetUrl('http://localhost:9/', none));
    assert.equal(e.reason, 'forbidden-address');
    assert.match(e.message, /'localhost' resolves to it/);
  });

  it('refuses a name when any one of its addresses is forbidden', async () => {
    const e = await refusal(resolveVetted('mixed.example', none, fixed({ 'mixed.example': ['93.184.216.34', '10.1.2.3'] })));
    assert.match(e.message, /10\.1\.2\.3/);
  });

  it('refuses cloud metadata names before resolving them', async () => {
    const e = await refusal(vetUrl('http://metadata.google.internal/computeMetadata/v1/', none, fixed({})));
    assert.equal(e.reason, 'forbidden-name');
  });

  it('refuses credentials in the URL, other schemes and nonsense', async () => {
    assert.equal((await refusal(vetUrl('http://user:pass@hooks.example.com/', none))).reason, 'credentials-in-url');
    assert.equal((await refusal(vetUrl('ftp://hooks.example.com/', none))).reason, 'scheme');
    assert.equal((await refusal(vetUrl('file:///etc/passwd', none))).reason, 'scheme');
    assert.equal((await refusal(vetUrl('not a url', none))).reason, 'invalid-url');
  });

  it('says a name that does not resolve is unresolvable', async () => {
    assert.equal((await refusal(vetUrl('https://nowhere.example/', none, fixed({})))).reason, 'unresolvable');
  });

  it('accepts a public address', async () => {
    const target = await vetUrl('https://hooks.example.com/x', none, fixed({ 'hooks.example.com': ['93.184.216.34', '2606:2800:220:1::1'] }));
    assert.equal(target.port, 443);
  });

  it('accepts a forbidden address only when that destination allows it, by network or by host name', async () => {
    await vetUrl('http://127.0.0.1:9/', new OutboundPolicy(['127.0.0.1']));
    await vetUrl('http://10.20.3.4/', new OutboundPolicy(['10.20.0.0/16']));
    await vetUrl('http://[::1]/', new OutboundPolicy(['::1/128']));
    await vetUrl('http://localhost:9/', new OutboundPolicy(['localhost']));
    await refusal(vetUrl('http://10.21.0.1/', new OutboundPolicy(['10.20.0.0/16'])));
  });

  it('rejects an allow entry that is neither network nor host', () => {
    assert.throws(() => new OutboundPolicy(['10.0.0.0/99']), /prefix/);
    assert.throws(() => new OutboundPolicy(['http://x/']), /neither/);
  });
});

describe('outbound request at send time', () => {
  let server: Server;
  let port: number;
  const seen: { host: string | undefined; url: string | undefined }[] = [];
  before(async () => {
    server = createServer((req: IncomingMessage, res) => {
      seen.push({ host: req.headers.host, url: req.url });
      req.resume();
      if (req.url === '/redirect') {
        res.writeHead(302, { location: 'http://169.254.169.254/latest/' }).end();
      } else if (req.url === '/big') {
        res.writeHead(500).end('x'.repeat(100_000));
      } else if (req.url === '/slow') {
        setTimeout(() => res.writeHead(200).end('late'), 2000).unref();
      } else res.writeHead(204).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('refuses a loopback receiver that is not allowed', async () => {
    await refusal(sendOutbound({ url: `http://127.0.0.1:${port}/`, body: '{}', policy: none }));
  });

  it('reaches a loopback receiver explicitly allowed for the destination', async () => {
    const res = await sendOutbound({ url: `http://127.0.0.1:${port}/ok`, body: '{}', policy: new OutboundPolicy(['127.0.0.1/32']) });
    assert.equal(res.status, 204);
    assert.equal(res.address, '127.0.0.1');
  });

  it('connects to the vetted address while keeping the original name in the Host header', async () => {
    let calls = 0;
    const rebinding: Resolver = {
      async lookupAll() {
        calls++;
        return [{ address: '127.0.0.1', family: 4 }];
      },
    };
    const res = await sendOutbound({ url: `http://receiver.test:${port}/pinned`, body: '{}', policy: new OutboundPolicy(['127.0.0.1']), resolver: rebinding });
    assert.equal(res.status, 204);
    assert.equal(calls, 1, 'resolved once, by the guard, never again by the HTTP client');
    assert.equal(seen.at(-1)?.host, `receiver.test:${port}`);
  });

  it('refuses a name that resolves to a forbidden address at send time', async () => {
    const e = await refusal(sendOutbound({ url: `http://receiver.test:${port}/`, body: '{}', policy: none, resolver: fixed({ 'receiver.test': ['127.0.0.1'] }) }));
    assert.equal(e.reason, 'forbidden-address');
  });

  it('never follows a redirect: a 3xx is a failure that is not retried', async () => {
    const before = seen.length;
    await assert.rejects(sendOutbound({ url: `http://127.0.0.1:${port}/redirect`, body: '{}', policy: new OutboundPolicy(['127.0.0.1']) }), (e: unknown) => {
      assert.ok(e instanceof OutboundRequestError);
      assert.equal(e.failure, 'redirect');
      assert.equal(e.retryable, false);
      assert.match(e.message, /302.*does not follow redirects/);
      return true;
    });
    assert.equal(seen.length, before + 1, 'only the first request was made');
  });

  it('reads at most the response limit of a large error body and names the status', async () => {
    await assert.rejects(sendOutbound({ url: `http://127.0.0.1:${port}/big`, body: '{}', policy: new OutboundPolicy(['127.0.0.1']), maxResponseBytes: 64 }), (e: unknown) => {
      assert.ok(e instanceof OutboundRequestError);
      assert.equal(e.status, 500);
      assert.equal(e.retryable, true);
      assert.ok(e.message.length < 300);
      return true;
    });
  });

  it('gives up after the timeout', async () => {
    await assert.rejects(sendOutbound({ url: `http://127.0.0.1:${port}/slow`, body: '{}', policy: new OutboundPolicy(['127.0.0.1']), timeoutMs: 200 }), (e: unknown) => {
      assert.ok(e instanceof OutboundRequestError);
      assert.equal(e.failure, 'timeout');
      return true;
    });
  });
});
