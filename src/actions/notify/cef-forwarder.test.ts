import { strict as assert } from 'node:assert';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { testAlert } from './alert-fixture.test-support.js';
import { CefForwarder, escapeCefExtension, escapeCefHeader, formatCef, type SyslogDestination } from './cef-forwarder.js';

/** Reads octet-counted frames (RFC 6587) from every connection. */
function frameReader(frames: string[]): (socket: Socket) => void {
  return (socket) => {
    let buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        const space = buffer.indexOf(0x20);
        if (space < 0) return;
        const length = Number(buffer.subarray(0, space).toString('ascii'));
        if (buffer.length < space + 1 + length) return;
        frames.push(buffer.subarray(space + 1, space + 1 + length).toString('utf8'));
        buffer = buffer.subarray(space + 1 + length);
      }
    });
  };
}

const tricky = testAlert({
  id: 'alert-cef',
  ruleId: 'rule|with|pipes',
  ruleTitle: 'Title with | pipe, \\ backslash = equals\nand newline',
  level: 'critical',
  ruleAuthor: 'a=b\\c',
  details: { entities: { 'source.ip': '203.0.113.9', 'destination.port': 22, 'user.name': 'line1\r\nline2', 'host.name': 'web=01' }, tags: ['attack.t1110'] },
});

describe('CEF formatting', () => {
  it('escapes backslash and pipe in header fields and strips line breaks', () => {
    assert.equal(escapeCefHeader('a|b\\c\nd'), 'a\\|b\\\\c d');
  });

  it('escapes backslash, equals and line breaks in extension values', () => {
    assert.equal(escapeCefExtension('a=b\\c\r\nd\re|f'), 'a\\=b\\\\c\\nd\\re|f');
  });

  it('maps level to severity, entities to CEF keys, and keeps every entity in cs3', () => {
    const cef = formatCef(tricky, '1.2.3');
    assert.ok(cef.startsWith('CEF:0|Vigil|Vigil|1.2.3|rule\\|with\\|pipes|Title with \\| pipe, \\\\ backslash = equals and newline|10|'), cef);
    assert.match(cef, / src=203\.0\.113\.9 /);
    assert.match(cef, / dpt=22 /);
    assert.match(cef, / suser=line1\\nline2 /);
    assert.match(cef, / cs1=a\\=b\\\\c /);
    assert.match(cef, /cs3=destination\.port\\=22; host\.name\\=web\\=01; source\.ip\\=203\.0\.113\.9; user\.name\\=line1\\nline2$/);
    assert.doesNotMatch(cef, /[\r\n]/);
  });
});

describe('CEF forwarder', () => {
  let dir: string;
  const closers: (() => Promise<void>)[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-cef-'));
  });
  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c();
    rmSync(dir, { recursive: true, force: true });
  });

  function forwarder(destination: SyslogDestination): CefForwarder {
    const f = new CefForwarder({ destination, journalDir: join(dir, 'journal'), deadLetterFile: join(dir, 'dl.ndjson'), hostname: 'vigil-test', retry: { maxTries: 3, baseDelayMs: 10, maxDelayMs: 20 }, timeoutMs: 2000 });
    closers.push(() => f.close());
    f.start();
    return f;
  }

  it('sends octet-counted RFC 5424 messages carrying escaped CEF over TCP', async () => {
    const frames: string[] = [];
    const sockets = new Set<Socket>();
    const server: Server = createServer((s) => {
      sockets.add(s);
      frameReader(frames)(s);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    });
    const f = forwarder({ name: 'siem', host: '127.0.0.1', port: (server.address() as AddressInfo).port, transport: 'tcp', allow: ['127.0.0.0/8'] });
    f.notify(tricky);
    f.notify(testAlert({ level: 'low' }));
    await f.idle();
    while (frames.length < 2) await new Promise((r) => setTimeout(r, 5));
    assert.match(frames[0]!, /^<34>1 2026-11-29T01:02:03\.000Z vigil-test vigil \d+ alert - CEF:0\|Vigil\|Vigil\|/);
    assert.ok(frames[0]!.includes('|rule\\|with\\|pipes|Title with \\| pipe, \\\\ backslash = equals and newline|10|'));
    assert.ok(frames[0]!.includes(' cs1=a\\=b\\\\c '));
    assert.match(frames[1]!, /^<37>1 /, 'facility 4, notice for a low alert');
    assert.equal(sockets.size, 1, 'one connection carries both');
  });

  it('sends one datagram per alert over UDP', async () => {
    const udp = createSocket('udp4');
    const got: string[] = [];
    udp.on('message', (m) => got.push(m.toString('utf8')));
    await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
    closers.push(async () => void udp.close());
    const f = forwarder({ name: 'siem-udp', host: '127.0.0.1', port: udp.address().port, transport: 'udp', allow: ['127.0.0.1'] });
    f.notify(tricky);
    await f.idle();
    while (got.length < 1) await new Promise((r) => setTimeout(r, 5));
    assert.match(got[0]!, /^<34>1 .* CEF:0\|Vigil\|/);
  });

  it('refuses a private syslog host that is not allowed', async () => {
    const f = forwarder({ name: 'siem-private', host: '10.0.0.1', port: 514, transport: 'tcp' });
    f.notify(tricky);
    await f.idle();
    assert.equal(f.stats.deadLettered, 1);
  });
});
