/**
 * deploy/compose.yaml and deploy/systemd/*.service cannot run here (no Docker daemon, no
 * systemd as init), so they are checked against what they drive: every Vigil command parses
 * with `vigil serve`'s own options and names its role, the mounted vigil.yaml passes the
 * config schema and points at the services the compose file defines (names, ports, users,
 * passwords, databases), the NATS nodes route to each other, and the units carry their
 * hardening and do not collide on ports.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { serveCommand } from '../../src/cli/commands/serve.js';
import { loadConfigFile } from '../../src/core/config.js';
import { parseRoles, rolesText } from '../../src/server/scale-out/serve-roles.js';
import { REPO } from '../support/vigil-process.js';

const DEPLOY = join(REPO, 'deploy');

interface Service {
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  configs?: { source: string; target: string }[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
}

const compose = parse(readFileSync(join(DEPLOY, 'compose.yaml'), 'utf8'), { merge: true, uniqueKeys: true }) as {
  services: Record<string, Service>;
  configs: Record<string, { file: string }>;
  volumes: Record<string, unknown>;
};
const services = compose.services;

/** `vigil serve` arguments as the CLI reads them; refuses an option it does not know. */
function serveOptions(args: readonly string[]): Record<string, string> {
  const command = serveCommand().exitOverride();
  const { operands, unknown } = command.parseOptions([...args]);
  assert.deepEqual({ operands, unknown }, { operands: [], unknown: [] }, `vigil serve ${args.join(' ')}`);
  return command.opts() as Record<string, string>;
}

function port(hostPort: string): number {
  return Number(hostPort.slice(hostPort.lastIndexOf(':') + 1));
}

const ROLES = ['ingest', 'detect', 'store', 'api'] as const;

describe('deploy/compose.yaml', () => {
  const config = loadConfigFile(join(DEPLOY, compose.configs['vigil-config']!.file));
  const scaleOut = config.scaleOut!;

  it('defines a three-node NATS cluster, ClickHouse, PostgreSQL and one service per Vigil role', () => {
    assert.deepEqual(Object.keys(services).sort(), ['chain-key', 'clickhouse', 'nats-1', 'nats-2', 'nats-3', 'postgres', 'vigil-api', 'vigil-detect', 'vigil-ingest', 'vigil-store']);
    for (const name of Object.keys(services)) {
      for (const volume of services[name]!.volumes ?? []) assert.ok(volume.split(':')[0]! in compose.volumes, `${name}: volume ${volume} is declared`);
      for (const dependency of Object.keys(services[name]!.depends_on ?? {})) assert.ok(dependency in services, `${name} depends on ${dependency}`);
    }
  });

  it('each Vigil service runs vigil serve with options the CLI knows and the role its name says', () => {
    for (const role of ROLES) {
      const service = services[`vigil-${role}`]!;
      assert.equal(service.command![0], 'serve');
      const options = serveOptions(service.command!.slice(1));
      assert.equal(rolesText(parseRoles(options['role']!)), role);
      assert.equal(options['config'], service.configs![0]!.target, `${role}: --config is the mounted vigil.yaml`);
      const httpPort = port(options['listenHttp']!);
      assert.match(service.healthcheck!.test.join(' '), new RegExp(`127\\.0\\.0\\.1:${httpPort}/healthz`), `${role}: the health check asks the role's own listener`);
      for (const published of service.ports ?? []) {
        const container = Number(published.split('/')[0]!.split(':').pop());
        assert.ok(container === httpPort || (options['listenSyslog'] !== undefined && container === port(options['listenSyslog'])), `${role}: ${published} is a port the role listens on`);
      }
      assert.ok(options['data'], `${role}: its own data folder`);
      assert.ok(service.volumes!.some((v) => v.split(':')[1] === options['data']), `${role}: the data folder is a volume`);
    }
    const ingest = serveOptions(services['vigil-ingest']!.command!.slice(1));
    assert.deepEqual(services['vigil-ingest']!.ports!.filter((p) => p.startsWith(`${port(ingest['listenSyslog']!)}:`)).sort(), ['5514:5514/tcp', '5514:5514/udp']);
  });

  it('the mounted vigil.yaml points at the NATS nodes, ClickHouse and PostgreSQL of this file, with their users, passwords and databases', () => {
    const natsNodes = Object.keys(services).filter((n) => n.startsWith('nats-'));
    assert.deepEqual(scaleOut.nats.servers, natsNodes.map((n) => `nats://${n}:4222`));
    assert.equal(scaleOut.nats.replicas, natsNodes.length);
    const ch = new URL(scaleOut.clickhouse.url!);
    const chEnv = services[ch.hostname]!.environment!;
    assert.deepEqual(
      { port: ch.port, user: scaleOut.clickhouse.username, password: scaleOut.clickhouse.password, database: scaleOut.clickhouse.database },
      { port: '8123', user: chEnv['CLICKHOUSE_USER'], password: chEnv['CLICKHOUSE_PASSWORD'], database: chEnv['CLICKHOUSE_DB'] },
    );
    const pg = new URL(scaleOut.postgres.url);
    const pgEnv = services[pg.hostname]!.environment!;
    assert.deepEqual(
      { port: pg.port, user: pg.username, password: pg.password, database: pg.pathname.slice(1) },
      { port: '5432', user: pgEnv['POSTGRES_USER'], password: pgEnv['POSTGRES_PASSWORD'], database: pgEnv['POSTGRES_DB'] },
    );
    // The chain key: written by the chain-key service, mounted where the store and api roles read it.
    const keyFolder = scaleOut.clickhouse.chainKeyFile!.slice(0, scaleOut.clickhouse.chainKeyFile!.lastIndexOf('/'));
    for (const role of ['store', 'api']) assert.ok(services[`vigil-${role}`]!.volumes!.includes(`chain-key:${keyFolder}:ro`), `${role} mounts the chain key`);
    assert.match(services['chain-key']!.command!.join(' '), /\/chain\/chain-key/);
  });

  it('the NATS nodes run JetStream in one cluster, each routing to the two others', () => {
    const natsNodes = Object.keys(services).filter((n) => n.startsWith('nats-'));
    for (const node of natsNodes) {
      const args = services[node]!.command!;
      const value = (flag: string) => args[args.indexOf(flag) + 1];
      assert.ok(args.includes('-js'), `${node}: JetStream on`);
      assert.equal(value('-n'), node);
      assert.equal(value('--cluster_name'), 'vigil');
      assert.equal(value('--cluster'), 'nats://0.0.0.0:6222');
      assert.deepEqual(value('--routes')!.split(',').sort(), natsNodes.filter((n) => n !== node).map((n) => `nats://${n}:6222`));
      assert.match(services[node]!.healthcheck!.test.join(' '), new RegExp(`:${value('-m')}/healthz`));
    }
  });
});

describe('deploy/systemd units', () => {
  const units = readdirSync(join(DEPLOY, 'systemd')).filter((f) => f.endsWith('.service')).sort();

  it('one unit per role, each running vigil serve with that role in its own state directory, on its own port', () => {
    assert.deepEqual(units, ROLES.map((r) => `vigil-${r}.service`).sort());
    const ports = new Set<number>();
    for (const role of ROLES) {
      const text = readFileSync(join(DEPLOY, 'systemd', `vigil-${role}.service`), 'utf8');
      const setting = (key: string) => [...text.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1]!);
      const exec = setting('ExecStart')[0]!.split(/\s+/);
      assert.equal(exec[1], 'serve');
      const options = serveOptions(exec.slice(2));
      assert.equal(rolesText(parseRoles(options['role']!)), role);
      assert.equal(options['data'], `/var/lib/${setting('StateDirectory')[0]}`);
      ports.add(port(options['listenHttp']!));
      for (const [key, value] of [['NoNewPrivileges', 'yes'], ['ProtectSystem', 'strict'], ['ProtectHome', 'yes'], ['PrivateTmp', 'yes'], ['PrivateDevices', 'yes'], ['RestrictSUIDSGID', 'yes'], ['UMask', '0077'], ['User', 'vigil']]) {
        assert.deepEqual(setting(key!), [value], `${role}: ${key}=${value}`);
      }
      assert.equal(setting('CapabilityBoundingSet')[0], role === 'ingest' ? 'CAP_NET_BIND_SERVICE' : '', `${role}: capabilities`);
    }
    assert.equal(ports.size, ROLES.length, 'the four roles can share one host');
  });

  it('systemd-analyze verify finds nothing wrong but the missing vigil binary', { skip: !existsSync('/usr/bin/systemd-analyze') && 'systemd-analyze is not installed' }, () => {
    for (const unit of units) {
      const result = spawnSync('systemd-analyze', ['verify', '--man=no', join(DEPLOY, 'systemd', unit)], { encoding: 'utf8' });
      const complaints = `${result.stdout}${result.stderr}`.split('\n').filter((l) => l.trim() !== '' && !/Command \/usr\/bin\/vigil is not executable/.test(l));
      assert.deepEqual(complaints, [], unit);
    }
  });
});
