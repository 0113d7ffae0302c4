/**
 * Forwards alerts to another SIEM as CEF (ArcSight Common Event Format, rev. 25) inside an
 * RFC 5424 syslog message, over TCP with octet counting (RFC 6587 §3.4.1) or over UDP
 * (RFC 5426, one message per datagram). Deliveries are journaled and retried like any other
 * notification; the syslog host is vetted by the outbound guard on every (re)connect.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { hostname } from 'node:os';
import { connect, type Socket } from 'node:net';
import type { AlertRecord } from '../../core/store.js';
import { isIpText } from '../../core/ip-networks.js';
import { OutboundPolicy, resolveVetted, systemResolver } from '../outbound/outbound-guard.js';
import { alertView, entityLines } from './alert-view.js';
import type { DeliveryQueue } from './delivery-queue.js';
import { deliveryQueueFor, type Notifier, type NotifierRuntime } from './notifier.js';

export interface SyslogDestination {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly transport: 'tcp' | 'udp';
  /** RFC 5424 facility; default 4 (security/authorization). */
  readonly facility?: number;
  readonly allow?: readonly string[];
}

export interface CefForwarderOptions extends NotifierRuntime {
  readonly destination: SyslogDestination;
  /** HOSTNAME field of the syslog header; default this machine's name. */
  readonly hostname?: string;
  /** Product version in the CEF header. */
  readonly version?: string;
}

/** CEF severity 0-10 for Sigma levels. */
const CEF_SEVERITY: Readonly<Record<string, number>> = { informational: 1, low: 3, medium: 5, high: 8, critical: 10 };
/** Syslog severity (RFC 5424 §6.2.1) for Sigma levels. */
const SYSLOG_SEVERITY: Readonly<Record<string, number>> = { informational: 6, low: 5, medium: 4, high: 3, critical: 2 };

/** Entity fields with a CEF key of their own; the rest go in cs3 (all entities, `k=v; k=v`). */
const ENTITY_KEYS: readonly (readonly [string, string, 'ip' | 'port' | 'text'])[] = [
  ['source.ip', 'src', 'ip'],
  ['destination.ip', 'dst', 'ip'],
  ['source.port', 'spt', 'port'],
  ['destination.port', 'dpt', 'port'],
  ['source.domain', 'shost', 'text'],
  ['destination.domain', 'dhost', 'text'],
  ['user.name', 'suser', 'text'],
  ['destination.user.name', 'duser', 'text'],
  ['process.name', 'sproc', 'text'],
  ['file.path', 'filePath', 'text'],
];

/** CEF header field: backslash and pipe escaped; a header cannot hold line breaks. */
export function escapeCefHeader(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/[\r\n]+/g, ' ');
}

/** CEF extension value: backslash and equals escaped, line breaks as `\n` / `\r`. */
export function escapeCefExtension(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/=/g, '\\=').replace(/\r\n|\n/g, '\\n').replace(/\r/g, '\\r');
}

/** The CEF text of an alert. */
export function formatCef(alert: AlertRecord, version = '0.1.0'): string {
  const view = alertView(alert);
  const header = ['CEF:0', 'Vigil', 'Vigil', version, alert.ruleId, alert.ruleTitle, String(CEF_SEVERITY[alert.level.toLowerCase()] ?? 1)];
  const ext: [string, string][] = [
    ['rt', String(alert.created)],
    ['externalId', alert.id],
    ['msg', alert.ruleTitle],
    ['cnt', String(alert.eventIds.length)],
    ['cat', view.tags.join(',')],
    ['cs1Label', 'ruleAuthor'],
    ['cs1', alert.ruleAuthor],
    ['cs2Label', 'level'],
    ['cs2', alert.level],
  ];
  for (const [field, key, kind] of ENTITY_KEYS) {
    const v = view.entities[field];
    if (v === undefined || Array.isArray(v)) continue;
    const text = String(v);
    if (kind === 'ip' && !isIpText(text)) continue;
    if (kind === 'port' && !/^\d{1,5}$/.test(text)) continue;
    ext.push([key, text]);
  }
  const all = entityLines(view);
  if (all.length > 0) ext.push(['cs3Label', 'entities'], ['cs3', all.join('; ')]);
  return `${header.map((h, i) => (i === 0 ? h : escapeCefHeader(h))).join('|')}|${ext.map(([k, v]) => `${k}=${escapeCefExtension(v)}`).join(' ')}`;
}

/** RFC 5424 header field: printable US-ASCII without spaces, at most `max` characters, `-` when empty. */
function headerField(value: string, max: number): string {
  const clean = value.replace(/[^\x21-\x7e]/g, '').slice(0, max);
  return clean === '' ? '-' : clean;
}

/** One RFC 5424 message carrying the alert's CEF text. */
export function syslogFrame(alert: AlertRecord, options: { facility?: number; hostname?: string; version?: string } = {}): string {
  const pri = (options.facility ?? 4) * 8 + (SYSLOG_SEVERITY[alert.level.toLowerCase()] ?? 6);
  const time = new Date(alert.created).toISOString();
  return `<${pri}>1 ${time} ${headerField(options.hostname ?? hostname(), 255)} vigil ${headerField(String(process.pid), 128)} alert - ${formatCef(alert, options.version)}`;
}

export class SyslogSendError extends Error {
  readonly retryable = true;
}

export class CefForwarder implements Notifier {
  readonly name: string;
  readonly #destination: SyslogDestination;
  readonly #options: CefForwarderOptions;
  readonly #policy: OutboundPolicy;
  readonly #queue: DeliveryQueue;
  #tcp: Socket | undefined;
  #udp: UdpSocket | undefined;
  #udpFamily: 4 | 6 = 4;

  constructor(options: CefForwarderOptions) {
    this.#options = options;
    this.#destination = options.destination;
    this.name = options.destination.name;
    this.#policy = new OutboundPolicy(options.destination.allow ?? []);
    this.#queue = deliveryQueueFor(this.name, options, (delivery) => this.#send(delivery.payload));
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
    const frame = syslogFrame(alert, {
      ...(this.#destination.facility !== undefined ? { facility: this.#destination.facility } : {}),
      ...(this.#options.hostname !== undefined ? { hostname: this.#options.hostname } : {}),
      ...(this.#options.version !== undefined ? { version: this.#options.version } : {}),
    });
    return this.#queue.enqueue(alert.id, frame);
  }

  idle(): Promise<void> {
    return this.#queue.idle();
  }

  async close(): Promise<void> {
    await this.#queue.close();
    this.#tcp?.destroy();
    this.#tcp = undefined;
    this.#udp?.close();
    this.#udp = undefined;
  }

  async #send(frame: string): Promise<void> {
    const d = this.#destination;
    const where = `syslog ${d.host}:${d.port}/${d.transport}`;
    if (d.transport === 'udp') {
      const [vetted] = await resolveVetted(d.host.replace(/^\[|\]$/g, ''), this.#policy, this.#options.resolver ?? systemResolver);
      if (!this.#udp || this.#udpFamily !== vetted!.family) {
        this.#udp?.close();
        this.#udp = createSocket(vetted!.family === 6 ? 'udp6' : 'udp4');
        this.#udpFamily = vetted!.family;
        this.#udp.unref();
      }
      const udp = this.#udp;
      await new Promise<void>((resolve, reject) => udp.send(Buffer.from(frame, 'utf8'), d.port, vetted!.address, (e) => (e ? reject(new SyslogSendError(`${where}: ${e.message}`)) : resolve())));
      return;
    }
    const socket = this.#tcp ?? (await this.#connect(where));
    const bytes = Buffer.from(frame, 'utf8');
    await new Promise<void>((resolve, reject) => {
      socket.write(Buffer.concat([Buffer.from(`${bytes.length} `), bytes]), (e) => {
        if (!e) return resolve();
        socket.destroy();
        reject(new SyslogSendError(`${where}: ${e.message}`));
      });
    });
  }

  async #connect(where: string): Promise<Socket> {
    const d = this.#destination;
    const [vetted] = await resolveVetted(d.host.replace(/^\[|\]$/g, ''), this.#policy, this.#options.resolver ?? systemResolver);
    const timeout = this.#options.timeoutMs ?? 10_000;
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect({ host: vetted!.address, port: d.port });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new SyslogSendError(`${where}: no connection within ${timeout} ms`));
      }, timeout);
      s.once('connect', () => {
        clearTimeout(timer);
        resolve(s);
      });
      s.once('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new SyslogSendError(`${where}: cannot connect to ${vetted!.address} (${e.code ?? e.message})`));
      });
    });
    // A receiver that closes or fails the connection: forget it, the next send reconnects.
    const forget = (): void => {
      if (this.#tcp === socket) this.#tcp = undefined;
    };
    socket.on('error', forget);
    socket.on('close', forget);
    // Syslog receivers do not answer; anything they send is discarded.
    socket.resume();
    this.#tcp = socket;
    return socket;
  }
}
