/**
 * The listeners besides HTTP: the main syslog listeners, the extra syslog inputs and the
 * followed files, all submitting to one sink. The embedded server's sink is its pipeline; the
 * ingest role's is the publisher onto the NATS bus. Either way a sender's data is acknowledged
 * (TCP read on, file offset committed) only once the sink said the events are durable.
 */
import type { Logger } from 'pino';
import type { VigilConfig } from '../core/config.js';
import type { Metrics } from '../core/metrics.js';
import type { EventSink } from '../core/source.js';
import { VigilError } from '../core/errors.js';
import { SyslogSource } from '../sources/syslog/syslog-source.js';
import { FileTailSource } from '../sources/file/file-tail-source.js';
import { jsonRecordMapping } from '../parsers/json/index.js';
import { DEFAULT_MAX_FIELDS_PER_EVENT } from '../sources/http/ingest-context.js';
import { timeZone, type TimeZone } from '../parsers/syslog/syslog-parser.js';
import type { ConfiguredInput } from '../api/source-health.js';
import type { DataFolder, SyslogAddressText } from './data-folder.js';

export interface EventInputs {
  /** What runs, for the console's sources page. */
  readonly inputs: readonly ConfiguredInput[];
  readonly syslog: SyslogAddressText;
  /** Addresses of the extra syslog inputs, by name (absent: there are none). */
  readonly syslogInputs: Readonly<Record<string, SyslogAddressText>> | undefined;
  /** Closes every listener; each drains what it holds into the sink first. */
  stop(): Promise<void>;
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

function hostPort(a: { address: string; port: number } | undefined): string | undefined {
  return a ? `${a.address.includes(':') ? `[${a.address}]` : a.address}:${a.port}` : undefined;
}

export async function startEventInputs(config: VigilConfig, folder: DataFolder, sink: EventSink, metrics: Metrics, log: Logger): Promise<EventInputs> {
  const zone = syslogZone(config);
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch(() => {});
  };
  try {
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
    await syslog.start(sink);
    stops.push(() => syslog.stop());
    const inputSources: SyslogSource[] = [];
    for (const { input, zone: inputZone, key } of extraInputs) {
      const source = new SyslogSource({ ...syslogShared, name: input.name, udp: input.udp, tcp: input.tcp, tls: input.tls, format: input.format, zone: inputZone, configKey: key });
      await source.start(sink);
      stops.push(() => source.stop());
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
      await files.start(sink);
      stops.push(() => files.stop());
    }

    const inputs: ConfiguredInput[] = [];
    for (const source of [syslog, ...inputSources]) {
      const a = source.addresses();
      for (const kind of ['udp', 'tcp', 'tls'] as const) {
        const listen = hostPort(a[kind]);
        if (listen !== undefined) inputs.push({ input: source.name, kind: `syslog-${kind}`, listen });
      }
    }
    if (config.files.length > 0) inputs.push({ input: 'file', kind: 'file', listen: config.files.map((f) => f.path).join(', ') });
    const addressText = (source: SyslogSource): SyslogAddressText => {
      const a = source.addresses();
      return { udp: hostPort(a.udp), tcp: hostPort(a.tcp), tls: hostPort(a.tls) };
    };
    return {
      inputs,
      syslog: addressText(syslog),
      syslogInputs: inputSources.length > 0 ? Object.fromEntries(inputSources.map((s) => [s.name, addressText(s)])) : undefined,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
