/**
 * `files:` in vigil.yaml: a running server follows a log file, and lines appended to it are
 * found by search with the fields the syslog parser gives them.
 */
import { strict as assert } from 'node:assert';
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startVigil } from '../support/vigil-process.js';

it('vigil serve follows a file from the config and makes its lines searchable', { timeout: 60_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-files-'));
  const log = join(dir, 'auth.log');
  await writeFile(log, 'Nov 28 10:00:00 web-1 sshd[7]: Failed password for root from 198.51.100.7 port 4242 ssh2\n');
  await writeFile(join(dir, 'vigil.yaml'), `files:\n  - path: ${JSON.stringify(join(dir, '*.log'))}\nfilesPollMs: 200\n`);
  const server = await startVigil(join(dir, 'data'), ['--config', join(dir, 'vigil.yaml')]);
  try {
    await appendFile(log, 'Nov 28 10:00:01 web-1 sshd[7]: Accepted password for alice from 198.51.100.8 port 4243 ssh2\n');
    const search = async (q: string) => {
      const res = await fetch(`${server.info.http}/api/v1/search?q=${encodeURIComponent(q)}`, { headers: { authorization: `Bearer ${server.token}` } });
      return ((await res.json()) as { total: number }).total;
    };
    let total = 0;
    for (let i = 0; i < 100 && total < 2; i++) {
      total = await search('event.action:ssh_login');
      if (total < 2) await sleep(100);
    }
    assert.equal(total, 2);
    assert.equal(await search('event.outcome:failure AND user.name:root AND source.ip:198.51.100.7'), 1);
  } finally {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
