/**
 * The session cookie: `vigil_session=<id>; HttpOnly; SameSite=Strict; Path=/` (+ `Secure`
 * under TLS). The id is 32 random bytes in base64url; the store keeps only its SHA-256. The CSRF
 * token is an HMAC of the id, so it is never stored and cannot lead back to the id.
 *
 * Read by hand rather than with a cookie library: only one cookie of one exact shape is
 * accepted, so anything else in the header is skipped without being decoded.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'vigil_session';
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

export function newSessionId(): { id: string; idHash: string } {
  const id = randomBytes(32).toString('base64url');
  return { id, idHash: hashSessionId(id) };
}

export function hashSessionId(id: string): string {
  return createHash('sha256').update(id, 'utf8').digest('hex');
}

/** The session id in a `Cookie` header; undefined when absent or not of our shape. */
export function readSessionCookie(header: string | undefined): string | undefined {
  if (header === undefined || header.length > 16_384) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1 || part.slice(0, eq).trim() !== SESSION_COOKIE) continue;
    const value = part.slice(eq + 1).trim();
    if (SESSION_ID.test(value)) return value;
  }
  return undefined;
}

export function sessionCookie(id: string, options: { secure: boolean; maxAgeSeconds: number }): string {
  return `${SESSION_COOKIE}=${id}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${Math.floor(options.maxAgeSeconds)}${options.secure ? '; Secure' : ''}`;
}

/** Tells the browser to drop the cookie (logout, ended session). */
export function clearedSessionCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0${secure ? '; Secure' : ''}`;
}

export function csrfTokenFor(sessionId: string): string {
  return createHmac('sha256', sessionId).update('vigil csrf v1').digest('base64url');
}

export function csrfTokenMatches(sessionId: string, sent: string | string[] | undefined): boolean {
  if (typeof sent !== 'string' || sent.length > 100) return false;
  const expected = Buffer.from(csrfTokenFor(sessionId));
  const given = Buffer.from(sent);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
