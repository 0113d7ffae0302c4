/**
 * The subject scheme of the event stream: `<prefix>.<tenant>.<partition>`, for example
 * `vigil.events.acme.7`. The tenant is a subject token so a consumer (or a NATS account
 * export) can take one tenant's events with `vigil.events.acme.*`; the partition is the last
 * token so a stateful detection worker can take one partition of every tenant with
 * `vigil.events.*.7`, which a single consumer filter can express on nats-server 2.9 (several
 * filters per consumer need 2.10).
 *
 * The partition is a hash of a routing key (by default `host.name`), so every event of one host
 * lands in the same partition and one worker sees that host's whole sequence, in order. The
 * partition count is fixed when the stream is created: changing it would move keys between
 * partitions and split their state, so the stream records it and refuses a different count.
 */
import type { Event } from '../../core/event.js';
import { VigilError } from '../../core/errors.js';

export const DEFAULT_SUBJECT_PREFIX = 'vigil.events';
export const DEFAULT_PARTITIONS = 16;
export const MAX_PARTITIONS = 1024;

/** What decides an event's partition. */
export type RoutingKey = (event: Event) => string;

/** Letters, digits, `_` and `-`: never `.`, `*`, `>` or white space, which NATS gives meaning. */
const TOKEN = /^[A-Za-z0-9_-]{1,128}$/;
const PREFIX = /^[A-Za-z0-9_-]{1,64}(\.[A-Za-z0-9_-]{1,64}){0,7}$/;

export function isSubjectToken(text: string): boolean {
  return TOKEN.test(text);
}

export function checkSubjectPrefix(prefix: string, where: string): void {
  if (!PREFIX.test(prefix)) {
    throw new VigilError('config-invalid', `"${prefix}" is not a NATS subject prefix: use dot-separated tokens of letters, digits, _ and -, without wildcards`, { where });
  }
}

export function checkPartitionCount(partitions: number, where: string): void {
  if (!Number.isInteger(partitions) || partitions < 1 || partitions > MAX_PARTITIONS) {
    throw new VigilError('config-invalid', `the partition count must be a whole number from 1 to ${MAX_PARTITIONS}, not ${partitions}`, { where });
  }
}

/**
 * The default routing key: the host the event is about, else the sender's address without its
 * port, else nothing (all such events share one partition, which keeps them in order).
 */
export const hostRoutingKey: RoutingKey = (event) => {
  const host = event.fields['host.name'] ?? event.fields['host.hostname'];
  if (typeof host === 'string' && host !== '') return host.toLowerCase();
  const address = event.source.address;
  if (address === undefined) return '';
  // `ip:port`, `[v6]:port` or a file path: drop a trailing port only.
  const bracketed = /^\[([^\]]*)\]:\d+$/.exec(address);
  if (bracketed) return bracketed[1]!;
  const colon = address.lastIndexOf(':');
  return colon > 0 && address.indexOf(':') === colon && /^\d+$/.test(address.slice(colon + 1)) ? address.slice(0, colon) : address;
};

/**
 * FNV-1a (32 bit) over the key's UTF-8 bytes, modulo the partition count: cheap, stable across
 * processes and versions (unlike a language's string hash), and good enough to spread host names.
 */
export function partitionOf(key: string, partitions: number): number {
  let hash = 0x811c9dc5;
  const bytes = Buffer.from(key, 'utf8');
  for (let i = 0; i < bytes.length; i++) {
    hash ^= bytes[i]!;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % partitions;
}

export function eventSubject(prefix: string, tenant: string, partition: number): string {
  if (!isSubjectToken(tenant)) {
    throw new VigilError('bad-request', `tenant "${tenant.slice(0, 80)}" cannot be carried on the bus: tenant names are letters, digits, _ and -`);
  }
  return `${prefix}.${tenant}.${partition}`;
}

/** The subjects a stream holds: every tenant, every partition. */
export function streamSubjects(prefix: string): string {
  return `${prefix}.>`;
}

/** A consumer filter for one partition of every tenant. */
export function partitionFilter(prefix: string, partition: number): string {
  return `${prefix}.*.${partition}`;
}

/** The partition token of an event subject, or undefined for a subject outside the scheme. */
export function partitionOfSubject(prefix: string, subject: string): number | undefined {
  if (!subject.startsWith(`${prefix}.`)) return undefined;
  const last = subject.slice(subject.lastIndexOf('.') + 1);
  const n = Number(last);
  return /^\d+$/.test(last) && Number.isSafeInteger(n) ? n : undefined;
}
