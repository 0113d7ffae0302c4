/**
 * Newline-delimited records: line iteration over a body buffer, and a guard that measures JSON
 * nesting before JSON.parse on long lines. V8 parses deeply nested arrays about ten times
 * slower per byte than ordinary JSON (1M levels ≈ 0.8 s), so a long line is scanned first
 * (≈ 2 ns/byte) and refused when it nests too deep; short lines cannot hurt and skip the scan.
 */
import { STRUCTURAL, stringStop } from './json-bytes.js';

export interface BodyLine {
  /** 1-based line number, counting blank lines, as an editor shows it. */
  readonly number: number;
  readonly start: number;
  /** Exclusive; a trailing `\r` is excluded. */
  readonly end: number;
}

const LF = 0x0a;
const CR = 0x0d;

/** Lines of `body` that hold something other than whitespace. Skips a UTF-8 BOM. */
export function* nonBlankLines(body: Buffer): Generator<BodyLine> {
  let pos = body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? 3 : 0;
  let number = 0;
  while (pos < body.length) {
    let next = body.indexOf(LF, pos);
    if (next === -1) next = body.length;
    number++;
    let end = next;
    if (end > pos && body[end - 1] === CR) end--;
    if (!isBlank(body, pos, end)) yield { number, start: pos, end };
    pos = next + 1;
  }
}

function isBlank(body: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const b = body[i];
    if (b !== 0x20 && b !== 0x09 && b !== CR) return false;
  }
  return true;
}

/** Lines longer than this are depth-scanned before JSON.parse. */
export const DEPTH_SCAN_BYTES = 64 * 1024;

/**
 * Members one JSON object may have. JSON.parse of an object with a million keys blocks the
 * event loop for about a second (every other sender waits), and an event keeps at most
 * `maxFieldsPerEvent` fields anyway, so such objects are refused before parsing.
 */
export const MAX_OBJECT_MEMBERS = 65_536;

/**
 * Measures nesting and object members of JSON text fed in pieces, without parsing it: the
 * state (open containers, inside a string, after a backslash) carries from one piece to the
 * next, so a body can be checked while it streams in (body-shape-guard.ts) with the same
 * verdict as a check of the whole text. Once refused, it stays refused. Runs of bytes that
 * change nothing (string contents, numbers, commas, spaces) are skipped by tight inner loops,
 * about 2 ns a byte, and long strings with memchr (json-bytes.ts).
 */
export class JsonShapeScanner {
  /** Why the text is refused, once it is. */
  refusal: string | undefined;
  /** One member count per open container; -1 marks an array. */
  private readonly members: number[] = [];
  private inString = false;
  private escaped = false;

  constructor(private readonly maxDepth: number) {}

  /** Scans `bytes[start, end)`; returns the index of the byte that refused the text, or -1. */
  scan(bytes: Buffer, start: number, end: number): number {
    if (this.refusal !== undefined) return -1;
    const members = this.members;
    let inString = this.inString;
    let escaped = this.escaped;
    let i = start;
    scan: while (i < end) {
      let b = bytes[i] as number;
      if (inString) {
        if (escaped) {
          escaped = false;
          i++;
          continue;
        }
        i = stringStop(bytes, i, end);
        if (i === end) break;
        if (bytes[i] === 0x5c) escaped = true;
        else inString = false;
        i++;
        continue;
      }
      while (STRUCTURAL[b] === 0) {
        if (++i === end) break scan;
        b = bytes[i] as number;
      }
      if (b === 0x22) {
        inString = true;
      } else if (b === 0x7b || b === 0x5b) {
        if (members.length >= this.maxDepth) {
          this.refusal = `JSON nested deeper than ${this.maxDepth} levels (http.maxJsonDepth)`;
          break;
        }
        members.push(b === 0x7b ? 0 : -1);
      } else if (b === 0x7d || b === 0x5d) {
        members.pop();
      } else {
        const top = members.length - 1;
        if (top >= 0 && (members[top] as number) >= 0 && ++(members[top] as number) > MAX_OBJECT_MEMBERS) {
          this.refusal = `a JSON object with more than ${MAX_OBJECT_MEMBERS} members; an event keeps at most http's field cap, send fewer fields`;
          break;
        }
      }
      i++;
    }
    this.inString = inString;
    this.escaped = escaped;
    return this.refusal === undefined ? -1 : i;
  }
}

/** Refusals found while a body streamed in (body-reader.ts), by body: not found twice. */
const knownRefusals = new WeakMap<Buffer, { readonly start: number; readonly at: number; readonly refusal: string; readonly maxDepth: number }>();

/**
 * Records that a shape scan of `body` from `start` refuses it at byte `at`: the parser's own
 * scan of that range would find the same (the scan reads bytes in order and stops at the first
 * refusal), and skipping it spares the event loop a megabyte-long block per refused request.
 */
export function rememberShapeRefusal(body: Buffer, verdict: { start: number; at: number; refusal: string }, maxDepth: number): void {
  knownRefusals.set(body, { ...verdict, maxDepth });
}

/**
 * Why the JSON text in `body[start, end)` is refused before parsing (nested deeper than
 * `maxDepth`, or an object with more than MAX_OBJECT_MEMBERS members), or undefined.
 */
export function jsonShapeRefusal(body: Buffer, start: number, end: number, maxDepth: number): string | undefined {
  const known = knownRefusals.get(body);
  if (known !== undefined && known.start === start && known.at < end && known.maxDepth === maxDepth) return known.refusal;
  const scanner = new JsonShapeScanner(maxDepth);
  scanner.scan(body, start, end);
  return scanner.refusal;
}

/** One line's text and its parsed value. */
export interface ParsedLine {
  readonly text: string;
  readonly value: unknown;
}

/**
 * Decodes and parses one line, refusing deep nesting on long lines first. Throws SyntaxError
 * or JsonDepthError. The text is returned so callers do not decode the bytes twice.
 */
export function parseJsonLine(body: Buffer, start: number, end: number, maxDepth: number): ParsedLine {
  if (end - start > DEPTH_SCAN_BYTES) {
    const refusal = jsonShapeRefusal(body, start, end, maxDepth);
    if (refusal) throw new JsonDepthError(maxDepth, refusal);
  }
  const text = body.toString('utf8', start, end);
  return { text, value: JSON.parse(text) };
}

export class JsonDepthError extends Error {
  /** Also thrown for objects with too many members (the message says which). */
  constructor(maxDepth: number, message = `JSON nested deeper than ${maxDepth} levels (http.maxJsonDepth)`) {
    super(message);
    this.name = 'JsonDepthError';
  }
}

/** A JSON.parse message, shortened: V8 quotes the input, which may be long. */
export function syntaxReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const short = message.length > 160 ? `${message.slice(0, 157)}...` : message;
  return `not valid JSON (${short})`;
}
