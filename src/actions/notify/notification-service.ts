/**
 * The one object the server needs: built from the `notifications:` config, it routes each alert
 * to its destinations and queues a delivery for each, without waiting for any network.
 *
 *   const notifications = createNotificationService(config.notifications, { dataDir });
 *   notifications.start();                       // re-sends what a previous run left pending
 *   notifications.notify(alert);                  // after the alert is stored
 *   await notifications.close();                  // on shutdown; pending stays journaled
 */
import { join } from 'node:path';
import type { AlertRecord } from '../../core/store.js';
import { CefForwarder } from './cef-forwarder.js';
import type { DeliveryOutcome } from './delivery-queue.js';
import { EmailNotifier } from './email-notifier.js';
import { NotificationRouter } from './notification-router.js';
import type { Notifier, NotifierRuntime } from './notifier.js';
import { readSecretFile, stripBrackets, type DestinationConfig, type NotificationsConfig } from './notify-config.js';
import { WebhookNotifier } from './webhook-notifier.js';
import type { Resolver } from '../outbound/outbound-guard.js';

export interface NotificationServiceOptions {
  /** Vigil's data folder: journals go to `<dataDir>/notifications/`, failures to `<dataDir>/notifications/dead-letter.ndjson`. */
  readonly dataDir: string;
  readonly resolver?: Resolver;
  readonly onOutcome?: (outcome: DeliveryOutcome) => void;
}

/** What `notify` did with one alert: the delivery id per destination, or `dropped` when its queue was full. */
export type NotifyResult = Readonly<Record<string, string | 'dropped'>>;

export class NotificationService {
  readonly #router: NotificationRouter;
  readonly #notifiers: ReadonlyMap<string, Notifier>;

  constructor(router: NotificationRouter, notifiers: readonly Notifier[]) {
    this.#router = router;
    this.#notifiers = new Map(notifiers.map((n) => [n.name, n]));
  }

  get destinations(): readonly Notifier[] {
    return [...this.#notifiers.values()];
  }

  start(): void {
    for (const n of this.#notifiers.values()) n.start();
  }

  notify(alert: AlertRecord): NotifyResult {
    const result: Record<string, string> = {};
    for (const name of this.#router.destinationsFor(alert)) {
      const notifier = this.#notifiers.get(name);
      if (!notifier) continue;
      result[name] = notifier.notify(alert) ?? 'dropped';
    }
    return result;
  }

  async idle(): Promise<void> {
    await Promise.all([...this.#notifiers.values()].map((n) => n.idle()));
  }

  async close(): Promise<void> {
    await Promise.all([...this.#notifiers.values()].map((n) => n.close()));
  }
}

/** Builds the service; reads secret and password files now, so a missing file fails the start. */
export function createNotificationService(config: NotificationsConfig, options: NotificationServiceOptions): NotificationService {
  const folder = join(options.dataDir, 'notifications');
  const runtime: NotifierRuntime = {
    journalDir: join(folder, 'journal'),
    deadLetterFile: join(folder, 'dead-letter.ndjson'),
    retry: config.retry,
    maxPending: config.maxPending,
    timeoutMs: config.timeoutMs,
    ...(options.resolver ? { resolver: options.resolver } : {}),
    ...(options.onOutcome ? { onOutcome: options.onOutcome } : {}),
  };
  const notifiers = config.destinations.map((d, i) => buildNotifier(d, runtime, `notifications.destinations.${i}`));
  return new NotificationService(new NotificationRouter(config.routes), notifiers);
}

function buildNotifier(d: DestinationConfig, runtime: NotifierRuntime, key: string): Notifier {
  const common = { name: d.name, allow: d.allow, ...(d.template !== undefined ? { template: d.template } : {}) };
  switch (d.type) {
    case 'webhook': {
      const secret = d.secret ?? readSecretFile(d.secretFile!, `${key}.secretFile`);
      return new WebhookNotifier({ ...runtime, destination: { ...common, url: d.url, format: 'json', secret } });
    }
    case 'slack':
      return new WebhookNotifier({ ...runtime, destination: { ...common, url: d.url, format: 'slack' } });
    case 'teams':
      return new WebhookNotifier({ ...runtime, destination: { ...common, url: d.url, format: d.card === 'adaptive' ? 'teams-adaptive' : 'teams-messagecard' } });
    case 'email': {
      const password = d.smtp.passwordFile !== undefined ? readSecretFile(d.smtp.passwordFile, `${key}.smtp.passwordFile`) : undefined;
      const smtp = { host: d.smtp.host, port: d.smtp.port, secure: d.smtp.secure, ...(d.smtp.user !== undefined ? { user: d.smtp.user } : {}), ...(password !== undefined ? { password } : {}) };
      return new EmailNotifier({ ...runtime, destination: { ...common, smtp, from: d.from, to: d.to } });
    }
    case 'syslog':
      return new CefForwarder({ ...runtime, destination: { name: d.name, allow: d.allow, host: stripBrackets(d.syslog.host), port: d.syslog.port, transport: d.syslog.transport, facility: d.syslog.facility } });
  }
}
