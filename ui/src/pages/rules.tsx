/**
 * Rules: every loaded rule with its figures and noise, switched on and off here; one rule in
 * full (its YAML, references, ATT&CK tags) with a retro-hunt over the stored history to see what
 * it would have raised before enabling it; and a folder of Sigma rules imported at once.
 */
import { useEffect, useMemo, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api, queryString, type ApiError } from '../api/client.js';
import type { HuntReply, ImportReply, Rule, RuleFigures } from '../api/types.js';
import { asApiError, useApi } from '../api/use-api.js';
import { ErrorNotice, Loading } from '../components/error-notice.js';
import { EventView } from '../components/event-view.js';
import { LevelBadge } from '../components/pivots.js';
import { durationText, Time } from '../components/time.js';
import { ExternalReference, Visible } from '../components/visible.js';
import { valueText, visibleText } from '../components/visible-text.js';
import { can, useUser } from '../session.js';
import { TableHead } from '../components/table-head.js';

const MAX_IMPORT_FILES = 2000;

function count(n: number, word: string): string {
  return `${n.toLocaleString('en')} ${word}${n === 1 ? '' : 's'}`;
}
const MAX_IMPORT_BYTES = 5 * 1024 * 1024;

export function RulesPage(): ReactNode {
  const user = useUser();
  const [params, setParams] = useSearchParams();
  const selected = params.get('rule') ?? '';
  const { data, error, loading, reload } = useApi<{ rules: readonly Rule[] }>('/api/v1/rules');
  const [filter, setFilter] = useState('');
  const [level, setLevel] = useState('');
  const [onlyNoisy, setOnlyNoisy] = useState(false);
  const [onlyDisabled, setOnlyDisabled] = useState(false);
  const [toggleError, setToggleError] = useState<ApiError | undefined>();
  const [overrides, setOverrides] = useState<ReadonlyMap<string, boolean>>(new Map());

  const rules = useMemo(() => {
    const needle = filter.trim().toLowerCase();
    return (data?.rules ?? []).filter(
      (r) =>
        (needle === '' || `${r.title}\u0000${r.id}\u0000${r.author}\u0000${(r.tags ?? []).join(' ')}`.toLowerCase().includes(needle)) &&
        (level === '' || r.level === level) &&
        (!onlyNoisy || r.figures?.noisy) &&
        (!onlyDisabled || !(overrides.get(r.id) ?? r.enabled)),
    );
  }, [data, filter, level, onlyNoisy, onlyDisabled, overrides]);

  const setEnabled = async (rule: Rule, enabled: boolean) => {
    setToggleError(undefined);
    try {
      const reply = await api.post<{ rule: Rule | null; state?: { enabled: boolean } }>(`/api/v1/rules/${encodeURIComponent(rule.id)}/${enabled ? 'enable' : 'disable'}`);
      setOverrides((m) => new Map(m).set(rule.id, reply.rule?.enabled ?? reply.state?.enabled ?? enabled));
    } catch (e) {
      setToggleError(asApiError(e));
    }
  };

  const open = (id: string) => {
    const next = new URLSearchParams(params);
    if (id === '') next.delete('rule');
    else next.set('rule', id);
    setParams(next);
  };

  return (
    <section>
      <title>Rules · Vigil</title>
      <h1>Rules</h1>
      {selected !== '' ? <RuleDetail id={selected} onClose={() => open('')} analyst={can(user, 'analyst')} /> : null}
      {can(user, 'admin') ? <ImportRules onImported={reload} /> : null}
      <div className="filters card" role="group" aria-label="Rule filters">
        <div className="field grow">
          <label htmlFor="rules-filter">Filter rules</label>
          <input id="rules-filter" type="search" value={filter} onChange={(e) => setFilter(e.target.value)} placeholder="title, id, author or tag" />
        </div>
        <div className="field">
          <label htmlFor="rules-level">Rule level</label>
          <select id="rules-level" value={level} onChange={(e) => setLevel(e.target.value)}>
            <option value="">Any level</option>
            {['informational', 'low', 'medium', 'high', 'critical'].map((l) => (
              <option key={l} value={l}>
                {l}
              </option>
            ))}
          </select>
        </div>
        <label className="check-label">
          <input type="checkbox" checked={onlyNoisy} onChange={(e) => setOnlyNoisy(e.target.checked)} /> Only noisy rules
        </label>
        <label className="check-label">
          <input type="checkbox" checked={onlyDisabled} onChange={(e) => setOnlyDisabled(e.target.checked)} /> Only disabled rules
        </label>
      </div>
      <ErrorNotice error={toggleError} label="Rule" />
      <ErrorNotice error={error} label="Rules" />
      {error?.status === 404 ? <FiguresOnly /> : null}
      {loading ? <Loading what="rules" /> : null}
      {data ? (
        <>
          <p className="muted small" role="status">
            {rules.length.toLocaleString('en')} of {data.rules.length.toLocaleString('en')} rules{rules.length > 500 ? '; the first 500 are listed, filter to narrow' : ''}. Figures cover the last 30 days.
          </p>
          <table>
            <caption className="sr-only">Rules with their figures</caption>
            <TableHead columns={['Enabled', 'Rule', 'Level', 'Kind', 'Author', { label: 'Raised', numeric: true }, { label: 'False positives', numeric: true }, 'Noise']} />
            <tbody>
              {rules.slice(0, 500).map((r) => {
                const enabled = overrides.get(r.id) ?? r.enabled;
                return (
                  <tr key={r.id} className={enabled ? '' : 'disabled'}>
                    <td>
                      {can(user, 'analyst') ? (
                        <button type="button" className={enabled ? 'toggle on' : 'toggle'} aria-pressed={enabled} aria-label={`Enabled: ${visibleText(r.title).slice(0, 150)}`} onClick={() => void setEnabled(r, !enabled)}>
                          {enabled ? 'on' : 'off'}
                        </button>
                      ) : enabled ? (
                        'on'
                      ) : (
                        'off'
                      )}
                    </td>
                    <td>
                      <button type="button" className="link" onClick={() => open(r.id)}>
                        <Visible max={200}>{r.title}</Visible>
                      </button>
                      <div className="muted small mono">
                        <Visible>{r.id}</Visible>
                        {r.builtin ? ' · built in' : ''}
                      </div>
                    </td>
                    <td>
                      <LevelBadge level={r.level} />
                    </td>
                    <td>
                      <Visible>{r.kind}</Visible>
                    </td>
                    <td>
                      <Visible max={100}>{r.author}</Visible>
                    </td>
                    <td className="num">{r.figures?.raised ?? 0}</td>
                    <td className="num">{r.figures?.falsePositiveRate === null || r.figures?.falsePositiveRate === undefined ? '—' : `${Math.round(r.figures.falsePositiveRate * 100)} %`}</td>
                    <td>{r.figures?.noisy ? <span className="tag warn">noisy</span> : r.figures && r.figures.throttled > 0 ? <span className="tag warn">throttled</span> : null}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </>
      ) : null}
    </section>
  );
}

/** Older servers have no rules list; their per-rule figures still show the noise. */
function FiguresOnly(): ReactNode {
  const { data, error } = useApi<{ days: number; rules: readonly RuleFigures[] }>('/api/v1/rules/figures');
  return (
    <section className="card" aria-labelledby="rule-figures">
      <h2 id="rule-figures">Rule figures</h2>
      <ErrorNotice error={error} label="Figures" />
      <FiguresTable figures={data?.rules ?? []} />
    </section>
  );
}

function FiguresTable({ figures }: { readonly figures: readonly RuleFigures[] }): ReactNode {
  return (
    <table>
      <caption className="sr-only">Per-rule figures</caption>
      <TableHead columns={['Rule', { label: 'Raised', numeric: true }, { label: 'Grouped', numeric: true }, { label: 'Suppressed', numeric: true }, { label: 'Throttled', numeric: true }, 'Verdicts (TP / FP / benign)', 'Median triage']} />
      <tbody>
        {figures.map((f) => (
          <tr key={f.ruleId}>
            <td>
              <Visible>{f.ruleTitle}</Visible>
              <div className="muted small">
                <Visible>{f.ruleId}</Visible> by <Visible>{f.ruleAuthor}</Visible>
              </div>
            </td>
            <td className="num">{f.raised}</td>
            <td className="num">{f.grouped}</td>
            <td className="num">{f.suppressed}</td>
            <td className="num">{f.throttled}</td>
            <td>
              {f.verdicts.true_positive} / {f.verdicts.false_positive} / {f.verdicts.benign}
              {f.noisy ? <span className="tag warn"> noisy</span> : null}
            </td>
            <td>{durationText(f.medianTimeToTriageMs)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const HUNT_RANGES: readonly [string, string, number][] = [
  ['24h', 'Last 24 hours', 86_400_000],
  ['7d', 'Last 7 days', 7 * 86_400_000],
  ['30d', 'Last 30 days', 30 * 86_400_000],
  ['365d', 'Last year', 365 * 86_400_000],
];

function RuleDetail({ id, onClose, analyst }: { readonly id: string; readonly onClose: () => void; readonly analyst: boolean }): ReactNode {
  const { data, error, loading } = useApi<{ rule: Rule }>(`/api/v1/rules/${encodeURIComponent(id)}`);
  const rule = data?.rule;
  const [range, setRange] = useState('7d');
  const [hunt, setHunt] = useState<HuntReply | undefined>();
  const [huntError, setHuntError] = useState<ApiError | undefined>();
  const [hunting, setHunting] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    setHunt(undefined);
    setHuntError(undefined);
  }, [id]);
  useEffect(() => {
    if (rule) heading.current?.focus();
  }, [rule]);

  const runHunt = async (e: FormEvent) => {
    e.preventDefault();
    const span = HUNT_RANGES.find(([k]) => k === range)?.[2] ?? 7 * 86_400_000;
    const to = Date.now();
    setHunting(true);
    setHuntError(undefined);
    try {
      setHunt(await api.post<HuntReply>(`/api/v1/rules/${encodeURIComponent(id)}/hunt`, { from: to - span, to, limit: 100 }));
    } catch (err) {
      setHuntError(asApiError(err));
    } finally {
      setHunting(false);
    }
  };

  return (
    <section className="card rule-detail" aria-labelledby="rule-detail-title">
      <div className="page-head">
        <h2 id="rule-detail-title" ref={heading} tabIndex={-1}>
          {rule ? <Visible max={300}>{rule.title}</Visible> : 'Rule'}
        </h2>
        <button type="button" onClick={onClose}>
          Close rule
        </button>
      </div>
      <ErrorNotice error={error} label="Rule" />
      {loading ? <Loading what="the rule" /> : null}
      {rule ? (
        <>
          <dl className="meta wide">
            <dt>Rule id</dt>
            <dd className="mono small">
              <Visible>{rule.id}</Visible>
            </dd>
            <dt>Author</dt>
            <dd>
              <Visible>{rule.author}</Visible>
            </dd>
            <dt>Level</dt>
            <dd>
              <LevelBadge level={rule.level} />
            </dd>
            <dt>Status</dt>
            <dd>
              {rule.status ? (
                <>
                  <Visible>{rule.status}</Visible> ·{' '}
                </>
              ) : null}
              <Visible>{rule.kind}</Visible> · {rule.enabled ? 'enabled' : 'disabled'}
              {rule.builtin ? ' · built in' : ''}
            </dd>
            <dt>Log source</dt>
            <dd className="mono small">
              <Visible>{Object.entries(rule.logsource ?? {}).map(([k, v]) => `${k}: ${valueText(v)}`).join(', ') || '—'}</Visible>
            </dd>
            {rule.file ? (
              <>
                <dt>File</dt>
                <dd className="mono small">
                  <Visible>{rule.file}</Visible>
                </dd>
              </>
            ) : null}
          </dl>
          {rule.description ? (
            <p>
              <Visible multiline max={5000}>
                {rule.description}
              </Visible>
            </p>
          ) : null}
          {(rule.falsepositives ?? []).length > 0 ? (
            <>
              <h3>Known false positives</h3>
              <ul className="plain">
                {(rule.falsepositives ?? []).map((f, i) => (
                  <li key={i}>
                    <Visible>{f}</Visible>
                  </li>
                ))}
              </ul>
            </>
          ) : null}
          {rule.references.length > 0 ? (
            <>
              <h3>References</h3>
              <ul className="plain">
                {rule.references.map((r, i) => (
                  <li key={i}>
                    <ExternalReference reference={r} />
                  </li>
                ))}
              </ul>
            </>
          ) : null}
          {rule.tags.length > 0 ? (
            <>
              <h3>Tags</h3>
              <ul className="inline-list">
                {rule.tags.map((t) => (
                  <li key={t} className="tag">
                    <Visible>{t}</Visible>
                  </li>
                ))}
              </ul>
            </>
          ) : null}
          {rule.figures ? (
            <>
              <h3>Figures</h3>
              <FiguresTable figures={[rule.figures]} />
              {rule.figures.suggestions.length > 0 ? (
                <p className="small">
                  Suggested suppressions:{' '}
                  {rule.figures.suggestions.map((s) => (
                    <span key={`${s.field}\u0000${s.value}`} className="tag">
                      <Visible>{`${s.field}: ${s.value}`}</Visible> ({s.falsePositives} false positives)
                    </span>
                  ))}{' '}
                  <Link to={`/settings/suppressions${queryString({ rule: rule.id })}`}>Manage suppressions</Link>
                </p>
              ) : null}
            </>
          ) : null}
          {rule.source ? (
            <details>
              <summary>Rule source (YAML)</summary>
              <pre className="original">
                <Visible multiline max={100_000}>
                  {rule.source}
                </Visible>
              </pre>
            </details>
          ) : null}
          {analyst ? (
            <form className="row wrap hunt" onSubmit={runHunt} aria-labelledby="rule-hunt">
              <h3 id="rule-hunt">Run against history</h3>
              <label htmlFor="hunt-range">Hunt over</label>
              <select id="hunt-range" value={range} onChange={(e) => setRange(e.target.value)}>
                {HUNT_RANGES.map(([k, name]) => (
                  <option key={k} value={k}>
                    {name}
                  </option>
                ))}
              </select>
              <button type="submit" className="primary" disabled={hunting}>
                Run against history
              </button>
              <span className="muted small">Raises no alerts: it shows what the rule would have matched.</span>
            </form>
          ) : null}
          {hunting ? <Loading what="the hunt (it reads the stored events)" /> : null}
          <ErrorNotice error={huntError} label="Hunt" />
          {hunt ? <HuntResult hunt={hunt} /> : null}
        </>
      ) : null}
    </section>
  );
}

function HuntResult({ hunt }: { readonly hunt: HuntReply }): ReactNode {
  return (
    <div className="hunt-result" role="status">
      <p>
        <strong>{hunt.matches.toLocaleString('en')}</strong> matching events
        {hunt.raisesOnItsOwn
          ? `, ${hunt.alerts.toLocaleString('en')} alerts it would have raised (before grouping)`
          : '; it raises no alert on its own: its matches feed correlation or behaviour rules'}
        {hunt.scanned !== undefined ? ` (${hunt.scanned.toLocaleString('en')} events read` : ' ('}
        {hunt.scanned !== undefined ? ', ' : ''}
        {durationText(hunt.tookMs)}).
        {hunt.complete === false ? ' The hunt stopped at its time limit before the end of the range: narrow it to see the rest.' : ''}
      </p>
      {hunt.byHost.length > 0 ? (
        <table>
          <caption className="sr-only">Matches per host</caption>
          <TableHead columns={['Host', { label: 'Matches', numeric: true }]} />
          <tbody>
            {hunt.byHost.map((h) => (
              <tr key={h.host}>
                <td>
                  <Visible>{h.host}</Visible>
                </td>
                <td className="num">{h.count}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {hunt.events.slice(0, 100).map((e) => (
        <details key={e.id} className="event">
          <summary>
            <Time ms={e.time} /> <Visible max={300}>{valueText(e.fields['message'] ?? e.original)}</Visible>
          </summary>
          <EventView event={e} />
        </details>
      ))}
    </div>
  );
}

function ImportRules({ onImported }: { readonly onImported: () => void }): ReactNode {
  const input = useRef<HTMLInputElement>(null);
  const [problem, setProblem] = useState('');
  const [error, setError] = useState<ApiError | undefined>();
  const [result, setResult] = useState<ImportReply | undefined>();
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    // A folder picker; not a React prop, so set on the element.
    if (input.current) input.current.webkitdirectory = true;
  }, []);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setProblem('');
    setError(undefined);
    setResult(undefined);
    const files = [...(input.current?.files ?? [])].filter((f) => /\.ya?ml$/i.test(f.name));
    if (files.length === 0) return setProblem('Choose a folder holding .yml or .yaml Sigma rules.');
    if (files.length > MAX_IMPORT_FILES) return setProblem(`The folder has ${files.length} rule files; at most ${MAX_IMPORT_FILES} are imported at once.`);
    const bytes = files.reduce((n, f) => n + f.size, 0);
    if (bytes > MAX_IMPORT_BYTES) return setProblem(`The rule files add up to ${(bytes / 1048576).toFixed(1)} MB; at most 5 MB are imported at once.`);
    setBusy(true);
    try {
      const payload = await Promise.all(files.map(async (f) => ({ path: f.webkitRelativePath || f.name, content: await f.text() })));
      setResult(await api.post<ImportReply>('/api/v1/rules/import', { files: payload }));
      onImported();
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(false);
    }
  };

  const skipped = result ? (Array.isArray(result.skipped) ? result.skipped.length : Number(result.skipped) || 0) : 0;
  const loaded = result ? (typeof result.loaded === 'number' ? result.loaded : result.loaded.rules + result.loaded.correlations + result.loaded.behaviours + result.loaded.filters) : 0;
  return (
    <details className="card">
      <summary>Import a folder of Sigma rules</summary>
      <form className="stack" onSubmit={submit}>
        <label htmlFor="rules-folder">Rules folder</label>
        <input id="rules-folder" ref={input} type="file" multiple />
        <span className="muted small">Every .yml and .yaml file under the folder (up to 2,000 files, 5 MB); valid rules are loaded at once.</span>
        {problem ? (
          <div className="notice error" role="alert">
            {problem}
          </div>
        ) : null}
        <ErrorNotice error={error} label="Import" />
        <div className="row">
          <button type="submit" className="primary" disabled={busy}>
            Import rules
          </button>
        </div>
      </form>
      {result ? (
        <div role="status">
          <p>
            {count(loaded, 'rule')} loaded from {count(result.written?.length ?? loaded, 'file')}, {result.failed.length} failed, {skipped} skipped
            {result.ignored?.length ? `, ${count(result.ignored.length, 'file')} that are not rules ignored` : ''}.
          </p>
          {result.failed.length > 0 ? (
            <ul className="plain">
              {result.failed.slice(0, 100).map((f, i) => (
                <li key={i}>
                  <span className="mono small">
                    <Visible>{f.file}</Visible>
                  </span>
                  : <Visible>{f.reason}</Visible>
                </li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}
    </details>
  );
}
