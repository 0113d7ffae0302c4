import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { VigilError } from '../../core/errors.js';
import { parseNotificationsConfig, vetDestinations } from './notify-config.js';

const SECRET = 'sixteen-chars-or-more';

function configError(input: unknown): VigilError {
  try {
    parseNotificationsConfig(input);
  } catch (e) {
    assert.ok(e instanceof VigilError);
    assert.equal(e.code, 'config-invalid');
    return e;
  }
  assert.fail('expected a config error');
}

describe('notifications config', () => {
  it('fills defaults for an empty section', () => {
    const c = parseNotificationsConfig(undefined);
    assert.deepEqual(c.destinations, []);
    assert.deepEqual(c.retry, { maxTries: 8, baseDelayMs: 1000, maxDelayMs: 300_000 });
    assert.equal(c.maxPending, 10_000);
  });

  it('accepts every destination type', () => {
    const c = parseNotificationsConfig({
      destinations: [
        { name: 'hook', type: 'webhook', url: 'https://hooks.example.com/vigil', secret: SECRET },
        { name: 'chat', type: 'slack', url: 'https://hooks.slack.com/services/T/B/X', template: '*{{rule.title}}*' },
        { name: 'teams', type: 'teams', url: 'https://example.webhook.office.com/x', card: 'adaptive' },
        { name: 'mail', type: 'email', smtp: { host: 'smtp.example.com', user: 'vigil', passwordFile: '/run/secrets/smtp' }, from: 'vigil@example.com', to: ['soc@example.com'] },
        { name: 'siem', type: 'syslog', syslog: { host: '10.1.2.3', transport: 'udp' }, allow: ['10.1.2.3'] },
      ],
      routes: [{ destinations: ['hook', 'chat'], minLevel: 'high', tags: ['attack.credential-access'] }],
      retry: { maxTries: 5, baseDelayMs: 500, maxDelayMs: 60_000 },
    });
    assert.equal(c.destinations.length, 5);
    const mail = c.destinations[3]!;
    assert.ok(mail.type === 'email' && mail.smtp.port === 587 && mail.smtp.secure === false);
    const siem = c.destinations[4]!;
    assert.ok(siem.type === 'syslog' && siem.syslog.port === 514 && siem.syslog.facility === 4);
    assert.deepEqual(c.routes[0]!.rules, []);
  });

  it('names the key and the fix for a URL with credentials', () => {
    const e = configError({ destinations: [{ name: 'hook', type: 'webhook', url: 'https://u:p@hooks.example.com/', secret: SECRET }] });
    assert.match(e.message, /^notifications\.destinations\.0\.url: .*user name or password/);
  });

  it('refuses a non-http scheme, a bad allow entry and a broken template', () => {
    assert.match(configError({ destinations: [{ name: 'h', type: 'slack', url: 'gopher://x/' }] }).message, /destinations\.0\.url: scheme 'gopher'/);
    assert.match(configError({ destinations: [{ name: 'h', type: 'slack', url: 'https://x/', allow: ['10.0.0.0/40'] }] }).message, /destinations\.0\.allow/);
    assert.match(configError({ destinations: [{ name: 'h', type: 'slack', url: 'https://x/', template: 'hi {{#rule}}' }] }).message, /destinations\.0\.template: template line 1, column 6/);
  });

  it('requires a webhook secret, unique names and routes to known destinations', () => {
    assert.match(configError({ destinations: [{ name: 'h', type: 'webhook', url: 'https://x/' }] }).message, /exactly one of secret or secretFile/);
    assert.match(configError({ destinations: [{ name: 'h', type: 'slack', url: 'https://x/' }, { name: 'h', type: 'slack', url: 'https://y/' }] }).message, /defined twice/);
    assert.match(configError({ routes: [{ destinations: ['ghost'] }] }).message, /routes\.0\.destinations\.0: no destination is named 'ghost'/);
    assert.match(configError({ routes: [{ destinations: [], minLevel: 'high' }] }).message, /routes\.0\.destinations/);
    assert.match(configError({ retry: { baseDelayMs: 10_000, maxDelayMs: 5 } }).message, /maxDelayMs must be at least baseDelayMs/);
  });

  it('refuses at save time a destination that resolves to a forbidden address', async () => {
    const c = parseNotificationsConfig({ destinations: [{ name: 'local', type: 'slack', url: 'http://localhost:9/' }] });
    await assert.rejects(vetDestinations(c), (e: unknown) => e instanceof VigilError && /notifications\.destinations\.0 \('local'\): 127\.0\.0\.1|::1/.test(e.message));
    const allowed = parseNotificationsConfig({ destinations: [{ name: 'local', type: 'slack', url: 'http://localhost:9/', allow: ['localhost'] }] });
    await vetDestinations(allowed);
  });
});
