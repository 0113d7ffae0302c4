/**
 * The header row of a data table: every column a `scope="col"` header, numeric columns
 * right-aligned (`num`), and a column without a visible title (the row's buttons) still named
 * for screen readers.
 */
import type { ReactNode } from 'react';

export interface Column {
  readonly label: string;
  /** A column of counts or rates: right-aligned like its cells. */
  readonly numeric?: boolean;
  /** Named for assistive technology only (`Actions`, `Decision`). */
  readonly hidden?: boolean;
}

export function TableHead({ columns }: { readonly columns: readonly (string | Column)[] }): ReactNode {
  return (
    <thead>
      <tr>
        {columns.map((c) => {
          const column = typeof c === 'string' ? { label: c } : c;
          return (
            <th key={column.label} scope="col" className={column.numeric ? 'num' : undefined}>
              {column.hidden ? <span className="sr-only">{column.label}</span> : column.label}
            </th>
          );
        })}
      </tr>
    </thead>
  );
}
