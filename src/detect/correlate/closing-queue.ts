/**
 * The closing windows of one engine, earliest close point first (ties: the window opened
 * first). A window's close point is a timespan after the watermark at which it opened: its
 * end, for events in time order.
 *
 * One queue for all rules, ordered by close point, rather than one FIFO per rule: then when a
 * window closes depends only on the window and the watermark, never on which other groups
 * share the engine, so an engine that holds some of the keys (a detection partition,
 * src/detect/partition) closes each window exactly as one holding all.
 */
import type { Group, Runtime } from './correlation-runtime.js';

export interface ClosingEntry {
  /** The close point: the window closes once the watermark is past it. */
  readonly at: number;
  /** Opening order, engine-wide. */
  readonly seq: number;
  readonly rt: Runtime;
  readonly g: Group;
}

export class ClosingQueue {
  private readonly heap: ClosingEntry[] = [];
  /** Next opening number; saved with the engine so a restored one orders ties the same way. */
  seq = 0;

  get size(): number {
    return this.heap.length;
  }

  push(rt: Runtime, g: Group, at: number): void {
    this.insert({ at, seq: this.seq++, rt, g });
  }

  /** Re-inserts a saved entry under its original opening number. */
  insert(entry: ClosingEntry): void {
    const h = this.heap;
    h.push(entry);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  /** Close point of the earliest entry, Infinity when empty. */
  peek(): number {
    return this.heap.length === 0 ? Infinity : this.heap[0]!.at;
  }

  pop(): ClosingEntry | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (top === undefined || last === undefined || h.length === 0) return top;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && before(h[l]!, h[m]!)) m = l;
      if (r < h.length && before(h[r]!, h[m]!)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
    return top;
  }

  /** Entries still meaning something (their window is open with that close point), in no particular order. */
  live(): ClosingEntry[] {
    return this.heap.filter((e) => e.g.alive && e.g.open && e.g.closeAt === e.at);
  }
}

function before(a: ClosingEntry, b: ClosingEntry): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
