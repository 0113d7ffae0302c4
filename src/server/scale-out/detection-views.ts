/**
 * What an api role shows of detection when the detect role runs in another process: the rule
 * catalog, loaded from the same configured rule paths (`detection.builtin`, `detection.rules`)
 * and log-source mappings as the detect roles load them, so the Rules page, `GET /api/v1/rules`,
 * a rule's source, a retro-hunt over stored events and detection coverage all answer on the
 * api node; and the `notifications:` section for the settings page.
 *
 * The catalog here detects nothing. Switching a rule writes PostgreSQL, which every detect role
 * re-reads every 10 s; this view re-reads it as often, so a switch made through another api
 * node shows here too. Importing rule files is refused: they would land in this node's data
 * folder, where no detector reads them (import through a process that runs the detect role, or
 * put the files in a `detection.rules` folder every node loads).
 */
import type { Logger } from 'pino';
import type { VigilConfig } from '../../core/config.js';
import type { Metrics } from '../../core/metrics.js';
import type { Store } from '../../core/store.js';
import { SigmaDetector } from '../../detect/sigma-detector.js';
import { BUILTIN_RULES, builtinPlaceholders, rulePaths } from '../../detect/builtin-rules.js';
import { RuleCatalog, ruleFileLabel } from '../../detect/rule-catalog.js';
import { RuleSwitches } from '../../detect/rule-switches.js';
import { coverageOf } from '../../detect/coverage.js';
import { parseNotificationsConfig, type NotificationsConfig } from '../../actions/notify/notify-config.js';
import type { CoverageProvider } from '../../api/coverage-routes.js';
import type { DataFolder } from '../data-folder.js';
import { basename } from 'node:path';

export const IMPORT_ELSEWHERE =
  'this api role does not run detection, so imported rule files would reach no detector: import them through a process started with --role detect (or api,detect), ' +
  'or put them in a folder listed in detection.rules on every detect node';

export interface DetectionViews {
  readonly catalog: RuleCatalog;
  readonly coverage: CoverageProvider;
  readonly notifications: NotificationsConfig;
  close(): void;
}

export interface DetectionViewOptions {
  readonly config: VigilConfig;
  readonly folder: DataFolder;
  readonly store: Store;
  readonly metrics: Metrics;
  readonly log: Logger;
  /** How often rule switches are re-read from the store. Default 10 s, as the detect roles. */
  readonly switchRefreshMs?: number;
}

export async function openDetectionViews(options: DetectionViewOptions): Promise<DetectionViews> {
  const { config, folder, store, metrics, log } = options;
  const paths = rulePaths(config.detection.builtin, config.detection.rules);
  const roots = paths.map((path) => ({ path, label: path === BUILTIN_RULES ? 'builtin' : basename(path), builtin: path === BUILTIN_RULES }));
  const placeholders = builtinPlaceholders(config.detection.placeholders, config.detection.sensitive, config.detection.changeWindows);
  // Rules edited on disk show after the same reload interval the detect roles use; no behaviour state is kept.
  const rules = await SigmaDetector.open({
    rules: paths,
    placeholders,
    logsources: config.detection.logsources,
    reloadSeconds: config.detection.reloadSeconds,
    fileLabel: (file) => ruleFileLabel(roots, file),
    metrics,
    log,
  });
  const switches = new RuleSwitches(await store.listAllRuleStates());
  const refresh = setInterval(() => {
    void store
      .listAllRuleStates()
      .then((states) => states.forEach((s) => switches.set(s.tenant, s.ruleId, s.enabled)))
      .catch((e: unknown) => log.warn({ err: e }, 'cannot re-read rule switches; keeping the ones loaded'));
  }, options.switchRefreshMs ?? 10_000);
  refresh.unref();
  const catalog = new RuleCatalog({ live: rules, roots, importFolder: folder.importedRules, placeholders, switches, store, importRefused: IMPORT_ELSEWHERE });
  return {
    catalog,
    coverage: (tenant) => coverageOf(store, tenant, rules.ruleSet, rules.logsources),
    notifications: parseNotificationsConfig(config.notifications),
    close: () => {
      clearInterval(refresh);
      rules.close();
    },
  };
}
