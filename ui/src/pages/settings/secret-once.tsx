/** A secret the server shows once (a new token, a generated password), with a copy button. */
import { useEffect, useRef, useState, type ReactNode } from 'react';

export function SecretOnce({ label, what, secret, onDismiss }: { readonly label: string; readonly what: string; readonly secret: string; readonly onDismiss: () => void }): ReactNode {
  const field = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState('');
  useEffect(() => {
    field.current?.focus();
    field.current?.select();
  }, [secret]);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(secret);
      setCopied('Copied.');
    } catch {
      field.current?.select();
      setCopied('Select the text and copy it by hand.');
    }
  };
  return (
    <div className="notice secret" role="region" aria-label={`${label}, shown once`}>
      <p>
        This is the only time {what} is shown: copy it now.
      </p>
      <label htmlFor="secret-value">{label}</label>
      <div className="row">
        <input id="secret-value" ref={field} className="mono grow" readOnly value={secret} />
        <button type="button" onClick={() => void copy()}>
          Copy
        </button>
        <button type="button" onClick={onDismiss}>
          Done
        </button>
      </div>
      <span role="status" className="small">
        {copied}
      </span>
    </div>
  );
}
