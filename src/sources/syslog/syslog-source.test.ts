import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect as connectTls, type TLSSocket } from 'node:tls';
import { VigilError } from '../../core/errors.js';
import type { Event } from '../../core/event.js';
import { Metrics } from '../../core/metrics.js';
import { makeTestCert, type TestCert } from '../../../test/support/tls-cert.js';
import { LINE_3164, LINE_5424, RecordingSink, counter, openTcp, sendUdp, startSource, until } from '../../../test/support/syslog-listener-harness.js';
import { SyslogSource } from './syslog-source.js';

describe('SyslogSource listeners', () => {
  let cert: TestCert;
  let certDir: string;
  before(() => {
    certDir = mkdtempSync(join(tmpdir(), 'vigil-syslog-tls-'));
    cert = makeTestCert(certDir);
  });
  after(() => rmSync(certDir, { recursive: true, force: true }));

  it('turns a UDP datagram into an event carrying the sender address', async () => {
    const { source, sink, metrics } = await startSource({ tcp: false });
    try {
      const port = source.addresses().udp?.port ?? 0;
      assert.ok(port > 0);
      assert.equal(source.addresses().tcp, undefined);
      const clientPort = await sendUdp(port, `${LINE_3164}\n`);
      await until(() => sink.events.length === 1, 'the UDP event');
      const [event] = sink.events as [Event];
      assert.equal(event.tenant, 't1');
      assert.deepEqual(event.source, { input: 'syslog', kind: 'syslog-udp', address: `127.0.0.1:${clientPort}` });
      assert.equal(event.format, 'rfc3164');
      assert.equal(event.original, LINE_3164);
      assert.equal(event.fields['host.name'], 'mymachine');
      assert.equal(await counter(metrics, 'received', { input: 'syslog' }), 1);
    } finally {
      await source.stop();
    }
  });

  it('reads LF-framed and octet-counted messages on one TCP connection', async () => {
    const { source, sink } = await startSource({ udp: false });
    try {
      const socket = await openTcp(source.addresses().tcp?.port ?? 0);
      socket.write(`${LINE_3164}\n${Buffer.byteLength(LINE_5424)} ${LINE_5424}${LINE_3164} again\r\n`);
      await until(() => sink.events.length === 3, 'three TCP events');
      assert.deepEqual(sink.texts(), [LINE_3164, LINE_5424, `${LINE_3164} again`]);
      const [first, second] = sink.events as [Event, Event];
      assert.equal(first.source.kind, 'syslog-tcp');
      assert.equal(first.source.address, `127.0.0.1:${socket.localPort}`);
      assert.equal(second.format, 'rfc5424');
      assert.equal(second.fields['log.syslog.structured_data.x@1.a'], 'b');
      socket.destroy();
    } finally {
      await source.stop();
    }
  });

  it('accepts TLS from a client that trusts the certificate, and never parses a plaintext client on the TLS port', async () => {
    const { source, sink, metrics } = await startSource({
      udp: false,
      tcp: false,
      tls: { listen: '127.0.0.1:0', cert: cert.certPath, key: cert.keyPath, requireClientCert: false },
    });
    try {
      const port = source.addresses().tls?.port ?? 0;
      const plain = await openTcp(port);
      plain.write(`${LINE_3164} in the clear\n`);
      await new Promise((resolve) => plain.once('close', resolve));
      assert.equal(await counter(metrics, 'dropped', { reason: 'connection-error' }), 1);

      const client: TLSSocket = connectTls({ port, host: '127.0.0.1', ca: cert.cert, servername: 'localhost' });
      await new Promise<void>((resolve, reject) => client.once('secureConnect', resolve).once('error', reject));
      assert.ok(['TLSv1.2', 'TLSv1.3'].includes(client.getProtocol() ?? ''));
      client.write(`${LINE_3164}\n`);
      await until(() => sink.events.length === 1, 'the TLS event');
      assert.equal(sink.events[0]?.source.kind, 'syslog-tls');
      assert.deepEqual(sink.texts(), [LINE_3164]);
      client.destroy();
    } finally {
      await source.stop();
    }
  });

  it('with requireClientCert, refuses a client without a certificate and accepts one the CA signed', async () => {
    const { source, sink, metrics } = await startSource({
      udp: false,
      tcp: false,
      tls: { listen: '127.0.0.1:0', cert: cert.certPath, key: cert.keyPath, ca: cert.certPath, requireClientCert: true },
    });
    try {
      const port = source.addresses().tls?.port ?? 0;
      const anonymous = connectTls({ port, host: '127.0.0.1', ca: cert.cert, servername: 'localhost' });
      anonymous.on('error', () => {});
      anonymous.write(`${LINE_3164} anonymous\n`);
      await new Promise((resolve) => anonymous.once('close', resolve));
      const mutual = connectTls({ port, host: '127.0.0.1', ca: cert.cert, cert: cert.cert, key: cert.key, servername: 'localhost' });
      await new Promise<void>((resolve, reject) => mutual.once('secureConnect', resolve).once('error', reject));
      mutual.write(`${LINE_3164} mutual\n`);
      await until(() => sink.events.length === 1, 'the mutual-TLS event');
      assert.deepEqual(sink.texts(), [`${LINE_3164} mutual`]);
      assert.ok((await counter(metrics, 'dropped', { reason: 'connection-error' })) >= 1);
      mutual.destroy();
    } finally {
      await source.stop();
    }
  });

  it('truncates and flags an oversized message over TCP and over UDP', async () => {
    const { source, sink, metrics } = await startSource({ maxMessageBytes: 2048 });
    try {
      const long = `<13>Oct 11 22:14:15 host app: ${'x'.repeat(5000)}`;
      const socket = await openTcp(source.addresses().tcp?.port ?? 0);
      socket.write(`${long}\nshort one\n`);
      await sendUdp(source.addresses().udp?.port ?? 0, long);
      await until(() => sink.events.length === 3, 'three events');
      const truncated = sink.events.filter((e) => e.flags.includes('truncated'));
      assert.equal(truncated.length, 2);
      for (const event of truncated) {
        assert.equal(event.original, long.slice(0, 2048));
        assert.equal(event.format, 'rfc3164');
      }
      assert.ok(sink.texts().includes('short one'));
      assert.equal(await counter(metrics, 'truncated', { input: 'syslog' }), 2);
      socket.destroy();
    } finally {
      await source.stop();
    }
  });

  it('stores a malformed line as raw and unparsed instead of dropping it', async () => {
    const { source, sink, metrics } = await startSource();
    try {
      const socket = await openTcp(source.addresses().tcp?.port ?? 0);
      socket.write('this is not syslog at all\n');
      await until(() => sink.events.length === 1, 'the raw event');
      const [event] = sink.events as [Event];
      assert.equal(event.format, 'raw');
      assert.deepEqual(event.flags, ['unparsed']);
      assert.equal(event.fields.message, 'this is not syslog at all');
      assert.equal(await counter(metrics, 'parseFailed', { input: 'syslog' }), 1);
      socket.destroy();
    } finally {
      await source.stop();
    }
  });

  it('reads each message in its own format by default: syslog, a JSON object and an access line on one connection', async () => {
    const { source, sink } = await startSource({ udp: false });
    try {
      const socket = await openTcp(source.addresses().tcp?.port ?? 0);
      socket.write(`${LINE_3164}\n{"event":{"action":"login"},"user":{"name":"ann"}}\n203.0.113.7 - - [28/Nov/2026:10:00:00 +0000] "GET /x HTTP/1.1" 404 0\n`);
      await until(() => sink.events.length === 3, 'three events');
      assert.deepEqual(sink.events.map((e) => e.format), ['rfc3164', 'json', 'web-access']);
      assert.equal(sink.events[1]!.fields['user.name'], 'ann');
      assert.equal(sink.events[2]!.fields['http.response.status_code'], 404);
      socket.destroy();
    } finally {
      await source.stop();
    }
  });

  it('an input with an explicit format reads only that, and names its own config key in errors', async () => {
    const { source, sink, metrics } = await startSource({ udp: false, name: 'cef-in', format: 'cef', configKey: 'syslog.inputs.0' });
    try {
      const socket = await openTcp(source.addresses().tcp?.port ?? 0);
      socket.write(`CEF:0|Acme|IDS|1.0|42|Port scan|7|src=10.0.0.1 dst=10.0.0.2\n${LINE_3164}\n`);
      await until(() => sink.events.length === 2, 'two events');
      const [cef, other] = sink.events as [Event, Event];
      assert.equal(cef.source.input, 'cef-in');
      assert.equal(cef.fields['source.ip'], '10.0.0.1');
      assert.deepEqual([other.format, other.flags], ['raw', ['unparsed']]);
      assert.equal(await counter(metrics, 'parseFailed', { input: 'cef-in' }), 1);
      socket.destroy();
      const taken = `127.0.0.1:${source.addresses().tcp?.port}`;
      const clash = new SyslogSource({ tenant: 't', udp: false, tcp: taken, configKey: 'syslog.inputs.3', maxMessageBytes: 2048, maxConnections: 1, idleTimeoutMs: 1000, metrics: new Metrics() });
      await assert.rejects(clash.start(new RecordingSink()), (e: unknown) => e instanceof VigilError && e.where === 'vigil.yaml: syslog.inputs.3.tcp');
    } finally {
      await source.stop();
    }
  });

  it('gathers UDP datagrams into batches', async () => {
    const { source, sink } = await startSource({ tcp: false });
    try {
      const port = source.addresses().udp?.port ?? 0;
      const client = createSocket('udp4');
      await Promise.all(Array.from({ length: 50 }, (_, i) => new Promise((resolve) => client.send(`datagram ${i}`, port, '127.0.0.1', resolve))));
      client.close();
      await until(() => sink.events.length === 50, 'fifty events');
      assert.ok(sink.submits < 50, `${sink.submits} submits for 50 datagrams`);
    } finally {
      await source.stop();
    }
  });

  it('listens for UDP and TCP on the same port number', async () => {
    const probe = await startSource({ udp: false });
    const port = probe.source.addresses().tcp?.port ?? 0;
    await probe.source.stop();
    const { source, sink } = await startSource({ udp: `127.0.0.1:${port}`, tcp: `127.0.0.1:${port}` });
    try {
      assert.equal(source.addresses().udp?.port, port);
      assert.equal(source.addresses().tcp?.port, port);
      await sendUdp(port, 'by udp');
      const socket = await openTcp(port);
      socket.write('by tcp\n');
      await until(() => sink.events.length === 2, 'both events');
      assert.deepEqual(sink.texts().sort(), ['by tcp', 'by udp']);
      socket.destroy();
    } finally {
      await source.stop();
    }
  });

  it('fails to start with config-invalid naming the key when the port is taken', async () => {
    const first = await startSource({ udp: false });
    try {
      const taken = `127.0.0.1:${first.source.addresses().tcp?.port}`;
      const second = new SyslogSource({ tenant: 't', udp: false, tcp: taken, maxMessageBytes: 2048, maxConnections: 1, idleTimeoutMs: 1000, metrics: new Metrics() });
      await assert.rejects(second.start(new RecordingSink()), (e: unknown) => e instanceof VigilError && e.code === 'config-invalid' && e.where === 'vigil.yaml: syslog.tcp' && /already in use/.test(e.message));
    } finally {
      await first.source.stop();
    }
  });

  it('fails to start with config-invalid when a TLS file cannot be read', async () => {
    const source = new SyslogSource({
      tenant: 't',
      udp: '127.0.0.1:0',
      tcp: false,
      tls: { listen: '127.0.0.1:0', cert: join(certDir, 'missing.pem'), key: cert.keyPath, requireClientCert: false },
      maxMessageBytes: 2048,
      maxConnections: 1,
      idleTimeoutMs: 1000,
      metrics: new Metrics(),
    });
    await assert.rejects(source.start(new RecordingSink()), (e: unknown) => e instanceof VigilError && e.code === 'config-invalid' && e.where === 'vigil.yaml: syslog.tls.cert');
    assert.deepEqual(source.addresses(), {}, 'the UDP listener bound before the failure is closed again');
  });
});
