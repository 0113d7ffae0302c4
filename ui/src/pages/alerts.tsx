/**
 * The alert queue: filters kept in the address (so a view can be shared), many alerts triaged
 * at once, and new alerts appearing as the server raises them (Server-Sent Events on
 * /api/v1/alerts/stream), announced to screen readers. Keyboard: j/k or the arrow keys move
 * between alerts, x selects, Enter opens.
 */
import { useCallback, useEffect, useMemo, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { api, queryString, type ApiError } from '../api/client.js';
import { ALERT_STATES, ALERT_VERDICTS, LEVELS, type Alert, type AlertVerdict, type BulkTriageReply } from '../api/types.js';
import { asApiError, useApi } from '../api/use-api.js';
import { EntitySummary, VERDICT_NAMES } from '../components/alert-parts.js';
import { ErrorNotice, Loading } from '../components/error-notice.js';
import { LevelBadge, StateBadge } from '../components/pivots.js';
import { agoText, Time } from '../components/time.js';
import { Visible } from '../components/visible.js';
import { visibleText } from '../components/visible-text.js';
import { can, useUser } from '../session.js';

const RANGES: Record<string, number> = { '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000 };

export function AlertsPage(): ReactNode {
  const user = useUser();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const state = params.get('state') ?? 'open';
  const level = params.get('level') ?? '';
  const text = params.get('q') ?? '';
  const assignee = params.get('assignee') ?? '';
  const rule = params.get('rule') ?? '';
  const range = params.get('range') ?? '';
  const unassigned = params.get('unassigned') === 'true';
  // The range's start is fixed when the filters change, not on every reload by the live stream.
  const from = useMemo(() => (RANGES[range] ? Date.now() - RANGES[range]! : undefined), [range]);
  const path = `/api/v1/alerts${queryString({ limit: 500, state: state === 'all' ? undefined : state, level, q: text, assignee: unassigned ? undefined : assignee, unassigned: unassigned ? 'true' : undefined, rule, from })}`;
  const { data, error, loading, reload } = useApi<{ alerts: readonly Alert[] }>(path);
  const alerts = useMemo(() => data?.alerts ?? [], [data]);

  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [fresh, setFresh] = useState<ReadonlySet<string>>(new Set());
  const [announcement, setAnnouncement] = useState('');
  const [live, setLive] = useState<'connecting' | 'live' | 'paused' | 'stopped'>('connecting');
  const [liveRound, setLiveRound] = useState(0);
  const [textDraft, setTextDraft] = useState(text);
  const [assigneeDraft, setAssigneeDraft] = useState(assignee);
  useEffect(() => setTextDraft(text), [text]);
  useEffect(() => setAssigneeDraft(assignee), [assignee]);

  // Live updates: the stream only names changed alerts; the queue is read again (at most twice
  // a second) so that filters and order stay the server's.
  const reloadSoon = useRef<number | undefined>(undefined);
  useEffect(() => {
    const source = new EventSource('/api/v1/alerts/stream');
    const raised: string[] = [];
    source.onopen = () => setLive('live');
    // The browser reconnects by itself after a dropped stream; after a refusal (signed out,
    // too many streams) it gives up, and the analyst may try again.
    source.onerror = () => setLive(source.readyState === EventSource.CLOSED ? 'stopped' : 'paused');
    source.addEventListener('alert', (e) => {
      let change: { id?: unknown; change?: unknown };
      try {
        change = JSON.parse((e as MessageEvent<string>).data) as typeof change;
      } catch {
        return;
      }
      if (typeof change.id !== 'string') return;
      if (change.change === 'raised') raised.push(change.id);
      window.clearTimeout(reloadSoon.current);
      reloadSoon.current = window.setTimeout(() => {
        if (raised.length > 0) {
          const ids = raised.splice(0);
          setFresh((f) => new Set([...f, ...ids]));
          setAnnouncement(`${ids.length} new alert${ids.length === 1 ? '' : 's'}`);
        }
        reload();
      }, 500);
    });
    return () => {
      window.clearTimeout(reloadSoon.current);
      source.close();
    };
  }, [reload, liveRound]);

  const setFilter = useCallback(
    (name: string, value: string) => {
      const next = new URLSearchParams(params);
      if (value === '' || (name === 'state' && value === 'open')) next.delete(name);
      else next.set(name, value);
      setParams(next);
      setSelected(new Set());
    },
    [params, setParams],
  );

  const applyText = (e: FormEvent) => {
    e.preventDefault();
    const next = new URLSearchParams(params);
    for (const [k, v] of [['q', textDraft.trim()], ['assignee', assigneeDraft.trim()]] as const) {
      if (v === '') next.delete(k);
      else next.set(k, v);
    }
    setParams(next);
  };

  const toggle = (id: string) =>
    setSelected((s) => {
      const n = new Set(s);
      if (n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    });
  const allSelected = alerts.length > 0 && alerts.every((a) => selected.has(a.id));

  // j/k and the arrow keys move between rows; x toggles the row's selection.
  const table = useRef<HTMLTableSectionElement>(null);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      const target = e.target as HTMLElement | null;
      const inTable = !!target && !!table.current?.contains(target);
      const typing = !!target && (['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName) && !(target instanceof HTMLInputElement && target.type === 'checkbox'));
      if (typing) return;
      const rows = [...(table.current?.querySelectorAll<HTMLTableRowElement>('tr[data-id]') ?? [])];
      if (rows.length === 0) return;
      const current = inTable ? rows.findIndex((r) => r.contains(target)) : -1;
      const focusRow = (i: number) => rows[Math.max(0, Math.min(rows.length - 1, i))]?.querySelector<HTMLAnchorElement>('a.alert-title')?.focus();
      if (e.key === 'j' || (e.key === 'ArrowDown' && inTable)) {
        e.preventDefault();
        focusRow(current + 1);
      } else if (e.key === 'k' || (e.key === 'ArrowUp' && inTable)) {
        e.preventDefault();
        focusRow(current < 0 ? 0 : current - 1);
      } else if (e.key === 'x' && current >= 0) {
        e.preventDefault();
        const id = rows[current]!.dataset['id'];
        if (id) toggle(id);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  return (
    <section>
      <title>Alerts · Vigil</title>
      <div className="page-head">
        <h1>Alerts</h1>
        <p className="muted small" role="status" aria-live="polite">
          {live === 'live'
            ? 'Live: new alerts appear as they are raised.'
            : live === 'paused'
              ? 'Live updates paused; reconnecting…'
              : live === 'stopped'
                ? 'Live updates stopped: the server refused the stream.'
                : 'Connecting to live updates…'}
          {live === 'stopped' ? (
            <>
              {' '}
              <button
                type="button"
                className="link"
                onClick={() => {
                  setLive('connecting');
                  setLiveRound((r) => r + 1);
                  reload();
                }}
              >
                Reconnect live updates
              </button>
            </>
          ) : null}
        </p>
      </div>
      <div className="sr-only" role="status" aria-live="polite" aria-atomic="true">
        {announcement}
      </div>

      <form className="filters card" onSubmit={applyText} aria-label="Alert filters">
        <div className="field">
          <label htmlFor="alerts-state">State</label>
          <select id="alerts-state" value={state} onChange={(e) => setFilter('state', e.target.value)}>
            <option value="open">Open (not closed)</option>
            {ALERT_STATES.map((s) => (
              <option key={s} value={s}>
                {s.replace('_', ' ')}
              </option>
            ))}
            <option value="all">All</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="alerts-level">Level</label>
          <select id="alerts-level" value={level} onChange={(e) => setFilter('level', e.target.value)}>
            <option value="">Any level</option>
            {LEVELS.map((l) => (
              <option key={l} value={l}>
                {l}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="alerts-range">Raised</label>
          <select id="alerts-range" value={range} onChange={(e) => setFilter('range', e.target.value)}>
            <option value="">Any time</option>
            <option value="1h">Last hour</option>
            <option value="24h">Last 24 hours</option>
            <option value="7d">Last 7 days</option>
            <option value="30d">Last 30 days</option>
          </select>
        </div>
        <div className="field grow">
          <label htmlFor="alerts-text">Text in title or rule</label>
          <input id="alerts-text" type="search" value={textDraft} onChange={(e) => setTextDraft(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="alerts-assignee">Assignee</label>
          <input id="alerts-assignee" value={assigneeDraft} disabled={unassigned} onChange={(e) => setAssigneeDraft(e.target.value)} />
        </div>
        <label className="check-label">
          <input type="checkbox" checked={unassigned} onChange={(e) => setFilter('unassigned', e.target.checked ? 'true' : '')} /> Only unassigned
        </label>
        <button type="submit">Apply filters</button>
        {rule ? (
          <p className="small">
            Rule <Visible>{rule}</Visible>{' '}
            <button type="button" className="link" onClick={() => setFilter('rule', '')}>
              Clear rule filter
            </button>
          </p>
        ) : null}
      </form>

      {can(user, 'analyst') ? (
        <BulkBar
          selected={alerts.filter((a) => selected.has(a.id))}
          onDone={() => {
            reload();
          }}
          onCase={(ids) => navigate(`/cases${queryString({ alerts: ids.join(',') })}`)}
        />
      ) : null}

      <ErrorNotice error={error} label="Alerts" />
      {loading && !data ? <Loading what="alerts" /> : null}
      {data ? (
        <table className="queue">
          <caption className="sr-only">Alert queue, most recently active first</caption>
          <thead>
            <tr>
              <th scope="col" className="check">
                <input
                  type="checkbox"
                  aria-label="Select all alerts"
                  checked={allSelected}
                  onChange={() => setSelected(allSelected ? new Set() : new Set(alerts.map((a) => a.id)))}
                />
              </th>
              <th scope="col">Level</th>
              <th scope="col">Alert</th>
              <th scope="col">Entities</th>
              <th scope="col">State</th>
              <th scope="col">Assignee</th>
              <th scope="col" className="num">
                Count
              </th>
              <th scope="col">Last seen</th>
            </tr>
          </thead>
          <tbody ref={table}>
            {alerts.length === 0 ? (
              <tr>
                <td colSpan={8} className="muted">
                  No alerts match these filters.
                </td>
              </tr>
            ) : null}
            {alerts.map((a) => (
              <tr key={a.id} data-id={a.id} className={`${selected.has(a.id) ? 'selected' : ''} ${fresh.has(a.id) ? 'fresh' : ''}`}>
                <td className="check">
                  <input type="checkbox" aria-label={`Select alert ${visibleText(a.ruleTitle).slice(0, 120)} ${a.id}`} checked={selected.has(a.id)} onChange={() => toggle(a.id)} />
                </td>
                <td>
                  <LevelBadge level={a.level} />
                </td>
                <td>
                  <Link className="alert-title" to={`/alerts/${encodeURIComponent(a.id)}`}>
                    <Visible max={200}>{a.ruleTitle}</Visible>
                  </Link>
                  {fresh.has(a.id) ? <span className="tag new-tag">new</span> : null}
                  <div className="muted small">
                    by <Visible max={100}>{a.ruleAuthor}</Visible>
                  </div>
                </td>
                <td>
                  <EntitySummary alert={a} />
                </td>
                <td>
                  <StateBadge state={a.state} />
                  {a.verdict ? <div className="small">{VERDICT_NAMES[a.verdict] ?? a.verdict}</div> : null}
                </td>
                <td>{a.assignee ? <Visible max={80}>{a.assignee}</Visible> : <span className="muted">—</span>}</td>
                <td className="num">{a.count}</td>
                <td title={agoText(a.lastSeen)}>
                  <Time ms={a.lastSeen} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <p className="muted small">Keys: j/k or ↓/↑ move between alerts, x selects, Enter opens, / goes to search.</p>
    </section>
  );
}

function BulkBar({ selected, onDone, onCase }: { readonly selected: readonly Alert[]; readonly onDone: () => void; readonly onCase: (ids: string[]) => void }): ReactNode {
  const [verdict, setVerdict] = useState<AlertVerdict>('false_positive');
  const [assignee, setAssignee] = useState('');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState('');
  const [error, setError] = useState<ApiError | undefined>();
  const none = selected.length === 0;

  const run = async (body: { action: string; verdict?: AlertVerdict; assignee?: string | null }) => {
    setBusy(true);
    setError(undefined);
    try {
      const reply = await api.post<BulkTriageReply>('/api/v1/alerts/actions', { ids: selected.map((a) => a.id).slice(0, 500), ...body });
      setResult(
        `${reply.updated.length} alert${reply.updated.length === 1 ? '' : 's'} updated` +
          (reply.failed.length > 0 ? `; ${reply.failed.length} not: ${reply.failed.slice(0, 3).map((f) => visibleText(f.error)).join('; ')}` : '.'),
      );
      onDone();
    } catch (e) {
      setError(asApiError(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="bulk card" role="group" aria-label="Bulk triage">
      <span className="count">{selected.length} selected</span>
      <button type="button" disabled={none || busy} onClick={() => void run({ action: 'ack' })}>
        Acknowledge selected
      </button>
      <button type="button" disabled={none || busy} onClick={() => void run({ action: 'start' })}>
        Start selected
      </button>
      <span className="group">
        <label htmlFor="bulk-verdict">Verdict for selected</label>
        <select id="bulk-verdict" value={verdict} onChange={(e) => setVerdict(e.target.value as AlertVerdict)}>
          {ALERT_VERDICTS.map((v) => (
            <option key={v} value={v}>
              {VERDICT_NAMES[v]}
            </option>
          ))}
        </select>
        <button type="button" disabled={none || busy} onClick={() => void run({ action: 'close', verdict })}>
          Close selected
        </button>
      </span>
      <span className="group">
        <label htmlFor="bulk-assignee">Assignee for selected</label>
        <input id="bulk-assignee" value={assignee} onChange={(e) => setAssignee(e.target.value)} placeholder="empty: unassign" />
        <button type="button" disabled={none || busy} onClick={() => void run({ action: 'assign', assignee: assignee.trim() === '' ? null : assignee.trim() })}>
          Assign selected
        </button>
      </span>
      <button type="button" disabled={none} onClick={() => onCase(selected.map((a) => a.id))}>
        Open case from selected
      </button>
      <span role="status" aria-live="polite" className="small">
        {result}
      </span>
      <ErrorNotice error={error} label="Bulk triage" />
    </div>
  );
}
