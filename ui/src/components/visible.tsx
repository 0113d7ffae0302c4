/** Hostile text on the page: see visible-text.ts for what is marked and why. */
/* @jsxRuntime automatic */
// (The pragma lets the unit test run this file under tsx, which applies the root tsconfig's
// JSX settings only to files that tsconfig includes.)
import type { ReactNode } from 'react';
import { hiddenPattern, httpUrl, markerOf, valueText } from './visible-text.js';

export interface VisibleProps {
  readonly children: unknown;
  /** Keep line feeds and tabs (an original record in a `<pre>`); otherwise they are marked too. */
  readonly multiline?: boolean;
  /** Characters shown before the rest is cut (with a note saying how much). Default 2,000. */
  readonly max?: number;
  readonly className?: string;
}

/** Hostile text, made visible and isolated from the surrounding text direction. */
export function Visible({ children, multiline = false, max = 2000, className }: VisibleProps): ReactNode {
  const full = valueText(children);
  // Cut on a code point boundary: half an emoji would show as a lone surrogate's marker.
  const cut = full.length > max ? full.slice(0, /[\uD800-\uDBFF]/.test(full[max - 1] ?? '') ? max - 1 : max) : full;
  const parts: ReactNode[] = [];
  const pattern = hiddenPattern(multiline);
  let last = 0;
  let key = 0;
  for (let m = pattern.exec(cut); m !== null; m = pattern.exec(cut)) {
    if (m.index > last) parts.push(cut.slice(last, m.index));
    parts.push(
      <span key={key++} className="ctl" title="a hidden or control character, shown as its code">
        {markerOf(m[0])}
      </span>,
    );
    last = m.index + m[0].length;
  }
  if (last < cut.length) parts.push(cut.slice(last));
  return (
    <span className={className ? `v ${className}` : 'v'} dir="ltr">
      {parts}
      {full.length > max ? <span className="cut"> … ({(full.length - cut.length).toLocaleString('en')} more characters)</span> : null}
    </span>
  );
}

/** A rule's reference: a link when it is a plain http(s) URL (no referrer, no opener), text otherwise. */
export function ExternalReference({ reference }: { readonly reference: string }): ReactNode {
  const url = httpUrl(reference);
  if (url === undefined) return <Visible>{reference}</Visible>;
  return (
    <a href={url} target="_blank" rel="noopener noreferrer">
      <Visible>{reference}</Visible>
    </a>
  );
}
