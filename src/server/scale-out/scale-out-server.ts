/**
 * `vigil serve --role …` with a `scaleOut` section: the roles of this process around NATS
 * JetStream (events between roles), ClickHouse (events) and PostgreSQL (alerts, cases, users,
 * tokens, rule switches). Any mix of roles runs in one process; each process has one HTTP
 * listener with `/healthz` and `/metrics`, plus the API and console (api role) and the ingest
 * routes (ingest role).
 *
 * Start: every back end the roles need is reached first, each failure naming the back end and
 * how to check it; nothing listens before they answer. After the start, losing one is waited
 * out: the NATS client reconnects, the store and detect consumers retry with back-off (the
 * bus keeps what they did not commit), ingest answers 503; each is counted in /metrics.
 *
 * Stop: listeners first (ingest drains into JetStream), then the consumers finish their
 * batch, then connections close. A kill -9 loses nothing either: what a consumer had not
 * committed is delivered again, and the ClickHouse store drops events it already holds.
 */
import type { Logger } from 'pino';
import { readFileSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { Counter } from 'prom-client';
import type { ScaleOutConfig, VigilConfig } from '../../core/config.js';
import { VigilError } from '../../core/errors.js';
import { Metrics } from '../../core/metrics.js';
import type { EventStore, Store } from '../../core/store.js';
import { JetStreamBus } from '../../bus/jetstream/jetstream-bus.js';
import { Pipeline, STORE_CONSUMER } from '../../pipeline/pipeline.js';
import { GeoIpEnricher } from '../../enrich/geoip/geoip-enricher.js';
import { startHttpServer, type HttpServer } from '../../api/http-server.js';
import type { ConfiguredInput } from '../../api/source-health.js';
import { PasswordHasher } from '../../api/auth/password-hash.js';
import { ensureInitialAdmin } from '../../api/auth/user-accounts.js';
import { RetentionSchedule } from '../../store/retention/retention-schedule.js';
import { splitStore } from '../../store/split-store.js';
import {
  dataFolder,
  ensureDataFolder,
  publishServerInfo,
  removeServerInfo,
  writeInitialAdminPassword,
  type DataFolder,
  type ServerInfo,
} from '../data-folder.js';
import { openDetectionStack, type DetectionStack } from '../detection-stack.js';
import { startEventInputs, syslogZone } from '../event-inputs.js';
import { accountOptions, ensureAdminToken, scheduledHunts } from '../vigil-server.js';
import { IngestPublisher } from './ingest-publisher.js';
import { linkDetection, type DetectionLink } from './detection-link.js';
import { connectNats, type NatsLink } from './nats-connection.js';
import { chainKeyOf, eventsElsewhere, openClickHouseEvents, openPostgresState } from './scale-out-stores.js';
import { startPartitionedDetection } from './partitioned-detection.js';
import { rolesText, type Role } from './serve-roles.js';

/** The durable consumer of the detect role. Partitioned detection reads `detect-p<n>` instead. */
export const DETECT_CONSUMER = 'detect';

export interface RunningRoles {
  readonly roles: ReadonlySet<Role>;
  readonly info: ServerInfo;
  readonly folder: DataFolder;
  readonly createdAdminToken: boolean;
  readonly createdAdminUser: boolean;
  readonly metrics: Metrics;
  stop(): Promise<void>;
}

/** Stream settings every role opens the bus with: the same in every process. */
function streamSettings(scaleOut: ScaleOutConfig) {
  const nats = scaleOut.nats;
  return {
    name: nats.stream,
    partitions: nats.partitions,
    replicas: nats.replicas,
    maxBytes: nats.maxBytes,
    // Declared by whichever role starts first, so no event is published before every consumer
    // exists; the stream keeps an event until all of them committed it. Partitioned detection
    // reads one consumer per event partition (detect-p<n>).
    consumers: [{ name: STORE_CONSUMER }, { name: DETECT_CONSUMER, ...(scaleOut.detect ? { partitioned: true } : {}) }],
  };
}

/** Where a request for a role this process does not run should go. */
function elsewhere(roles: ReadonlySet<Role>): string {
  if (!roles.has('ingest')) return 'this process does not run the ingest role; send events to a process started with vigil serve --role ingest';
  return 'this process runs the ingest role only; the API and console are served by vigil serve --role api';
}

export async function startScaleOutServer(config: VigilConfig, roles: ReadonlySet<Role>, log: Logger): Promise<RunningRoles> {
  const scaleOut = config.scaleOut;
  if (!scaleOut) throw new VigilError('config-invalid', `--role ${rolesText(roles)} needs a scaleOut section in vigil.yaml (docs/deploy.md)`, { where: 'vigil.yaml: scaleOut' });
  const folder = dataFolder(config.data);
  ensureDataFolder(folder);
  const metrics = new Metrics({ defaults: true });
  const busErrors = new Counter({
    name: 'vigil_bus_errors_total',
    help: 'Failed reads or commits of a bus consumer (retried with back-off; nothing is lost: uncommitted events come again).',
    labelNames: ['consumer'],
    registers: [metrics.registry],
  });
  const onError = (message: string, error: unknown) => log.error({ err: error }, message);
  const role = rolesText(roles);
  const cleanups: (() => Promise<void>)[] = [];
  const unwind = async () => {
    for (const c of cleanups.reverse()) await c().catch((e: unknown) => log.warn({ err: e }, 'error while stopping'));
  };
  // Checked before anything connects: a zone typo fails the start with its key named.
  const zone = syslogZone(config);
  const geoip = (roles.has('ingest') || roles.has('detect')) && config.enrich.geoip.enabled ? GeoIpEnricher.open({ city: config.enrich.geoip.city, asn: config.enrich.geoip.asn }) : undefined;

  try {
    // 1. The back ends, each failure naming itself.
    const state = await openPostgresState(scaleOut.postgres);
    cleanups.push(() => state.close());
    const embedded = scaleOut.clickhouse.path !== undefined;
    if (embedded && roles.has('api') && !roles.has('store')) {
      throw new VigilError(
        'config-invalid',
        `scaleOut.clickhouse.path is the embedded ClickHouse (development only), which one process opens: run the api role with the store role (--role store,api), or use scaleOut.clickhouse.url`,
        { where: 'vigil.yaml: scaleOut.clickhouse.path' },
      );
    }
    let events: EventStore | undefined;
    if (roles.has('store') || roles.has('api') || (roles.has('detect') && !embedded)) {
      const writer = roles.has('store');
      const opened = await openClickHouseEvents(scaleOut.clickhouse, {
        readOnly: !writer,
        chainKey: chainKeyOf(scaleOut.clickhouse, folder, writer),
        checkpointEveryBatches: config.store.chainSignEveryBatches,
        checkpointEveryMs: config.store.chainSignEverySeconds * 1000,
      });
      events = opened;
      cleanups.push(() => opened.close());
    }
    const store: Store = splitStore(
      events ?? eventsElsewhere(`this ${role} process does not read events (scaleOut.clickhouse.path is held by the store role's process); search through the api role`),
      state,
    );
    const nats: NatsLink = await connectNats(scaleOut.nats, role, metrics, log);
    cleanups.push(() => nats.close());
    const stream = streamSettings(scaleOut);
    const openBus = async (consumer: string | undefined, from?: string) => {
      const bus = await JetStreamBus.open({
        connection: nats.connection,
        stream,
        ...(consumer === undefined ? {} : { consumer: { name: consumer } }),
        ...(from === undefined ? {} : { from }),
        metrics,
        onWarning: (m) => log.warn(m),
      });
      cleanups.push(() => bus.close());
      return bus;
    };

    // 2. The consumers.
    const consumers: Record<string, JetStreamBus> = {};
    let retention: RetentionSchedule | undefined;
    if (roles.has('store')) {
      const checkpoint = await store.readCheckpoint(STORE_CONSUMER);
      const bus = await openBus(STORE_CONSUMER, checkpoint?.position);
      const pipeline = new Pipeline({
        bus,
        store,
        metrics,
        batchSize: config.pipeline.batchSize,
        onError,
        onBusError: () => busErrors.inc({ consumer: STORE_CONSUMER }),
        deadLetter: (event, error) => appendFile(folder.deadLetter, JSON.stringify({ reason: (error as Error).message, event }) + '\n', { mode: 0o600 }),
      });
      pipeline.start();
      // No drain: what is not committed stays in the stream for the next start.
      cleanups.push(() => pipeline.stop(0));
      consumers[STORE_CONSUMER] = bus;
      // Retention deletes events: the writer's job.
      retention = new RetentionSchedule({ store, policy: config.retention, log });
      retention.start();
      const scheduled = retention;
      cleanups.push(() => scheduled.close());
    }
    let detection: DetectionStack | undefined;
    if (roles.has('detect')) {
      // Several detect workers raise alerts into one PostgreSQL: one daily budget per rule for them all.
      const sharedBudget = (scaleOut.detect?.workers ?? 1) > 1;
      const stack = await openDetectionStack({ config, folder, store, readsEvents: events !== undefined, sharedBudget, geoip, metrics, log });
      detection = stack;
      cleanups.push(() => stack.close());
      if (events === undefined) log.info('detect role without an event reader (embedded ClickHouse in another process): alerts carry no surrounding events or prevalence; hunts and intel retro-hunts are off');
      if (scaleOut.detect) {
        const partitioned = await startPartitionedDetection({
          settings: scaleOut.detect,
          nats,
          stream,
          eventPartitions: scaleOut.nats.partitions,
          replicas: scaleOut.nats.replicas,
          stack,
          state,
          batchSize: config.pipeline.batchSize,
          metrics,
          busErrors,
          log,
        });
        cleanups.push(() => partitioned.stop());
        cleanups.push(() => stack.stopWatching());
        consumers[DETECT_CONSUMER] = partitioned.bus;
      } else {
        const bus = await openBus(DETECT_CONSUMER);
        const pipeline = new Pipeline({
          bus,
          store,
          metrics,
          batchSize: config.pipeline.batchSize,
          // Events were enriched by the ingest role; the store role stores them.
          storeEvents: false,
          detectors: stack.detectors,
          ruleSwitches: stack.switches,
          alerts: stack.intake,
          alertAttempts: Number.POSITIVE_INFINITY,
          onError,
          onBusError: () => busErrors.inc({ consumer: DETECT_CONSUMER }),
        });
        pipeline.start();
        // Stop order (cleanups run reversed): rule watching, then the drain, then the stack's close.
        cleanups.push(() => pipeline.stop(0));
        cleanups.push(() => stack.stopWatching());
        consumers[DETECT_CONSUMER] = bus;
      }
      // Rules switched through the api role (another process) reach this one within 10 s.
      const switchRefresh = setInterval(() => {
        void store
          .listAllRuleStates()
          .then((states) => states.forEach((s) => stack.switches.set(s.tenant, s.ruleId, s.enabled)))
          .catch((e: unknown) => log.warn({ err: e }, 'cannot re-read rule switches; keeping the ones loaded'));
      }, 10_000);
      switchRefresh.unref();
      cleanups.push(async () => clearInterval(switchRefresh));
      if (events !== undefined) {
        const hunts = scheduledHunts(config, store, stack.intake, log);
        hunts.start();
        cleanups.push(() => hunts.close());
      }
    }
    // Alerts, closures, suppressions and risk between the api and detect roles (detection-link.ts).
    let link: DetectionLink | undefined;
    if (roles.has('api') || roles.has('detect')) {
      const linked = await linkDetection({ config, folder, store, connection: nats.connection, api: roles.has('api'), detection, metrics, log });
      link = linked;
      cleanups.push(() => linked.close());
    }
    const publisher = roles.has('ingest') ? new IngestPublisher({ bus: await openBus(undefined), enrichers: geoip ? [geoip] : [], metrics, onError }) : undefined;

    // 3. The first admin (api role: it owns the console), then the listeners.
    let createdAdminToken = false;
    let createdAdminUser = false;
    if (roles.has('api')) {
      createdAdminToken = await ensureAdminToken(store, folder, config.tenant);
      createdAdminUser = await ensureInitialAdmin(store, new PasswordHasher(), config.tenant, (password) => writeInitialAdminPassword(folder, password));
    }
    const inputs: ConfiguredInput[] = [];
    const health = () => {
      const natsUp = nats.connected();
      // Per consumer: events not yet committed, and what its reader did with redeliveries.
      const reading = Object.fromEntries(Object.entries(consumers).map(([name, bus]) => [name, { backlog: bus.depth(), ...Object.values(bus.stats().readers)[0] }]));
      return { ok: natsUp, details: { roles: [...roles], nats: natsUp ? 'connected' : 'reconnecting', consumers: reading } };
    };
    const http: HttpServer = await startHttpServer({
      listen: config.http.listen,
      tls: config.http.tls,
      tenant: config.tenant,
      limits: config.http,
      sink: publisher ?? { submit: async () => Promise.reject(new VigilError('not-found', elsewhere(roles))) },
      store,
      metrics,
      log,
      health,
      surface: { api: roles.has('api'), ingest: roles.has('ingest'), elsewhere: elsewhere(roles) },
      fileImport: { maxLineBytes: config.http.maxEventBytes, zone },
      console: config.http.console ? {} : false,
      ...link?.http,
      inputs: () => inputs,
      ...(retention ? { retention } : {}),
      accounts: accountOptions(config, folder),
    });
    cleanups.push(() => http.close());
    let syslog: ServerInfo['syslog'] = {};
    let syslogInputs: ServerInfo['syslogInputs'];
    if (publisher) {
      const listeners = await startEventInputs(config, folder, publisher, metrics, log);
      cleanups.push(() => listeners.stop());
      inputs.push(...listeners.inputs);
      syslog = listeners.syslog;
      syslogInputs = listeners.syslogInputs;
    }
    const info: ServerInfo = {
      pid: process.pid,
      http: http.url,
      ...(config.http.tls ? { httpCa: readFileSync(config.http.tls.cert, 'utf8') } : {}),
      syslog,
      ...(syslogInputs ? { syslogInputs } : {}),
      started: new Date().toISOString(),
    };
    const stopPublishing = publishServerInfo(folder, info, log);
    log.info({ roles: [...roles], http: http.url }, 'scale-out roles running');
    let stopping: Promise<void> | undefined;
    return {
      roles,
      info,
      folder,
      createdAdminToken,
      createdAdminUser,
      metrics,
      stop: () =>
        (stopping ??= (async () => {
          stopPublishing();
          removeServerInfo(folder);
          await unwind();
        })()),
    };
  } catch (error) {
    await unwind();
    throw error;
  }
}
