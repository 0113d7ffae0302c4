/**
 * The durable list of deliveries not yet finished, one NDJSON file per destination: an `add`
 * line when a delivery is queued, a `done` line when it was delivered or dead-lettered. On start
 * the file is replayed (adds without a done are pending), so a restart re-sends what a crash or
 * stop interrupted. Receivers de-duplicate by delivery id: a delivery sent just before a crash
 * whose `done` line never reached the disk is sent again with the same id.
 *
 * Writes are synchronous appends of one short line: the order of lines is the order of events
 * even across a crash, with no write queue to lose. The file is rewritten (temp file + rename)
 * when it holds many finished deliveries, and emptied whenever nothing is pending.
 */
import { appendFileSync, closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export interface Delivery {
  /** Unique per delivery and the same on every attempt: receivers de-duplicate on it. */
  readonly id: string;
  readonly destination: string;
  readonly alertId: string;
  /** Epoch ms when it was queued. */
  readonly queuedAt: number;
  /** What is sent, already rendered (a request body, a mail, a syslog frame). */
  readonly payload: string;
}

type JournalLine = { readonly add: Delivery } | { readonly done: string };

/** Finished deliveries kept in the file before it is rewritten. */
const COMPACT_AFTER = 1000;

export class DeliveryJournal {
  readonly path: string;
  readonly #pending = new Map<string, Delivery>();
  #finishedInFile = 0;
  /** Lines that could not be read at open (a torn last line after a crash). */
  readonly skippedLines: number;

  /** Opens (creating the folder and file) and replays the journal. */
  constructor(dir: string, destination: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.path = join(dir, `${destination.replace(/[^A-Za-z0-9_.-]/g, '_')}.pending.ndjson`);
    let text = '';
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    let skipped = 0;
    for (const line of text.split('\n')) {
      if (line === '') continue;
      let parsed: JournalLine;
      try {
        parsed = JSON.parse(line) as JournalLine;
      } catch {
        skipped++;
        continue;
      }
      if ('add' in parsed && isDelivery(parsed.add)) this.#pending.set(parsed.add.id, parsed.add);
      else if ('done' in parsed && typeof parsed.done === 'string') this.#pending.delete(parsed.done);
      else skipped++;
    }
    this.skippedLines = skipped;
    this.#rewrite();
  }

  /** Pending deliveries, oldest first. */
  pending(): Delivery[] {
    return [...this.#pending.values()];
  }

  get size(): number {
    return this.#pending.size;
  }

  add(delivery: Delivery): void {
    appendFileSync(this.path, JSON.stringify({ add: delivery }) + '\n', { mode: 0o600 });
    this.#pending.set(delivery.id, delivery);
  }

  finish(id: string): void {
    if (!this.#pending.delete(id)) return;
    if (this.#pending.size === 0) {
      this.#rewrite();
      return;
    }
    appendFileSync(this.path, JSON.stringify({ done: id }) + '\n', { mode: 0o600 });
    if (++this.#finishedInFile >= COMPACT_AFTER) this.#rewrite();
  }

  /** Replaces the file with one holding only the pending deliveries (atomic: temp file, fsync, rename). */
  #rewrite(): void {
    const tmp = `${this.path}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      let text = '';
      for (const d of this.#pending.values()) text += JSON.stringify({ add: d }) + '\n';
      if (text !== '') writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
    this.#finishedInFile = 0;
  }
}

function isDelivery(v: unknown): v is Delivery {
  if (typeof v !== 'object' || v === null) return false;
  const d = v as Record<string, unknown>;
  return typeof d['id'] === 'string' && typeof d['destination'] === 'string' && typeof d['alertId'] === 'string' && typeof d['queuedAt'] === 'number' && typeof d['payload'] === 'string';
}

/** Appends one failed delivery to the dead-letter file (NDJSON, owner-only: it holds alert content). */
export function appendDeadLetter(path: string, delivery: Delivery, record: { readonly attempts: number; readonly reason: string; readonly failedAt: number }): void {
  const line = JSON.stringify({ deliveryId: delivery.id, destination: delivery.destination, alertId: delivery.alertId, queuedAt: delivery.queuedAt, failedAt: record.failedAt, attempts: record.attempts, reason: record.reason, payload: delivery.payload });
  appendFileSync(path, line + '\n', { mode: 0o600 });
}
