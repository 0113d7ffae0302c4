/**
 * A change a page sends to the API (create, revoke, triage): `busy` while it runs, so the page
 * can disable its buttons, and the error to show when it fails, cleared when the next starts.
 * The write-side companion of `useApi`.
 */
import { useCallback, useState } from 'react';
import type { ApiError } from './client.js';
import { asApiError } from './use-api.js';

export interface ApiAction {
  readonly busy: boolean;
  readonly error: ApiError | undefined;
  /** Runs `work`; true when it succeeded, false when its error is now `error`. */
  run(work: () => Promise<void>): Promise<boolean>;
  /** Forgets the last error (a form refusing its input before anything is sent). */
  clear(): void;
}

export function useAction(): ApiAction {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | undefined>();
  const run = useCallback(async (work: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await work();
      return true;
    } catch (e) {
      setError(asApiError(e));
      return false;
    } finally {
      setBusy(false);
    }
  }, []);
  const clear = useCallback(() => setError(undefined), []);
  return { busy, error, run, clear };
}
