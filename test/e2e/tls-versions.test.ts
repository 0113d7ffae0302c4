/**
 * The TLS listeners of a real `vigil serve` (HTTP with http.tls, syslog over TLS) refuse TLS 1.0
 * and 1.1 and plain text, count each refusal in /metrics, and keep serving TLS 1.2 and 1.3.
 *
 * OpenSSL's default security level would stop the client from even offering TLS 1.0/1.1;
 * `DEFAULT@SECLEVEL=0` makes it really offer them, so the refusal measured is the server's.
 */
import { strict as assert } from 'node:assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import tls from 'node:tls';
import { makeTestCert, type TestCert } from '../support/tls-cert.js';
import { hostPort, startVigil, type VigilProcess } from '../support/vigil-process.js';

let data = '';
let server: VigilProcess;
let cert: TestCert;
let httpTls: { host: string; port: number };
let syslogTls: { host: string; port: number };

async function metricsText(): Promise<string> {
  // The HTTP listener is TLS with a self-signed certificate: use a TLS socket by hand.
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ ...httpTls, ca: cert.cert, servername: 'localhost' }, () => {
      socket.write(`GET /metrics HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${server.token}\r\nConnection: close\r\n\r\n`);
    });
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (text += d));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
}

async function counter(name: string, labels: string[]): Promise<number> {
  let total = 0;
  for (const line of (await metricsText()).split('\n')) {
    if (line.startsWith(`${name}{`) && labels.every((l) => line.includes(l))) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

/** Tries a handshake; resolves with the negotiated protocol, or the error's message. */
function handshake(target: { host: string; port: number }, options: tls.ConnectionOptions): Promise<{ protocol?: string; error?: string }> {
  return new Promise((resolve) => {
    const socket = tls.connect({ ...target, ca: cert.cert, servername: 'localhost', ...options }, () => {
      const protocol = socket.getProtocol() ?? undefined;
      socket.destroy();
      resolve({ protocol });
    });
    socket.setTimeout(5000, () => socket.destroy(new Error('no answer within 5 s')));
    socket.on('error', (error) => resolve({ error: error.message }));
  });
}

/** Sends plain text to a TLS port; resolves with what came back and how the server ended it. */
function plainText(target: { host: string; port: number }, text: string): Promise<{ reply: string; closedByServer: boolean }> {
  return new Promise((resolve) => {
    const socket = net.connect(target, () => socket.write(text));
    let reply = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (reply += d));
    socket.setTimeout(5000, () => {
      socket.destroy();
      resolve({ reply, closedByServer: false });
    });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve({ reply, closedByServer: true }));
  });
}

const OLD_VERSIONS: tls.ConnectionOptions[] = [
  { minVersion: 'TLSv1', maxVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0' },
  { minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' },
];

describe('TLS listeners of vigil serve', { timeout: 120_000 }, () => {
  before(async () => {
    data = await mkdtemp(join(tmpdir(), 'vigil-tls-versions-'));
    cert = makeTestCert();
    const config = join(data, 'vigil.yaml');
    await writeFile(
      config,
      [
        'http:',
        '  tls:',
        `    cert: ${cert.certPath}`,
        `    key: ${cert.keyPath}`,
        'syslog:',
        '  tls:',
        '    listen: 127.0.0.1:0',
        `    cert: ${cert.certPath}`,
        `    key: ${cert.keyPath}`,
        '',
      ].join('\n'),
    );
    server = await startVigil(data, ['--config', config]);
    const url = new URL(server.info.http);
    assert.equal(url.protocol, 'https:');
    httpTls = { host: url.hostname, port: Number(url.port) };
    assert.ok(server.info.syslog.tls, `no syslog TLS listener in server.json: ${JSON.stringify(server.info)}`);
    syslogTls = hostPort(server.info.syslog.tls);
  });
  after(async () => {
    await server?.stop();
    if (data) await rm(data, { recursive: true, force: true });
  });

  for (const [name, target] of [
    ['HTTP (http.tls)', () => httpTls],
    ['syslog TLS', () => syslogTls],
  ] as const) {
    it(`${name}: refuses TLS 1.0 and 1.1 offered for real, counts it, and keeps serving TLS 1.2 and 1.3`, async (t) => {
      const input = name.startsWith('HTTP') ? 'input="http"' : 'input="syslog"';
      const refusedBefore = await counter('vigil_events_dropped_total', [input, 'reason="connection-error"']);
      for (const options of OLD_VERSIONS) {
        const result = await handshake(target(), options);
        t.diagnostic(`${name} ${options.maxVersion}: ${result.error ?? result.protocol}`);
        assert.equal(result.protocol, undefined, `${name} accepted ${result.protocol}`);
        // The client did offer the version: the refusal is the server's alert, not a local "no protocols".
        assert.doesNotMatch(result.error ?? '', /no protocols available|no ciphers available/);
        assert.match(result.error ?? '', /protocol version|unsupported protocol|handshake failure|wrong version/i);
      }
      for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
        const result = await handshake(target(), { minVersion: version, maxVersion: version });
        assert.equal(result.protocol, version, `${name} with ${version}: ${result.error}`);
      }
      let refused = 0;
      for (let i = 0; i < 20 && refused < 2; i++) {
        refused = (await counter('vigil_events_dropped_total', [input, 'reason="connection-error"'])) - refusedBefore;
        if (refused < 2) await sleep(50);
      }
      t.diagnostic(`${name}: refusals counted ${refused}`);
      assert.ok(refused >= 2, `${name}: ${refused} refusals counted for 2 refused handshakes`);
    });
  }

  it('HTTP (http.tls): a plain-text HTTP request is not answered as HTTP, is counted, and HTTPS still works', async () => {
    const before = await counter('vigil_events_dropped_total', ['input="http"', 'reason="connection-error"']);
    const result = await plainText(httpTls, `GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${server.token}\r\n\r\n`);
    assert.ok(result.closedByServer, 'the server kept the plain-text connection open');
    assert.doesNotMatch(result.reply, /HTTP\/1\.1 200/);
    await sleep(100);
    assert.ok((await counter('vigil_events_dropped_total', ['input="http"', 'reason="connection-error"'])) > before);
    assert.match(await metricsText(), /HTTP\/1\.1 200/);
  });

  it('syslog TLS: a plain-text syslog line is refused, counted and not stored as an event', async () => {
    const receivedBefore = await counter('vigil_events_received_total', ['input="syslog"']);
    const before = await counter('vigil_events_dropped_total', ['input="syslog"', 'reason="connection-error"']);
    const result = await plainText(syslogTls, '<13>Dec  7 12:00:00 plain app: this must not be read\n');
    assert.ok(result.closedByServer, 'the server kept the plain-text connection open');
    await sleep(100);
    assert.ok((await counter('vigil_events_dropped_total', ['input="syslog"', 'reason="connection-error"'])) > before);
    assert.equal(await counter('vigil_events_received_total', ['input="syslog"']), receivedBefore);
    // A TLS 1.3 sender still gets its line in.
    await new Promise<void>((resolve, reject) => {
      const socket = tls.connect({ ...syslogTls, ca: cert.cert, servername: 'localhost', minVersion: 'TLSv1.3' }, () => {
        socket.end('<13>Dec  7 12:00:00 good app: over TLS 1.3\n', () => resolve());
      });
      socket.on('error', reject);
    });
    let received = 0;
    for (let i = 0; i < 50 && received === 0; i++) {
      received = (await counter('vigil_events_received_total', ['input="syslog"'])) - receivedBefore;
      if (received === 0) await sleep(100);
    }
    assert.equal(received, 1);
  });
});
