/**
 * Splits a syslog byte stream (TCP or TLS) into messages, per RFC 6587 §3.4. Each frame is
 * either octet-counted (§3.4.1: `MSG-LEN SP SYSLOG-MSG`, MSG-LEN starting with a non-zero
 * digit) or non-transparent (§3.4.2: ended by LF; NUL is accepted too, as some senders use
 * it, and a trailing CR is dropped). The choice is made again for every frame, as rsyslog and
 * syslog-ng do, because one connection may carry both after a relay restarts. A PRI-less
 * line that starts with digits and a space is read as octet-counted: §3.4.3 offers no other
 * way to tell, and real syslog messages start with `<PRI>`.
 *
 * Memory is bounded: at most `maxMessageBytes` are held per connection. A longer frame is cut
 * at that length (on a UTF-8 character boundary) and flagged; the rest of it is skipped.
 */
import { utf8Boundary } from './utf8-boundary.js';

export interface SyslogFrame {
  readonly text: string;
  /** The frame was longer than `maxMessageBytes` (or an octet-counted frame ended early). */
  readonly truncated: boolean;
}

const LF = 0x0a;
const CR = 0x0d;
const NUL = 0x00;
const SPACE = 0x20;

/** Nine digits allow frames up to ~1 GB; a longer MSG-LEN is not a length but text. */
const MAX_LENGTH_DIGITS = 9;
const INITIAL_BUFFER_BYTES = 1024;

const AT_FRAME_START = 0;
const IN_LENGTH = 1;
const IN_COUNTED = 2;
const IN_LINE = 3;
type FramerState = typeof AT_FRAME_START | typeof IN_LENGTH | typeof IN_COUNTED | typeof IN_LINE;

export class SyslogStreamFramer {
  readonly #max: number;
  #state: FramerState = AT_FRAME_START;
  /** Bytes of a frame that spans chunks; grows up to `#max`. */
  #buffer: Buffer = Buffer.alloc(0);
  #length = 0;
  #truncated = false;
  /** MSG-LEN digits read so far, and the bytes of the counted frame still to come. */
  #lengthValue = 0;
  #lengthDigits = 0;
  #remaining = 0;

  constructor(maxMessageBytes: number) {
    if (!Number.isInteger(maxMessageBytes) || maxMessageBytes < 1) throw new RangeError(`maxMessageBytes must be a positive integer, got ${maxMessageBytes}`);
    this.#max = maxMessageBytes;
  }

  /** Feeds one chunk; returns the frames it completed, in order. */
  push(chunk: Buffer): SyslogFrame[] {
    const frames: SyslogFrame[] = [];
    const end = chunk.length;
    let pos = 0;
    // Next NUL at or after `pos`, found once per chunk and only moved forward, so a chunk of
    // many short lines costs one scan, not one per line.
    let nextNul = -2;
    while (pos < end) {
      switch (this.#state) {
        case AT_FRAME_START: {
          const c = chunk[pos] as number;
          if (c === LF || c === CR || c === NUL) {
            pos++; // empty frames and stray CR/LF between octet-counted frames
          } else if (c >= 0x31 && c <= 0x39) {
            this.#state = IN_LENGTH;
            this.#lengthValue = c - 0x30;
            this.#lengthDigits = 1;
            pos++;
          } else {
            this.#state = IN_LINE;
          }
          break;
        }
        case IN_LENGTH: {
          const c = chunk[pos] as number;
          if (c === SPACE) {
            this.#state = IN_COUNTED;
            this.#remaining = this.#lengthValue;
            this.#truncated = this.#lengthValue > this.#max;
            pos++;
          } else if (c >= 0x30 && c <= 0x39 && this.#lengthDigits < MAX_LENGTH_DIGITS) {
            this.#lengthValue = this.#lengthValue * 10 + (c - 0x30);
            this.#lengthDigits++;
            pos++;
          } else {
            // Digits not followed by SP: a non-transparent frame that starts with a number.
            this.#state = IN_LINE;
            this.#append(Buffer.from(String(this.#lengthValue), 'latin1'), 0, this.#lengthDigits);
          }
          break;
        }
        case IN_COUNTED: {
          const take = Math.min(this.#remaining, end - pos);
          if (this.#length === 0 && take === this.#remaining && take <= this.#max) {
            this.#emit(frames, chunk, pos, pos + take, false);
          } else {
            this.#append(chunk, pos, pos + take);
            if (take === this.#remaining) this.#emitBuffered(frames);
          }
          this.#remaining -= take;
          pos += take;
          if (this.#remaining === 0) this.#state = AT_FRAME_START;
          break;
        }
        case IN_LINE: {
          let lf = chunk.indexOf(LF, pos);
          if (lf < 0) lf = end;
          if (nextNul !== -1 && nextNul < pos) nextNul = chunk.indexOf(NUL, pos);
          const stop = nextNul >= 0 && nextNul < lf ? nextNul : lf;
          if (stop === end) {
            this.#append(chunk, pos, end);
            pos = end;
          } else {
            if (this.#length === 0 && stop - pos <= this.#max) this.#emit(frames, chunk, pos, stop, false);
            else {
              this.#append(chunk, pos, stop);
              this.#emitBuffered(frames);
            }
            this.#state = AT_FRAME_START;
            pos = stop + 1;
          }
          break;
        }
      }
    }
    return frames;
  }

  /**
   * The stream ended: a pending non-transparent frame is complete (its sender just did not
   * end it with LF); a pending octet-counted frame is shorter than announced, so it is
   * emitted flagged as truncated.
   */
  end(): SyslogFrame[] {
    const frames: SyslogFrame[] = [];
    if (this.#state === IN_LENGTH) {
      this.#append(Buffer.from(String(this.#lengthValue), 'latin1'), 0, this.#lengthDigits);
    } else if (this.#state === IN_COUNTED) {
      this.#truncated = true;
    }
    if (this.#state !== AT_FRAME_START) this.#emitBuffered(frames);
    this.#state = AT_FRAME_START;
    this.#buffer = Buffer.alloc(0);
    return frames;
  }

  /** Bytes currently held for an unfinished frame (for tests and metrics). */
  get bufferedBytes(): number {
    return this.#length;
  }

  #append(bytes: Uint8Array, from: number, to: number): void {
    const room = this.#max - this.#length;
    let n = to - from;
    if (n > room) {
      n = room;
      this.#truncated = true;
    }
    if (n <= 0) return;
    if (this.#length + n > this.#buffer.length) {
      const size = Math.min(this.#max, Math.max(INITIAL_BUFFER_BYTES, this.#buffer.length * 2, this.#length + n));
      const grown = Buffer.allocUnsafe(size);
      this.#buffer.copy(grown, 0, 0, this.#length);
      this.#buffer = grown;
    }
    this.#buffer.set(bytes.subarray(from, from + n), this.#length);
    this.#length += n;
  }

  #emitBuffered(frames: SyslogFrame[]): void {
    this.#emit(frames, this.#buffer, 0, this.#length, this.#truncated);
    this.#length = 0;
    this.#truncated = false;
    // A frame near the limit leaves a large buffer behind; idle connections should not keep it.
    if (this.#buffer.length > INITIAL_BUFFER_BYTES * 8) this.#buffer = Buffer.alloc(0);
  }

  #emit(frames: SyslogFrame[], bytes: Buffer, from: number, to: number, truncated: boolean): void {
    if (truncated) to = from + utf8Boundary(bytes.subarray(from, to), to - from);
    // Trailing CR (CRLF senders) and LF (octet-counted senders that add one) are framing.
    while (to > from && (bytes[to - 1] === CR || bytes[to - 1] === LF)) to--;
    if (to === from) return;
    frames.push({ text: bytes.toString('utf8', from, to), truncated });
  }
}
