/**
 * Counters sampled once a second, and the rates read from them. "Sustained" means the rate
 * over the whole window; the worst 5-second window shows stalls (a slow store commit, a GC
 * pause, a full queue) that a whole-window average hides.
 */
export interface Sample {
  /** Seconds since the load started. */
  readonly t: number;
  readonly value: number;
}

export interface WindowRates {
  /** (last − first) / elapsed over the samples given. */
  readonly overall: number | null;
  /** Slowest window of at least `windowSec`, null if the samples span less. */
  readonly min: number | null;
  readonly max: number | null;
}

export function windowRates(samples: readonly Sample[], windowSec: number): WindowRates {
  const first = samples[0];
  const last = samples[samples.length - 1];
  if (!first || !last || last.t - first.t <= 0) return { overall: null, min: null, max: null };
  let min: number | null = null;
  let max: number | null = null;
  let j = 0;
  for (let i = 0; i < samples.length; i++) {
    const from = samples[i];
    if (!from) continue;
    // The window ends at the first sample at least windowSec later (a hair of slack for timer jitter).
    if (j < i) j = i;
    while (j < samples.length && (samples[j]?.t ?? Infinity) - from.t < windowSec - 0.05) j++;
    const to = samples[j];
    if (!to) break;
    const rate = (to.value - from.value) / (to.t - from.t);
    if (min === null || rate < min) min = rate;
    if (max === null || rate > max) max = rate;
  }
  return { overall: (last.value - first.value) / (last.t - first.t), min, max };
}

/** Calls `read` now and then every `intervalMs`, keeping what it returns with its time. */
export class Sampler<T> {
  readonly samples: Array<{ t: number; value: T }> = [];
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly read: () => Promise<T>,
    private readonly origin: number,
    private readonly intervalMs = 1000,
  ) {}

  start(): void {
    this.take();
    this.timer = setInterval(() => this.take(), this.intervalMs);
  }

  /** Stops sampling, after one last sample. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.inFlight;
    this.take();
    await this.inFlight;
  }

  private take(): void {
    // One read at a time: a slow read skips a tick instead of piling requests on a busy server.
    if (this.inFlight) return;
    const t = (performance.now() - this.origin) / 1000;
    this.inFlight = this.read().then(
      (value) => {
        this.samples.push({ t, value });
      },
      () => {
        // A missed sample (the server busy past the timeout) is a gap, not a failure.
      },
    ).finally(() => {
      this.inFlight = undefined;
    });
  }
}
