/**
 * The text free-text search scans (`search_text`), the same for every store: the original
 * record, lower-cased, with JSON string escapes decoded, plus the message when the record does
 * not already hold it.
 *
 * Why decode: a JSON original (Windows events, cloud audit logs, EVE) holds its strings escaped
 * (`C:\\Windows`, `\r\n\t`, `\"`), so a phrase typed as the analyst reads it would not match; the
 * old remedy appended the message a second time, which made JSON events' search text ~30%
 * longer than the record and free text scans that much slower (10M corpus events: 20% JSON
 * events held 71% of the scanned bytes). Decoded, the message is usually inside already.
 */

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/** Decodes the escapes of JSON strings in `text`; anything that is not a valid escape stays as written. */
export function decodeJsonEscapes(text: string): string {
  let at = text.indexOf('\\');
  if (at < 0) return text;
  let out = '';
  let from = 0;
  while (at >= 0) {
    out += text.slice(from, at);
    const c = text[at + 1];
    const simple = c === undefined ? undefined : SIMPLE_ESCAPES[c];
    if (simple !== undefined) {
      out += simple;
      from = at + 2;
    } else if (c === 'u' && /^[0-9A-Fa-f]{4}$/.test(text.slice(at + 2, at + 6))) {
      out += String.fromCharCode(parseInt(text.slice(at + 2, at + 6), 16));
      from = at + 6;
    } else {
      out += '\\';
      from = at + 1;
    }
    at = text.indexOf('\\', from);
  }
  return out + text.slice(from);
}

/** What `search_text` holds for an event with this original and message text. */
export function searchTextOf(original: string, message: string | null): string {
  const trimmed = original.trimStart();
  const record = trimmed.startsWith('{') || trimmed.startsWith('[') ? decodeJsonEscapes(original) : original;
  const lower = record.toLowerCase();
  if (message === null || message.length === 0 || record.includes(message)) return lower;
  return `${lower}\n${message.toLowerCase()}`;
}
