/**
 * Triage: the moves an analyst makes on an alert, checked and recorded.
 *
 *   new ──ack──▶ acknowledged ──start──▶ in_progress ──close (verdict)──▶ closed
 *    └──────────────start──────────────▶      │                          │
 *    └──────────────────close (verdict)───────┴──────────────────────────┘
 *   closed ──reopen──▶ new            (any state) assign / comment
 *
 * Closing needs a verdict (true positive, false positive, benign): the verdicts are what rule
 * tuning and `vigil rules noisy` learn from. Every move is a history line with who and when.
 * Closing an alert tells the intake, so the next detection of its group opens a new alert.
 */
import { ALERT_VERDICTS, type Alert, type AlertHistoryEntry, type AlertState, type AlertVerdict } from '../core/alert.js';
import { VigilError } from '../core/errors.js';
import type { Store } from '../core/store.js';
import type { AlertFeed } from './alert-feed.js';

export const TRIAGE_ACTIONS = ['ack', 'start', 'close', 'reopen', 'assign', 'comment'] as const;
export type TriageAction = (typeof TRIAGE_ACTIONS)[number];

export interface TriageRequest {
  readonly action: TriageAction;
  readonly verdict?: AlertVerdict | undefined;
  /** assign: a name; null or empty: unassign. */
  readonly assignee?: string | null | undefined;
  /** Required for `comment`; optional beside any other move. */
  readonly comment?: string | undefined;
}

const MAX_COMMENT = 10_000;
const MAX_NAME = 200;

/** Where each move may start from, and where it leads. */
const MOVES: Readonly<Record<'ack' | 'start' | 'close' | 'reopen', { from: readonly AlertState[]; to: AlertState }>> = {
  ack: { from: ['new'], to: 'acknowledged' },
  start: { from: ['new', 'acknowledged'], to: 'in_progress' },
  close: { from: ['new', 'acknowledged', 'in_progress'], to: 'closed' },
  reopen: { from: ['closed'], to: 'new' },
};

export class AlertTriage {
  constructor(
    private readonly store: Pick<Store, 'getAlert' | 'updateAlert'>,
    private readonly onClosed?: (alert: Alert) => void,
    /** Told of every change made (the console's live queue). */
    private readonly feed?: Pick<AlertFeed, 'publish'>,
  ) {}

  async apply(tenant: string, id: string, request: TriageRequest, by: string, now: number = Date.now()): Promise<Alert> {
    const alert = await this.store.getAlert(tenant, id);
    if (!alert) throw new VigilError('not-found', `no alert ${id}: list them with vigil alerts`, { where: 'alert id' });
    const comment = checkedComment(request.comment);
    const entries: AlertHistoryEntry[] = [];
    let state: AlertState | undefined;
    let verdict: AlertVerdict | null | undefined;
    let assignee: string | null | undefined;
    switch (request.action) {
      case 'ack':
      case 'start':
      case 'close':
      case 'reopen': {
        const move = MOVES[request.action];
        if (!move.from.includes(alert.state)) {
          throw new VigilError('bad-request', `alert ${id} is ${alert.state.replace('_', ' ')}; ${request.action} applies to ${move.from.join(' or ').replace('_', ' ')} alerts`, { where: 'action' });
        }
        if (request.action === 'close') {
          if (request.verdict === undefined || !(ALERT_VERDICTS as readonly string[]).includes(request.verdict)) {
            throw new VigilError('bad-request', `closing needs a verdict: ${ALERT_VERDICTS.join(', ')}`, { where: 'verdict' });
          }
          verdict = request.verdict;
        } else if (request.verdict !== undefined) {
          throw new VigilError('bad-request', 'a verdict is given when closing (action close)', { where: 'verdict' });
        }
        if (request.action === 'reopen') verdict = null;
        state = move.to;
        entries.push({ at: now, by, action: 'state', from: alert.state, to: state, ...(verdict ? { verdict } : {}), ...(comment ? { text: comment } : {}) });
        break;
      }
      case 'assign': {
        const name = request.assignee === undefined || request.assignee === null ? '' : request.assignee.trim();
        if (name.length > MAX_NAME || /[\u0000-\u001f\u007f]/.test(name)) throw new VigilError('bad-request', `an assignee is a name of at most ${MAX_NAME} characters, without control characters`, { where: 'assignee' });
        assignee = name === '' ? null : name;
        entries.push({ at: now, by, action: 'assign', from: alert.assignee, to: assignee, ...(comment ? { text: comment } : {}) });
        break;
      }
      case 'comment':
        if (!comment) throw new VigilError('bad-request', 'a comment needs text', { where: 'comment' });
        entries.push({ at: now, by, action: 'comment', text: comment });
        break;
      default:
        throw new VigilError('bad-request', `unknown action ${String((request as { action: unknown }).action)}: use ${TRIAGE_ACTIONS.join(', ')}`, { where: 'action' });
    }
    const updated = await this.store.updateAlert(tenant, id, {
      ...(state === undefined ? {} : { state }),
      ...(verdict === undefined ? {} : { verdict }),
      ...(assignee === undefined ? {} : { assignee }),
      updated: now,
      entries,
    });
    if (!updated) throw new VigilError('not-found', `no alert ${id}`, { where: 'alert id' });
    if (updated.state === 'closed' && alert.state !== 'closed') this.onClosed?.(updated);
    this.feed?.publish([{ tenant, id, change: 'updated' }]);
    return updated;
  }
}

function checkedComment(comment: string | undefined): string | undefined {
  if (comment === undefined) return undefined;
  if (typeof comment !== 'string') throw new VigilError('bad-request', 'a comment is text', { where: 'comment' });
  const text = comment.trim();
  if (text.length > MAX_COMMENT) throw new VigilError('bad-request', `a comment has at most ${MAX_COMMENT} characters`, { where: 'comment' });
  return text === '' ? undefined : text;
}
