/**
 * Errors a user can act on: a stable code, a message that says what to do, and where the
 * problem is (a config key, a line of a request body, a file). Payloads and secrets never go
 * into messages.
 */
export type ErrorCode =
  | 'config-invalid'
  | 'bad-request'
  | 'unauthorized'
  | 'forbidden'
  /** A session request without the right `x-csrf-token` header (403). */
  | 'csrf'
  /** The user must change its password before anything else (403). */
  | 'password-change-required'
  /** Too many attempts (429, with Retry-After). */
  | 'rate-limited'
  /** The request contradicts the current state: a name taken, the last admin (409). */
  | 'conflict'
  | 'payload-too-large'
  | 'overloaded'
  | 'query-invalid'
  | 'not-found'
  | 'store-unavailable'
  | 'data-locked'
  | 'internal';

export class VigilError extends Error {
  readonly code: ErrorCode;
  /** Where: `vigil.yaml: syslog.tls.cert`, `body line 3`, `/var/log/x.log`. */
  readonly where: string | undefined;

  constructor(code: ErrorCode, message: string, options: { where?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'VigilError';
    this.code = code;
    this.where = options.where;
  }

  /** HTTP status a route answers with for this error. */
  get status(): number {
    switch (this.code) {
      case 'bad-request':
      case 'query-invalid':
      case 'config-invalid':
        return 400;
      case 'unauthorized':
        return 401;
      case 'forbidden':
      case 'csrf':
      case 'password-change-required':
        return 403;
      case 'conflict':
        return 409;
      case 'rate-limited':
        return 429;
      case 'not-found':
        return 404;
      case 'payload-too-large':
        return 413;
      case 'overloaded':
      case 'store-unavailable':
      case 'data-locked':
        return 503;
      default:
        return 500;
    }
  }
}

export function isVigilError(e: unknown): e is VigilError {
  return e instanceof VigilError;
}

/** The text of anything thrown: an Error's message, else the value as text (for messages that name a cause). */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
