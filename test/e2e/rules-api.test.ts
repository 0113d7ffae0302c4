/**
 * The rules API on a running server: import a folder of rule files, list the live rules with
 * their author, id and title, hunt a rule over stored history before switching it on, switch it
 * off (its detections stop becoming alerts) and on again. Real server, real DuckDB, real HTTP.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect } from 'node:net';
import { hostPort, startVigil, type VigilProcess } from '../support/vigil-process.js';

const RULE_ID = '6f0f7c1e-2b8e-4d7a-9a53-0c1f3e2d9a11';
const RULE = `title: Canary file opened
id: ${RULE_ID}
status: test
author: Vigil tests
description: The canary document was read.
references:
  - https://example.org/canary
tags:
  - attack.collection
  - attack.t1005
logsource:
  product: linux
  service: cron
detection:
  selection:
    message|contains: 'canary-doc-opened'
  condition: selection
level: high
`;

/** `Dec  7 10:00:00` for now in UTC (the server's default syslog zone): inside any hunt's default week. */
function rfc3164Now(): string {
  const d = new Date();
  const month = d.toLocaleString('en', { month: 'short', timeZone: 'UTC' });
  return `${month} ${String(d.getUTCDate()).padStart(2, ' ')} ${d.toISOString().slice(11, 19)}`;
}

let data: string;
let vigil: VigilProcess;
let url: string;

async function api(method: string, path: string, body?: unknown, token = vigil.token): Promise<{ status: number; json: any }> {
  const response = await fetch(url + path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, json: text === '' ? null : JSON.parse(text) };
}

async function ingest(messages: string[]): Promise<void> {
  const body = messages.map((message) => JSON.stringify({ message, 'host.name': 'files01', 'process.name': 'cron' })).join('\n');
  const r = await fetch(`${url}/api/v1/ingest`, { method: 'POST', headers: { authorization: `Bearer ${vigil.token}`, 'content-type': 'application/x-ndjson' }, body });
  assert.equal(r.status, 200, await r.text());
}

async function alertsOf(ruleId: string): Promise<any[]> {
  return (await api('GET', `/api/v1/alerts?rule=${ruleId}`)).json.alerts;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('rules API', () => {
  before(async () => {
    data = await mkdtemp(join(tmpdir(), 'vigil-rules-api-'));
    vigil = await startVigil(data);
    url = vigil.info.http;
  });
  after(async () => {
    await vigil?.stop();
    await rm(data, { recursive: true, force: true });
  });

  it('imports the rule files of a folder, refusing what is not valid Sigma or would escape the folder', async () => {
    const { status, json } = await api('POST', '/api/v1/rules/import', {
      files: [
        { path: 'team-rules/linux/canary.yml', content: RULE },
        { path: 'team-rules/README.md', content: '# not a rule' },
        { path: 'team-rules/broken.yml', content: 'title: no detection\nlogsource: {product: linux}\n' },
        { path: '../../outside.yml', content: RULE.replace(RULE_ID, '0d3c1d7e-0000-4000-8000-000000000001') },
        { path: 'team-rules/.hidden/x.yml', content: RULE },
      ],
    });
    assert.equal(status, 200, JSON.stringify(json));
    assert.deepEqual(json.written, ['imported/team-rules/linux/canary.yml']);
    assert.equal(json.loaded.rules, 1);
    assert.deepEqual(json.ignored, ['team-rules/README.md']);
    assert.deepEqual(json.failed.map((f: { file: string }) => f.file).sort(), ['../../outside.yml', 'team-rules/.hidden/x.yml', 'team-rules/broken.yml']);
    assert.ok(existsSync(join(data, 'rules', 'imported', 'team-rules', 'linux', 'canary.yml')));
    assert.ok(!existsSync(join(data, 'rules', 'outside.yml')) && !existsSync(join(data, 'outside.yml')));
  });

  it('refuses a second file with a rule id that is already loaded', async () => {
    const { json } = await api('POST', '/api/v1/rules/import', { files: [{ path: 'other/copy.yml', content: RULE }] });
    assert.deepEqual(json.written, []);
    assert.match(json.failed[0].reason, new RegExp(`rule id ${RULE_ID} is already loaded from imported/team-rules/linux/canary.yml`));
  });

  it('lists the live rules with author, id, title, file and switch; builtin rules are marked', async () => {
    const { json } = await api('GET', '/api/v1/rules');
    const canary = json.rules.find((r: { id: string }) => r.id === RULE_ID);
    assert.deepEqual(
      { title: canary.title, author: canary.author, level: canary.level, kind: canary.kind, file: canary.file, builtin: canary.builtin, enabled: canary.enabled, tags: canary.tags },
      { title: 'Canary file opened', author: 'Vigil tests', level: 'high', kind: 'sigma', file: 'imported/team-rules/linux/canary.yml', builtin: false, enabled: true, tags: ['attack.collection', 'attack.t1005'] },
    );
    const builtin = json.rules.filter((r: { builtin: boolean }) => r.builtin);
    assert.ok(builtin.length > 50, `builtin rules listed: ${builtin.length}`);
    assert.ok(builtin.every((r: { file: string; author: string }) => r.file.startsWith('builtin/') && r.author !== ''));
    const one = await api('GET', `/api/v1/rules/${RULE_ID}`);
    assert.match(one.json.rule.source, /canary-doc-opened/);
  });

  it('a disabled rule raises no alert; hunting it over history finds what it would have raised; enabled again it alerts', async () => {
    const off = await api('POST', `/api/v1/rules/${RULE_ID}/disable`);
    assert.equal(off.status, 200);
    assert.equal(off.json.rule.enabled, false);
    await ingest(['user bob canary-doc-opened /srv/finance/canary.docx', 'an ordinary line', 'user eve canary-doc-opened /srv/hr/canary.xlsx']);
    await waitFor('the events to be stored', async () => ((await api('GET', '/api/v1/search?q=canary-doc-opened')).json.total === 2 ? true : undefined));
    assert.deepEqual(await alertsOf(RULE_ID), []);
    const metrics = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${vigil.token}` } })).text();
    assert.match(metrics, /vigil_detections_disabled_total 2/);

    const hunt = await api('POST', `/api/v1/rules/${RULE_ID}/hunt`, { from: 'now-1h' });
    assert.equal(hunt.status, 200, JSON.stringify(hunt.json));
    assert.equal(hunt.json.matches, 2);
    assert.equal(hunt.json.alerts, 2);
    assert.equal(hunt.json.raisesOnItsOwn, true);
    assert.equal(hunt.json.complete, true);
    assert.deepEqual(hunt.json.rule, { id: RULE_ID, title: 'Canary file opened', author: 'Vigil tests', level: 'high' });
    assert.deepEqual(hunt.json.byHost, [{ host: 'files01', count: 2 }]);
    assert.equal(hunt.json.events.length, 2);
    assert.deepEqual(await alertsOf(RULE_ID), [], 'a hunt raises nothing');

    const on = await api('POST', `/api/v1/rules/${RULE_ID}/enable`);
    assert.equal(on.json.rule.enabled, true);
    await ingest(['user mallory canary-doc-opened /srv/finance/canary.docx']);
    const alerts = await waitFor('the alert', async () => {
      const list = await alertsOf(RULE_ID);
      return list.length > 0 ? list : undefined;
    });
    assert.equal(alerts[0].ruleAuthor, 'Vigil tests');
    assert.equal(alerts[0].details.file, 'imported/team-rules/linux/canary.yml', 'the alert names the rule file relative to its folder, not the server path');
  });

  it('records every switch, hunt and import in the audit trail, with who did it', async () => {
    const entries = await waitFor('the audit entries', async () => {
      const list = (await api('GET', '/api/v1/audit?limit=100')).json.entries as { action: string; target: string | null; actor: string; outcome: string }[];
      return list.some((e) => e.action === 'rule-enable') ? list : undefined;
    });
    const mine = entries.filter((e) => e.action.startsWith('rule-')).map((e) => `${e.action} ${e.target ?? '-'} ${e.actor} ${e.outcome}`);
    for (const line of [`rule-disable ${RULE_ID} admin success`, `rule-hunt ${RULE_ID} admin success`, `rule-enable ${RULE_ID} admin success`, 'rule-import - admin success']) {
      assert.ok(mine.includes(line), `${line} in ${JSON.stringify(mine)}`);
    }
  });

  it('a hunt of a rule that only feeds correlations counts its matches and says it raises no alert of its own', async () => {
    // The builtin sshd failure rule feeds the brute-force correlations and alerts on nothing by itself.
    const SSHD_FAILURE = 'b8b4eb83-6195-40da-ac67-d9dac989a6b0';
    const { host, port } = hostPort(vigil.info.syslog.tcp!);
    await new Promise<void>((resolve, reject) => {
      const socket = connect({ host, port }, () => socket.end(`<38>${rfc3164Now()} bastion sshd[4242]: Failed password for root from 203.0.113.9 port 52211 ssh2\n`, () => resolve()));
      socket.on('error', reject);
    });
    await waitFor('the sshd line to be stored', async () => ((await api('GET', '/api/v1/search?q=bastion')).json.total === 1 ? true : undefined));
    const hunt = await api('POST', `/api/v1/rules/${SSHD_FAILURE}/hunt`, {});
    assert.equal(hunt.status, 200, JSON.stringify(hunt.json));
    assert.deepEqual({ matches: hunt.json.matches, alerts: hunt.json.alerts, raisesOnItsOwn: hunt.json.raisesOnItsOwn }, { matches: 1, alerts: 0, raisesOnItsOwn: false });
  });

  it('keeps the switch in the store across a restart', async () => {
    await api('POST', `/api/v1/rules/${RULE_ID}/disable`);
    await vigil.stop();
    vigil = await startVigil(data);
    url = vigil.info.http;
    const { json } = await api('GET', '/api/v1/rules');
    assert.equal(json.rules.find((r: { id: string }) => r.id === RULE_ID).enabled, false);
  });

  it('an unknown rule is a 404 naming where to look; an analyst may not import', async () => {
    const missing = await api('POST', '/api/v1/rules/no-such-rule/disable');
    assert.equal(missing.status, 404);
    assert.match(missing.json.error.message, /GET \/api\/v1\/rules/);
    const created = await api('POST', '/api/v1/tokens', { name: 'analyst', role: 'analyst' });
    const refused = await api('POST', '/api/v1/rules/import', { files: [{ path: 'x.yml', content: RULE }] }, created.json.token);
    assert.equal(refused.status, 403);
    const ingestToken = (await api('POST', '/api/v1/tokens', { name: 'shipper', role: 'ingest' })).json.token;
    assert.equal((await api('GET', '/api/v1/rules', undefined, ingestToken)).status, 403);
  });
});
