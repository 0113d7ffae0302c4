/**
 * Everything between "an enriched batch of events" and "alerts in the store, notified and acted
 * on": Sigma, threat intelligence, beacons, the alert intake with its context pass,
 * notifications, automated response and the rule catalog. The embedded server runs it inside
 * its one pipeline; the detect role (scale-out) runs the same stack behind the `detect`
 * consumer of the NATS bus. Partitioned detection workers plug in here: they replace the
 * `detectors` this returns, and keep the intake and what follows it.
 */
import type { Logger } from 'pino';
import { mkdirSync } from 'node:fs';
import { basename } from 'node:path';
import type { VigilConfig } from '../core/config.js';
import type { Metrics } from '../core/metrics.js';
import type { Detector } from '../core/stage.js';
import type { Store } from '../core/store.js';
import { SigmaDetector } from '../detect/sigma-detector.js';
import { BUILTIN_RULES, builtinPlaceholders, rulePaths } from '../detect/builtin-rules.js';
import { RuleCatalog, ruleFileLabel } from '../detect/rule-catalog.js';
import { RuleSwitches } from '../detect/rule-switches.js';
import { IntelRetroHunter } from '../detect/intel/intel-retro-hunt.js';
import { IntelDetector, indicatorsFor } from '../detect/intel/intel-detector.js';
import { BeaconDetector } from '../detect/behaviour/beacon-detector.js';
import type { GeoIpEnricher } from '../enrich/geoip/geoip-enricher.js';
import { AlertIntake } from '../alerts/alert-intake.js';
import { AlertFeed } from '../alerts/alert-feed.js';
import { AlertContext } from '../alerts/alert-context.js';
import { EntityDirectory } from '../alerts/entity-directory.js';
import { loadPlaybooks } from '../actions/response/playbook.js';
import { createNotificationService } from '../actions/notify/notification-service.js';
import { NotificationMetrics } from '../actions/notify/notification-metrics.js';
import { parseNotificationsConfig, vetDestinations, type NotificationsConfig } from '../actions/notify/notify-config.js';
import { ResponseEngine } from '../actions/response/response-engine.js';
import type { DataFolder } from './data-folder.js';

export interface DetectionStackOptions {
  readonly config: VigilConfig;
  readonly folder: DataFolder;
  /** Alerts, suppressions, rule switches (and events, unless `history` says otherwise). */
  readonly store: Store;
  /**
   * Whether `store` can read stored events, for the alert context (surrounding events,
   * prevalence) and the intel retro-hunt. False: a detect role that cannot read the event store
   * (the embedded ClickHouse engine is held by another process); alerts then carry no event context.
   */
  readonly readsEvents: boolean;
  /**
   * Other detect processes raise alerts into the same store (scale-out with several detect
   * workers): the daily alert budget of each rule is then counted over all of them.
   */
  readonly sharedBudget?: boolean;
  /** Used by the alert context to place addresses (the events were enriched before). */
  readonly geoip: GeoIpEnricher | undefined;
  readonly metrics: Metrics;
  readonly log: Logger;
}

export interface DetectionStack {
  /** Told of alerts raised, grouped and triaged (the console's live queue). */
  readonly feed: AlertFeed;
  /** The `notifications:` section as parsed. */
  readonly notifications: NotificationsConfig;
  readonly sigma: SigmaDetector;
  /** What runs on every batch, in order. */
  readonly detectors: readonly Detector[];
  /** The live rules as the API shows them, switched per tenant. */
  readonly catalog: RuleCatalog;
  readonly switches: RuleSwitches;
  /** Groups, suppresses and throttles detections before the store. */
  readonly intake: AlertIntake;
  /** Playbooks for new alerts, when `response.playbooks` names some. */
  readonly response: ResponseEngine | undefined;
  /** Stops rule reloads and retro-hunts (before the pipeline drains). */
  stopWatching(): Promise<void>;
  /** After the pipeline drained: saves behaviour baselines, finishes responses and notifications. */
  close(): Promise<void>;
}

export async function openDetectionStack(options: DetectionStackOptions): Promise<DetectionStack> {
  const { config, folder, store, geoip, metrics, log } = options;
  const history = options.readsEvents ? store : undefined;
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
            config.detection.intel.retroDays === 0 || history === undefined
              ? undefined
              : new IntelRetroHunter({
                  history,
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
    history,
    prevalence: enrichment.prevalence && history !== undefined,
    surroundingMinutes: history === undefined ? 0 : enrichment.surroundingMinutes,
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
    sharedBudget: options.sharedBudget ?? false,
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
  return {
    feed,
    notifications: notificationsConfig,
    sigma,
    detectors: [sigma, ...(intel ? [intel] : []), ...(beacons ? [beacons] : [])],
    catalog,
    switches,
    intake,
    response,
    stopWatching: async () => {
      sigma.close();
      intel?.close();
      await intel?.stopHunting();
    },
    close: async () => {
      // After the pipeline has drained, so the baselines include every event seen.
      sigma.saveState();
      // After the drain too: alerts raised while draining are still acted on and notified.
      await response?.close();
      await notifications?.close();
    },
  };
}
