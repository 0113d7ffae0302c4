/**
 * Console passwords: scrypt (RFC 7914), memory-hard, from node:crypto. A stored hash is
 * `scrypt$N$r$p$salt$key` (salt and key base64url), so the parameters travel with it: raising
 * them later only changes new hashes, and `needsRehash` tells the login to upgrade an old one.
 *
 * N = 2^15, r = 8, p = 1 needs 32 MiB and ~60-100 ms of one core per hash (OWASP's scrypt
 * minimum is N = 2^17 with r = 8 for server-side storage at the time of writing, but on the
 * 2-core machines Vigil targets, where ingest shares the cores, 2^15 is the cost we can pay per
 * login; the parameters are stored, so a bigger machine can raise them).
 *
 * Hashing runs on libuv's thread pool (async `scrypt`), so the event loop keeps serving ingest
 * while a login is checked, and at most `maxConcurrent` hashes run at once (half the cores): a login flood
 * queues (up to `maxWaiting`, then 503) instead of taking every pool thread and all the memory.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { VigilError } from '../../core/errors.js';

export interface ScryptParams {
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

export const DEFAULT_SCRYPT: ScryptParams = { N: 2 ** 15, r: 8, p: 1 };

const KEY_BYTES = 32;
const SALT_BYTES = 16;
/** Past this a password is refused: scrypt reads all of it, and nobody types more. */
export const MAX_PASSWORD_CHARS = 1024;
export const MIN_PASSWORD_CHARS = 12;

function derive(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  // scrypt needs 128 * N * r * p bytes; node's default ceiling (32 MiB) is exactly N = 2^15, r = 8.
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r * params.p + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, KEY_BYTES, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

interface ParsedHash {
  readonly params: ScryptParams;
  readonly salt: Buffer;
  readonly key: Buffer;
}

/** The parts of a stored hash; undefined for anything that is not one (never throws). */
function parseHash(encoded: string): ParsedHash | undefined {
  const parts = encoded.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  // Bounds keep a damaged or hostile row from asking for gigabytes (at most 256 MiB, 4 passes).
  if (!Number.isInteger(Math.log2(N)) || N < 2 ** 10 || !Number.isInteger(r) || r < 1 || !Number.isInteger(p) || p < 1 || p > 4) return undefined;
  if (128 * N * r > 256 * 1024 * 1024) return undefined;
  const salt = Buffer.from(parts[4] as string, 'base64url');
  const key = Buffer.from(parts[5] as string, 'base64url');
  if (salt.length < 8 || key.length !== KEY_BYTES) return undefined;
  return { params: { N, r, p }, salt, key };
}

export interface PasswordHasherOptions {
  readonly params?: ScryptParams;
  /** Hashes computed at once (default: half the cores, at least one, so ingest keeps a core). */
  readonly maxConcurrent?: number;
  /** Hashes waiting for a turn before new ones are refused as overloaded (default 64). */
  readonly maxWaiting?: number;
}

export class PasswordHasher {
  readonly params: ScryptParams;
  private readonly maxConcurrent: number;
  private readonly maxWaiting: number;
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private dummy: Promise<string> | undefined;

  constructor(options: PasswordHasherOptions = {}) {
    this.params = options.params ?? DEFAULT_SCRYPT;
    this.maxConcurrent = options.maxConcurrent ?? Math.max(1, Math.floor(availableParallelism() / 2));
    this.maxWaiting = options.maxWaiting ?? 64;
  }

  /** Hashes currently computing and waiting (for tests and metrics). */
  get load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }

  async hash(password: string): Promise<string> {
    const salt = randomBytes(SALT_BYTES);
    const key = await this.turn(() => derive(password, salt, this.params));
    const { N, r, p } = this.params;
    return `scrypt$${N}$${r}$${p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
  }

  /** Whether `password` matches `encoded`; false (never an error) for a malformed stored hash. */
  async verify(password: string, encoded: string): Promise<boolean> {
    const parsed = parseHash(encoded);
    if (parsed === undefined) {
      // Same cost as a real check, so a damaged row cannot be told apart by timing.
      await this.verifyDummy(password);
      return false;
    }
    const key = await this.turn(() => derive(password, parsed.salt, parsed.params));
    return timingSafeEqual(key, parsed.key);
  }

  /**
   * The work of a real check against a hash that matches nothing: a login for an unknown user
   * costs what a wrong password costs, so the answer's timing does not tell which it was.
   */
  async verifyDummy(password: string): Promise<false> {
    this.dummy ??= this.hash(randomBytes(24).toString('base64url'));
    const parsed = parseHash(await this.dummy) as ParsedHash;
    const key = await this.turn(() => derive(password, parsed.salt, parsed.params));
    timingSafeEqual(key, parsed.key);
    return false;
  }

  /** A hash made with other (older) parameters: the login re-hashes the password it just checked. */
  needsRehash(encoded: string): boolean {
    const parsed = parseHash(encoded);
    return parsed === undefined || parsed.params.N !== this.params.N || parsed.params.r !== this.params.r || parsed.params.p !== this.params.p;
  }

  private async turn<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.maxConcurrent) {
      if (this.waiting.length >= this.maxWaiting) {
        throw new VigilError('overloaded', 'too many password checks at once; retry in a few seconds');
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await work();
    } finally {
      // The slot passes straight to the next waiter, so `running` never over-counts.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}

/** A random password for a new or reset account: 144 bits, 24 characters of base64url. */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}

/** The reason `password` may not be a new password, or undefined when it may. */
export function passwordProblem(password: string): string | undefined {
  const length = [...password].length;
  if (length < MIN_PASSWORD_CHARS) return `the new password must have at least ${MIN_PASSWORD_CHARS} characters`;
  if (length > MAX_PASSWORD_CHARS) return `the new password must have at most ${MAX_PASSWORD_CHARS} characters`;
  if (password.trim() === '') return 'the new password must not be only spaces';
  return undefined;
}
