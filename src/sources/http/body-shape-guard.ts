/**
 * Refusing a JSON body by its shape while it streams in. The ingest parsers refuse an object
 * with more than MAX_OBJECT_MEMBERS members or nesting past `http.maxJsonDepth` before
 * JSON.parse, but only once the whole body has arrived: a 16 MiB object with a million keys
 * was read, buffered and scanned in one go, about 0.1 s of event loop per request, while its
 * verdict was known after its first megabyte. A guard watches the chunks as they arrive and
 * says when the body is sure to be refused; the reader (body-reader.ts) then stops reading and
 * hands the route the bytes so far, and the route's own parser refuses them, with the same
 * answer and the same drop counts as for the whole body, because:
 *
 * - the guard trips only on a refusal the parser makes from bytes it has already seen (its
 *   checks are sequential: what follows the refusing byte never changes the verdict);
 * - NDJSON lines are checked by the parser only when longer than DEPTH_SCAN_BYTES, so a line
 *   trips the guard only once it is longer than that even after the parser's trims (a UTF-8
 *   BOM, a trailing CR): LONG_LINE;
 * - a line of a valid JSON document starts outside any string, and containers it opens count
 *   the same members and depth within the line as in the whole document, so whenever a line
 *   trips the guard the whole-body check of the ingest route's one-object fallback refuses too.
 *
 * A guard is given only bodies sent without Content-Encoding: compressed bytes say nothing.
 */
import { ConcatenatedJsonSplitter, JsonFramingError, rememberFraming } from './concatenated-json.js';
import { DEPTH_SCAN_BYTES, JsonShapeScanner, rememberShapeRefusal } from './ndjson-lines.js';

/**
 * The body formats a route declares (`config.bodyShape`):
 * - `ndjson`: one JSON text per line (`_bulk`);
 * - `ingest`: `/api/v1/ingest`, a JSON array when its first byte is `[`, else NDJSON;
 * - `concatenated-json`: JSON objects one after the other (Splunk HEC `/event`).
 */
export type BodyShape = 'ndjson' | 'ingest' | 'concatenated-json';

/** Where a guard's scan started, the byte that refused the body, and why (absolute offsets). */
interface ShapeVerdict {
  readonly start: number;
  readonly at: number;
  readonly refusal: string;
}

export interface ShapeGuard {
  /** Feeds the next chunk; true once the bytes fed so far are enough for the parser to refuse the body. */
  write(chunk: Buffer): boolean;
  /**
   * Once refused, given the bytes fed (the body the route gets): records what the guard found,
   * so the parser does not scan that megabyte again in one block.
   */
  remember(body: Buffer): void;
}

const LF = 0x0a;
/** A UTF-8 BOM is 3 bytes, a trailing CR 1: a line this long is longer than DEPTH_SCAN_BYTES as the parser measures it. */
const LONG_LINE = DEPTH_SCAN_BYTES + 4;

export function shapeGuard(shape: BodyShape, maxDepth: number): ShapeGuard {
  switch (shape) {
    case 'ndjson':
      return new LinesGuard(maxDepth);
    case 'ingest':
      return new IngestGuard(maxDepth);
    case 'concatenated-json':
      return new ConcatenatedGuard(maxDepth);
  }
}

/** NDJSON: a line is scanned only once it is long (short lines cost one `indexOf` per chunk). */
class LinesGuard implements ShapeGuard {
  verdict: ShapeVerdict | undefined;

  remember(body: Buffer): void {
    if (this.verdict) rememberShapeRefusal(body, this.verdict, this.maxDepth);
  }

  /** Absolute offset of the next chunk. */
  private offset = 0;
  private lineStart = 0;
  /** Bytes of the current line so far. */
  private lineBytes = 0;
  /** Those bytes while the line is still short: scanned from its start once it is long. */
  private held: Buffer[] = [];
  private scanner: JsonShapeScanner | undefined;

  constructor(private readonly maxDepth: number) {}

  write(chunk: Buffer): boolean {
    let pos = 0;
    while (pos < chunk.length) {
      const lf = chunk.indexOf(LF, pos);
      if (this.take(chunk, pos, lf === -1 ? chunk.length : lf)) return true;
      if (lf === -1) break;
      this.lineStart = this.offset + lf + 1;
      this.lineBytes = 0;
      this.held = [];
      this.scanner = undefined;
      pos = lf + 1;
    }
    this.offset += chunk.length;
    return false;
  }

  /** Takes `chunk[from, to)`, part of the current line; true when the line is long and refused. */
  private take(chunk: Buffer, from: number, to: number): boolean {
    this.lineBytes += to - from;
    if (!this.scanner) {
      if (this.lineBytes <= LONG_LINE) {
        if (to > from) this.held.push(chunk.subarray(from, to));
        return false;
      }
      this.scanner = new JsonShapeScanner(this.maxDepth);
      let at = this.lineStart;
      for (const piece of this.held) {
        const refused = this.scanner.scan(piece, 0, piece.length);
        if (refused >= 0) this.refuse(at + refused);
        at += piece.length;
      }
      this.held = [];
    }
    const refused = this.scanner.scan(chunk, from, to);
    if (refused >= 0) this.refuse(this.offset + refused);
    return this.scanner.refusal !== undefined;
  }

  private refuse(at: number): void {
    this.verdict = { start: this.lineStart, at, refusal: (this.scanner as JsonShapeScanner).refusal as string };
  }
}

const BOM = [0xef, 0xbb, 0xbf];

function isJsonSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

/**
 * `/api/v1/ingest`: the first byte after a BOM and whitespace decides, as in ingest-body.ts.
 * A JSON array is checked as one text, from its `[`, once the body is longer than
 * DEPTH_SCAN_BYTES; anything else as NDJSON.
 */
class IngestGuard implements ShapeGuard {
  private offset = 0;
  /** How many bytes of a BOM the body started with. */
  private bom = 0;
  private readonly lines: LinesGuard;
  private array: JsonShapeScanner | undefined;
  private arrayVerdict: ShapeVerdict | undefined;
  private decided = false;

  constructor(private readonly maxDepth: number) {
    this.lines = new LinesGuard(maxDepth);
  }

  remember(body: Buffer): void {
    if (!this.array) this.lines.remember(body);
    else if (this.arrayVerdict) rememberShapeRefusal(body, this.arrayVerdict, this.maxDepth);
  }

  write(chunk: Buffer): boolean {
    if (this.array) return this.scanArray(chunk, 0);
    if (this.decided) return this.lines.write(chunk);
    for (let i = 0; i < chunk.length; i++, this.offset++) {
      const b = chunk[i] as number;
      if (this.bom === this.offset && this.offset < 3 && b === BOM[this.offset]) {
        this.bom++;
        continue;
      }
      // A BOM cut short leaves its first byte as the body's first: not `[`.
      if ((this.bom > 0 && this.bom < 3) || !isJsonSpace(b)) {
        this.decided = true;
        if (b === 0x5b && (this.bom === 0 || this.bom === 3)) {
          this.array = new JsonShapeScanner(this.maxDepth);
          return this.scanArray(chunk, i);
        }
        break;
      }
    }
    // Still only a BOM and whitespace, or NDJSON: the lines guard counts every line from the start.
    return this.lines.write(chunk);
  }

  private scanArray(chunk: Buffer, from: number): boolean {
    const scanner = this.array as JsonShapeScanner;
    const refused = scanner.scan(chunk, from, chunk.length);
    // The parser scans from just after a BOM; the whitespace before the `[` changes nothing.
    if (refused >= 0) this.arrayVerdict = { start: this.bom, at: this.offset + (refused - from), refusal: scanner.refusal as string };
    this.offset += chunk.length - from;
    // The parser scans the array only when the body, less a BOM, is longer than DEPTH_SCAN_BYTES.
    return scanner.refusal !== undefined && this.offset > DEPTH_SCAN_BYTES + 3;
  }
}

/** Splunk HEC: the same framing check as the parser's splitter, fed the same bytes. */
class ConcatenatedGuard implements ShapeGuard {
  private readonly splitter: ConcatenatedJsonSplitter;
  private error: JsonFramingError | undefined;
  /** The splitter looks for a BOM in the first chunk it gets: that chunk must hold 3 bytes at least. */
  private head: Buffer[] | undefined = [];
  private headBytes = 0;

  constructor(private readonly maxDepth: number) {
    this.splitter = new ConcatenatedJsonSplitter(maxDepth, false);
  }

  remember(body: Buffer): void {
    if (this.error) rememberFraming(body, this.maxDepth, this.splitter.spans, this.error);
  }

  write(chunk: Buffer): boolean {
    if (this.head) {
      this.head.push(chunk);
      this.headBytes += chunk.length;
      if (this.headBytes < 3) return false;
      chunk = Buffer.concat(this.head);
      this.head = undefined;
    }
    try {
      this.splitter.write(chunk);
      return false;
    } catch (error) {
      if (!(error instanceof JsonFramingError)) throw error;
      this.error = error;
      return true;
    }
  }
}
