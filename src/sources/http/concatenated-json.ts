/**
 * Splits a stream of concatenated JSON objects (`{..}{..}` or `{..}\n{..}`, the Splunk HEC
 * batch format) into one text per object. One pass over the bytes, string- and escape-aware,
 * with the state kept between chunks, so cost is linear in the body whatever the chunking.
 * It checks only the framing (balanced brackets outside strings, nesting depth); each object's
 * text still goes through JSON.parse. Scanning bytes is safe for UTF-8: every byte of a
 * multi-byte character is >= 0x80 and never equals a quote, backslash or bracket.
 */
import { STRUCTURAL, stringStop } from './json-bytes.js';
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
const OPEN_BRACKET = 0x5b;
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
  /** Without text: where each completed object starts and ends in the stream. */
  private readonly spanList: Array<readonly [number, number]> = [];
  private objectStart = 0;

  /**
   * @param maxDepth nesting past this is refused before JSON.parse ever sees it.
   * @param keepText false: check the framing only (body-shape-guard.ts), keeping no bytes and
   *   returning no objects, only their `spans`.
   */
  constructor(
    private readonly maxDepth: number,
    private readonly keepText = true,
  ) {}

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

  /** Framing only: `[start, end)` of each object completed so far, as offsets in the stream. */
  get spans(): ReadonlyArray<readonly [number, number]> {
    return this.spanList;
  }

  private scan(chunk: Buffer, out: JsonObjectText[]): void {
    let i = 0;
    if (!this.bomChecked && chunk.length > 0) {
      this.bomChecked = true;
      if (chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) i = 3;
    }
    const end = chunk.length;
    let start = this.depth > 0 ? 0 : -1;
    let inString = this.inString;
    let escaped = this.escaped;
    try {
      scan: while (i < end) {
        let b = chunk[i] as number;
        if (this.depth === 0) {
          if (b !== SPACE && b !== LF && b !== CR && b !== TAB) {
            if (b !== OPEN_BRACE) {
              throw new JsonFramingError(this.count, `expected "{" to start a JSON object at byte ${this.offset + i}`);
            }
            this.depth = 1;
            this.members = [0];
            start = i;
            this.objectStart = this.offset + i;
          }
          i++;
          continue;
        }
        if (inString) {
          if (escaped) {
            escaped = false;
            i++;
            continue;
          }
          i = stringStop(chunk, i, end);
          if (i === end) break;
          if (chunk[i] === BACKSLASH) escaped = true;
          else inString = false;
          i++;
          continue;
        }
        // Runs of bytes that change nothing (numbers, commas, spaces) in a tight loop.
        while (STRUCTURAL[b] === 0) {
          if (++i === end) break scan;
          b = chunk[i] as number;
        }
        if (b === QUOTE) {
          inString = true;
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
        } else {
          this.members.pop();
          if (--this.depth === 0) {
            if (this.keepText) out.push(this.complete(chunk.subarray(start, i + 1)));
            else {
              this.count++;
              this.spanList.push([this.objectStart, this.offset + i + 1]);
            }
            start = -1;
          }
        }
        i++;
      }
    } finally {
      this.inString = inString;
      this.escaped = escaped;
    }
    if (this.depth > 0 && this.keepText) this.pending.push(chunk.subarray(start));
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

/** Framing verdicts reached while a body streamed in (body-shape-guard.ts), by body. */
const knownFramings = new WeakMap<Buffer, { readonly maxDepth: number; readonly spans: ReadonlyArray<readonly [number, number]>; readonly error: JsonFramingError }>();

/**
 * Records that a framing-only splitter fed `body` found these objects, then `error`: splitting
 * the body again would find the same (the splitter reads bytes in order and stops at its first
 * error), and skipping it spares the event loop a megabyte-long block per refused request.
 */
export function rememberFraming(body: Buffer, maxDepth: number, spans: ReadonlyArray<readonly [number, number]>, error: JsonFramingError): void {
  knownFramings.set(body, { maxDepth, spans: [...spans], error });
}

/** The objects of a whole body, and the framing error that ends it early, if any (the objects before it are still returned). */
export function splitConcatenatedJson(body: Buffer, maxDepth: number): { readonly objects: readonly JsonObjectText[]; readonly framing: JsonFramingError | undefined } {
  const known = knownFramings.get(body);
  if (known !== undefined && known.maxDepth === maxDepth) {
    const objects = known.spans.map(([start, end], index) => ({ index, text: body.toString('utf8', start, end), bytes: end - start }));
    return { objects, framing: known.error };
  }
  const splitter = new ConcatenatedJsonSplitter(maxDepth);
  try {
    const objects = splitter.write(body);
    splitter.end();
    return { objects, framing: undefined };
  } catch (error) {
    if (!(error instanceof JsonFramingError)) throw error;
    return { objects: error.completed, framing: error };
  }
}
