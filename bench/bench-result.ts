/** What every benchmark hands back: headline figures for the table, details for the JSON. */

export interface Figure {
  /** What was measured, e.g. "Vigil stored, sustained". */
  readonly label: string;
  /** null when it could not be measured (then `note` says why). */
  readonly value: number | null;
  /** e.g. "events/s", "ms", "s", "MiB", "x". */
  readonly unit: string;
  readonly note?: string;
}

export interface BenchResult {
  /** File name stem under bench/results/, e.g. "syslog-tcp". */
  readonly name: string;
  readonly title: string;
  /** Seconds of load per measured run (the --duration in force). */
  readonly durationSec: number;
  readonly figures: readonly Figure[];
  /** Per-run detail: samples, per-connection counts, raw percentiles. Free-form JSON. */
  readonly details: Record<string, unknown>;
  /** Why part of the benchmark did not run (missing rsyslogd, server not built...). */
  readonly skipped?: readonly string[];
}

export const MiB = 1024 * 1024;
