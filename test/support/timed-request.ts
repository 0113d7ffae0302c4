/**
 * One HTTP request on its own connection (no keep-alive agent), timed from the first byte sent
 * to the last byte of the answer: what a sender that opens a connection per batch waits.
 */
import http from 'node:http';

export interface HttpTarget {
  readonly host: string;
  readonly port: number;
}

export interface Answer {
  /** HTTP status, or CUT when the server closed the connection before the answer was read. */
  status: number;
  ms: number;
  /** The first 4 KiB of the answer, or the error message of a cut connection. */
  body: string;
}

/** The status recorded for a request whose connection the server cut. */
export const CUT = -1;

/** `body` is sent whole, or streamed by a function that writes and ends the request. */
export function timedRequest(
  target: HttpTarget,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: Uint8Array | ((req: http.ClientRequest) => void) | undefined,
  timeoutMs = 30_000,
): Promise<Answer> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request({ host: target.host, port: target.port, method, path, headers, agent: false, timeout: timeoutMs }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text.length < 4096 ? (text += d) : undefined));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0, body: text }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    if (typeof body === 'function') body(req);
    else req.end(body);
  });
}
