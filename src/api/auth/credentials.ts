/**
 * Reading the token out of an `Authorization` header, in every form a log shipper can send:
 * - `Bearer <token>`: Vigil's own clients, Vector `auth.strategy: bearer`;
 * - `Splunk <token>`: Splunk HEC clients;
 * - `Basic base64(<any user>:<token>)`: Elasticsearch outputs configured with a username and
 *   password (Filebeat, Logstash, Fluent Bit, Vector); the user name is ignored;
 * - `ApiKey base64(<id>:<token>)` or `ApiKey <token>`: Elasticsearch `api_key` settings.
 * Tokens in the query string are refused: URLs end up in proxy and access logs.
 */

export type Credential =
  | { readonly kind: 'missing' }
  | { readonly kind: 'malformed'; readonly reason: string }
  | { readonly kind: 'token'; readonly secret: string };

const MISSING: Credential = { kind: 'missing' };

/** base64 text of `user:secret`; undefined unless it decodes to that shape. */
function secretFromPair(encoded: string): string | undefined {
  if (!/^[A-Za-z0-9+/_-]+=*$/.test(encoded)) return undefined;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon === -1 ? undefined : decoded.slice(colon + 1);
}

export function readCredential(header: string | undefined): Credential {
  if (header === undefined || header.trim() === '') return MISSING;
  const match = /^\s*([A-Za-z]+)\s+(\S+)\s*$/.exec(header);
  if (!match) return { kind: 'malformed', reason: 'write "Authorization: Bearer <token>"' };
  const scheme = (match[1] as string).toLowerCase();
  const value = match[2] as string;
  switch (scheme) {
    case 'bearer':
    case 'splunk':
      return { kind: 'token', secret: value };
    case 'basic': {
      const secret = secretFromPair(value);
      return secret === undefined ? { kind: 'malformed', reason: 'Basic credentials must be base64 of "user:token"' } : { kind: 'token', secret };
    }
    case 'apikey': {
      if (value.startsWith('vgl_')) return { kind: 'token', secret: value };
      const secret = secretFromPair(value);
      return secret === undefined ? { kind: 'malformed', reason: 'ApiKey credentials must be the token or base64 of "id:token"' } : { kind: 'token', secret };
    }
    default:
      return { kind: 'malformed', reason: `unsupported scheme "${match[1]}"; use Bearer, Splunk, Basic or ApiKey` };
  }
}
