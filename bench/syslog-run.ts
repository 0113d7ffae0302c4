/** The figures of one syslog TCP run against one receiver (Vigil or rsyslog). */
import { readFile } from 'node:fs/promises';
import type { Sample } from './rate-window.js';
import { windowRates } from './rate-window.js';
import type { SyslogLoadResult } from './syslog-load.js';

export interface SyslogRunResult {
  readonly system: 'vigil' | 'rsyslog';
  readonly sent: number;
  /** Lines per second the generator got into the sockets. */
  readonly sendRate: number;
  /** Events (lines) fully handled when the run ended: stored in Vigil, written by rsyslog. */
  readonly handled: number;
  /** Handled per second over the send window. */
  readonly rate: number | null;
  readonly min5s: number | null;
  readonly max5s: number | null;
  /** From the sender's last byte until handled reached sent; null if it never did. */
  readonly catchUpSec: number | null;
  /**
   * How the wait after the sender ended: handled reached sent; handled stopped moving short of
   * sent (those events are lost); or the wait limit passed while it was still moving.
   */
  readonly catchUp: 'caught-up' | 'stalled' | 'timed-out';
  /** sent − handled at the end: lost if stalled, merely not yet handled if timed out. */
  readonly missing: number;
  readonly peakRssMiB: number | null;
  readonly peakQueueDepth: number | null;
  /** Handled count, once a second, over the send window and the catch-up after it. */
  readonly samples: readonly Sample[];
  /** Other once-a-second series (Vigil: queue depth, server RSS in MiB). */
  readonly extraSeries: Readonly<Record<string, readonly Sample[]>>;
  readonly load: SyslogLoadResult;
  readonly notes: readonly string[];
}

/** Handled-rate figures over the send window [0, load.elapsedSec]. */
export function sendWindowRates(samples: readonly Sample[], sendSec: number): ReturnType<typeof windowRates> {
  // A hair of slack for timer jitter; more would count catch-up after the sender stopped.
  return windowRates(samples.filter((sample) => sample.t <= sendSec + 0.05), 5);
}

/** A memory figure of a live process from /proc, in MiB; null when /proc cannot tell. */
export async function procMemoryMiB(pid: number, field: 'VmRSS' | 'VmHWM'): Promise<number | null> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return match?.[1] ? Number(match[1]) / 1024 : null;
  } catch {
    return null;
  }
}
