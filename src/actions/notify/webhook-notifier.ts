/**
 * Alerts to an HTTP endpoint: generic JSON (signed), Slack or Microsoft Teams. Each delivery is
 * rendered once when queued, so every retry sends the same bytes under the same
 * `X-Vigil-Delivery` id; only the timestamp and signature are fresh per attempt.
 *
 * Signature (generic webhooks, and any destination with a secret):
 *   X-Vigil-Timestamp: <unix seconds>
 *   X-Vigil-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>
 * Receivers recompute it, compare in constant time, and refuse old timestamps (replay).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AlertRecord } from '../../core/store.js';
import { OutboundPolicy, parseOutboundUrl } from '../outbound/outbound-guard.js';
import { sendOutbound } from '../outbound/outbound-request.js';
import { alertView } from './alert-view.js';
import { slackBody, teamsAdaptiveCard, teamsMessageCard } from './chat-formats.js';
import type { DeliveryQueue } from './delivery-queue.js';
import { MessageTemplate } from './message-template.js';
import { deliveryQueueFor, type Notifier, type NotifierRuntime } from './notifier.js';

export type WebhookFormat = 'json' | 'slack' | 'teams-messagecard' | 'teams-adaptive';

export interface WebhookDestination {
  readonly name: string;
  readonly url: string;
  readonly format: WebhookFormat;
  /** HMAC key for X-Vigil-Signature; without one the header is not sent. */
  readonly secret?: string;
  /** Networks and host names this destination may reach despite the outbound guard. */
  readonly allow?: readonly string[];
  /**
   * json: the whole body, values JSON-escaped (write the quotes: `{"title": "{{rule.title}}"}`);
   * slack: the message text (mrkdwn-escaped); teams: the card title.
   */
  readonly template?: string;
}

export interface WebhookNotifierOptions extends NotifierRuntime {
  readonly destination: WebhookDestination;
  /** Extra CA certificates for https (private PKI, tests). */
  readonly ca?: string | Buffer;
}

/** The signature header value for a body sent at `timestamp` (unix seconds). */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** Receiver side: whether `header` is the signature of `body` at `timestamp` (constant-time). */
export function verifyWebhookSignature(secret: string, timestamp: string, body: string, header: string): boolean {
  const expected = Buffer.from(signWebhook(secret, timestamp, body));
  const given = Buffer.from(header);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** The generic JSON body: the alert record as stored. */
export function alertJson(alert: AlertRecord): string {
  return JSON.stringify({
    type: 'vigil.alert',
    alert: {
      id: alert.id,
      tenant: alert.tenant,
      created: new Date(alert.created).toISOString(),
      ruleId: alert.ruleId,
      ruleTitle: alert.ruleTitle,
      ruleAuthor: alert.ruleAuthor,
      level: alert.level,
      state: alert.state,
      eventIds: alert.eventIds,
      details: alert.details,
    },
  });
}

export class WebhookNotifier implements Notifier {
  readonly name: string;
  readonly #destination: WebhookDestination;
  readonly #template: MessageTemplate | undefined;
  readonly #policy: OutboundPolicy;
  readonly #queue: DeliveryQueue;
  readonly #options: WebhookNotifierOptions;

  /** Checks the URL, allow list and template now (throws on a mistake); network checks happen per send. */
  constructor(options: WebhookNotifierOptions) {
    this.#options = options;
    this.#destination = options.destination;
    this.name = options.destination.name;
    parseOutboundUrl(options.destination.url);
    this.#policy = new OutboundPolicy(options.destination.allow ?? []);
    this.#template = options.destination.template === undefined ? undefined : new MessageTemplate(options.destination.template);
    this.#queue = deliveryQueueFor(this.name, options, (delivery) => this.#send(delivery.id, delivery.payload));
  }

  get pending(): number {
    return this.#queue.pending;
  }

  get stats() {
    return this.#queue.stats;
  }

  start(): void {
    this.#queue.start();
  }

  notify(alert: AlertRecord): string | undefined {
    return this.#queue.enqueue(alert.id, this.render(alert));
  }

  /** The body this destination sends for the alert. */
  render(alert: AlertRecord): string {
    const view = alertView(alert);
    switch (this.#destination.format) {
      case 'slack':
        return slackBody(view, this.#template);
      case 'teams-messagecard':
        return teamsMessageCard(view, this.#template);
      case 'teams-adaptive':
        return teamsAdaptiveCard(view, this.#template);
      case 'json': {
        if (!this.#template) return alertJson(alert);
        const body = this.#template.render(view, 'json');
        try {
          JSON.parse(body);
          return body;
        } catch {
          // A template that does not make JSON for this alert (a number slot rendered empty):
          // send the standard body rather than something the receiver cannot parse.
          return alertJson(alert);
        }
      }
    }
  }

  idle(): Promise<void> {
    return this.#queue.idle();
  }

  close(): Promise<void> {
    return this.#queue.close();
  }

  async #send(deliveryId: string, body: string): Promise<void> {
    const now = this.#options.now?.() ?? Date.now();
    const timestamp = String(Math.floor(now / 1000));
    const headers: Record<string, string> = {
      'content-type': 'application/json; charset=utf-8',
      'user-agent': 'Vigil-Notifications',
      'x-vigil-delivery': deliveryId,
      'x-vigil-timestamp': timestamp,
    };
    if (this.#destination.secret !== undefined) headers['x-vigil-signature'] = signWebhook(this.#destination.secret, timestamp, body);
    await sendOutbound({
      url: this.#destination.url,
      method: 'POST',
      headers,
      body,
      policy: this.#policy,
      ...(this.#options.timeoutMs !== undefined ? { timeoutMs: this.#options.timeoutMs } : {}),
      ...(this.#options.resolver ? { resolver: this.#options.resolver } : {}),
      ...(this.#options.ca !== undefined ? { ca: this.#options.ca } : {}),
    });
  }
}
