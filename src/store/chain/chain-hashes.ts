/**
 * The hashes and signatures of the event chain (docs/history.md), shared by every store back
 * end so a chain means the same wherever it is verified.
 *
 * - An event's digest is SHA-256 over a canonical form of every stored column of the event, in
 *   table order. Each value is length-prefixed (strings by their UTF-8 bytes), so no two
 *   different rows share a form. The form is simple enough for a database to compute itself
 *   (DuckDB: digest-sql.ts), which is what makes `verify` fast: it never moves an event's
 *   columns out of the database. Strings are hashed as UTF-8, which turns a lone surrogate into
 *   U+FFFD exactly as the database's own conversion does, so the digest computed here before
 *   writing equals the one the database computes from the stored row.
 * - A batch's `events_hash` is SHA-256 over its events' digests in position order.
 * - A batch's `hash` covers its own fields and the previous batch's hash: editing, deleting or
 *   reordering a batch breaks every later link.
 * - Checkpoints and retention runs are signed with HMAC-SHA-256 under the data folder's key:
 *   without the key, a rewritten chain cannot carry a valid checkpoint, and deleted events
 *   cannot be passed off as retention.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { RetentionRun } from '../../core/history.js';

/** A stored column's value as the digest sees it. */
export type DigestValue = string | bigint | number | null | readonly (string | null)[];

/** The `prev_hash` of the first batch. */
export const GENESIS_HASH = '0'.repeat(64);

function encodeText(value: string): string {
  return `"${Buffer.byteLength(value, 'utf8')}:${value}`;
}

function encode(value: DigestValue): string {
  if (value === null) return '~';
  if (typeof value === 'string') return encodeText(value);
  if (typeof value === 'bigint' || typeof value === 'number') return `#${String(value)};`;
  let out = `[${value.length}`;
  for (const item of value) out += item === null ? '~' : encodeText(item);
  return `${out}]`;
}

/** What every canonical form starts with; the number of values follows. */
export const EVENT_FORM_PREFIX = 'vigil-event-v1\n';

/** The canonical form of a row's values (exported for its tests). */
export function canonicalEvent(values: readonly DigestValue[]): string {
  let out = `${EVENT_FORM_PREFIX}${values.length}`;
  for (const value of values) out += encode(value);
  return out;
}

export function eventDigest(values: readonly DigestValue[]): string {
  return createHash('sha256').update(canonicalEvent(values), 'utf8').digest('hex');
}

/** SHA-256 over digests (or tombstone lines) in order, fed one at a time. */
export class OrderedHash {
  readonly #hash = createHash('sha256');
  #count = 0;

  add(line: string): void {
    this.#hash.update(line, 'utf8');
    this.#hash.update('\n');
    this.#count++;
  }

  get count(): number {
    return this.#count;
  }

  hex(): string {
    return this.#hash.digest('hex');
  }
}

export interface BatchFields {
  readonly seq: number;
  readonly count: number;
  readonly firstTime: number;
  readonly lastTime: number;
  readonly created: number;
  readonly eventsHash: string;
  readonly prevHash: string;
}

export function batchHash(b: BatchFields): string {
  const form = `vigil-batch-v1|${b.seq}|${b.count}|${b.firstTime}|${b.lastTime}|${b.created}|${b.eventsHash}|${b.prevHash}`;
  return createHash('sha256').update(form).digest('hex');
}

export interface CheckpointFields {
  readonly seq: number;
  readonly hash: string;
  readonly signedAt: number;
}

export function checkpointSignature(key: Uint8Array, c: CheckpointFields): string {
  return createHmac('sha256', key).update(`vigil-checkpoint-v1|${c.seq}|${c.hash}|${c.signedAt}`).digest('hex');
}

/** What a retention run's signature covers: the run as recorded (core/history.ts) and its tombstones. */
export interface RetentionRunFields extends Omit<RetentionRun, 'signed'> {
  readonly tombstonesHash: string;
}

export function retentionSignature(key: Uint8Array, r: RetentionRunFields): string {
  const form = `vigil-retention-v1|${r.id}|${r.rule}|${r.selector}|${r.cutoff}|${r.started}|${r.finished}|${r.deleted}|${r.legacyDeleted}|${r.tombstonesHash}`;
  return createHmac('sha256', key).update(form).digest('hex');
}

/** One tombstone's line in its run's `tombstones_hash`. */
export function tombstoneLine(seq: number, pos: number, id: string, digest: string): string {
  return `${seq}|${pos}|${id.length}:${id}|${digest}`;
}

/** Constant-time comparison of two hex signatures (a mismatch reveals nothing of the key). */
export function sameSignature(expected: string, actual: string | null): boolean {
  if (actual === null || actual.length !== expected.length) return false;
  return timingSafeEqual(Buffer.from(expected), Buffer.from(actual));
}
