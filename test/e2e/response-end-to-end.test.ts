/**
 * A playbook that blocks the source of an SSH brute force, as a user sets it up: a playbook file,
 * `vigil serve`, the attack log sent with `vigil ingest`, the runs read with `vigil response list`.
 */
import { strict as assert } from 'node:assert';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { corpusHas, corpusPath } from '../support/corpus.js';
import { runCli, startVigil } from '../support/vigil-process.js';

const OPENSSH = ['loghub', 'OpenSSH_2k.log'];

it('a blocking playbook runs once per new brute-force alert, each address as its own argument', { timeout: 120_000, skip: !corpusHas(...OPENSSH) && 'corpus absent: ../shared/corpus' }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-response-e2e-'));
  try {
    const ledger = join(dir, 'blocked.log');
    const firewall = join(dir, 'firewall');
    await writeFile(firewall, `#!/bin/sh\nprintf '%s %s\\n' "$1" "$2" >> '${ledger}'\n`);
    await chmod(firewall, 0o755);
    await writeFile(
      join(dir, 'block.yml'),
      [
        'name: block-ssh-brute-force',
        'when: { rules: [d89356b4-4e74-4ea5-a187-9a51354d3d06] }',
        'requires: [entities.source.ip]',
        'maxRunsPerHour: 100',
        'approval: not-required',
        'steps:',
        '  - name: block',
        '    destructive: true',
        `    run: { program: ${firewall}, args: [add, '{{entities.source.ip}}'] }`,
        `    revert: { after: 1h, run: { program: ${firewall}, args: [del, '{{entities.source.ip}}'] } }`,
      ].join('\n'),
    );
    await writeFile(join(dir, 'vigil.yaml'), `response:\n  playbooks: [${join(dir, 'block.yml')}]\n`);
    const data = join(dir, 'data');
    const server = await startVigil(data, ['--config', join(dir, 'vigil.yaml')]);
    try {
      const ingest = await runCli(['ingest', corpusPath(...OPENSSH), '--data', data, '--json']);
      assert.equal(ingest.code, 0, ingest.stderr);
      let runs: { status: string; playbook: string; revertAt?: number }[] = [];
      for (let i = 0; i < 100 && runs.length < 7; i++) {
        const list = await runCli(['response', 'list', '--json', '--data', data]);
        runs = list.stdout.trim() === '' ? [] : list.stdout.trim().split('\n').map((l) => JSON.parse(l) as { status: string; playbook: string });
        if (runs.length < 7) await sleep(200);
      }
      const blocked = (await readFile(ledger, 'utf8')).trim().split('\n').sort();
      assert.deepEqual([...new Set(blocked)], ['add 103.99.0.122', 'add 112.95.230.3', 'add 183.62.140.253', 'add 185.190.58.151', 'add 187.141.143.180', 'add 5.188.10.180']);
      assert.equal(blocked.length, runs.length, 'one run per new alert (two for an address attacking twice, an hour apart)');
      assert.ok(runs.every((r) => r.status === 'done' && typeof r.revertAt === 'number'));
    } finally {
      await server.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
