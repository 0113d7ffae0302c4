/**
 * Splits a byte stream into lines with bounded memory: a line longer than `maxLineBytes` is
 * cut there and marked truncated, and the rest of it is skipped up to the next newline, so
 * a file with no newline at all cannot exhaust memory.
 */
export interface FileLine {
  readonly text: string;
  readonly truncated: boolean;
  /** Bytes consumed from the stream, newline included, for progress. */
  readonly bytes: number;
}

export async function* readLines(chunks: AsyncIterable<Buffer | string> | Iterable<Buffer | string>, maxLineBytes: number): AsyncGenerator<FileLine> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let skipping = false;
  let consumed = 0;

  const take = (end: Buffer): FileLine => {
    const parts = pendingBytes ? [...pending, end] : [end];
    const whole = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    const truncated = skipping;
    const line = whole.subarray(0, Math.min(whole.length, maxLineBytes));
    pending = [];
    pendingBytes = 0;
    skipping = false;
    const bytes = consumed;
    consumed = 0;
    return { text: decodeLine(line), truncated: truncated || whole.length > maxLineBytes, bytes };
  };

  for await (const raw of chunks) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw) : raw;
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl === -1 ? chunk.length : nl;
      const piece = chunk.subarray(start, end);
      consumed += end - start + (nl === -1 ? 0 : 1);
      if (!skipping) {
        const room = maxLineBytes - pendingBytes;
        if (piece.length > room) {
          pending.push(piece.subarray(0, room));
          pendingBytes += room;
          skipping = true;
        } else {
          pending.push(piece);
          pendingBytes += piece.length;
        }
      }
      if (nl === -1) break;
      const last = pending.pop() ?? Buffer.alloc(0);
      pendingBytes -= last.length;
      yield take(last);
      start = nl + 1;
    }
    // Copy what is kept across chunks so the stream's buffers can be reused.
    pending = pending.map((b) => Buffer.from(b));
  }
  if (pendingBytes > 0 || skipping) {
    const last = pending.pop() ?? Buffer.alloc(0);
    pendingBytes -= last.length;
    yield take(last);
  }
}

/** Drops the CR of CRLF files; a cut line may end mid-character, which decodes to U+FFFD. */
function decodeLine(line: Buffer): string {
  const end = line.length > 0 && line[line.length - 1] === 0x0d ? line.length - 1 : line.length;
  return line.toString('utf8', 0, end);
}
