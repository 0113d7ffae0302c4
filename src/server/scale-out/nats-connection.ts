/**
 * The one NATS connection of a scale-out process, from `scaleOut.nats`: every bus of the
 * process (the ingest publisher, the store and detect consumers) shares it. It reconnects
 * without end, so losing NATS after the start costs senders 503s and consumers a pause, never
 * the process; disconnections are counted and shown in /healthz.
 */
import { readFileSync } from 'node:fs';
import { connect, credsAuthenticator, type ConnectionOptions, type NatsConnection } from '@nats-io/transport-node';
import { Counter } from 'prom-client';
import type { Logger } from 'pino';
import type { ScaleOutConfig } from '../../core/config.js';
import { errorMessage, VigilError } from '../../core/errors.js';
import type { Metrics } from '../../core/metrics.js';

type NatsSettings = ScaleOutConfig['nats'];

export interface NatsLink {
  readonly connection: NatsConnection;
  /** False between a disconnection and the reconnection. */
  connected(): boolean;
  close(): Promise<void>;
}

function readFile(path: string, key: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new VigilError('config-invalid', `cannot read ${path} (vigil.yaml: ${key}): ${errorMessage(e)}`, { where: `vigil.yaml: ${key}`, cause: e });
  }
}

/** Client options from the settings; files are read now, so a wrong path fails the start by name. */
export function natsOptions(settings: NatsSettings, name: string): ConnectionOptions {
  const credentials = settings.credentials;
  const tls = settings.tls;
  const wantsTls = tls !== undefined || settings.servers.some((s) => s.startsWith('tls://'));
  return {
    servers: [...settings.servers],
    name,
    // Never give up: an outage after the start is waited out (and counted), not fatal.
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    timeout: 5000,
    ...(settings.user !== undefined ? { user: settings.user, pass: settings.password ?? '' } : {}),
    ...(settings.token !== undefined ? { token: settings.token } : {}),
    ...(credentials !== undefined ? { authenticator: credsAuthenticator(new TextEncoder().encode(readFile(credentials, 'scaleOut.nats.credentials'))) } : {}),
    ...(wantsTls
      ? {
          tls: {
            ...(tls?.ca !== undefined ? { ca: readFile(tls.ca, 'scaleOut.nats.tls.ca') } : {}),
            ...(tls?.cert !== undefined ? { cert: readFile(tls.cert, 'scaleOut.nats.tls.cert') } : {}),
            ...(tls?.key !== undefined ? { key: readFile(tls.key, 'scaleOut.nats.tls.key') } : {}),
          },
        }
      : {}),
  };
}

export async function connectNats(settings: NatsSettings, role: string, metrics: Metrics, log: Logger): Promise<NatsLink> {
  const options = natsOptions(settings, `vigil-${role}`);
  let connection: NatsConnection;
  try {
    connection = await connect(options);
  } catch (e) {
    const servers = settings.servers.join(', ');
    const refused = /authoriz|authenticat|permission/i.test(errorMessage(e));
    throw new VigilError(
      'store-unavailable',
      refused
        ? `NATS at ${servers} refused this process's credentials (${errorMessage(e)}); check scaleOut.nats user/password, token or credentials in vigil.yaml against the server's authorization block`
        : `cannot reach NATS at ${servers} (vigil.yaml: scaleOut.nats.servers): ${errorMessage(e)}; check that nats-server runs with JetStream (-js) and listens there ` +
            `(its monitoring port answers curl http://HOST:8222/healthz), and that no firewall is in between`,
      { where: 'vigil.yaml: scaleOut.nats.servers', cause: e },
    );
  }
  const disconnects = new Counter({
    name: 'vigil_nats_disconnects_total',
    help: 'Times this process lost its NATS connection (it reconnects on its own; publishes fail with 503 meanwhile).',
    registers: [metrics.registry],
  });
  let up = true;
  void (async () => {
    for await (const status of connection.status()) {
      if (status.type === 'disconnect') {
        up = false;
        disconnects.inc();
        log.warn({ server: 'server' in status ? status.server : undefined }, 'NATS connection lost; reconnecting');
      } else if (status.type === 'reconnect') {
        up = true;
        log.info({ server: 'server' in status ? status.server : undefined }, 'NATS connection back');
      }
    }
  })().catch(() => undefined);
  return {
    connection,
    connected: () => up && !connection.isClosed(),
    close: async () => {
      await connection.drain().catch(() => connection.close());
    },
  };
}
