/**
 * Asset inventory and user directory for alert enrichment: CSV (header row) or JSON (an array of
 * objects, or an object of objects keyed by name) files, read at start and when they change.
 *
 * Assets are found by host name (`host.name`, `hostname`, `host`, `name`, `fqdn`; case-insensitive,
 * also by the short name before the first dot) or address (`ip`, `host.ip`, `address`); users by
 * `user.name`, `username`, `user`, `login`, `sam_account_name`, `email` or `upn` (case-insensitive,
 * also without a `DOMAIN\` prefix or `@domain` suffix). Every other column is kept as it is
 * (owner, criticality, department, …), at most 50 columns of 1,000 characters.
 */
import { readFileSync, statSync } from 'node:fs';
import { VigilError } from '../core/errors.js';
import { splitCsvLine } from '../detect/intel/indicator-files.js';

export type DirectoryRecord = Readonly<Record<string, string>>;

const ASSET_KEYS = ['host.name', 'hostname', 'host', 'name', 'fqdn'];
const ASSET_ADDRESS_KEYS = ['ip', 'host.ip', 'address', 'ip_address'];
const USER_KEYS = ['user.name', 'username', 'user', 'login', 'sam_account_name', 'samaccountname', 'email', 'upn', 'userprincipalname', 'name'];
const MAX_COLUMNS = 50;
const MAX_VALUE = 1000;
const MAX_BYTES = 64 * 1024 * 1024;

export class EntityDirectory {
  readonly #byKey = new Map<string, DirectoryRecord>();
  #stamp = '';

  private constructor(
    readonly kind: 'assets' | 'users',
    readonly file: string,
  ) {}

  static open(kind: 'assets' | 'users', file: string): EntityDirectory {
    const d = new EntityDirectory(kind, file);
    d.reload();
    return d;
  }

  get size(): number {
    return new Set(this.#byKey.values()).size;
  }

  /** Re-reads the file when its size or modification time changed; a broken file keeps the last good contents. */
  reload(): boolean {
    let stamp: string;
    try {
      const s = statSync(this.file);
      if (s.size > MAX_BYTES) throw new Error(`larger than ${MAX_BYTES / 1024 / 1024} MiB`);
      stamp = `${s.size}:${s.mtimeMs}`;
    } catch (error) {
      throw new VigilError('config-invalid', `alerts.enrichment.${this.kind}: cannot read ${this.file}: ${(error as Error).message}`, { where: `alerts.enrichment.${this.kind}` });
    }
    if (stamp === this.#stamp) return false;
    const records = readRecords(this.file, this.kind);
    this.#byKey.clear();
    for (const r of records) {
      const lower = lowerKeys(r);
      const keys = this.kind === 'assets' ? [...ASSET_KEYS, ...ASSET_ADDRESS_KEYS] : USER_KEYS;
      for (const k of keys) {
        const v = lower[k];
        if (v === undefined || v === '') continue;
        for (const variant of variants(v, this.kind)) if (!this.#byKey.has(variant)) this.#byKey.set(variant, r);
      }
    }
    this.#stamp = stamp;
    return true;
  }

  find(value: string): DirectoryRecord | undefined {
    for (const variant of variants(value, this.kind)) {
      const r = this.#byKey.get(variant);
      if (r) return r;
    }
    return undefined;
  }
}

function variants(value: string, kind: 'assets' | 'users'): string[] {
  const v = value.trim().toLowerCase();
  const out = [v];
  if (kind === 'assets' && !/^[0-9.:]+$/.test(v) && v.includes('.')) out.push(v.slice(0, v.indexOf('.')));
  if (kind === 'users') {
    if (v.includes('\\')) out.push(v.slice(v.lastIndexOf('\\') + 1));
    if (v.includes('@')) out.push(v.slice(0, v.indexOf('@')));
  }
  return out;
}

function lowerKeys(r: DirectoryRecord): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(r)) out[k.toLowerCase()] = v;
  return out;
}

function readRecords(file: string, kind: string): DirectoryRecord[] {
  const text = readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  const where = `alerts.enrichment.${kind}`;
  if (/^\s*[[{]/.test(text)) {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (error) {
      throw new VigilError('config-invalid', `${where}: ${file} is not valid JSON (${(error as Error).message})`, { where });
    }
    const list = Array.isArray(doc) ? doc : typeof doc === 'object' && doc !== null ? Object.entries(doc).map(([name, v]) => ({ name, ...(typeof v === 'object' && v !== null ? v : {}) })) : [];
    return list.filter((x): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x)).map(flat);
  }
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '' && !l.startsWith('#'));
  if (lines.length === 0) return [];
  const delimiter = lines[0]!.includes('\t') ? '\t' : lines[0]!.includes(';') && !lines[0]!.includes(',') ? ';' : ',';
  const header = splitCsvLine(lines[0]!, delimiter).map((h) => h.trim());
  if (header.length === 0 || header.every((h) => h === '')) throw new VigilError('config-invalid', `${where}: ${file} needs a header row naming its columns`, { where });
  return lines.slice(1).map((line) => {
    const cells = splitCsvLine(line, delimiter);
    return flat(Object.fromEntries(header.map((h, i) => [h, cells[i] ?? ''])));
  });
}

/** Scalars as text; nested values left out; no prototype keys. */
function flat(o: Record<string, unknown>): DirectoryRecord {
  const out: Record<string, string> = {};
  let n = 0;
  for (const [k, v] of Object.entries(o)) {
    if (n >= MAX_COLUMNS || k === '__proto__' || k === 'constructor' || k === 'prototype') continue;
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') {
      out[k] = String(v).slice(0, MAX_VALUE);
      n++;
    }
  }
  return out;
}
