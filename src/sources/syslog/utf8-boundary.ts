/** Cutting UTF-8 text to a byte limit without splitting a character. */

/**
 * Length of `bytes[0, length)` cut back so it does not end inside a UTF-8 sequence, which
 * would otherwise decode to U+FFFD at the cut.
 */
export function utf8Boundary(bytes: Uint8Array, length: number): number {
  let lead = length - 1;
  // Step back over at most three continuation bytes (10xxxxxx) to the lead byte.
  while (lead >= 0 && length - lead <= 3 && ((bytes[lead] as number) & 0xc0) === 0x80) lead--;
  if (lead < 0) return length;
  const b = bytes[lead] as number;
  const needed = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
  return lead + needed > length ? lead : length;
}
