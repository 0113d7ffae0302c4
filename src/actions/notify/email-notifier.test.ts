import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { SMTPServer } from 'smtp-server';
import { testAlert } from './alert-fixture.test-support.js';
import { EmailNotifier, type EmailDestination } from './email-notifier.js';

interface ReceivedMail {
  readonly from: string;
  readonly to: string[];
  readonly raw: string;
}

describe('email notifier against a real SMTP server', () => {
  let server: SMTPServer;
  let port: number;
  const received: ReceivedMail[] = [];
  let dir: string;
  const notifiers: EmailNotifier[] = [];

  before(async () => {
    server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onRcptTo(address, _session, callback) {
        if (address.address.startsWith('nobody@')) callback(Object.assign(new Error('No such user'), { responseCode: 550 }));
        else callback();
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          received.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks).toString('utf8'),
          });
          callback();
        });
      },
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.server.address() as AddressInfo).port;
  });
  after(async () => {
    await new Promise<void>((r) => server.close(() => r()));
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-email-'));
  });
  afterEach(async () => {
    for (const n of notifiers.splice(0)) await n.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function notifier(overrides: Partial<EmailDestination> = {}): EmailNotifier {
    const n = new EmailNotifier({
      destination: { name: 'soc-mail', smtp: { host: '127.0.0.1', port, secure: false }, from: 'vigil@example.com', to: ['soc@example.com'], allow: ['127.0.0.1'], ...overrides },
      journalDir: join(dir, 'journal'),
      deadLetterFile: join(dir, 'dead-letter.ndjson'),
      retry: { maxTries: 3, baseDelayMs: 10, maxDelayMs: 20 },
      timeoutMs: 5000,
    });
    notifiers.push(n);
    n.start();
    return n;
  }

  it('delivers the rule title, level, author and entities in plain text and HTML', async () => {
    const n = notifier();
    const id = n.notify(testAlert({ ruleTitle: 'Brute force <script>alert(1)</script>', details: { entities: { 'source.ip': '198.51.100.23', 'user.name': 'mallory' } } }));
    await n.idle();
    assert.equal(n.stats.delivered, 1);
    const mail = received.at(-1)!;
    assert.deepEqual(mail.to, ['soc@example.com']);
    assert.equal(mail.from, 'vigil@example.com');
    const decoded = mail.raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
    assert.match(decoded, /Subject: \[Vigil high\] Brute force <script>alert\(1\)<\/script>/);
    assert.match(decoded, /Rule author: Vigil/);
    assert.match(decoded, /source\.ip=198\.51\.100\.23/);
    assert.match(decoded, /user\.name=mallory/);
    assert.match(decoded, /<h2>Brute force &lt;script&gt;alert\(1\)&lt;\/script&gt;<\/h2>/, 'HTML part escapes alert content');
    assert.doesNotMatch(decoded, /<h2>Brute force <script>/);
    assert.match(decoded, new RegExp(`X-Vigil-Delivery: ${id}`));
  });

  it('keeps a subject template on one line whatever the alert says', async () => {
    const n = notifier({ template: 'ALERT {{rule.title}} from {{entities.source.ip}}' });
    n.notify(testAlert({ ruleTitle: 'Line one\r\nBcc: victim@example.com' }));
    await n.idle();
    const mail = received.at(-1)!;
    const headers = mail.raw.slice(0, mail.raw.indexOf('\r\n\r\n'));
    assert.match(headers, /Subject: ALERT Line one Bcc: victim@example.com from 203\.0\.113\.7/);
    assert.doesNotMatch(headers, /^Bcc:/m, 'no header injected');
    assert.deepEqual(mail.to, ['soc@example.com'], 'no recipient added');
  });

  it('dead-letters a mail the server refuses permanently, without retrying', async () => {
    const n = notifier({ to: ['nobody@example.com'] });
    n.notify(testAlert());
    await n.idle();
    const line = JSON.parse(readFileSync(join(dir, 'dead-letter.ndjson'), 'utf8').trim()) as Record<string, unknown>;
    assert.equal(line['attempts'], 1);
    assert.match(String(line['reason']), /not retried: SMTP 127\.0\.0\.1:\d+: .*550/);
  });

  it('refuses a loopback relay that is not on the allow list', async () => {
    const n = notifier({ smtp: { host: 'localhost', port, secure: false }, allow: [] });
    n.notify(testAlert());
    await n.idle();
    assert.match(readFileSync(join(dir, 'dead-letter.ndjson'), 'utf8'), /'localhost' resolves to it/);
  });
});
