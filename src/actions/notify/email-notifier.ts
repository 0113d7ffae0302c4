/**
 * Alerts by e-mail over SMTP (nodemailer): title, level, rule author and entities, as plain text
 * and HTML (every value HTML-escaped). The SMTP relay is an outbound destination like any other:
 * its name is resolved and vetted by the outbound guard on every send, and nodemailer connects
 * to the vetted address, with the original name kept for the TLS certificate check.
 *
 * With credentials configured, TLS is required (implicit with `secure`, else STARTTLS): a
 * password is never sent over a clear connection.
 */
import nodemailer from 'nodemailer';
import type { AlertRecord } from '../../core/store.js';
import { OutboundPolicy, resolveVetted, systemResolver } from '../outbound/outbound-guard.js';
import { isIpText } from '../../core/ip-networks.js';
import { alertView, entityLines, type AlertView } from './alert-view.js';
import type { DeliveryQueue } from './delivery-queue.js';
import { escapeHtml, MessageTemplate } from './message-template.js';
import { deliveryQueueFor, type Notifier, type NotifierRuntime } from './notifier.js';

export interface EmailDestination {
  readonly name: string;
  readonly smtp: {
    readonly host: string;
    readonly port: number;
    /** TLS from the first byte (port 465). */
    readonly secure: boolean;
    readonly user?: string;
    /** The password itself (read from `passwordFile` by the caller); kept in memory only. */
    readonly password?: string;
    /** Extra CA certificates for the relay (private PKI, tests). */
    readonly ca?: string | Buffer;
  };
  readonly from: string;
  readonly to: readonly string[];
  /** Subject template (CR/LF stripped); default `[Vigil <LEVEL>] <rule title>`. */
  readonly template?: string;
  readonly allow?: readonly string[];
}

export interface EmailNotifierOptions extends NotifierRuntime {
  readonly destination: EmailDestination;
}

/** A rendered mail, as journaled. */
export interface AlertMail {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

/** A failed SMTP exchange; 5xx answers and refused logins will not fix themselves. */
export class EmailDeliveryError extends Error {
  readonly retryable: boolean;
  constructor(message: string, retryable: boolean, cause: unknown) {
    super(message, { cause });
    this.name = 'EmailDeliveryError';
    this.retryable = retryable;
  }
}

const DEFAULT_SUBJECT = new MessageTemplate('[Vigil {{level}}] {{rule.title}}');

export function renderAlertMail(alert: AlertRecord, subject: MessageTemplate = DEFAULT_SUBJECT): AlertMail {
  const view = alertView(alert);
  const rows = summaryRows(view);
  const entities = entityLines(view);
  const text = [
    `${view.rule.title}`,
    '',
    ...rows.map(([k, v]) => `${k}: ${v}`),
    '',
    entities.length > 0 ? 'Entities:' : 'Entities: none recorded',
    ...entities.map((e) => `  ${e}`),
    '',
  ].join('\n');
  const cell = (s: string): string => escapeHtml(s).replace(/\r?\n/g, '<br>');
  const html = [
    '<!doctype html><html><body>',
    `<h2>${cell(view.rule.title)}</h2>`,
    '<table>',
    ...rows.map(([k, v]) => `<tr><th align="left">${cell(k)}</th><td>${cell(v)}</td></tr>`),
    '</table>',
    '<h3>Entities</h3>',
    entities.length > 0 ? `<ul>${entities.map((e) => `<li><code>${cell(e)}</code></li>`).join('')}</ul>` : '<p>none recorded</p>',
    '</body></html>',
  ].join('\n');
  return { subject: subject.render(view, 'plain'), text, html };
}

function summaryRows(view: AlertView): [string, string][] {
  return [
    ['Level', view.level],
    ['Rule', `${view.rule.title} (${view.rule.id})`],
    ['Rule author', view.rule.author],
    ['Time', view.alert.created],
    ['Alert', `${view.alert.id}, ${view.alert.events} event(s)`],
    ['Tags', view.tags.join(', ')],
  ];
}

export class EmailNotifier implements Notifier {
  readonly name: string;
  readonly #destination: EmailDestination;
  readonly #subject: MessageTemplate;
  readonly #policy: OutboundPolicy;
  readonly #queue: DeliveryQueue;
  readonly #options: EmailNotifierOptions;

  constructor(options: EmailNotifierOptions) {
    this.#options = options;
    this.#destination = options.destination;
    this.name = options.destination.name;
    this.#policy = new OutboundPolicy(options.destination.allow ?? []);
    this.#subject = options.destination.template === undefined ? DEFAULT_SUBJECT : new MessageTemplate(options.destination.template);
    this.#queue = deliveryQueueFor(this.name, options, (delivery) => this.#send(delivery.id, JSON.parse(delivery.payload) as AlertMail));
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
    return this.#queue.enqueue(alert.id, JSON.stringify(renderAlertMail(alert, this.#subject)));
  }

  idle(): Promise<void> {
    return this.#queue.idle();
  }

  close(): Promise<void> {
    return this.#queue.close();
  }

  async #send(deliveryId: string, mail: AlertMail): Promise<void> {
    const smtp = this.#destination.smtp;
    const host = smtp.host.replace(/^\[|\]$/g, '');
    const [vetted] = await resolveVetted(host, this.#policy, this.#options.resolver ?? systemResolver);
    const timeout = this.#options.timeoutMs ?? 10_000;
    const auth = smtp.user !== undefined ? { user: smtp.user, pass: smtp.password ?? '' } : undefined;
    const transport = nodemailer.createTransport({
      host: vetted!.address,
      port: smtp.port,
      secure: smtp.secure,
      requireTLS: auth !== undefined && !smtp.secure,
      ...(auth ? { auth } : {}),
      tls: { ...(isIpText(host) ? {} : { servername: host }), ...(smtp.ca !== undefined ? { ca: smtp.ca } : {}) },
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
    });
    try {
      await transport.sendMail({
        from: this.#destination.from,
        to: [...this.#destination.to],
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        // The delivery id makes a re-sent mail recognisable as the same one.
        messageId: `<${deliveryId}@vigil.invalid>`,
        headers: { 'X-Vigil-Delivery': deliveryId },
      });
    } catch (e) {
      const err = e as { responseCode?: number; code?: string; message?: string };
      const permanent = (err.responseCode !== undefined && err.responseCode >= 500) || err.code === 'EAUTH' || err.code === 'EENVELOPE';
      throw new EmailDeliveryError(`SMTP ${host}:${smtp.port}: ${err.message ?? String(e)}`, !permanent, e);
    } finally {
      transport.close();
    }
  }
}
