import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { alertOf, type Alert } from '../../core/alert.js';
import { isVigilError } from '../../core/errors.js';
import { readPlaybook } from './playbook.js';
import { ResponseEngine } from './response-engine.js';

const T0 = Date.parse('2026-11-02T10:00:00Z');
const HOUR = 3_600_000;
const BRUTE_FORCE = 'd89356b4-4e74-4ea5-a187-9a51354d3d06';

function alert(id: string, ip: string, level = 'medium'): Alert {
  return alertOf({ id, tenant: 't', created: T0, ruleId: BRUTE_FORCE, ruleTitle: 'SSH Brute Force From One Source', ruleAuthor: 'Vigil', level, eventIds: ['e'], state: 'new', details: { entities: { 'source.ip': ip }, tags: ['attack.t1110'] } });
}

describe('guarded automated response', () => {
  let dir: string;
  let firewall: string;
  let ledger: string;
  let receiver: Server;
  let received: string[] = [];
  let port = 0;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-response-'));
    ledger = join(dir, 'blocklist.log');
    // A stand-in firewall: records its arguments, one line per call, exactly as it got them.
    firewall = join(dir, 'firewall');
    await writeFile(firewall, `#!/bin/sh\nfor a in "$@"; do printf '[%s]' "$a"; done >> '${ledger}'\necho >> '${ledger}'\n`);
    await chmod(firewall, 0o755);
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        received.push(body);
        res.end('ok');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    port = (receiver.address() as AddressInfo).port;
  });
  after(async () => {
    await new Promise((r) => receiver.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  const block = (over: Record<string, unknown> = {}) =>
    readPlaybook(
      {
        name: 'block-source',
        when: { rules: [BRUTE_FORCE], minLevel: 'medium' },
        requires: ['entities.source.ip'],
        maxRunsPerHour: 2,
        approval: 'not-required',
        steps: [
          {
            name: 'block',
            destructive: true,
            run: { program: firewall, args: ['add', '{{entities.source.ip}}', 'comment=vigil {{rule.title}}'] },
            revert: { after: '1h', run: { program: firewall, args: ['del', '{{entities.source.ip}}'] } },
          },
        ],
        ...over,
      },
      'test.yml',
    );
  const lines = async () => (await readFile(ledger, 'utf8').catch(() => '')).split('\n').filter(Boolean);

  it('runs once per alert, with each value as its own argument, respects its hourly limit and reverts after its TTL, also after a restart', async () => {
    await rm(ledger, { force: true });
    let clock = T0;
    const journal = join(dir, 'runs-1.ndjson');
    const engine = ResponseEngine.open({ playbooks: [block()], journal, now: () => clock });
    await engine.onAlerts([alert('a1', '203.0.113.7')]);
    await engine.onAlerts([alert('a1', '203.0.113.7')]);
    assert.deepEqual(await lines(), ['[add][203.0.113.7][comment=vigil SSH Brute Force From One Source]'], 'once per alert; the space stays inside its argument');
    const more = await engine.onAlerts([alert('a2', '198.51.100.2'), alert('a3', '198.51.100.3')]);
    assert.deepEqual(more.map((r) => r.status), ['done', 'refused']);
    assert.match(more[1]!.reason ?? '', /blast-radius limit: 2 runs in the last hour/);
    assert.equal((await lines()).length, 2);

    clock = T0 + 30 * 60_000;
    await engine.tick();
    assert.equal((await lines()).length, 2, 'not yet: the TTL is an hour');
    // A restart in between: the journal knows what is still to revert.
    const restarted = ResponseEngine.open({ playbooks: [block()], journal, now: () => clock });
    clock = T0 + HOUR + 1;
    await restarted.tick();
    assert.deepEqual((await lines()).slice(2).sort(), ['[del][198.51.100.2]', '[del][203.0.113.7]']);
    assert.deepEqual(restarted.runs().map((r) => r.status).sort(), ['refused', 'reverted', 'reverted']);
    const audit = (await readFile(journal, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { status: string });
    assert.ok(audit.length >= 6, 'every change is in the audit trail');
  });

  it('in dry-run only records what it would run', async () => {
    await rm(ledger, { force: true });
    const engine = ResponseEngine.open({ playbooks: [block({ dryRun: true })] });
    const [run] = await engine.onAlerts([alert('d1', '203.0.113.9')]);
    assert.equal(run!.status, 'dry-run');
    assert.deepEqual(run!.steps[0]!.command, [firewall, 'add', '203.0.113.9', 'comment=vigil SSH Brute Force From One Source']);
    assert.deepEqual(await lines(), []);
  });

  it('waits for approval by default when a step is destructive, and runs on approval, not on rejection', async () => {
    await rm(ledger, { force: true });
    // No `approval:` in the file: a destructive step makes approval required.
    const engine = ResponseEngine.open({ playbooks: [readPlaybook({ name: 'needs-ok', when: { rules: [BRUTE_FORCE] }, steps: [{ name: 'block', destructive: true, run: { program: firewall, args: ['add', '{{entities.source.ip}}'] } }] }, 'x.yml')] });
    const [waiting, other] = [...(await engine.onAlerts([alert('p1', '203.0.113.10')])), ...(await engine.onAlerts([alert('p2', '203.0.113.11')]))];
    assert.equal(waiting!.status, 'awaiting-approval');
    assert.deepEqual(await lines(), []);
    const approved = await engine.approve('t', waiting!.id, 'ana');
    assert.equal(approved.status, 'done');
    assert.equal(approved.by, 'ana');
    assert.equal(engine.reject('t', other!.id, 'bo', 'false positive').status, 'rejected');
    await assert.rejects(engine.approve('t', other!.id, 'ana'), (e: unknown) => isVigilError(e) && e.code === 'bad-request');
    assert.deepEqual(await lines(), ['[add][203.0.113.10]']);
  });

  it('refuses alert values that would become options, and skips alerts without the fields it needs', async () => {
    await rm(ledger, { force: true });
    const engine = ResponseEngine.open({ playbooks: [block({ maxRunsPerHour: 100 })] });
    const [hostile] = await engine.onAlerts([alert('h1', '-rf')]);
    assert.equal(hostile!.status, 'refused');
    assert.match(hostile!.reason ?? '', /would start an argument with '-'/);
    const [skipped] = await engine.onAlerts([alertOf({ ...alert('h2', 'x'), details: { entities: {} } })]);
    assert.equal(skipped!.status, 'skipped');
    assert.deepEqual(await lines(), []);
  });

  it('HTTP steps go through the outbound guard: a loopback receiver only when allowed for that step', async () => {
    received = [];
    const http = (allow: string[]) =>
      readPlaybook(
        { name: `ticket-${allow.length}`, approval: 'not-required', steps: [{ name: 'ticket', http: { url: `http://127.0.0.1:${port}/issues`, body: '{"title": "{{rule.title}}", "ip": "{{entities.source.ip}}"}', allow } }] },
        'h.yml',
      );
    const engine = ResponseEngine.open({ playbooks: [http([]), http(['127.0.0.1'])] });
    const runs = await engine.onAlerts([alert('w1', '203.0.113.7')]);
    assert.deepEqual(runs.map((r) => r.status), ['failed', 'done']);
    assert.match(runs[0]!.reason ?? '', /ticket failed/);
    assert.deepEqual(received.map((b) => JSON.parse(b) as unknown), [{ title: 'SSH Brute Force From One Source', ip: '203.0.113.7' }]);
  });

  it('refuses playbooks that could not run safely, naming the place', () => {
    assert.throws(() => readPlaybook({ name: 'x', steps: [{ name: 's', run: { program: 'nft', args: [] } }] }, 'bad.yml'), /bad\.yml: steps\.0\.run\.program: an absolute path/);
    assert.throws(() => readPlaybook({ name: 'x', steps: [{ name: 's', run: { program: '/bin/true', args: ['{{#each x}}'] } }] }, 'bad.yml'), /steps\.0\.run\.args\.0: .*not supported/);
    assert.throws(() => readPlaybook({ name: 'x', steps: [{ name: 's' }] }, 'bad.yml'), /exactly one of run or http/);
    assert.equal(readPlaybook({ name: 'x', steps: [{ name: 's', destructive: true, run: { program: '/bin/true' } }] }, 'ok.yml').approvalRequired, true);
  });
});
