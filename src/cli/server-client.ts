/**
 * The CLI's way to a running server. DuckDB allows one writer per file, so while a server
 * holds the data folder the CLI asks it over HTTP (with the token from `--token`,
 * `VIGIL_TOKEN`, or the folder's admin-token file) instead of opening the files itself.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { VigilError, type ErrorCode } from '../core/errors.js';
import type { ServerInfo } from '../server/data-folder.js';

export interface ServerClient {
  readonly info: ServerInfo;
  call<T>(method: string, path: string, body?: Buffer | string, headers?: Record<string, string>): Promise<T>;
  /** GETs `path` and copies a successful answer's body to `out` as it arrives (exports). */
  stream(path: string, out: NodeJS.WritableStream): Promise<void>;
}

function codeOf(status: number): ErrorCode {
  const byStatus: Record<number, ErrorCode> = { 400: 'bad-request', 401: 'unauthorized', 403: 'forbidden', 404: 'not-found', 409: 'conflict', 429: 'rate-limited', 503: 'overloaded' };
  return byStatus[status] ?? 'internal';
}

export function serverClient(info: ServerInfo, token: string | undefined): ServerClient {
  if (!token) {
    throw new VigilError('unauthorized', 'a server is running on this data folder but no token was found: pass --token, set VIGIL_TOKEN, or make <data>/admin-token readable');
  }
  return {
    info,
    stream: (path: string, out: NodeJS.WritableStream) =>
      new Promise<void>((resolve, reject) => {
        const url = new URL(path, info.http);
        const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
        const req = send(url, { method: 'GET', headers: { authorization: `Bearer ${token}` }, ...(info.httpCa ? { ca: info.httpCa } : {}) }, (res) => {
          const status = res.statusCode ?? 0;
          if (status < 200 || status >= 300) {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              const text = Buffer.concat(chunks).toString('utf8');
              let message = text.slice(0, 500);
              try {
                message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? message;
              } catch {
                // not JSON: show the text
              }
              reject(new VigilError(status === 400 ? 'bad-request' : status === 401 ? 'unauthorized' : status === 403 ? 'forbidden' : 'internal', `server answered ${status}: ${message}`));
            });
            return;
          }
          res.pipe(out, { end: false });
          res.on('end', () => resolve());
          res.on('error', reject);
        });
        req.on('error', (e) => reject(new VigilError('store-unavailable', `cannot reach the server at ${info.http}: ${e.message}`, { cause: e })));
        req.end();
      }),
    call: <T>(method: string, path: string, body?: Buffer | string, headers: Record<string, string> = {}) =>
      new Promise<T>((resolve, reject) => {
        const url = new URL(path, info.http);
        const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
        const req = send(
          url,
          {
            method,
            headers: { authorization: `Bearer ${token}`, ...headers },
            ...(info.httpCa ? { ca: info.httpCa } : {}),
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              const text = Buffer.concat(chunks).toString('utf8');
              let parsed: unknown;
              try {
                parsed = text ? JSON.parse(text) : undefined;
              } catch {
                parsed = text;
              }
              const status = res.statusCode ?? 0;
              if (status >= 200 && status < 300) return resolve(parsed as T);
              const err = (parsed as { error?: { message?: string } } | undefined)?.error;
              reject(new VigilError(codeOf(status),
                `server answered ${status}: ${err?.message ?? text.slice(0, 500)}`));
            });
            res.on('error', reject);
          },
        );
        req.on('error', (e) => reject(new VigilError('store-unavailable', `cannot reach the server at ${info.http}: ${e.message}`, { cause: e })));
        if (body !== undefined) req.write(body);
        req.end();
      }),
  };
}
