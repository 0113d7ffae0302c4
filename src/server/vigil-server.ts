/**
 * The embedded server: one process, one data folder. Wires the store, the event log, the
 * pipeline and the listeners, creates the first admin token, and shuts down in the order that
 * loses nothing: listeners first, then the backlog drains into the store, then files close.
 */
import type { Logger } from 'pino';
import type { VigilConfig } from '../core/config.js';
import { Metrics } from '../core/metrics.js';
import { FileLog } from '../bus/file-log/file-log.js';
import { WorkerStore } from '../store/worker/worker-store.js';
import type { Store } from '../core/store.js';
import { Pipeline, STORE_CONSUMER } from '../pipeline/pipeline.js';
import { openDetectionStack } from './detection-stack.js';
import { startEventInputs, syslogZone } from './event-inputs.js';
import type { SigmaDetector } from '../detect/sigma-detector.js';
import type { RuleCatalog } from '../detect/rule-catalog.js';
import { GeoIpEnricher } from '../enrich/geoip/geoip-enricher.js';
import { startHttpServer, type AccountsOptions } from '../api/http-server.js';
import type { AlertIntake } from '../alerts/alert-intake.js';
import { ScheduledHunts } from '../alerts/scheduled-hunts.js';
import { RetentionSchedule } from '../store/retention/retention-schedule.js';
import { planQuery } from '../search/index.js';
import type { NotificationsConfig } from '../actions/notify/notify-config.js';
import type { ResponseEngine } from '../actions/response/response-engine.js';
import { AlertTriage } from '../alerts/alert-triage.js';
import { AlertFeed } from '../alerts/alert-feed.js';
import type { ConfiguredInput } from '../api/source-health.js';
import { coverageOf } from '../detect/coverage.js';
import { LogsourceMap } from '../detect/sigma/logsource-map.js';
import { EMPTY_RULE_SET } from '../detect/sigma/rule-loader.js';
import { createToken } from '../api/auth/tokens.js';
import { PasswordHasher } from '../api/auth/password-hash.js';
import { ensureInitialAdmin } from '../api/auth/user-accounts.js';
import { readFileSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import {
  dataFolder,
  ensureChainKey,
  ensureDataFolder,
  removeServerInfo,
  writeAdminToken,
  writeInitialAdminPassword,
  publishServerInfo,
  type DataFolder,
  type ServerInfo,
} from './data-folder.js';

export interface RunningServer {
  readonly info: ServerInfo;
  readonly folder: DataFolder;
  /** Set when this start created the first admin token (printed once by `serve`). */
  readonly createdAdminToken: boolean;
  /** Set when this start created the console user `admin` (its password is in `<data>/initial-admin-password`). */
  readonly createdAdminUser: boolean;
  readonly metrics: Metrics;
  readonly pipeline: Pipeline;
  /** The server's store, for callers in the same process (tests, embedding); do not close it. */
  readonly store: Store;
  stop(): Promise<void>;
}

export async function startVigilServer(config: VigilConfig, log: Logger): Promise<RunningServer> {
  const folder = dataFolder(config.data);
  ensureDataFolder(folder);
  const metrics = new Metrics({ defaults: true });
  const zone = syslogZone(config);

  const core = await openEmbeddedPipeline(config, folder, metrics, log);
  const { store, bus, pipeline } = core;
  const cleanups: (() => Promise<void>)[] = [() => core.close()];
  const unwind = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
  };
  try {
    const createdAdminToken = await ensureAdminToken(store, folder, config.tenant);
    const createdAdminUser = await ensureInitialAdmin(store, new PasswordHasher(), config.tenant, (password) => writeInitialAdminPassword(folder, password));
    // Retention runs in the server only: it owns the data folder while it runs.
    const retention = new RetentionSchedule({ store, policy: config.retention, log });
    // Filled in as the listeners start (after the API, which the sources page reads it through).
    const inputs: ConfiguredInput[] = [];
    const http = await startHttpServer({
      listen: config.http.listen,
      tls: config.http.tls,
      tenant: config.tenant,
      limits: config.http,
      sink: pipeline,
      store,
      metrics,
      log,
      health: () => ({ ok: true, details: { queueDepth: bus.depth() } }),
      fileImport: { maxLineBytes: config.http.maxEventBytes, zone },
      console: config.http.console ? {} : false,
      triage: new AlertTriage(store, (alert) => core.intake.closed(alert), core.feed),
      alertFeed: core.feed,
      notifications: core.notifications,
      risk: (tenant, limit) => core.intake.topRisk(tenant, limit),
      inputs: () => inputs,
      suppressionsChanged: () => core.intake.refreshSuppressions(),
      response: core.response,
      retention,
      rules: core.catalog,
      accounts: accountOptions(config, folder),
      coverage: (tenant) => {
        const detector = core.detector;
        const routing = detector?.logsources ?? LogsourceMap.load(config.detection.logsources);
        return coverageOf(store, tenant, detector?.ruleSet ?? EMPTY_RULE_SET, routing);
      },
    });
    cleanups.push(() => http.close());

    const hunts = scheduledHunts(config, store, core.intake, log);
    hunts.start();
    cleanups.push(() => hunts.close());
    retention.start();
    cleanups.push(() => retention.close());

    const listeners = await startEventInputs(config, folder, pipeline, metrics, log);
    cleanups.push(() => listeners.stop());
    inputs.push(...listeners.inputs);
    const info: ServerInfo = {
      pid: process.pid,
      http: http.url,
      ...(config.http.tls ? { httpCa: readFileSync(config.http.tls.cert, 'utf8') } : {}),
      syslog: listeners.syslog,
      ...(listeners.syslogInputs ? { syslogInputs: listeners.syslogInputs } : {}),
      started: new Date().toISOString(),
    };
    const stopPublishing = publishServerInfo(folder, info, log);

    let stopping: Promise<void> | undefined;
    return {
      info,
      folder,
      createdAdminToken,
      createdAdminUser,
      metrics,
      pipeline,
      store,
      stop: () =>
        (stopping ??= (async () => {
          stopPublishing();
          removeServerInfo(folder);
          // Reverse order of start: listeners close first, so the drain has a fixed end.
          await unwind();
        })()),
    };
  } catch (error) {
    await unwind();
    throw error;
  }
}

export interface EmbeddedPipeline {
  /** Told of alerts raised, grouped and triaged (the console's live queue). */
  readonly feed: AlertFeed;
  /** The `notifications:` section as parsed. */
  readonly notifications: NotificationsConfig;
  /** Live Sigma detection (the configured rules and those imported through the API). */
  readonly detector: SigmaDetector;
  /** The live rules as the API shows them, switched per tenant. */
  readonly catalog: RuleCatalog;
  /** Groups, suppresses and throttles detections before the store. */
  readonly intake: AlertIntake;
  /** Playbooks for new alerts, when `response.playbooks` names some. */
  readonly response: ResponseEngine | undefined;
  readonly store: Store;
  readonly bus: FileLog;
  readonly pipeline: Pipeline;
  /** Stores the backlog (up to the drain timeout), then closes the log and the store. */
  close(): Promise<void>;
}

/**
 * Store, event log and pipeline over one data folder: the part of the server that `vigil
 * ingest` also runs when no server holds the folder, so a file goes through the same path.
 */
export async function openEmbeddedPipeline(config: VigilConfig, folder: DataFolder, metrics: Metrics, log: Logger): Promise<EmbeddedPipeline> {
  // Before the store opens: a wrong enrich.geoip path stops the start with nothing to undo.
  const geoip = config.enrich.geoip.enabled ? GeoIpEnricher.open({ city: config.enrich.geoip.city, asn: config.enrich.geoip.asn }) : undefined;
  if (geoip) log.info({ data: geoip.description }, 'GeoIP enrichment on');
  // The store runs on its own thread, so storing does not compete with parsing and fsync.
  const store = await WorkerStore.open({
    path: folder.database,
    chainKey: ensureChainKey(folder),
    checkpointEveryBatches: config.store.chainSignEveryBatches,
    checkpointEveryMs: config.store.chainSignEverySeconds * 1000,
    memoryLimit: config.store.memoryLimit,
    threads: config.store.threads,
    checkpointThreshold: config.store.checkpointThreshold,
  });
  try {
    const checkpoint = await store.readCheckpoint(STORE_CONSUMER);
    const bus = await FileLog.open({
      dir: folder.eventLog,
      segmentBytes: config.pipeline.walSegmentBytes,
      from: checkpoint?.position,
      maxQueueEvents: config.pipeline.maxQueueEvents,
      metrics,
      onWarning: (m) => log.warn(m),
    });
    if (bus.depth() > 0) log.info({ events: bus.depth() }, 'replaying events that were durable but not yet stored');
    const detection = await openDetectionStack({ config, folder, store, readsEvents: true, geoip, metrics, log });
    const pipeline = new Pipeline({
      bus,
      store,
      metrics,
      ruleSwitches: detection.switches,
      enrichers: geoip ? [geoip] : [],
      detectors: detection.detectors,
      alerts: detection.intake,
      batchSize: config.pipeline.batchSize,
      onError: (message, error) => log.error({ err: error }, message),
      deadLetter: (event, error) =>
        appendFile(folder.deadLetter, JSON.stringify({ reason: (error as Error).message, event }) + '\n', { mode: 0o600 }),
    });
    pipeline.start();
    return {
      feed: detection.feed,
      notifications: detection.notifications,
      store,
      bus,
      pipeline,
      detector: detection.sigma,
      catalog: detection.catalog,
      intake: detection.intake,
      response: detection.response,
      close: async () => {
        await detection.stopWatching();
        await pipeline.stop();
        await detection.close();
        await bus.close();
        await store.close();
      },
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}

export { syslogZone };

/** The configured `hunts:` over `store`, raising through the intake (not started). */
export function scheduledHunts(config: VigilConfig, store: Store, intake: AlertIntake, log: Logger): ScheduledHunts {
  return new ScheduledHunts({
    hunts: config.hunts.map((h) => ({ ...h, everyMs: durationMs(h.every), lookbackMs: durationMs(h.lookback ?? h.every) })),
    store,
    tenants: async () => [...new Set([config.tenant, ...(await store.listTokens()).map((t) => t.tenant)])],
    plan: planQuery,
    raise: (alerts) => intake.raise(alerts),
    log,
  });
}

/** First run: an admin token, written to `<data>/admin-token` with mode 0600. */
/** Sessions, login limits and origins from the `accounts:` section: the same for every server that serves the console. */
export function accountOptions(config: VigilConfig, folder: DataFolder): AccountsOptions {
  return {
    sessionIdleMs: config.accounts.sessionIdleMinutes * 60_000,
    sessionLifetimeMs: config.accounts.sessionLifetimeHours * 3_600_000,
    login: {
      perUser: config.accounts.loginFailuresPerUser,
      perAddress: config.accounts.loginFailuresPerAddress,
      windowMs: config.accounts.loginWindowMinutes * 60_000,
    },
    allowedOrigins: config.accounts.allowedOrigins,
    ...(config.accounts.secureCookie === undefined ? {} : { secureCookie: config.accounts.secureCookie }),
    initialPasswordFile: folder.initialAdminPassword,
  };
}

export async function ensureAdminToken(store: Store, folder: DataFolder, tenant: string): Promise<boolean> {
  const tokens = await store.listTokens();
  if (tokens.some((t) => t.role === 'admin' && !t.revoked)) return false;
  const { secret } = await createToken(store, { name: 'admin', role: 'admin', tenant });
  writeAdminToken(folder, secret);
  return true;
}

const DURATION_UNIT: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `15m` → ms (the config schema has checked the form). */
function durationMs(text: string): number {
  return Number(text.slice(0, -1)) * DURATION_UNIT[text.slice(-1)]!;
}
