/**
 * Pipeline telemetry, exposed at /metrics in Prometheus text. Every loss has a named reason:
 * nothing is dropped without a counter moving.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { InputActivity } from './input-activity.js';

/** Why an event or request was refused or lost. Fixed strings: they are label values. */
export type DropReason =
  | 'unauthorized'
  | 'malformed'
  | 'oversized'
  | 'overloaded'
  | 'too-many-connections'
  | 'connection-error'
  | 'store-error';

export class Metrics {
  readonly registry = new Registry();
  /** Per tenant and input since start, and recent refusals per input (the console's sources page). */
  readonly inputs = new InputActivity();
  readonly received: Counter<'input'>;
  readonly stored: Counter<'input'>;
  readonly parseFailed: Counter<'input'>;
  readonly truncated: Counter<'input'>;
  readonly dropped: Counter<'input' | 'reason'>;
  readonly queueDepth: Gauge;
  readonly storeWriteSeconds: Histogram;
  readonly walSyncSeconds: Histogram;
  readonly connections: Gauge<'input'>;
  readonly connectionsEvicted: Counter<'input' | 'state'>;
  readonly storeErrors: Counter;
  readonly detections: Counter<'kind' | 'level'>;
  readonly detectionsDisabled: Counter;
  readonly intelRetroHunts: Counter;
  readonly intelRetroAlerts: Counter;
  readonly rulesLoaded: Gauge<'state'>;
  readonly detectSeconds: Histogram;
  readonly udpReceiveBufferDrops: Counter<'input'>;
  readonly fileLostBytes: Counter<'input' | 'reason'>;
  /** Per UDP input, how to read the kernel's drop count for its socket (read at scrape time). */
  readonly #udpKernelDrops = new Map<string, () => number | undefined>();

  constructor(options: { defaults?: boolean } = {}) {
    const registers = [this.registry];
    this.received = new Counter({
      name: 'vigil_events_received_total',
      help: 'Events accepted from an input (before parsing).',
      labelNames: ['input'],
      registers,
    });
    this.stored = new Counter({
      name: 'vigil_events_stored_total',
      help: 'Events committed to the store.',
      labelNames: ['input'],
      registers,
    });
    this.parseFailed = new Counter({
      name: 'vigil_events_parse_failed_total',
      help: 'Events no parser understood; stored raw and flagged unparsed.',
      labelNames: ['input'],
      registers,
    });
    this.truncated = new Counter({
      name: 'vigil_events_truncated_total',
      help: 'Events over the size limit; stored truncated and flagged.',
      labelNames: ['input'],
      registers,
    });
    this.dropped = new Counter({
      name: 'vigil_events_dropped_total',
      help: 'Events or requests refused or lost, by input and reason.',
      labelNames: ['input', 'reason'],
      registers,
    });
    this.detections = new Counter({
      name: 'vigil_detections_total',
      help: 'Sigma rule matches and correlation hits that became alerts, by kind and level.',
      labelNames: ['kind', 'level'],
      registers,
    });
    this.detectionsDisabled = new Counter({
      name: 'vigil_detections_disabled_total',
      help: 'Detections dropped before the alert intake because their rule is disabled for the tenant.',
      registers,
    });
    this.intelRetroHunts = new Counter({
      name: 'vigil_intel_retro_hunts_total',
      help: 'Searches of stored events for newly loaded threat-intelligence indicators.',
      registers,
    });
    this.intelRetroAlerts = new Counter({
      name: 'vigil_intel_retro_alerts_total',
      help: 'Alerts raised by matching newly loaded indicators against stored events.',
      registers,
    });
    this.rulesLoaded = new Gauge({
      name: 'vigil_rules',
      help: 'Detection rules of the live rule set: loaded, failed, skipped, unmapped (no log source), correlations.',
      labelNames: ['state'],
      registers,
    });
    this.detectSeconds = new Histogram({
      name: 'vigil_detect_seconds',
      help: 'Time to run the rules over one batch of events.',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.queueDepth = new Gauge({
      name: 'vigil_queue_depth',
      help: 'Events durable in the event log but not yet committed to the store.',
      registers,
    });
    this.storeWriteSeconds = new Histogram({
      name: 'vigil_store_write_seconds',
      help: 'Latency of one batched store commit.',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.walSyncSeconds = new Histogram({
      name: 'vigil_wal_sync_seconds',
      help: 'Latency of one group commit (write + fsync) to the event log.',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    });
    this.connections = new Gauge({
      name: 'vigil_open_connections',
      help: 'Open stream connections per input.',
      labelNames: ['input'],
      registers,
    });
    this.connectionsEvicted = new Counter({
      name: 'vigil_connections_evicted_total',
      help: 'Idle connections closed to make room for a new one when a listener was nearly full, by input and state (silent: never sent anything; quiet: idle between requests).',
      labelNames: ['input', 'state'],
      registers,
    });
    this.storeErrors = new Counter({
      name: 'vigil_store_write_errors_total',
      help: 'Failed store commits (retried; the events stay in the event log).',
      registers,
    });
    const udpKernelDrops = this.#udpKernelDrops;
    this.udpReceiveBufferDrops = new Counter({
      name: 'vigil_udp_receive_buffer_drops_total',
      help: 'Datagrams the kernel dropped for a syslog UDP socket because its receive buffer was full (Linux /proc/net/udp drops); Vigil never saw them.',
      labelNames: ['input'],
      registers,
      collect() {
        this.reset();
        for (const [input, read] of udpKernelDrops) {
          const drops = read();
          if (drops !== undefined) this.inc({ input }, drops);
        }
      },
    });
    this.fileLostBytes = new Counter({
      name: 'vigil_file_lost_bytes_total',
      help: 'Bytes of a followed file that the tail knew were there but could not read because the file was truncated (copytruncate): no-copy (no copy holding them was found), not-in-copy (written after the copy was made).',
      labelNames: ['input', 'reason'],
      registers,
    });
    if (options.defaults) collectDefaultMetrics({ register: this.registry, prefix: 'vigil_' });
  }

  /** Exports the kernel's receive-buffer drops of a UDP input's socket; the returned function stops it. */
  watchUdpKernelDrops(input: string, read: () => number | undefined): () => void {
    this.#udpKernelDrops.set(input, read);
    return () => {
      if (this.#udpKernelDrops.get(input) === read) this.#udpKernelDrops.delete(input);
    };
  }

  drop(input: string, reason: DropReason, count = 1): void {
    this.dropped.inc({ input, reason }, count);
    // A refused token says nothing of the source's health (scanners knock on every port).
    if (reason !== 'unauthorized') this.inputs.dropped(input, count);
  }
}
