/** A server error as the analyst sees it: the message (it says what to do) and where. */
import type { ReactNode } from 'react';
import type { ApiError } from '../api/client.js';

export function ErrorNotice({ error, label }: { readonly error: ApiError | undefined; readonly label?: string }): ReactNode {
  if (!error) return null;
  return (
    <div className="notice error" role="alert">
      {label ? <strong>{label}: </strong> : null}
      <span>{error.message}</span>
      {error.where ? <span className="where"> ({error.where})</span> : null}
      {error.retryAfter ? <span> Try again in {error.retryAfter} s.</span> : null}
    </div>
  );
}

export function Loading({ what }: { readonly what: string }): ReactNode {
  return (
    <p className="muted" role="status">
      Loading {what}…
    </p>
  );
}
