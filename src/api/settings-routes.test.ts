/**
 * The settings pages' configuration views: admin only, and no secret in them, however the
 * configuration spells it (URL user info, path and query, HMAC keys, header values, bodies,
 * command arguments).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseNotificationsConfig } from '../actions/notify/notify-config.js';
import { readPlaybook } from '../actions/response/playbook.js';
import { ResponseEngine } from '../actions/response/response-engine.js';
import { bearer, startTestServer, type TestServer } from './test-server.test-support.js';
import { REDACTED, redactArgs, redactUrl } from './secret-redaction.js';

const SECRETS = [
  'T0HOOK/B0HOOK/slackSecretPathKey',
  'teamsSigValue',
  'hmacKeyThatIsLongEnough',
  'webhookQueryToken',
  'Bearer playbookHeaderToken',
  'playbookBodyToken',
  'cmdPasswordValue',
  'cmdTokenValue',
  'urlUserPassword',
  'ticketApiKey',
];

const notifications = parseNotificationsConfig({
  destinations: [
    { name: 'soc-slack', type: 'slack', url: `https://hooks.slack.com/services/${SECRETS[0]}` },
    { name: 'soc-teams', type: 'teams', url: `https://example.webhook.office.com/webhookb2/abc/IncomingWebhook/def?sig=${SECRETS[1]}` },
    { name: 'siem-hook', type: 'webhook', url: `https://hooks.example.com/vigil?token=${SECRETS[3]}`, secret: SECRETS[2] },
    { name: 'keyfile-hook', type: 'webhook', url: 'https://hooks.example.com/', secretFile: '/etc/vigil/hook.key' },
    { name: 'mail', type: 'email', smtp: { host: 'smtp.example.com', user: 'vigil', passwordFile: '/etc/vigil/smtp.pass' }, from: 'vigil@example.com', to: ['soc@example.com'] },
    { name: 'relay', type: 'syslog', syslog: { host: 'siem.example.com' } },
  ],
  routes: [{ destinations: ['soc-slack', 'mail'], minLevel: 'high' }],
});

const playbook = readPlaybook(
  {
    name: 'block-and-ticket',
    description: 'Block the source, open a ticket.',
    when: { rules: ['ssh-brute'], minLevel: 'medium', tags: ['attack.t1110'] },
    requires: ['entities.source.ip'],
    steps: [
      {
        name: 'block',
        destructive: true,
        run: { program: '/usr/sbin/fw', args: ['add', '{{entities.source.ip}}', `--password=${SECRETS[6]}`, '--token', SECRETS[7], `https://admin:${SECRETS[8]}@fw.example.com/api`] },
        revert: { after: '1h', run: { program: '/usr/sbin/fw', args: ['del', '{{entities.source.ip}}'] } },
      },
      {
        name: 'ticket',
        http: {
          method: 'POST',
          url: `https://tickets.example.com/api/issues?key=${SECRETS[9]}`,
          headers: { authorization: SECRETS[4], 'content-type': 'application/json' },
          body: `{"title": "{{rule.title}}", "token": "${SECRETS[5]}"}`,
        },
      },
    ],
  },
  '/etc/vigil/playbooks/block.yml',
);

let t: TestServer;
before(async () => {
  t = await startTestServer({ notifications, response: ResponseEngine.open({ playbooks: [playbook] }) });
});
after(async () => {
  await t.close();
});

async function read(path: string, token = t.tokens.admin): Promise<{ status: number; text: string }> {
  const response = await fetch(`${t.url}${path}`, { headers: bearer(token) });
  return { status: response.status, text: await response.text() };
}

describe('GET /api/v1/settings/notifications', () => {
  test('shows every destination and route with no secret in it', async () => {
    const { status, text } = await read('/api/v1/settings/notifications');
    assert.equal(status, 200);
    for (const secret of SECRETS) assert.ok(!text.includes(secret), `leaked ${secret}`);
    const view = JSON.parse(text) as { destinations: Record<string, unknown>[]; routes: unknown[] };
    const byName = new Map(view.destinations.map((d) => [d['name'], d]));
    assert.equal(byName.get('soc-slack')?.['url'], `https://hooks.slack.com/${REDACTED}`);
    assert.equal(byName.get('soc-teams')?.['url'], `https://example.webhook.office.com/${REDACTED}?${REDACTED}`);
    assert.equal(byName.get('siem-hook')?.['secret'], REDACTED);
    assert.equal(byName.get('keyfile-hook')?.['url'], 'https://hooks.example.com');
    assert.equal(byName.get('keyfile-hook')?.['secretFile'], '/etc/vigil/hook.key', 'where a key is kept is not the key');
    assert.deepEqual(byName.get('mail')?.['smtp'], { host: 'smtp.example.com', port: 587, secure: false, user: 'vigil', passwordFile: '/etc/vigil/smtp.pass' });
    assert.deepEqual(byName.get('relay')?.['syslog'], { host: 'siem.example.com', port: 514, transport: 'tcp', facility: 4 });
    assert.deepEqual(view.routes, [{ destinations: ['soc-slack', 'mail'], minLevel: 'high', rules: [], tags: [] }]);
  });

  test('is for admins only', async () => {
    assert.equal((await read('/api/v1/settings/notifications', t.tokens.analyst)).status, 403);
    assert.equal((await read('/api/v1/settings/playbooks', t.tokens.analyst)).status, 403);
  });
});

describe('GET /api/v1/settings/playbooks', () => {
  test('shows each playbook as loaded: trigger, approval, steps; no secret', async () => {
    const { status, text } = await read('/api/v1/settings/playbooks');
    assert.equal(status, 200);
    for (const secret of SECRETS) assert.ok(!text.includes(secret), `leaked ${secret}`);
    const [p] = (JSON.parse(text) as { playbooks: Record<string, unknown>[] }).playbooks;
    assert.equal(p?.['name'], 'block-and-ticket');
    assert.equal(p?.['file'], '/etc/vigil/playbooks/block.yml');
    assert.equal(p?.['approval'], 'required', 'a destructive step needs approval by default');
    assert.deepEqual(p?.['trigger'], { rules: ['ssh-brute'], minLevel: 'medium', tags: ['attack.t1110'], requires: ['entities.source.ip'] });
    const [block, ticket] = p?.['steps'] as Record<string, Record<string, unknown>>[];
    assert.deepEqual(block?.['run']?.['args'], ['add', '{{entities.source.ip}}', `--password=${REDACTED}`, '--token', REDACTED, `https://${REDACTED}@fw.example.com/${REDACTED}`]);
    assert.deepEqual(block?.['revert'], { afterMs: 3_600_000, run: { program: '/usr/sbin/fw', args: ['del', '{{entities.source.ip}}'], timeoutSeconds: 30 } });
    assert.deepEqual(ticket?.['http'], {
      method: 'POST',
      url: `https://tickets.example.com/${REDACTED}?${REDACTED}`,
      headers: { authorization: REDACTED, 'content-type': REDACTED },
      body: REDACTED,
      allow: [],
      timeoutSeconds: 10,
    });
  });

  test('is empty without playbooks', async () => {
    const bare = await startTestServer({ response: undefined });
    try {
      const response = await fetch(`${bare.url}/api/v1/settings/playbooks`, { headers: bearer(bare.tokens.admin) });
      assert.deepEqual(await response.json(), { playbooks: [] });
      const none = await fetch(`${bare.url}/api/v1/settings/notifications`, { headers: bearer(bare.tokens.admin) });
      assert.deepEqual(((await none.json()) as { destinations: unknown[] }).destinations, []);
    } finally {
      await bare.close();
    }
  });
});

describe('redaction by shape', () => {
  test('URLs keep scheme, host and port only', () => {
    assert.equal(redactUrl('https://u:p@h.example:8443/a/b?c=d#e'), `https://${REDACTED}@h.example:8443/${REDACTED}?${REDACTED}#${REDACTED}`);
    assert.equal(redactUrl('http://h.example/'), 'http://h.example');
    assert.equal(redactUrl('not a url'), REDACTED);
  });

  test('arguments named like secrets, bearer values and URL secrets go; the rest stays', () => {
    assert.deepEqual(redactArgs(['-u', 'admin', '--api-key', 'k', 'API_TOKEN=t', 'Authorization: Bearer x', 'plain', '{{host.name}}']), [
      '-u',
      'admin',
      '--api-key',
      REDACTED,
      `API_TOKEN=${REDACTED}`,
      REDACTED,
      'plain',
      '{{host.name}}',
    ]);
  });
});
