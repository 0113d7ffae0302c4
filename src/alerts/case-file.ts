/**
 * Cases: an analyst groups alerts into one incident, writes notes, and moves it from open to
 * investigating, contained and closed. Its timeline and observables are derived from its alerts
 * every time it is read (nothing copied goes stale), and a case exports as Markdown (every
 * value escaped: text from events must not become links, HTML or tables) and as JSON.
 */
import { CASE_STATUSES, type Alert, type Case, type CaseStatus } from '../core/alert.js';
import { VigilError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import type { Store } from '../core/store.js';

export interface TimelineEntry {
  readonly at: number;
  readonly kind: 'first-detection' | 'last-detection' | 'alert' | 'note' | 'case';
  readonly text: string;
  readonly by?: string | undefined;
  readonly alertId?: string | undefined;
}

export interface Observable {
  readonly field: string;
  readonly value: string;
  /** Alerts of the case that name it. */
  readonly alerts: number;
}

export interface CaseView {
  readonly case: Case;
  readonly alerts: readonly Alert[];
  /** Alert ids the case lists that the store no longer has. */
  readonly missing: readonly string[];
  readonly timeline: readonly TimelineEntry[];
  readonly observables: readonly Observable[];
}

export type CaseAction =
  | { readonly action: 'add-alerts'; readonly alertIds: readonly string[] }
  | { readonly action: 'note'; readonly text: string }
  | { readonly action: 'status'; readonly status: CaseStatus }
  | { readonly action: 'assign'; readonly owner: string | null };

const MAX_TEXT = 10_000;
const MAX_ALERTS = 1000;

export class CaseFiles {
  constructor(private readonly store: Pick<Store, 'saveCase' | 'getCase' | 'listCases' | 'getAlert'>) {}

  async create(tenant: string, title: string, alertIds: readonly string[], by: string, now = Date.now()): Promise<Case> {
    const t = title.trim();
    if (t === '' || t.length > 300) throw new VigilError('bad-request', 'a case needs a title of at most 300 characters', { where: 'title' });
    await this.#checkAlerts(tenant, alertIds);
    const c: Case = {
      id: newId(now),
      tenant,
      created: now,
      updated: now,
      title: t,
      status: 'open',
      owner: null,
      alertIds: [...new Set(alertIds)],
      notes: [],
      history: [{ at: now, by, action: 'created', text: t }],
    };
    await this.store.saveCase(c);
    return c;
  }

  async apply(tenant: string, id: string, change: CaseAction, by: string, now = Date.now()): Promise<Case> {
    const c = await this.store.getCase(tenant, id);
    if (!c) throw new VigilError('not-found', `no case ${id}: list them with vigil cases list`, { where: 'case id' });
    let next: Case;
    switch (change.action) {
      case 'add-alerts': {
        await this.#checkAlerts(tenant, change.alertIds);
        const added = change.alertIds.filter((a) => !c.alertIds.includes(a));
        if (c.alertIds.length + added.length > MAX_ALERTS) throw new VigilError('bad-request', `a case holds at most ${MAX_ALERTS} alerts`, { where: 'alertIds' });
        next = { ...c, alertIds: [...c.alertIds, ...added], history: [...c.history, { at: now, by, action: 'comment', text: `added alerts ${added.join(', ')}` }] };
        break;
      }
      case 'note': {
        const text = change.text.trim();
        if (text === '' || text.length > MAX_TEXT) throw new VigilError('bad-request', `a note is text of at most ${MAX_TEXT} characters`, { where: 'text' });
        next = { ...c, notes: [...c.notes, { at: now, by, text }] };
        break;
      }
      case 'status':
        if (!(CASE_STATUSES as readonly string[]).includes(change.status)) throw new VigilError('bad-request', `status is one of ${CASE_STATUSES.join(', ')}`, { where: 'status' });
        next = { ...c, status: change.status, history: [...c.history, { at: now, by, action: 'state', from: c.status, to: change.status }] };
        break;
      case 'assign':
        next = { ...c, owner: change.owner, history: [...c.history, { at: now, by, action: 'assign', from: c.owner, to: change.owner }] };
        break;
    }
    next = { ...next, updated: now };
    await this.store.saveCase(next);
    return next;
  }

  async view(tenant: string, id: string): Promise<CaseView> {
    const c = await this.store.getCase(tenant, id);
    if (!c) throw new VigilError('not-found', `no case ${id}: list them with vigil cases list`, { where: 'case id' });
    const alerts: Alert[] = [];
    const missing: string[] = [];
    for (const aid of c.alertIds) {
      const a = await this.store.getAlert(tenant, aid);
      if (a) alerts.push(a);
      else missing.push(aid);
    }
    return { case: c, alerts, missing, timeline: timelineOf(c, alerts), observables: observablesOf(alerts) };
  }

  async #checkAlerts(tenant: string, ids: readonly string[]): Promise<void> {
    if (ids.length > MAX_ALERTS) throw new VigilError('bad-request', `a case holds at most ${MAX_ALERTS} alerts`, { where: 'alertIds' });
    for (const id of ids) if (!(await this.store.getAlert(tenant, id))) throw new VigilError('not-found', `no alert ${id}`, { where: 'alertIds' });
  }
}

export function timelineOf(c: Case, alerts: readonly Alert[]): TimelineEntry[] {
  const out: TimelineEntry[] = [];
  for (const a of alerts) {
    const label = `${a.ruleTitle} (${a.ruleAuthor}; ${a.level}${a.count > 1 ? `, ×${a.count}` : ''})`;
    out.push({ at: a.firstSeen, kind: 'first-detection', text: label, alertId: a.id });
    if (a.lastSeen !== a.firstSeen) out.push({ at: a.lastSeen, kind: 'last-detection', text: label, alertId: a.id });
    for (const h of a.history) {
      if (h.by === 'vigil') continue;
      const what = h.action === 'state' ? `${h.from ?? ''} → ${h.to ?? ''}${h.verdict ? ` (${h.verdict})` : ''}` : h.action === 'assign' ? `assigned to ${h.to ?? 'nobody'}` : 'comment';
      out.push({ at: h.at, kind: 'alert', text: `alert ${a.ruleTitle}: ${what}${h.text ? `: ${h.text}` : ''}`, by: h.by, alertId: a.id });
    }
  }
  for (const n of c.notes) out.push({ at: n.at, kind: 'note', text: n.text, by: n.by });
  for (const h of c.history) {
    const text = h.action === 'created' ? `case opened: ${h.text ?? ''}` : h.action === 'state' ? `case ${h.from ?? ''} → ${h.to ?? ''}` : h.action === 'assign' ? `case assigned to ${h.to ?? 'nobody'}` : (h.text ?? '');
    out.push({ at: h.at, kind: 'case', text, by: h.by });
  }
  return out.sort((x, y) => x.at - y.at);
}

export function observablesOf(alerts: readonly Alert[]): Observable[] {
  const seen = new Map<string, Observable>();
  for (const a of alerts) {
    const entities = (a.details['entities'] ?? {}) as Record<string, unknown>;
    const mine = new Set<string>();
    for (const [field, raw] of Object.entries(entities)) {
      for (const v of Array.isArray(raw) ? raw : [raw]) {
        if (typeof v !== 'string' && typeof v !== 'number') continue;
        const key = `${field}\u0000${String(v)}`;
        if (mine.has(key)) continue;
        mine.add(key);
        const o = seen.get(key);
        seen.set(key, { field, value: String(v), alerts: (o?.alerts ?? 0) + 1 });
      }
    }
  }
  return [...seen.values()].sort((a, b) => b.alerts - a.alerts || (a.field < b.field ? -1 : 1));
}

/** Markdown text of a value from an event or an analyst: no links, HTML, emphasis, tables or headings. */
export function markdownText(value: string): string {
  return value.replace(/[\r\n]+/g, ' ').replace(/[\\`*_{}[\]()#!|<>~]/g, (c) => `\\${c}`);
}

export function caseMarkdown(v: CaseView): string {
  const c = v.case;
  const t = (ms: number) => new Date(ms).toISOString();
  const lines = [
    `# Case: ${markdownText(c.title)}`,
    '',
    `- Status: ${c.status}`,
    `- Owner: ${c.owner ? markdownText(c.owner) : 'nobody'}`,
    `- Opened: ${t(c.created)}; updated: ${t(c.updated)}`,
    `- Case id: ${c.id}`,
    '',
    `## Alerts (${v.alerts.length})`,
    '',
    '| first seen | level | rule | author | rule id | count | state | verdict |',
    '|---|---|---|---|---|---|---|---|',
    ...v.alerts.map((a) => `| ${t(a.firstSeen)} | ${a.level} | ${markdownText(a.ruleTitle)} | ${markdownText(a.ruleAuthor)} | ${markdownText(a.ruleId)} | ${a.count} | ${a.state} | ${a.verdict ?? ''} |`),
    ...(v.missing.length > 0 ? ['', `Alerts no longer stored: ${v.missing.join(', ')}`] : []),
    '',
    `## Observables (${v.observables.length})`,
    '',
    '| field | value | alerts |',
    '|---|---|---|',
    ...v.observables.map((o) => `| ${markdownText(o.field)} | ${markdownText(o.value)} | ${o.alerts} |`),
    '',
    '## Timeline',
    '',
    ...v.timeline.map((e) => `- ${t(e.at)} — ${e.kind}${e.by ? ` (${markdownText(e.by)})` : ''}: ${markdownText(e.text)}`),
    '',
    '## Notes',
    '',
    ...(c.notes.length === 0 ? ['None.'] : c.notes.map((n) => `- ${t(n.at)} ${markdownText(n.by)}: ${markdownText(n.text)}`)),
    '',
  ];
  return lines.join('\n');
}
