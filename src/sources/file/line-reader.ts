/**
 * A byte stream as lines, with the bounded memory of `LineSplitter`: a line longer than
 * `maxLineBytes` is cut there and marked truncated, so a file with no newline at all cannot
 * exhaust memory.
 */
import { LineSplitter } from './line-splitter.js';

export interface FileLine {
  readonly text: string;
  readonly truncated: boolean;
  /** Bytes consumed from the stream, newline included, for progress. */
  readonly bytes: number;
}

export async function* readLines(chunks: AsyncIterable<Buffer | string> | Iterable<Buffer | string>, maxLineBytes: number): AsyncGenerator<FileLine> {
  const splitter = new LineSplitter(maxLineBytes);
  for await (const chunk of chunks) yield* splitter.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  yield* splitter.flush();
}
