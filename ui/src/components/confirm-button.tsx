/**
 * A destructive action asked twice, in the page rather than in a browser dialog: the first
 * press shows what will happen with **Confirm** and **Cancel** buttons beside it.
 */
import { useEffect, useRef, useState, type ReactNode } from 'react';

export interface ConfirmButtonProps {
  /** The button's text (`Revoke`, `Delete`). */
  readonly children: ReactNode;
  /** Its accessible name (`Revoke firewall shipper`). */
  readonly label: string;
  /** What will happen, said before confirming. */
  readonly question: string;
  readonly disabled?: boolean;
  readonly onConfirm: () => void;
}

export function ConfirmButton({ children, label, question, disabled, onConfirm }: ConfirmButtonProps): ReactNode {
  const [asking, setAsking] = useState(false);
  const confirm = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (asking) confirm.current?.focus();
  }, [asking]);
  if (!asking) {
    return (
      <button type="button" className="danger" disabled={disabled} aria-label={label} onClick={() => setAsking(true)}>
        {children}
      </button>
    );
  }
  return (
    <span className="confirm" role="group" aria-label={label}>
      <span className="small">{question}</span>
      <button
        type="button"
        className="danger"
        ref={confirm}
        onClick={() => {
          setAsking(false);
          onConfirm();
        }}
      >
        Confirm
      </button>
      <button type="button" onClick={() => setAsking(false)}>
        Cancel
      </button>
    </span>
  );
}
