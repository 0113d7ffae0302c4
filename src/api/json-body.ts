/**
 * Request bodies arrive as raw buffers (the ingest routes read NDJSON, HEC and bulk bodies
 * themselves), so the JSON API routes parse theirs here, with an example in every error.
 */
import { VigilError } from '../core/errors.js';

export function jsonBody(body: unknown, example: string): unknown {
  const text = Buffer.isBuffer(body) ? body.toString('utf8') : typeof body === 'string' ? body : '';
  if (text.trim() === '') throw new VigilError('bad-request', `send a JSON body: ${example}`, { where: 'body' });
  try {
    return JSON.parse(text);
  } catch {
    throw new VigilError('bad-request', `the body is not valid JSON; send ${example}`, { where: 'body' });
  }
}

/** A JSON object body (never an array or a scalar). */
export function jsonObjectBody(body: unknown, example: string): Record<string, unknown> {
  const value = jsonBody(body, example);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new VigilError('bad-request', `the body must be a JSON object: ${example}`, { where: 'body' });
  return value as Record<string, unknown>;
}
