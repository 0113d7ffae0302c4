/**
 * Real `nats-server` processes for the JetStream bus tests: one server or a 3-node cluster on
 * free loopback ports (never 4222, which the machine's own server holds), each with its store in
 * a temporary folder. A node can be killed with SIGKILL and started again on the same ports and
 * store, which is how the cluster test takes a node away mid-stream.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../bench/free-port.js';

export const NATS_SERVER = process.env.VIGIL_NATS_SERVER ?? '/usr/sbin/nats-server';

/**
 * Why the NATS tests cannot run here, or false when they can. With VIGIL_REQUIRE_NATS set (CI)
 * a missing server is an error, not a skip.
 */
export function natsServerMissing(): string | false {
  let reason: string | false = false;
  if (!existsSync(NATS_SERVER)) {
    reason = `${NATS_SERVER} is missing (apt-get install nats-server, or set VIGIL_NATS_SERVER)`;
  } else {
    const version = spawnSync(NATS_SERVER, ['--version'], { encoding: 'utf8' });
    if (version.status !== 0) reason = `${NATS_SERVER} --version failed: ${version.stderr}`;
  }
  if (reason && process.env.VIGIL_REQUIRE_NATS) throw new Error(`VIGIL_REQUIRE_NATS is set but ${reason}`);
  return reason;
}

export interface NatsNode {
  readonly name: string;
  readonly url: string;
  readonly port: number;
  readonly monitorPort: number;
  readonly storeDir: string;
  /** Starts the node (again) with the same ports and store; resolves once /healthz says ready. */
  start(): Promise<void>;
  /** SIGKILL: no shutdown, no flush; resolves once the process is gone. */
  kill(): Promise<void>;
  stop(): Promise<void>;
  running(): boolean;
  /** The running process's id (benchmarks read its CPU time from /proc), undefined when stopped. */
  pid(): number | undefined;
  log(): string;
}

interface NodeSpec {
  readonly name: string;
  readonly dir: string;
  readonly port: number;
  readonly monitorPort: number;
  readonly clusterPort?: number;
  readonly routes?: readonly number[];
}

function configText(spec: NodeSpec): string {
  const lines = [
    `server_name: ${spec.name}`,
    `listen: 127.0.0.1:${spec.port}`,
    `http: 127.0.0.1:${spec.monitorPort}`,
    // An event may hold a 1 MiB original plus its fields: the 1 MB default is too small.
    'max_payload: 8MB',
    `jetstream { store_dir: "${join(spec.dir, 'store')}", max_memory_store: 64MB, max_file_store: 2GB }`,
  ];
  if (spec.clusterPort !== undefined) {
    const routes = (spec.routes ?? []).map((p) => `nats-route://127.0.0.1:${p}`).join(', ');
    lines.push(`cluster { name: vigil-test, listen: 127.0.0.1:${spec.clusterPort}, routes: [${routes}] }`);
  }
  return lines.join('\n') + '\n';
}

function nodeOf(spec: NodeSpec): NatsNode {
  const config = join(spec.dir, 'nats.conf');
  writeFileSync(config, configText(spec));
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let output = '';
  const alive = () => child !== undefined && child.exitCode === null && child.signalCode === null;

  const node: NatsNode = {
    name: spec.name,
    url: `nats://127.0.0.1:${spec.port}`,
    port: spec.port,
    monitorPort: spec.monitorPort,
    storeDir: join(spec.dir, 'store'),
    running: alive,
    pid: () => (alive() ? child!.pid : undefined),
    log: () => output,
    async start() {
      if (alive()) return;
      const started = spawn(NATS_SERVER, ['-c', config], { stdio: ['ignore', 'pipe', 'pipe'] });
      child = started;
      const keep = (d: Buffer) => {
        output += d.toString();
        // Bounded: a long run must not grow the test's memory without limit.
        if (output.length > 200_000) output = output.slice(-100_000);
      };
      started.stdout!.on('data', keep);
      started.stderr!.on('data', keep);
      exited = new Promise((resolve) => started.once('exit', () => resolve()));
      await waitHealthy(node, started);
    },
    async kill() {
      if (alive()) child!.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (alive()) child!.kill('SIGTERM');
      const gone = await Promise.race([exited.then(() => true), sleep(5000).then(() => false)]);
      if (!gone) await node.kill();
    },
  };
  return node;
}

/**
 * Ready means the monitoring endpoint answers `/healthz` with 200: the server is up and, in a
 * cluster, JetStream is current with the meta leader.
 */
async function waitHealthy(node: NatsNode, child: ChildProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${node.name} exited before it was ready:\n${node.log().slice(-2000)}`);
    try {
      const res = await fetch(`http://127.0.0.1:${node.monitorPort}/healthz`, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`${node.name} was not healthy within ${timeoutMs} ms:\n${node.log().slice(-2000)}`);
    await sleep(100);
  }
}

export interface NatsCluster {
  readonly nodes: readonly NatsNode[];
  readonly urls: readonly string[];
  readonly dir: string;
  stop(): Promise<void>;
}

/** One JetStream server on free loopback ports with a fresh store folder. */
export async function startNatsServer(): Promise<NatsCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-nats-'));
  const node = nodeOf({ name: 'n1', dir, port: await freePort(), monitorPort: await freePort() });
  return started(dir, [node]);
}

/** A cluster of `size` JetStream servers on loopback, each routing to all the others. */
export async function startNatsCluster(size = 3): Promise<NatsCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-nats-cluster-'));
  const ports: { port: number; monitorPort: number; clusterPort: number }[] = [];
  for (let i = 0; i < size; i++) ports.push({ port: await freePort(), monitorPort: await freePort(), clusterPort: await freePort() });
  const nodes = ports.map((p, i) => {
    const nodeDir = join(dir, `n${i + 1}`);
    mkdirSync(nodeDir);
    return nodeOf({ name: `n${i + 1}`, dir: nodeDir, ...p, routes: ports.filter((_, j) => j !== i).map((q) => q.clusterPort) });
  });
  return started(dir, nodes);
}

async function started(dir: string, nodes: NatsNode[]): Promise<NatsCluster> {
  const cluster: NatsCluster = {
    nodes,
    urls: nodes.map((n) => n.url),
    dir,
    async stop() {
      await Promise.all(nodes.map((n) => n.stop()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    // Cluster nodes wait for each other's routes to elect a meta leader: start them together.
    await Promise.all(nodes.map((n) => n.start()));
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster;
}
