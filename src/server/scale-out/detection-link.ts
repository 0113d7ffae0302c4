/**
 * How the api and detect roles of a scale-out deployment reach each other, whether they share a
 * process or not (docs/scaling.md, "What the api role serves"):
 *
 * - The live alert queue: each process relays its AlertFeed over NATS (alert-relay.ts), so an
 *   alert raised by a detect role reaches the SSE clients of every api role, and triage done on
 *   one api role reaches the others.
 * - Closing an alert: the api role's triage writes PostgreSQL and tells every detect role, whose
 *   intake forgets the alert's group, so the next detection opens a new alert. Core NATS is at
 *   most once, so each detect role also reads the open alerts every 10 s and forgets the groups
 *   of alerts closed meanwhile (AlertIntake.dropClosedGroups).
 * - Suppressions added or deleted through an api role are re-read by every detect role at once
 *   (they re-read them every 10 s anyway).
 * - Risk: the ledger is in each detect role's memory; the api role asks them (risk-exchange.ts).
 * - Rules, coverage, notification settings: an api role without the detect role loads its own
 *   read-only view from the same configuration (detection-views.ts).
 *
 * - Automated response: runs wait for approval in the detect role that started them; the api role
 *   lists and decides them over NATS request/reply (response-exchange.ts).
 *
 * What stays with a process that runs the detect role: rule file import (files land in that
 * process's data folder, which only its detector reads).
 */
import type { Logger } from 'pino';
import type { NatsConnection } from '@nats-io/transport-node';
import type { VigilConfig } from '../../core/config.js';
import type { Metrics } from '../../core/metrics.js';
import type { Store } from '../../core/store.js';
import { AlertFeed } from '../../alerts/alert-feed.js';
import { AlertTriage } from '../../alerts/alert-triage.js';
import type { HttpServerOptions } from '../../api/http-server.js';
import type { DataFolder } from '../data-folder.js';
import type { DetectionStack } from '../detection-stack.js';
import { coverageOf } from '../../detect/coverage.js';
import { AlertRelay } from './alert-relay.js';
import { openDetectionViews } from './detection-views.js';
import { answerRiskRequests, askRisk } from './risk-exchange.js';
import { answerResponseRequests, RemoteResponse } from './response-exchange.js';
import { loadPlaybooks, type Playbook } from '../../actions/response/playbook.js';

/** What the api role's HTTP server is given of detection. */
export type ConsoleDetection = Pick<HttpServerOptions, 'triage' | 'alertFeed' | 'risk' | 'suppressionsChanged' | 'response' | 'rules' | 'notifications' | 'coverage'>;

export interface DetectionLink {
  /** For the api role's listener (empty without the api role). */
  readonly http: ConsoleDetection;
  readonly relay: AlertRelay;
  close(): Promise<void>;
}

export interface DetectionLinkOptions {
  readonly config: VigilConfig;
  readonly folder: DataFolder;
  readonly store: Store;
  readonly connection: NatsConnection;
  /** Whether this process serves the API and console. */
  readonly api: boolean;
  /** This process's detection, when it runs the detect role. */
  readonly detection: DetectionStack | undefined;
  readonly metrics: Metrics;
  readonly log: Logger;
  /** How often a detect role checks the store for alerts closed elsewhere. Default 10 s. */
  readonly closedCheckMs?: number;
}

export async function linkDetection(options: DetectionLinkOptions): Promise<DetectionLink> {
  const { config, folder, store, connection, api, detection, metrics, log } = options;
  const stops: (() => void | Promise<void>)[] = [];
  const feed = detection?.feed ?? new AlertFeed(log);
  const intake = detection?.intake;
  const relay = new AlertRelay({
    connection,
    feed,
    relayChanges: api,
    registry: metrics.registry,
    ...(intake
      ? {
          onClosed: (alert) => intake.closed(alert),
          onSuppressionsChanged: () => void intake.refreshSuppressions().catch((e: unknown) => log.warn({ err: e }, 'cannot re-read suppressions; keeping the ones loaded')),
        }
      : {}),
    log,
  });
  stops.push(() => relay.close());
  if (intake) {
    const risk = answerRiskRequests(connection, (tenant, limit) => intake.topRisk(tenant, limit), log);
    stops.push(() => risk.unsubscribe());
    const check = setInterval(() => {
      void intake
        .dropClosedGroups()
        .then((n) => n > 0 && log.info({ groups: n }, 'alerts closed in another process: their next detections open new alerts'))
        .catch((e: unknown) => log.warn({ err: e }, 'cannot read the open alerts; a group closed elsewhere may take one more detection'));
    }, options.closedCheckMs ?? 10_000);
    check.unref();
    stops.push(() => clearInterval(check));
  }
  const engine = detection?.response;
  if (engine) {
    const answering = answerResponseRequests(connection, engine, log);
    stops.push(() => answering.forEach((s) => s.unsubscribe()));
  }
  // Every detect role's runs, this process's among them (it answers its own requests).
  const response =
    !api || config.response.playbooks.length === 0 ? undefined : new RemoteResponse({ connection, playbooks: engine?.playbooks ?? playbooksHere(config.response.playbooks, log) });
  // Before anything is raised or served: the subscriptions are on the server.
  await relay.flush();

  let http: ConsoleDetection = {};
  if (api && detection) {
    http = {
      triage: new AlertTriage(
        store,
        (alert) => {
          detection.intake.closed(alert);
          relay.closed(alert);
        },
        feed,
      ),
      alertFeed: feed,
      // Every detect role's ledger, this process's among them (it answers its own request).
      risk: (tenant, limit) => askRisk(connection, tenant, limit),
      suppressionsChanged: async (tenant) => {
        relay.suppressionsChanged(tenant);
        await detection.intake.refreshSuppressions();
      },
      response,
      rules: detection.catalog,
      notifications: detection.notifications,
      coverage: (tenant) => coverageOf(store, tenant, detection.sigma.ruleSet, detection.sigma.logsources),
    };
  } else if (api) {
    const views = await openDetectionViews({ config, folder, store, metrics, log }).catch(async (e: unknown) => {
      for (const stop of stops.reverse()) await stop();
      throw e;
    });
    stops.push(() => views.close());
    http = {
      triage: new AlertTriage(store, (alert) => relay.closed(alert), feed),
      alertFeed: feed,
      risk: (tenant, limit) => askRisk(connection, tenant, limit),
      suppressionsChanged: async (tenant) => relay.suppressionsChanged(tenant),
      response,
      rules: views.catalog,
      notifications: views.notifications,
      coverage: views.coverage,
    };
  }
  return {
    http,
    relay,
    close: async () => {
      for (const stop of stops.reverse()) await stop();
    },
  };
}

/** The playbooks for the settings page of an api role; their files may live on the detect machines only. */
function playbooksHere(paths: readonly string[], log: Logger): readonly Playbook[] {
  try {
    return loadPlaybooks(paths);
  } catch (e) {
    log.warn({ err: e }, 'the response playbooks cannot be read on this api node: the settings page lists none (runs and approvals still work)');
    return [];
  }
}
