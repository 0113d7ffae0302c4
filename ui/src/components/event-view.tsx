/**
 * One stored event, whole: when and how it arrived, its normalised fields (each value a
 * pivot), and the original record exactly as received, made visible but never interpreted.
 */
import type { ReactNode } from 'react';
import type { VigilEvent } from '../api/types.js';
import { EntityValue } from './pivots.js';
import { Time } from './time.js';
import { Visible } from './visible.js';
import { valueText } from './visible-text.js';
import { TableHead } from './table-head.js';

export function EventView({ event, onFilter }: { readonly event: VigilEvent; readonly onFilter?: (field: string, value: string) => void }): ReactNode {
  const fields = Object.entries(event.fields ?? {}).sort(([a], [b]) => a.localeCompare(b));
  return (
    <div className="event-view">
      <dl className="meta">
        <dt>Time</dt>
        <dd>
          <Time ms={event.time} />
        </dd>
        <dt>Received</dt>
        <dd>
          <Time ms={event.received} />
        </dd>
        <dt>Source</dt>
        <dd>
          <Visible>{event.source?.input}</Visible> ({event.source?.kind}
          {event.source?.address ? (
            <>
              {' from '}
              <Visible>{event.source.address}</Visible>
            </>
          ) : null}
          )
        </dd>
        <dt>Format</dt>
        <dd>
          <Visible>{event.format}</Visible>
          {event.flags?.length ? <span className="tag warn"> {event.flags.join(', ')}</span> : null}
        </dd>
        <dt>Id</dt>
        <dd className="mono small">
          <Visible>{event.id}</Visible>
        </dd>
      </dl>
      <table className="fields">
        <caption className="sr-only">Fields of event {event.id}</caption>
        <TableHead columns={['Field', 'Value']} />
        <tbody>
          {fields.map(([field, value]) => {
            const text = valueText(value);
            return (
              <tr key={field}>
                <th scope="row" className="mono">
                  <Visible>{field}</Visible>
                </th>
                <td>
                  <EntityValue field={field} value={text} />
                  {onFilter ? (
                    <button type="button" className="link small" onClick={() => onFilter(field, text)} aria-label={`Add ${field} filter`}>
                      filter
                    </button>
                  ) : null}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <details>
        <summary>Original record</summary>
        <pre className="original">
          <Visible multiline max={20_000}>
            {event.original}
          </Visible>
        </pre>
      </details>
    </div>
  );
}

/** Nested enrichment data (GeoIP, assets, intel, prevalence…) as definition lists, bounded. */
export function DataView({ value, depth = 0 }: { readonly value: unknown; readonly depth?: number }): ReactNode {
  if (value === null || value === undefined) return <span className="muted">—</span>;
  if (typeof value !== 'object') return <Visible>{value}</Visible>;
  if (depth > 5) return <Visible>{JSON.stringify(value)}</Visible>;
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v !== 'object' || v === null)) return <Visible>{value}</Visible>;
    return (
      <ol className="data-list">
        {value.slice(0, 100).map((v, i) => (
          <li key={i}>
            <DataView value={v} depth={depth + 1} />
          </li>
        ))}
      </ol>
    );
  }
  const entries = Object.entries(value as Record<string, unknown>).slice(0, 200);
  return (
    <dl className="data">
      {entries.map(([k, v]) => (
        <div key={k} className="data-row">
          <dt>
            <Visible>{k}</Visible>
          </dt>
          <dd>
            <DataView value={v} depth={depth + 1} />
          </dd>
        </div>
      ))}
    </dl>
  );
}
