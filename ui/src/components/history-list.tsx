/**
 * The History card of an alert or a case: when, what and by whom, and the change it made. What
 * follows (a verdict, a comment's text) differs between the two, so the page says how to show it.
 */
import type { ReactNode } from 'react';
import type { AlertHistoryEntry } from '../api/types.js';
import { Time } from './time.js';
import { Visible } from './visible.js';

export interface HistoryListProps {
  /** The heading's id (`alert-history`), which names the section. */
  readonly id: string;
  readonly entries: readonly AlertHistoryEntry[];
  /** What an entry adds after its change: verdict, comment. */
  readonly detail: (entry: AlertHistoryEntry) => ReactNode;
}

export function HistoryList({ id, entries, detail }: HistoryListProps): ReactNode {
  return (
    <section className="card" aria-labelledby={id}>
      <h2 id={id}>History</h2>
      <ol className="history">
        {entries.map((h, i) => (
          <li key={i}>
            <Time ms={h.at} /> <strong>{h.action}</strong> by <Visible>{h.by}</Visible>
            {h.from !== undefined || h.to !== undefined ? (
              <>
                {' '}
                <Visible>{h.from ?? '—'}</Visible> → <Visible>{h.to ?? '—'}</Visible>
              </>
            ) : null}
            {detail(h)}
          </li>
        ))}
      </ol>
    </section>
  );
}
