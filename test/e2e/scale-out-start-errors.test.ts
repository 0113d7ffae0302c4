/**
 * A scale-out role that cannot reach a back end at start stops at once and says which one,
 * where it looked and how to check it, before it listens anywhere.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { freePort } from '../../bench/free-port.js';
import { TEST_POSTGRES_URL, dropSchema, uniqueSchema, withPostgres } from '../../src/store/postgres/postgres-test-server.js';
import { runCli } from '../support/vigil-process.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-roles-errors-'));
after(() => rm(dir, { recursive: true, force: true }));

function configFile(name: string, lines: string[]): string {
  const path = join(dir, `${name}.yaml`);
  writeFileSync(path, [...lines, 'log: { level: fatal }', ''].join('\n'));
  return path;
}

async function serve(config: string, role: string): Promise<{ code: number | null; stderr: string }> {
  return runCli(['serve', '--config', config, '--data', join(dir, `data-${role.replace(',', '-')}`), '--role', role, '--listen-http', '127.0.0.1:0', '--listen-syslog', '127.0.0.1:0']);
}

describe('vigil serve --role: errors at start', { timeout: 120_000 }, () => {
  it('a role without a scaleOut section says that it needs one', async () => {
    const { code, stderr } = await serve(configFile('embedded', []), 'ingest');
    assert.equal(code, 78);
    assert.match(stderr, /--role ingest splits Vigil across processes, which needs a scaleOut section in vigil\.yaml/);
  });

  it('a command that would open a local store says that scaled out it works through the api role', async () => {
    const config = configFile('cli', ['scaleOut:', '  nats: { servers: ["nats://127.0.0.1:1"] }', '  clickhouse: { url: "http://127.0.0.1:1" }', '  postgres: { url: "postgres://vigil@127.0.0.1:1/vigil" }']);
    for (const args of [['alerts'], ['token', 'list'], ['search', 'x']]) {
      const { code, stderr } = await runCli([...args, '--config', config, '--data', join(dir, 'cli-data')]);
      assert.equal(code, 78, `${args.join(' ')}: ${stderr}`);
      assert.match(stderr, /vigil\.yaml has a scaleOut section, so the data is in ClickHouse and PostgreSQL and this command works through a running api role/);
    }
  });

  it('PostgreSQL not reachable: names the server and how to check it', async () => {
    const port = await freePort();
    const config = configFile('no-postgres', [
      'scaleOut:',
      '  nats: { servers: ["nats://127.0.0.1:1"] }',
      '  clickhouse: { url: "http://127.0.0.1:1" }',
      `  postgres: { url: "postgres://vigil@127.0.0.1:${port}/vigil" }`,
    ]);
    const { code, stderr } = await serve(config, 'ingest');
    assert.equal(code, 1);
    assert.match(stderr, /PostgreSQL \(vigil\.yaml: scaleOut\.postgres\):.*cannot reach .*127\.0\.0\.1:\d+.*pg_isready -h 127\.0\.0\.1 -p \d+/);
  });
});

await withPostgres('scale-out start errors past PostgreSQL', () => {
  describe('vigil serve --role: errors at start, PostgreSQL up', { timeout: 120_000 }, () => {
    const schema = uniqueSchema('vigil_roles_err');
    after(() => dropSchema(schema));

    it('NATS not reachable: names the servers and how to check them', async () => {
      const port = await freePort();
      const config = configFile('no-nats', [
        'scaleOut:',
        `  nats: { servers: ["nats://127.0.0.1:${port}"] }`,
        '  clickhouse: { url: "http://127.0.0.1:1" }',
        `  postgres: { url: "${TEST_POSTGRES_URL}", schema: ${schema}, poolSize: 2 }`,
      ]);
      const { code, stderr } = await serve(config, 'ingest');
      assert.equal(code, 1);
      assert.match(stderr, new RegExp(`cannot reach NATS at nats://127\\.0\\.0\\.1:${port} \\(vigil\\.yaml: scaleOut\\.nats\\.servers\\).*nats-server runs with JetStream \\(-js\\)`));
    });

    it('ClickHouse not reachable: names the server and how to check it', async () => {
      const port = await freePort();
      const config = configFile('no-clickhouse', [
        'scaleOut:',
        '  nats: { servers: ["nats://127.0.0.1:1"] }',
        `  clickhouse: { url: "http://127.0.0.1:${port}", database: vigil }`,
        `  postgres: { url: "${TEST_POSTGRES_URL}", schema: ${schema}, poolSize: 2 }`,
      ]);
      const { code, stderr } = await serve(config, 'store');
      assert.equal(code, 1);
      assert.match(stderr, new RegExp(`cannot open the ClickHouse server at http://127\\.0\\.0\\.1:${port}/vigil \\(vigil\\.yaml: scaleOut\\.clickhouse\\).*curl http://127\\.0\\.0\\.1:${port}/ping answers Ok\\.`));
    });

    it('the embedded ClickHouse cannot be shared: the api role must run beside the store role', async () => {
      const config = configFile('chdb-api', [
        'scaleOut:',
        '  nats: { servers: ["nats://127.0.0.1:1"] }',
        `  clickhouse: { path: "${join(dir, 'ch')}" }`,
        `  postgres: { url: "${TEST_POSTGRES_URL}", schema: ${schema}, poolSize: 2 }`,
      ]);
      const { code, stderr } = await serve(config, 'api');
      assert.equal(code, 78);
      assert.match(stderr, /run the api role with the store role \(--role store,api\), or use scaleOut\.clickhouse\.url/);
    });
  });
});
