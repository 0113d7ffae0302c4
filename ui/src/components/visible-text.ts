/**
 * Every byte the console shows from events, alerts, rules and user names went through an
 * attacker's hands, so it is shown as React text (never HTML) and made *visible*: control
 * characters, ANSI escapes, bidirectional overrides and invisible characters become markers
 * such as ⟨U+202E⟩, so that a log line cannot reverse its own text, hide a payload behind
 * zero-width characters, or fake a second line.
 */
/*
 * C0 controls (ESC starts every ANSI sequence), DEL and C1 controls, the soft hyphen and other
 * invisible fillers, Arabic letter mark, zero-width characters and directional marks, line and
 * paragraph separators, bidi embeddings, overrides and isolates, deprecated format characters,
 * the byte-order mark, interlinear annotation, Unicode tag characters, and lone surrogates.
 */
const HIDDEN = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180E\u200B-\u200F\u2028-\u202E\u2060-\u2064\u2066-\u206F\u3164\uFEFF\uFFA0\uFFF9-\uFFFB\u{E0000}-\u{E007F}\uD800-\uDFFF]/gu;
const HIDDEN_OR_BREAK = new RegExp(`${HIDDEN.source.slice(0, -1)}\\u0009\\u000A]`, 'gu');
const HAS_HIDDEN = new RegExp(HIDDEN_OR_BREAK.source, 'u');

/** The patterns, for a renderer that marks each character on its own. */
export function hiddenPattern(multiline: boolean): RegExp {
  return new RegExp((multiline ? HIDDEN : HIDDEN_OR_BREAK).source, 'gu');
}

/** ⟨U+001B⟩ for a code point. */
export function markerOf(ch: string): string {
  return `⟨U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}⟩`;
}

/** The text with every hidden character replaced by its marker (for titles and aria labels). */
export function visibleText(text: string, multiline = false): string {
  return text.replace(multiline ? HIDDEN : HIDDEN_OR_BREAK, markerOf);
}

/** Text as shown in a cell: field values of every type, arrays joined, objects as JSON. */
export function valueText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.map(valueText).join(', ');
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

/**
 * The URL to link a rule's reference to: only an http(s) URL written plainly (no hidden
 * characters, no surrounding space); anything else (`javascript:`, `data:`, paths) stays text.
 */
export function httpUrl(text: string): string | undefined {
  if (text !== text.trim() || HAS_HIDDEN.test(text)) return undefined;
  try {
    const url = new URL(text);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}
