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

/**
 * The proof: real listeners on the private addresses count every TCP connection that
 * reaches them, and every form of a private destination (webhooks and response actions both
 * send through sendOutbound) must leave that count at 0.
 */
describe('0 requests leave for a private destination, in any spelling', () => {
  let loopback: Server;
  let loopbackV6: Server | undefined;
  let second: Server;
  let redirector: Server;
  let port = 0;
  let portV6 = 0;
  let secondPort = 0;
  let redirectorPort = 0;
  const arrived = { loopback: 0, loopbackV6: 0, second: 0 };

  const counting = (key: keyof typeof arrived): Server => {
    const s = createServer((_req, res) => res.writeHead(204).end());
    s.on('connection', () => arrived[key]++);
    return s;
  };

  before(async () => {
    loopback = counting('loopback');
    await new Promise<void>((r) => loopback.listen(0, '127.0.0.1', r));
    port = (loopback.address() as AddressInfo).port;
    const v6 = counting('loopbackV6');
    // ::1 may be missing in a container without IPv6: then that case checks the guard alone.
    loopbackV6 = await new Promise<Server | undefined>((resolve) => {
      v6.once('error', () => resolve(undefined));
      v6.listen(0, '::1', () => resolve(v6));
    });
    portV6 = loopbackV6 ? (loopbackV6.address() as AddressInfo).port : port;
    second = counting('second');
    await new Promise<void>((r) => second.listen(0, '127.0.0.2', r));
    secondPort = (second.address() as AddressInfo).port;
    redirector = createServer((_req, res) => res.writeHead(307, { location: `http://127.0.0.2:${secondPort}/landed` }).end());
    await new Promise<void>((r) => redirector.listen(0, '127.0.0.1', r));
    redirectorPort = (redirector.address() as AddressInfo).port;
  });
  after(async () => {
    for (const s of [loopback, loopbackV6, second, redirector]) {
      if (!s) continue;
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
  });

  const forms = (): string[] => [
    `http://127.0.0.1:${port}/hook`,
    `http://2130706433:${port}/hook`, // 127.0.0.1 as one decimal number
    `http://0x7f.1:${port}/hook`, // hexadecimal and short form
    `http://0177.0.0.1:${port}/hook`, // octal
    `http://[::ffff:127.0.0.1]:${port}/hook`, // IPv4-mapped IPv6
    `http://[::ffff:7f00:1]:${port}/hook`,
    `http://[::1]:${portV6}/hook`,
    `http://localhost:${port}/hook`,
    'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
  ];

  it('refuses every spelling of loopback and the metadata address, at save time and at send time, and nothing arrives', async () => {
    for (const url of forms()) {
      assert.equal((await refusal(vetUrl(url, none))).reason, 'forbidden-address', url);
      assert.equal((await refusal(sendOutbound({ url, body: '{}', policy: none, timeoutMs: 1000 }))).reason, 'forbidden-address', url);
    }
    assert.deepEqual(arrived, { loopback: 0, loopbackV6: 0, second: 0 });
  });

  it('refuses a name that resolves to a private address (resolver hook), and nothing arrives', async () => {
    const resolver = fixed({ 'hooks.attacker.test': ['127.0.0.1'], 'v6.attacker.test': ['::1'], 'meta.attacker.test': ['169.254.169.254'] });
    for (const host of ['hooks.attacker.test', 'v6.attacker.test', 'meta.attacker.test']) {
      const url = `http://${host}:${host.startsWith('v6') ? portV6 : port}/hook`;
      assert.equal((await refusal(vetUrl(url, none, resolver))).reason, 'forbidden-address', url);
      assert.equal((await refusal(sendOutbound({ url, body: '{}', policy: none, resolver, timeoutMs: 1000 }))).reason, 'forbidden-address', url);
    }
    assert.deepEqual(arrived, { loopback: 0, loopbackV6: 0, second: 0 });
  });

  it('does not follow a redirect from an allowed receiver to a private address: nothing arrives there', async () => {
    const allowed = new OutboundPolicy(['127.0.0.1/32']);
    await assert.rejects(sendOutbound({ url: `http://127.0.0.1:${redirectorPort}/hook`, body: '{}', policy: allowed, timeoutMs: 1000 }), (e: unknown) => {
      assert.ok(e instanceof OutboundRequestError);
      assert.equal(e.failure, 'redirect');
      return true;
    });
    assert.equal(arrived.second, 0, 'the redirect target 127.0.0.2 got a connection');
    // The counting listener does count: an allowed request to it arrives.
    await sendOutbound({ url: `http://127.0.0.2:${secondPort}/direct`, body: '{}', policy: new OutboundPolicy(['127.0.0.2/32']), timeoutMs: 1000 });
    assert.equal(arrived.second, 1);
  });
});
