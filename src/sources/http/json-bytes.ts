/**
 * Byte-level helpers for the scanners that check JSON framing and shape without parsing
 * (ndjson-lines.ts, concatenated-json.ts). Scanning bytes is safe for UTF-8: every byte of a
 * multi-byte character is >= 0x80 and never equals a quote, backslash, bracket or colon.
 */

/** 1 for the bytes that mean something outside a string: `"` `{` `[` `}` `]` `:`. */
export const STRUCTURAL = new Uint8Array(256);
for (const b of [0x22, 0x7b, 0x5b, 0x7d, 0x5d, 0x3a]) STRUCTURAL[b] = 1;

/** Bytes of a string looked at one by one before the rest of it is searched with memchr. */
const LONG_STRING = 64;

/**
 * Inside a string at `from`: the index of its next quote or backslash before `end`, or `end`.
 * Most strings (keys, short values) end within a few bytes and are walked; the rest of a long
 * one (a 100 MB message) is searched with memchr, about 0.1 ns a byte instead of 1. Searches
 * stop at `end`, so the cost stays linear whatever the input.
 */
export function stringStop(bytes: Buffer, from: number, end: number): number {
  const limit = end - from > LONG_STRING ? from + LONG_STRING : end;
  let i = from;
  while (i < limit) {
    const b = bytes[i];
    if (b === 0x22 || b === 0x5c) return i;
    i++;
  }
  if (i === end) return end;
  const quote = bytes.subarray(i, end).indexOf(0x22);
  const stop = quote === -1 ? end : i + quote;
  const slash = bytes.subarray(i, stop).indexOf(0x5c);
  return slash === -1 ? stop : i + slash;
}
