/**
 * Parsing a large body (32 MiB of NDJSON is about a second of CPU) would hold the event loop
 * and stall every other request, including health checks and small ingest calls. Parse loops
 * ask `due()` per record (a counter check, no promise) and `await pause()` when a slice has
 * run long.
 */
import { performance } from 'node:perf_hooks';

const CHECK_EVERY = 256;
const SLICE_MS = 15;

export class CooperativeYield {
  private calls = 0;
  private sliceStart = performance.now();

  /** True when this slice of work has run for SLICE_MS; checks the clock every 256 calls. */
  due(): boolean {
    if (++this.calls % CHECK_EVERY !== 0) return false;
    return performance.now() - this.sliceStart >= SLICE_MS;
  }

  /** One turn of the event loop, then a new slice. */
  async pause(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.sliceStart = performance.now();
  }
}
