/**
 * Text and JSON as PostgreSQL can hold them, losslessly.
 *
 * PostgreSQL refuses two things a JavaScript string can hold and DuckDB stores as given: the
 * NUL character (in any text, and as `\u0000` in processed JSON) and lone UTF-16 surrogates
 * (the driver turns them into U+FFFD in text; JSON functions reject `\ud800`). Both reach the
 * state store from hostile input: a JSON event whose `host.name` holds `"\u0000"` becomes an
 * alert's entity and group key, and an alert whose details PostgreSQL cannot parse would fail
 * its whole intake batch, or the console's summary for its tenant.
 *
 * So every string sent is escaped with U+FFFF, a Unicode noncharacter that no real text holds:
 *   NUL → U+FFFF '0'     U+FFFF → U+FFFF U+FFFF     lone surrogate X → U+FFFF 's' + 4 hex digits
 * and every string read is unescaped (the pool's type parsers, `pgTypes`, do it for text, text[]
 * and json, so no reader can forget). Text without these characters, which is all real text,
 * is unchanged, so equality, prefixes, `lower()` and byte order work on stored values as on the
 * originals. The one approximation: a substring search can match across an escape when the
 * stored text holds a noncharacter or a NUL; docs/scaling.md says so.
 */
import pg from 'pg';

const ESC = '\uFFFF';
/** What needs escaping: NUL, the escape itself, a high surrogate without its low half, a low one without its high half. Linear time. */
const NEEDS_ESCAPE_SOURCE = '\\u0000|\\uFFFF|[\\uD800-\\uDBFF](?![\\uDC00-\\uDFFF])|(?<![\\uD800-\\uDBFF])[\\uDC00-\\uDFFF]';
const NEEDS_ESCAPE = new RegExp(NEEDS_ESCAPE_SOURCE);
const EACH_NEEDING_ESCAPE = new RegExp(NEEDS_ESCAPE_SOURCE, 'g');
const ESCAPED = /\uFFFF(?:0|\uFFFF|s([0-9a-f]{4}))/g;

export function encodeText(text: string): string {
  if (!NEEDS_ESCAPE.test(text)) return text;
  return text.replace(EACH_NEEDING_ESCAPE, (c) => (c === '\u0000' ? `${ESC}0` : c === ESC ? ESC + ESC : `${ESC}s${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
}

export function decodeText(text: string): string {
  if (!text.includes(ESC)) return text;
  return text.replace(ESCAPED, (m, hex: string | undefined) => (m === `${ESC}0` ? '\u0000' : hex === undefined ? ESC : String.fromCharCode(Number.parseInt(hex, 16))));
}

/** A JSON value with every string and key escaped. */
function encodeDeep(value: unknown): unknown {
  if (typeof value === 'string') return encodeText(value);
  if (Array.isArray(value)) return value.map(encodeDeep);
  if (value !== null && typeof value === 'object') {
    // fromEntries defines own properties: a key "__proto__" (JSON from an event may have one) stays a key.
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [encodeText(k), encodeDeep(v)]));
  }
  return value;
}

/**
 * A value bound as a `json` parameter: written with `JSON.stringify` (so `toJSON` and
 * undefined behave as usual), with strings escaped. The driver calls `toPostgres`.
 */
export class JsonParam {
  readonly text: string;
  constructor(value: unknown) {
    const plain = JSON.stringify(value) ?? 'null';
    // JSON.stringify writes NUL and lone surrogates as \u escapes and U+FFFF as itself: without
    // either in the text, no string needs escaping (the common case, no second pass).
    this.text = /\\u|\uFFFF/.test(plain) ? JSON.stringify(encodeDeep(JSON.parse(plain))) : plain;
  }
  toPostgres(): string {
    return this.text;
  }
}

export function json(value: unknown): JsonParam {
  return new JsonParam(value);
}

/** A parameter as sent: strings (alone or in arrays) escaped, epoch ms and counts as they are. */
export function encodeParam(value: unknown): unknown {
  if (typeof value === 'string') return encodeText(value);
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'string' ? encodeText(v) : v));
  return value;
}

function reviveDecoded(this: unknown, _key: string, value: unknown): unknown {
  if (typeof value === 'string') return decodeText(value);
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value);
    if (!entries.some(([k]) => k.includes(ESC))) return value;
    return Object.fromEntries(entries.map(([k, v]) => [decodeText(k), v]));
  }
  return value;
}

const OID = { int8: 20, text: 25, json: 114, textArray: 1009, varchar: 1043, varcharArray: 1015, jsonb: 3802 } as const;

function parseInt8(text: string): number {
  const n = Number(text);
  // Epoch ms and counts stay far below 2^53; anything else is a bug worth seeing, not rounding.
  if (!Number.isSafeInteger(n)) throw new Error(`a bigint from PostgreSQL (${text}) does not fit a JavaScript number`);
  return n;
}

/** The driver's own text[] parser (oid 1009 is missing from pg-types' TypeId enum, hence the cast). */
const parseTextArray = pg.types.getTypeParser(OID.textArray as unknown as Parameters<typeof pg.types.getTypeParser>[0]) as (value: string) => (string | null)[];

/**
 * Type parsers for the store's pool only (the driver's global parsers stay untouched): int8 as
 * numbers (epoch ms, counts), text and JSON unescaped (see above).
 */
export const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
    if (format === 'binary') return pg.types.getTypeParser(oid, 'binary') as (value: string) => unknown;
    switch (oid) {
      case OID.int8:
        return parseInt8;
      case OID.text:
      case OID.varchar:
        return decodeText;
      case OID.textArray:
      case OID.varcharArray:
        return (value: string) => parseTextArray(value).map((v) => (v === null ? v : decodeText(v)));
      case OID.json:
      case OID.jsonb:
        return (value: string) => JSON.parse(value, reviveDecoded);
      default:
        return pg.types.getTypeParser(oid, 'text') as (value: string) => unknown;
    }
  },
};
