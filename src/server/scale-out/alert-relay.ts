/**
 * The alert feed across processes (scale-out): the detect role raises alerts, the api role's
 * console shows them live, and each may run on its own node. Every process with the api or the
 * detect role relays its AlertFeed over NATS core subjects, small JSON:
 *
 *   vigil.alerts.<tenant>.changed       {"o":origin,"id":…,"change":"raised"|"updated"}
 *   vigil.alerts.<tenant>.closed        {"o":origin,"id":…,"groupKey":…}   (triage closed it)
 *   vigil.alerts.<tenant>.suppressions  {"o":origin}                        (one added or deleted)
 *
 * An api role tells its own feed (and so its SSE clients) of the changes other processes made;
 * a detect role tells its intake of closures and suppression changes made through another
 * process's API. A notice names an alert, never its content (as in the feed itself): the
 * console reads the alert from PostgreSQL through its tenant check.
 *
 * Why NATS core and not JetStream or PostgreSQL LISTEN/NOTIFY: every role is already connected
 * to NATS and nothing here needs keeping. A console that misses a notice (NATS away for a
 * moment) shows the alert at its next list read, as after any reconnect of the event stream;
 * a detect role that misses a closure learns it from the store within seconds
 * (AlertIntake.dropClosedGroups). LISTEN/NOTIFY would hold a PostgreSQL connection per process
 * outside the pool and adds nothing the store read does not already give.
 *
 * Each process stamps its messages with an origin of its own and skips them when they come back;
 * what it relays into its own feed is not published again, so nothing loops between api nodes.
 */
import { randomUUID } from 'node:crypto';
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { Counter, type Registry } from 'prom-client';
import type { Alert } from '../../core/alert.js';
import type { AlertFeed, AlertNotice } from '../../alerts/alert-feed.js';
import { isSubjectToken } from '../../bus/jetstream/event-subjects.js';

export const ALERT_SUBJECT_PREFIX = 'vigil.alerts';

/** What a detect role needs of a closure to forget the alert's group. */
export type ClosedAlert = Pick<Alert, 'tenant' | 'id' | 'groupKey'>;

export interface AlertRelayOptions {
  readonly connection: NatsConnection;
  /** This process's feed: what it is told goes out; with `relayChanges`, what others publish comes in. */
  readonly feed: AlertFeed;
  /** Tell `feed` of the changes other processes publish (the api role: its SSE clients). */
  readonly relayChanges: boolean;
  /** Told when another process closed an alert (the detect role: the intake forgets its group). */
  readonly onClosed?: ((alert: ClosedAlert) => void) | undefined;
  /** Told when another process added or deleted a suppression (the detect role re-reads them). */
  readonly onSuppressionsChanged?: ((tenant: string) => void) | undefined;
  readonly log?: { warn(o: object, m: string): void } | undefined;
  /** Default: a fresh random id. */
  readonly origin?: string | undefined;
  /** Where `vigil_alert_relay_messages_total` is counted. */
  readonly registry?: Registry | undefined;
}

const CHANGES = new Set<string>(['raised', 'updated']);

export class AlertRelay {
  readonly #origin: string;
  readonly #subscriptions: Subscription[] = [];
  readonly #stopFeed: () => void;
  /** Set while a notice from another process is told to the feed, so it is not published back. */
  #relaying = false;
  #published = 0;
  #received = 0;
  readonly #counted: Counter<'direction' | 'kind'> | undefined;

  constructor(private readonly options: AlertRelayOptions) {
    this.#origin = options.origin ?? randomUUID();
    this.#counted = options.registry
      ? new Counter({
          name: 'vigil_alert_relay_messages_total',
          help: 'Alert changes, closures and suppression changes this process sent to the others (out) and acted on from them (in), over NATS.',
          labelNames: ['direction', 'kind'],
          registers: [options.registry],
        })
      : undefined;
    this.#stopFeed = options.feed.subscribe((notice) => {
      if (!this.#relaying) this.#publish(notice.tenant, 'changed', { id: notice.id, change: notice.change });
    });
    const on = (kind: string, handle: (tenant: string, body: Record<string, unknown>) => void) => {
      this.#subscriptions.push(
        options.connection.subscribe(`${ALERT_SUBJECT_PREFIX}.*.${kind}`, {
          callback: (error, msg) => {
            if (error) return options.log?.warn({ err: error }, `alert relay: the subscription to ${kind} ended`);
            this.#receive(msg, kind, handle);
          },
        }),
      );
    };
    if (options.relayChanges) {
      on('changed', (tenant, body) => {
        if (typeof body['id'] !== 'string' || typeof body['change'] !== 'string' || !CHANGES.has(body['change'])) return;
        this.#relaying = true;
        try {
          options.feed.publish([{ tenant, id: body['id'], change: body['change'] as AlertNotice['change'] }]);
        } finally {
          this.#relaying = false;
        }
      });
    }
    const onClosed = options.onClosed;
    if (onClosed) {
      on('closed', (tenant, body) => {
        if (typeof body['id'] === 'string' && typeof body['groupKey'] === 'string') onClosed({ tenant, id: body['id'], groupKey: body['groupKey'] });
      });
    }
    const onSuppressions = options.onSuppressionsChanged;
    if (onSuppressions) on('suppressions', (tenant) => onSuppressions(tenant));
  }

  get origin(): string {
    return this.#origin;
  }

  /** Messages sent, and messages from other processes acted on. */
  stats(): { published: number; received: number } {
    return { published: this.#published, received: this.#received };
  }

  /** Tells the other processes that triage closed `alert`: their intakes open a new alert for its group. */
  closed(alert: ClosedAlert): void {
    this.#publish(alert.tenant, 'closed', { id: alert.id, groupKey: alert.groupKey });
  }

  /** Tells the other processes that a suppression of `tenant` was added or deleted. */
  suppressionsChanged(tenant: string): void {
    this.#publish(tenant, 'suppressions', {});
  }

  /** Resolves once the server has this process's subscriptions and messages (nothing sent after is missed). */
  async flush(): Promise<void> {
    await this.options.connection.flush();
  }

  close(): void {
    this.#stopFeed();
    for (const s of this.#subscriptions) s.unsubscribe();
  }

  #publish(tenant: string, kind: string, body: Record<string, unknown>): void {
    // Tenants are subject tokens already (the event stream carries them the same way).
    if (!isSubjectToken(tenant)) return this.options.log?.warn({ tenant: tenant.slice(0, 80) }, 'alert relay: a tenant name that is not a NATS subject token is not relayed');
    try {
      this.options.connection.publish(`${ALERT_SUBJECT_PREFIX}.${tenant}.${kind}`, JSON.stringify({ o: this.#origin, ...body }));
      this.#published++;
      this.#counted?.inc({ direction: 'out', kind });
    } catch (error) {
      // Closed or draining connection: the notice is lost, which a console survives (see above).
      this.options.log?.warn({ err: error }, 'alert relay: cannot publish an alert change');
    }
  }

  #receive(msg: Msg, kind: string, handle: (tenant: string, body: Record<string, unknown>) => void): void {
    const tenant = msg.subject.split('.')[ALERT_SUBJECT_PREFIX.split('.').length];
    let body: unknown;
    try {
      body = msg.json();
    } catch {
      return this.options.log?.warn({ subject: msg.subject }, 'alert relay: a message that is not JSON was skipped');
    }
    if (tenant === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) return;
    const fields = body as Record<string, unknown>;
    if (fields['o'] === this.#origin) return;
    this.#received++;
    this.#counted?.inc({ direction: 'in', kind });
    try {
      handle(tenant, fields);
    } catch (error) {
      this.options.log?.warn({ err: error }, 'alert relay: acting on a message from another process failed');
    }
  }
}
