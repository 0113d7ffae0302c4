import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { OutboundPolicy, type Resolver } from './outbound-guard.js';
import { OutboundRequestError, sendOutbound } from './outbound-request.js';

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const toLoopback: Resolver = { lookupAll: async () => [{ address: '127.0.0.1', family: 4 }] };

describe('outbound https to a pinned address', { skip: hasOpenssl() ? false : 'openssl is not installed' }, () => {
  let dir: string;
  let cert: string;
  let server: Server;
  let port: number;
  const serverNames: (string | false)[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=receiver.test', '-addext', 'subjectAltName=DNS:receiver.test', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
    server = createServer({ cert, key: readFileSync(join(dir, 'key.pem')) }, (req, res) => {
      serverNames.push((req.socket as TLSSocket & { servername?: string | false }).servername ?? false);
      req.resume();
      res.writeHead(200).end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('connects to the vetted address and still sends the original name as SNI and checks the certificate for it', async () => {
    const res = await sendOutbound({ url: `https://receiver.test:${port}/hook`, body: '{}', policy: new OutboundPolicy(['127.0.0.1']), resolver: toLoopback, ca: cert });
    assert.equal(res.status, 200);
    assert.equal(res.address, '127.0.0.1');
    assert.equal(serverNames.at(-1), 'receiver.test');
  });

  it('fails when the certificate does not name the host, even though the address is the same', async () => {
    await assert.rejects(sendOutbound({ url: `https://other.test:${port}/hook`, body: '{}', policy: new OutboundPolicy(['127.0.0.1']), resolver: toLoopback, ca: cert }), (e: unknown) => {
      assert.ok(e instanceof OutboundRequestError);
      assert.match(e.message, /ERR_TLS_CERT_ALTNAME_INVALID/);
      return true;
    });
  });
});
