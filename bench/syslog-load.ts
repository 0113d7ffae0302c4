/**
 * Parent side of the syslog TCP load generator: start it, connected and ready, then run it for
 * a fixed time. The same generator drives Vigil and rsyslog so the two figures compare.
 */
import { startLoadWorker, type LoadWorker } from './load-worker.js';

/** RFC 6587 framing: newline after each message, or a decimal length before it. */
export type SyslogFraming = 'newline' | 'octet-counted' | 'mixed';

export interface SyslogLoadConfig {
  readonly host: string;
  readonly port: number;
  readonly connections: number;
  readonly durationSec: number;
  /** `mixed`: even connections newline-delimited, odd ones octet-counted. */
  readonly framing: SyslogFraming;
  readonly seed: number;
}

export interface SyslogLoadProgress {
  /** Lines accepted by the sockets so far. */
  readonly sent: number;
  readonly elapsedSec: number;
}

export interface SyslogLoadResult {
  /** Lines handed to the sockets (write() accepted them) before the deadline. */
  readonly sent: number;
  readonly bytes: number;
  /** Time from "go" to the deadline. */
  readonly elapsedSec: number;
  /** Time from the deadline until every socket had flushed to the kernel and closed. */
  readonly flushSec: number;
  readonly perConnection: readonly number[];
  /** One message per connection that failed; what it wrote before failing is in `sent`. */
  readonly errors: readonly string[];
  readonly distinctLines: number;
}

export type SyslogLoad = LoadWorker<SyslogLoadProgress, SyslogLoadResult>;

export function startSyslogLoad(config: SyslogLoadConfig): Promise<SyslogLoad> {
  return startLoadWorker<SyslogLoadConfig, SyslogLoadProgress, SyslogLoadResult>(
    new URL('./syslog-load-generator.ts', import.meta.url),
    config,
  );
}
