/**
 * The console's way to the API: same-origin fetch with the session cookie, the CSRF token on
 * every write, and the server's `{"error": {code, message, where}}` turned into an `ApiError`
 * the page shows as it is (the server's messages say what to do).
 */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly where?: string,
    /** Seconds, from `Retry-After` (login rate limiting, overload). */
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

type SessionProblem = 'unauthorized' | 'password-change-required';

let csrfToken = '';
const listeners = new Set<(problem: SessionProblem) => void>();

/** The token from `POST`/`GET /api/v1/session`, sent as `x-csrf-token` on every write. */
export function setCsrfToken(token: string): void {
  csrfToken = token;
}

/** Called when any request finds the session gone (401) or a password change required (403). */
export function onSessionProblem(listener: (problem: SessionProblem) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export type QueryValue = string | number | boolean | null | undefined;

/** `?a=1&b=x` from the values that are set; everything encoded. */
export function queryString(params: Readonly<Record<string, QueryValue>>): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') search.set(k, String(v));
  const s = search.toString();
  return s === '' ? '' : `?${s}`;
}

async function request<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD' && csrfToken !== '') headers['x-csrf-token'] = csrfToken;
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      ...(signal ? { signal } : {}),
    });
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw new ApiError(0, 'network', 'The Vigil server could not be reached: check that `vigil serve` is running and reload the page.');
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let parsed: unknown = undefined;
  if (text !== '' && (response.headers.get('content-type') ?? '').includes('json')) {
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new ApiError(response.status, 'bad-reply', `The server sent a reply that is not JSON (HTTP ${response.status}).`);
    }
  }
  if (!response.ok) {
    const error = errorOf(response, parsed, text);
    if (!path.startsWith('/api/v1/session')) {
      if (error.status === 401) for (const l of listeners) l('unauthorized');
      else if (error.code === 'password-change-required') for (const l of listeners) l('password-change-required');
    }
    throw error;
  }
  return parsed as T;
}

function errorOf(response: Response, parsed: unknown, text: string): ApiError {
  const retry = Number(response.headers.get('retry-after'));
  const retryAfter = Number.isFinite(retry) && retry > 0 ? retry : undefined;
  const e = (parsed as { error?: { code?: unknown; message?: unknown; where?: unknown } } | undefined)?.error;
  if (e && typeof e.message === 'string') {
    return new ApiError(response.status, typeof e.code === 'string' ? e.code : 'error', e.message, typeof e.where === 'string' ? e.where : undefined, retryAfter);
  }
  const fallback = response.status === 404 ? 'This part of the API is not there (HTTP 404): is the server older than the console?' : `The server answered HTTP ${response.status}${text ? `: ${text.slice(0, 200)}` : ''}`;
  return new ApiError(response.status, 'http', fallback, undefined, retryAfter);
}

export const api = {
  get: <T>(path: string, signal?: AbortSignal) => request<T>('GET', path, undefined, signal),
  post: <T>(path: string, body?: unknown) => request<T>('POST', path, body ?? {}),
  patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, body),
  delete: <T>(path: string) => request<T>('DELETE', path),
};

/** The column a query error points at, from the server's `where: "query column N"`. */
export function queryColumn(error: ApiError): number | undefined {
  const m = /column (\d+)/.exec(error.where ?? '') ?? /column (\d+)/.exec(error.message);
  return m ? Number(m[1]) : undefined;
}
