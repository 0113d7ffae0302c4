/** Throughput of a synchronous piece of work, for the in-process benchmarks. */

/** Runs `work` (which handles `units` items, records or bytes) repeatedly for ~2 s after a warm-up; returns units/s. */
export function rate(units: number, work: () => void): number {
  for (let i = 0; i < 3; i++) work();
  let done = 0;
  const started = performance.now();
  while (performance.now() - started < 2000) {
    work();
    done += units;
  }
  return done / ((performance.now() - started) / 1000);
}
