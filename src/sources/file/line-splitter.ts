/**
 * Incremental line splitting for tailed files: bytes arrive in reads of whatever was appended,
 * lines are returned only once complete (a writer may be mid-line), and a line longer than
 * `maxLineBytes` is cut there, flagged, and the rest of it skipped, so a runaway line cannot
 * grow memory.
 */
import type { FileLine } from './line-reader.js';

export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private skipping = false;
  private consumed = 0;

  constructor(private readonly maxLineBytes: number) {}

  /** Bytes held for an unfinished line. */
  get buffered(): number {
    return this.pendingBytes;
  }

  push(chunk: Buffer): FileLine[] {
    const lines: FileLine[] = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl === -1 ? chunk.length : nl;
      this.consumed += end - start + (nl === -1 ? 0 : 1);
      this.keep(chunk.subarray(start, end));
      if (nl === -1) break;
      lines.push(this.take());
      start = nl + 1;
    }
    // Copy what stays across reads: the caller reuses its read buffer.
    this.pending = this.pending.map((b) => Buffer.from(b));
    return lines;
  }

  /** The unfinished line as a line of its own (the file ended or was rotated away). */
  flush(): FileLine[] {
    return this.pendingBytes > 0 || this.skipping ? [this.take()] : [];
  }

  private keep(piece: Buffer): void {
    if (this.skipping || piece.length === 0) return;
    const room = this.maxLineBytes - this.pendingBytes;
    if (piece.length > room) {
      this.pending.push(piece.subarray(0, room));
      this.pendingBytes += room;
      this.skipping = true;
    } else {
      this.pending.push(piece);
      this.pendingBytes += piece.length;
    }
  }

  private take(): FileLine {
    const whole = Buffer.concat(this.pending);
    const end = whole.length > 0 && whole[whole.length - 1] === 0x0d ? whole.length - 1 : whole.length;
    const line: FileLine = { text: whole.toString('utf8', 0, end), truncated: this.skipping, bytes: this.consumed };
    this.pending = [];
    this.pendingBytes = 0;
    this.skipping = false;
    this.consumed = 0;
    return line;
  }
}
