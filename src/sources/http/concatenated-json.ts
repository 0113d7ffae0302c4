/**
 * Splits a stream of concatenated JSON objects (`{..}{..}` or `{..}\n{..}`, the Splunk HEC
 * batch format) into one text per object. One pass over the bytes, string- and escape-aware,
 * with the state kept between chunks, so cost is linear in the body whatever the chunking.
 * It checks only the framing (balanced brackets outside strings, nesting depth); each object's
 * text still goes through JSON.parse. Scanning bytes is safe for UTF-8: every byte of a
 * multi-byte character is >= 0x80 and never equals a quote, backslash or bracket.
 */
import { MAX_OBJECT_MEMBERS } from './ndjson-lines.js';


export class JsonFramingError extends Error {
  /** 0-based number of the object that is wrong (objects completed before it are fine). */
  readonly index: number;
  /** Objects the failing chunk completed before the error: the caller may still check them. */
  completed: readonly JsonObjectText[] = [];
  constructor(index: number, message: string) {
    super(message);
    this.name = 'JsonFramingError';
    this.index = index;
  }
}

export interface JsonObjectText {
  /** 0-based position of the object in the stream. */
  readonly index: number;
  readonly text: string;
  /** Length of the object in bytes (UTF-8). */
  readonly bytes: number;
}

const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COLON = 0x3a;

export class ConcatenatedJsonSplitter {
  private depth = 0;
  /** Members of each open container (-1: an array), to refuse objects with too many. */
  private members: number[] = [];
  private inString = false;
  private escaped = false;
  private count = 0;
  private offset = 0;
  private bomChecked = false;
  /** Bytes of an object that started in an earlier chunk. */
  private pending: Buffer[] = [];

  /** @param maxDepth nesting past this is refused before JSON.parse ever sees it. */
  constructor(private readonly maxDepth: number) {}

  /** Feeds a chunk; returns the objects it completed. Throws JsonFramingError. */
  write(chunk: Buffer): JsonObjectText[] {
    const out: JsonObjectText[] = [];
    try {
      this.scan(chunk, out);
    } catch (error) {
      if (error instanceof JsonFramingError) error.completed = out;
      throw error;
    }
    return out;
  }

  private scan(chunk: Buffer, out: JsonObjectText[]): void {
    let i = 0;
    if (!this.bomChecked && chunk.length > 0) {
      this.bomChecked = true;
      if (chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) i = 3;
    }
    let start = this.depth > 0 ? 0 : -1;
    for (; i < chunk.length; i++) {
      const b = chunk[i] as number;
      if (this.depth === 0) {
        if (b === SPACE || b === LF || b === CR || b === TAB) continue;
        if (b !== OPEN_BRACE) {
          throw new JsonFramingError(this.count, `expected "{" to start a JSON object at byte ${this.offset + i}`);
        }
        this.depth = 1;
        this.members = [0];
        start = i;
        continue;
      }
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (b === BACKSLASH) this.escaped = true;
        else if (b === QUOTE) this.inString = false;
        continue;
      }
      if (b === QUOTE) {
        this.inString = true;
      } else if (b === OPEN_BRACE || b === OPEN_BRACKET) {
        if (++this.depth > this.maxDepth) {
          throw new JsonFramingError(this.count, `JSON nested deeper than ${this.maxDepth} levels (http.maxJsonDepth)`);
        }
        this.members.push(b === OPEN_BRACE ? 0 : -1);
      } else if (b === COLON) {
        const top = this.members.length - 1;
        if (top >= 0 && (this.members[top] as number) >= 0 && ++(this.members[top] as number) > MAX_OBJECT_MEMBERS) {
          throw new JsonFramingError(this.count, `a JSON object with more than ${MAX_OBJECT_MEMBERS} members; an event keeps at most http's field cap, send fewer fields`);
        }
      } else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
        this.members.pop();
        if (--this.depth === 0) {
          out.push(this.complete(chunk.subarray(start, i + 1)));
          start = -1;
        }
      }
    }
    if (this.depth > 0) this.pending.push(chunk.subarray(start));
    this.offset += chunk.length;
  }

  /** Ends the stream; throws when an object was left open. */
  end(): void {
    if (this.depth > 0) throw new JsonFramingError(this.count, 'the body ends inside a JSON object (truncated?)');
  }

  private complete(tail: Buffer): JsonObjectText {
    const bytes = this.pending.length === 0 ? tail : Buffer.concat([...this.pending, tail]);
    this.pending = [];
    return { index: this.count++, text: bytes.toString('utf8'), bytes: bytes.length };
  }
}
