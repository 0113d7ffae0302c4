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
import { SyslogSource } from '../sources/syslog/syslog-source.js';
import { SigmaDetector } from '../detect/sigma-detector.js';
import { BUILTIN_RULES, builtinPlaceholders, rulePaths } from '../detect/builtin-rules.js';
import { RuleCatalog, ruleFileLabel } from '../detect/rule-catalog.js';
import { RuleSwitches } from '../detect/rule-switches.js';
import { IntelRetroHunter } from '../detect/intel/intel-retro-hunt.js';
import { IntelDetector, indicatorsFor } from '../detect/intel/intel-detector.js';
import { BeaconDetector } from '../detect/behaviour/beacon-detector.js';
import { GeoIpEnricher } from '../enrich/geoip/geoip-enricher.js';
import { timeZone, type TimeZone } from '../parsers/syslog/syslog-parser.js';
import { VigilError } from '../core/errors.js';
import { startHttpServer } from '../api/http-server.js';
import { AlertIntake } from '../alerts/alert-intake.js';
import { ScheduledHunts } from '../alerts/scheduled-hunts.js';
import { RetentionSchedule } from '../store/retention/retention-schedule.js';
import { planQuery } from '../search/index.js';
import { loadPlaybooks } from '../actions/response/playbook.js';
import { createNotificationService } from '../actions/notify/notification-service.js';
import { NotificationMetrics } from '../actions/notify/notification-metrics.js';
import { parseNotificationsConfig, vetDestinations, type NotificationsConfig } from '../actions/notify/notify-config.js';
import { ResponseEngine } from '../actions/response/response-engine.js';
import { AlertTriage } from '../alerts/alert-triage.js';
import { AlertFeed } from '../alerts/alert-feed.js';
import type { ConfiguredInput } from '../api/source-health.js';
import { AlertContext } from '../alerts/alert-context.js';
import { EntityDirectory } from '../alerts/entity-directory.js';
import { coverageOf } from '../detect/coverage.js';
import { LogsourceMap } from '../detect/sigma/logsource-map.js';
import { EMPTY_RULE_SET } from '../detect/sigma/rule-loader.js';
import { createToken } from '../api/auth/tokens.js';
import { PasswordHasher } from '../api/auth/password-hash.js';
import { ensureInitialAdmin } from '../api/auth/user-accounts.js';
import { FileTailSource } from '../sources/file/file-tail-source.js';
import { jsonRecordMapping } from '../parsers/json/index.js';
import { DEFAULT_MAX_FIELDS_PER_EVENT } from '../sources/http/ingest-context.js';
import { mkdirSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
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
      accounts: {
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
      },
      coverage: (tenant) => {
        const detector = core.detector;
        const routing = detector?.logsources ?? LogsourceMap.load(config.detection.logsources);
        return coverageOf(store, tenant, detector?.ruleSet ?? EMPTY_RULE_SET, routing);
      },
    });
    cleanups.push(() => http.close());

    const hunts = new ScheduledHunts({
      hunts: config.hunts.map((h) => ({ ...h, everyMs: durationMs(h.every), lookbackMs: durationMs(h.lookback ?? h.every) })),
      store,
      tenants: async () => [...new Set([config.tenant, ...(await store.listTokens()).map((t) => t.tenant)])],
      plan: planQuery,
      raise: (alerts) => core.intake.raise(alerts),
      log,
    });
    hunts.start();
    cleanups.push(() => hunts.close());
    retention.start();
    cleanups.push(() => retention.close());

    const limits = { maxJsonDepth: config.http.maxJsonDepth, maxFieldsPerEvent: DEFAULT_MAX_FIELDS_PER_EVENT };
    const syslogShared = {
      tenant: config.tenant,
      maxMessageBytes: config.syslog.maxMessageBytes,
      maxConnections: config.syslog.maxConnections,
      idleTimeoutMs: config.syslog.idleTimeoutMs,
      limits,
      metrics,
      log,
    };
    // Zones are checked before anything binds, so a typo fails the start with its key named.
    const extraInputs = config.syslog.inputs.map((input, i) => ({
      input,
      zone: input.timeZone === undefined ? zone : zoneOf(input.timeZone, `syslog.inputs.${i}.timeZone`),
      key: `syslog.inputs.${i}`,
    }));
    const syslog = new SyslogSource({
      ...syslogShared,
      name: 'syslog',
      udp: config.syslog.udp,
      tcp: config.syslog.tcp,
      tls: config.syslog.tls,
      format: config.syslog.format,
      zone,
    });
    await syslog.start(pipeline);
    cleanups.push(() => syslog.stop());
    const inputSources: SyslogSource[] = [];
    for (const { input, zone: inputZone, key } of extraInputs) {
      const source = new SyslogSource({ ...syslogShared, name: input.name, udp: input.udp, tcp: input.tcp, tls: input.tls, format: input.format, zone: inputZone, configKey: key });
      await source.start(pipeline);
      cleanups.push(() => source.stop());
      inputSources.push(source);
    }

    if (config.files.length > 0) {
      const files = new FileTailSource({
        tenant: config.tenant,
        paths: config.files,
        offsetsFile: folder.fileOffsets,
        pollMs: config.filesPollMs,
        maxLineBytes: config.http.maxEventBytes,
        mapping: jsonRecordMapping,
        limits,
        zone,
        metrics,
        log,
      });
      await files.start(pipeline);
      cleanups.push(() => files.stop());
    }

    const addresses = syslog.addresses();
    const hostPort = (a: { address: string; port: number } | undefined) =>
      a ? `${a.address.includes(':') ? `[${a.address}]` : a.address}:${a.port}` : undefined;
    for (const source of [syslog, ...inputSources]) {
      const a = source.addresses();
      for (const kind of ['udp', 'tcp', 'tls'] as const) {
        const listen = hostPort(a[kind]);
        if (listen !== undefined) inputs.push({ input: source.name, kind: `syslog-${kind}`, listen });
      }
    }
    if (config.files.length > 0) inputs.push({ input: 'file', kind: 'file', listen: config.files.map((f) => f.path).join(', ') });
    const info: ServerInfo = {
      pid: process.pid,
      http: http.url,
      ...(config.http.tls ? { httpCa: readFileSync(config.http.tls.cert, 'utf8') } : {}),
      syslog: { udp: hostPort(addresses.udp), tcp: hostPort(addresses.tcp), tls: hostPort(addresses.tls) },
      ...(inputSources.length > 0
        ? {
            syslogInputs: Object.fromEntries(
              inputSources.map((source) => {
                const a = source.addresses();
                return [source.name, { udp: hostPort(a.udp), tcp: hostPort(a.tcp), tls: hostPort(a.tls) }];
              }),
            ),
          }
        : {}),
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
    const configured = rulePaths(config.detection.builtin, config.detection.rules);
    mkdirSync(folder.importedRules, { recursive: true, mode: 0o700 });
    const rules = [...configured, folder.importedRules];
    const roots = rules.map((path) => ({
      path,
      label: path === BUILTIN_RULES ? 'builtin' : path === folder.importedRules ? 'imported' : basename(path),
      builtin: path === BUILTIN_RULES,
    }));
    const sigma = await SigmaDetector.open({
            rules,
            placeholders: builtinPlaceholders(config.detection.placeholders, config.detection.sensitive, config.detection.changeWindows),
            logsources: config.detection.logsources,
            reloadSeconds: config.detection.reloadSeconds,
            stateFile: folder.behaviourState,
            fileLabel: (file) => ruleFileLabel(roots, file),
            metrics,
            log,
          });
    const intel =
      config.detection.intel.paths.length === 0
        ? undefined
        : await IntelDetector.open({
            paths: config.detection.intel.paths,
            defaultTtlDays: config.detection.intel.defaultTtlDays,
            reloadSeconds: config.detection.reloadSeconds,
            metrics,
            log,
            retro:
              config.detection.intel.retroDays === 0
                ? undefined
                : new IntelRetroHunter({
                    history: store,
                    // Every tenant that can have events: the default one and those of ingest tokens.
                    tenants: async () => [...new Set([config.tenant, ...(await store.listTokens()).map((t) => t.tenant)])],
                    lookbackDays: config.detection.intel.retroDays,
                    stateFile: folder.intelRetroState,
                    metrics,
                    log,
                  }),
          });
    const beacons = config.detection.beacons.enabled
      ? new BeaconDetector({
          ...(config.detection.beacons.internalNetworks ? { internalNetworks: config.detection.beacons.internalNetworks } : {}),
          minConnections: config.detection.beacons.minConnections,
          windowHours: config.detection.beacons.windowHours,
          threshold: config.detection.beacons.threshold,
          allowlist: config.detection.beacons.allowlist,
        })
      : undefined;
    if (configured.length === 0) log.info('no detection rules (detection.builtin is off and detection.rules is empty): events are stored without detection');
    const enrichment = config.alerts.enrichment;
    const context = new AlertContext({
      geo: geoip,
      assets: enrichment.assets === undefined ? undefined : EntityDirectory.open('assets', enrichment.assets),
      users: enrichment.users === undefined ? undefined : EntityDirectory.open('users', enrichment.users),
      intel: intel ? (value) => indicatorsFor(intel.index, value).map((i) => ({ type: i.type, value: i.value, source: i.source, confidence: i.confidence, description: i.description })) : undefined,
      history: store,
      prevalence: enrichment.prevalence,
      surroundingMinutes: enrichment.surroundingMinutes,
    });
    const notificationsConfig = parseNotificationsConfig(config.notifications);
    await vetDestinations(notificationsConfig);
    const notifications =
      notificationsConfig.destinations.length === 0
        ? undefined
        : createNotificationService(notificationsConfig, { dataDir: folder.root, onOutcome: new NotificationMetrics(metrics.registry).onOutcome });
    notifications?.start();
    const response =
      config.response.playbooks.length === 0
        ? undefined
        : ResponseEngine.open({ playbooks: loadPlaybooks(config.response.playbooks), journal: folder.responseJournal, dryRun: config.response.dryRun, log });
    response?.start();
    const feed = new AlertFeed(log);
    const intake = await AlertIntake.open({
      store,
      context,
      feed,
      onRaised: async (alerts) => {
        for (const alert of alerts) notifications?.notify(alert);
        await response?.onAlerts(alerts);
      },
      groupWindowMs: config.alerts.groupWindowMinutes * 60_000,
      budget: { perRuleDaily: config.alerts.budget.perRuleDaily, rules: config.alerts.budget.rules },
      risk: config.alerts.risk.enabled
        ? { points: config.alerts.risk.points, threshold: config.alerts.risk.threshold, windowMs: config.alerts.risk.windowHours * 3_600_000, level: config.alerts.risk.level, fields: config.alerts.risk.fields }
        : undefined,
      log,
    });
    const switches = new RuleSwitches(await store.listAllRuleStates());
    const catalog = new RuleCatalog({
      live: sigma,
      roots,
      importFolder: folder.importedRules,
      placeholders: builtinPlaceholders(config.detection.placeholders, config.detection.sensitive, config.detection.changeWindows),
      switches,
      store,
    });
    const pipeline = new Pipeline({
      bus,
      store,
      metrics,
      ruleSwitches: switches,
      enrichers: geoip ? [geoip] : [],
      detectors: [...(sigma ? [sigma] : []), ...(intel ? [intel] : []), ...(beacons ? [beacons] : [])],
      alerts: intake,
      batchSize: config.pipeline.batchSize,
      onError: (message, error) => log.error({ err: error }, message),
      deadLetter: (event, error) =>
        appendFile(folder.deadLetter, JSON.stringify({ reason: (error as Error).message, event }) + '\n', { mode: 0o600 }),
    });
    pipeline.start();
    return {
      feed,
      notifications: notificationsConfig,
      store,
      bus,
      pipeline,
      detector: sigma,
      catalog,
      intake,
      response,
      close: async () => {
        sigma?.close();
        intel?.close();
        await intel?.stopHunting();
        await pipeline.stop();
        // After the pipeline has drained, so the baselines include every stored event.
        sigma?.saveState();
        // After the drain too: alerts raised while draining are still acted on and notified.
        await response?.close();
        await notifications?.close();
        await bus.close();
        await store.close();
      },
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}

export function syslogZone(config: VigilConfig): TimeZone {
  return zoneOf(config.syslog.timeZone, 'syslog.timeZone');
}

function zoneOf(name: string, key: string): TimeZone {
  try {
    return timeZone(name);
  } catch (error) {
    throw new VigilError('config-invalid', `${key}: ${(error as Error).message}; write UTC, an offset such as +02:00, or a zone name such as Europe/Berlin`, {
      where: `vigil.yaml: ${key}`,
      cause: error,
    });
  }
}

/** First run: an admin token, written to `<data>/admin-token` with mode 0600. */
async function ensureAdminToken(store: Store, folder: DataFolder, tenant: string): Promise<boolean> {
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
