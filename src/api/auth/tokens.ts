/**
 * API token secrets: `vgl_` + 43 characters of base64url (32 random bytes). Only the SHA-256 of
 * a secret is stored; the secret is shown once, when the token is created. A plain hash is
 * enough (no bcrypt/scrypt): the secret has 256 bits of entropy, so there is nothing to guess,
 * and the lookup stays cheap on the hot ingest path.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Role, TokenRecord, TokenStore } from '../../core/store.js';
import { newId } from '../../core/ids.js';

export const TOKEN_PREFIX = 'vgl_';
/** The shape of a secret; anything else is refused without a store lookup. */
export const TOKEN_PATTERN = /^vgl_[A-Za-z0-9_-]{43}$/;

export function hashToken(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

export function generateToken(): { secret: string; hash: string } {
  const secret = TOKEN_PREFIX + randomBytes(32).toString('base64url');
  return { secret, hash: hashToken(secret) };
}

export function looksLikeToken(text: string): boolean {
  return TOKEN_PATTERN.test(text);
}

/** Creates and stores a token; the returned secret is the only copy. */
export async function createToken(
  store: TokenStore,
  options: { name: string; role: Role; tenant: string },
): Promise<{ secret: string; record: TokenRecord }> {
  const { secret, hash } = generateToken();
  const record: TokenRecord = {
    id: newId(),
    name: options.name,
    role: options.role,
    tenant: options.tenant,
    hash,
    created: Date.now(),
    revoked: false,
  };
  await store.createToken(record);
  return { secret, record };
}
