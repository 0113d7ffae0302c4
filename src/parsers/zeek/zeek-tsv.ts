/**
 * Zeek's default log format: tab-separated values under a header of `#`-lines that names the
 * columns (`#fields`), their types (`#types`), the unset and empty markers, and the set
 * separator. The reader keeps that header as state, since every data line depends on it.
 */
import type { FieldValue, Fields } from '../../core/event.js';

export interface ZeekTsvRecord {
  readonly fields: Fields;
  readonly path: string | undefined;
}

const NUMERIC = new Set(['count', 'int', 'port', 'double', 'interval', 'time']);

function unescapeZeek(text: string): string {
  return text.includes('\\x') ? text.replace(/\\x([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))) : text;
}

export class ZeekTsvReader {
  private separator = '\t';
  private setSeparator = ',';
  private empty = '(empty)';
  private unset = '-';
  private names: string[] = [];
  private types: string[] = [];
  path: string | undefined;

  /** True when the line is a Zeek header line (it is consumed, not an event). */
  header(line: string): boolean {
    if (!line.startsWith('#')) return false;
    const sp = line.indexOf(line.startsWith('#separator') ? ' ' : this.separator);
    const key = sp < 0 ? line.slice(1) : line.slice(1, sp);
    const value = sp < 0 ? '' : line.slice(sp + 1);
    switch (key) {
      case 'separator':
        this.separator = unescapeZeek(value) || '\t';
        break;
      case 'set_separator':
        this.setSeparator = value || ',';
        break;
      case 'empty_field':
        this.empty = value;
        break;
      case 'unset_field':
        this.unset = value;
        break;
      case 'path':
        this.path = value;
        break;
      case 'fields':
        this.names = value.split(this.separator);
        break;
      case 'types':
        this.types = value.split(this.separator);
        break;
    }
    return true;
  }

  /** A data line as Zeek's own field names; undefined when no `#fields` header was seen or columns disagree. */
  record(line: string): ZeekTsvRecord | undefined {
    if (this.names.length === 0) return undefined;
    const values = line.split(this.separator);
    if (values.length !== this.names.length) return undefined;
    const fields: Fields = Object.create(null) as Fields;
    for (let i = 0; i < values.length; i++) {
      const name = this.names[i]!;
      const raw = values[i]!;
      if (raw === this.unset || name === '__proto__' || name === 'constructor' || name === 'prototype') continue;
      fields[name] = this.convert(raw, this.types[i] ?? 'string');
    }
    return { fields, path: this.path };
  }

  private convert(raw: string, type: string): FieldValue {
    if (type.startsWith('set[') || type.startsWith('vector[')) {
      if (raw === this.empty) return [];
      const inner = type.slice(type.indexOf('[') + 1, -1);
      return raw.split(this.setSeparator).map((v) => this.scalar(v, inner));
    }
    if (raw === this.empty) return '';
    return this.scalar(raw, type);
  }

  private scalar(raw: string, type: string): string | number | boolean {
    if (type === 'bool') return raw === 'T';
    if (NUMERIC.has(type)) {
      const n = Number(raw);
      if (Number.isFinite(n)) return n;
    }
    return unescapeZeek(raw);
  }
}
