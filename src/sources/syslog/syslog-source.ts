/**
 * The syslog input: UDP (RFC 5426), TCP (RFC 6587) and TLS (RFC 5425) listeners feeding one
 * EventSink. UDP and TCP may use the same port number: they are different protocols.
 */
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { VigilError } from '../../core/errors.js';
import type { Metrics } from '../../core/metrics.js';
import type { EventSink, Source } from '../../core/source.js';
import type { TimeZone } from '../../parsers/syslog/syslog-parser.js';
import type { LineFormat } from '../../parsers/line/line-parser.js';
import type { MappingLimits } from '../http/record-mapping.js';
import { parseListenAddress } from './listen-address.js';
import { silentLog, type SourceLog } from './source-log.js';
import { StreamListener, type TlsMaterial } from './stream-listener.js';
import { UdpListener } from './udp-listener.js';

export interface SyslogTlsOptions {
  readonly listen: string;
  /** PEM file paths. */
  readonly cert: string;
  readonly key: string;
  /** CA bundle that client certificates must chain to (mutual TLS). */
  readonly ca?: string | undefined;
  readonly requireClientCert: boolean;
}

export interface SyslogSourceOptions {
  /** Input name in events and metrics; default `syslog`. */
  readonly name?: string;
  readonly tenant: string;
  /** `HOST:PORT`, or false (or absent) for no listener. */
  readonly udp?: string | false | undefined;
  readonly tcp?: string | false | undefined;
  readonly tls?: SyslogTlsOptions | undefined;
  /** Longer messages are truncated to this many bytes and flagged. */
  readonly maxMessageBytes: number;
  /** Per TCP and per TLS listener. */
  readonly maxConnections: number;
  readonly idleTimeoutMs: number;
  readonly metrics: Metrics;
  readonly log?: SourceLog | undefined;
  /** Zone for timestamps without an offset (BSD timestamps); default UTC. */
  readonly zone?: TimeZone | undefined;
  /** How each message is read; `auto` (the default) detects it per message. */
  readonly format?: LineFormat | undefined;
  /** Bounds for messages that are JSON objects. */
  readonly limits?: MappingLimits | undefined;
  /** Where the listeners are configured, for error messages; default `syslog`. */
  readonly configKey?: string | undefined;
}

export interface SyslogAddresses {
  readonly udp?: AddressInfo;
  readonly tcp?: AddressInfo;
  readonly tls?: AddressInfo;
}

async function readPem(path: string, where: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new VigilError('config-invalid', `cannot read ${path}: ${(error as Error).message}; check the path and that Vigil may read it`, { where, cause: error });
  }
}

export class SyslogSource implements Source {
  readonly name: string;
  readonly #options: SyslogSourceOptions;
  readonly #log: SourceLog;
  #udp: UdpListener | undefined;
  #tcp: StreamListener | undefined;
  #tls: StreamListener | undefined;
  readonly #stopping = new AbortController();
  #stopped: Promise<void> | undefined;

  constructor(options: SyslogSourceOptions) {
    this.name = options.name ?? 'syslog';
    this.#options = options;
    this.#log = options.log ?? silentLog;
  }

  /** Binds every configured listener; if one cannot bind, those already bound are closed again. */
  async start(sink: EventSink): Promise<void> {
    const o = this.#options;
    const shared = {
      input: this.name,
      tenant: o.tenant,
      zone: o.zone,
      format: o.format,
      limits: o.limits,
      maxMessageBytes: o.maxMessageBytes,
      idleTimeoutMs: o.idleTimeoutMs,
      metrics: o.metrics,
      log: this.#log,
      sink,
      stopping: this.#stopping.signal,
    };
    const key = o.configKey ?? 'syslog';
    try {
      if (o.udp) {
        this.#udp = new UdpListener({ ...shared, listen: parseListenAddress(o.udp, `${key}.udp`), spec: o.udp, where: `vigil.yaml: ${key}.udp` });
        await this.#udp.listen();
      }
      if (o.tcp) {
        const listen = parseListenAddress(o.tcp, `${key}.tcp`);
        this.#tcp = new StreamListener({ ...shared, kind: 'syslog-tcp', listen, spec: o.tcp, where: `vigil.yaml: ${key}.tcp`, maxConnections: o.maxConnections });
        await this.#tcp.listen();
      }
      if (o.tls) {
        const listen = parseListenAddress(o.tls.listen, `${key}.tls.listen`);
        const material: TlsMaterial = {
          cert: await readPem(o.tls.cert, `vigil.yaml: ${key}.tls.cert`),
          key: await readPem(o.tls.key, `vigil.yaml: ${key}.tls.key`),
          ca: o.tls.ca === undefined ? undefined : await readPem(o.tls.ca, `vigil.yaml: ${key}.tls.ca`),
          requireClientCert: o.tls.requireClientCert,
        };
        try {
          this.#tls = new StreamListener({ ...shared, kind: 'syslog-tls', listen, spec: o.tls.listen, where: `vigil.yaml: ${key}.tls.listen`, maxConnections: o.maxConnections, tls: material });
        } catch (error) {
          // Node rejects a malformed PEM or a key that does not match the certificate here.
          throw new VigilError('config-invalid', `cannot use the syslog TLS certificate and key: ${(error as Error).message}`, { where: `vigil.yaml: ${key}.tls`, cause: error });
        }
        await this.#tls.listen();
      }
    } catch (error) {
      await this.stop();
      throw error;
    }
    const a = this.addresses();
    this.#log.info({ input: this.name, udp: a.udp, tcp: a.tcp, tls: a.tls }, 'syslog listening');
  }

  /** Where the listeners are bound (the real port when 0 was asked for). */
  addresses(): SyslogAddresses {
    const udp = this.#udp?.address();
    const tcp = this.#tcp?.address();
    const tls = this.#tls?.address();
    return { ...(udp ? { udp } : {}), ...(tcp ? { tcp } : {}), ...(tls ? { tls } : {}) };
  }

  /** Stops listening, submits every message already received, closes all connections. */
  stop(): Promise<void> {
    this.#stopped ??= (async () => {
      this.#stopping.abort();
      await Promise.all([this.#udp?.close(), this.#tcp?.close(), this.#tls?.close()]);
    })();
    return this.#stopped;
  }
}
