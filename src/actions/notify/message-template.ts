/**
 * Logic-less message templates: text with `{{dotted.path}}` lookups, nothing else. No sections,
 * partials, lambdas or expressions: alert content comes from events an attacker may have
 * written, so a template only ever looks values up, and a value is never read as template text.
 *
 * Lookups follow own properties of plain objects and arrays only, never a prototype:
 * `{{constructor}}`, `{{__proto__.x}}` and `{{toString}}` render empty, like any unknown key.
 * Each value is escaped for where the text goes (see TemplateEscape).
 */

/**
 * - `json`: inside a JSON string literal (quotes, backslashes, control characters escaped).
 * - `slack`: Slack mrkdwn, where `&`, `<` and `>` are control characters (links, mentions).
 * - `html`: HTML text or attribute value.
 * - `plain`: single-line text such as a mail subject: CR and LF (header injection) removed.
 * - `text`: multi-line plain text, unchanged.
 */
export type TemplateEscape = 'json' | 'slack' | 'html' | 'plain' | 'text';

export class TemplateError extends Error {
  /** 1-based line and column of the problem in the template. */
  readonly line: number;
  readonly column: number;
  constructor(message: string, line: number, column: number) {
    super(`template line ${line}, column ${column}: ${message}`);
    this.name = 'TemplateError';
    this.line = line;
    this.column = column;
  }
}

type Part = string | { readonly path: readonly string[] };

const KEY = /^[A-Za-z0-9_-]+$/;
/** Keys that lead to prototypes or functions in other engines; refused at parse time too. */
const UNSAFE = new Set(['__proto__', 'prototype', 'constructor']);

export class MessageTemplate {
  readonly source: string;
  readonly #parts: readonly Part[];

  /** Parses once; throws TemplateError naming the line and column of the first problem. */
  constructor(source: string) {
    this.source = source;
    this.#parts = parseTemplate(source);
  }

  /** The text with every lookup replaced by its escaped value (empty when absent). */
  render(context: unknown, escape: TemplateEscape): string {
    let out = '';
    for (const part of this.#parts) {
      out += typeof part === 'string' ? part : escapeValue(formatValue(lookup(context, part.path)), escape);
    }
    return out;
  }
}

function parseTemplate(source: string): Part[] {
  const parts: Part[] = [];
  let i = 0;
  while (i < source.length) {
    const open = source.indexOf('{{', i);
    if (open < 0) {
      parts.push(source.slice(i));
      break;
    }
    if (open > i) parts.push(source.slice(i, open));
    const close = source.indexOf('}}', open + 2);
    if (close < 0) throw errorAt(source, open, "'{{' is never closed with '}}'");
    const inner = source.slice(open + 2, close);
    const name = inner.trim();
    const innerStart = open + 2 + (inner.length - inner.trimStart().length);
    if (name === '') throw errorAt(source, open, "empty '{{ }}'; write a name such as {{rule.title}}");
    if (/^[#^/>!&{=]/.test(name)) {
      throw errorAt(source, innerStart, `'{{${name[0]}' is not supported: templates only look values up ({{rule.title}}); sections, partials and raw output do not exist`);
    }
    const path = name.split('.');
    for (const key of path) {
      if (!KEY.test(key)) throw errorAt(source, innerStart, `'${name}' is not a dotted name of letters, digits, _ and -`);
    }
    parts.push({ path: path.some((k) => UNSAFE.has(k)) ? ['\u0000unsafe'] : path });
    i = close + 2;
  }
  return parts;
}

function errorAt(source: string, offset: number, message: string): TemplateError {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    if (source.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return new TemplateError(message, line, offset - lineStart + 1);
}

/**
 * Walks own properties only. A key may itself contain dots (entities are stored flat, as
 * `source.ip`), so at each level the longest run of path segments that is an own key wins.
 */
export function lookup(value: unknown, path: readonly string[], from = 0): unknown {
  if (from === path.length) return value;
  if (typeof value !== 'object' || value === null) return undefined;
  const proto = Object.getPrototypeOf(value) as unknown;
  if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) return undefined;
  for (let end = path.length; end > from; end--) {
    const key = path.slice(from, end).join('.');
    if (UNSAFE.has(key) || !Object.hasOwn(value, key)) continue;
    const found = lookup((value as Record<string, unknown>)[key], path, end);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Text of a looked-up value: scalars as text, lists of scalars comma-separated, anything else empty. */
function formatValue(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) return v.filter((x) => typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean').join(', ');
  return '';
}

export function escapeValue(text: string, escape: TemplateEscape): string {
  switch (escape) {
    case 'json':
      return JSON.stringify(text).slice(1, -1).replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
    case 'slack':
      return escapeSlack(text);
    case 'html':
      return escapeHtml(text);
    case 'plain':
      return text.replace(/[\r\n]+/g, ' ');
    case 'text':
      return text;
  }
}

/** Slack mrkdwn control characters (https://api.slack.com/reference/surfaces/formatting#escaping). */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}
