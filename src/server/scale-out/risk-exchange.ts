/**
 * Entity risk across processes (scale-out): the risk ledger lives in the memory of each detect
 * role's alert intake (src/alerts/risk-entities.ts), fed by the detections that process made;
 * it is not in PostgreSQL. The overview of an api role without the detect role asks them over
 * NATS request/reply (`vigil.risk.<tenant>`, JSON `{"limit":n}`) and merges the answers.
 *
 * Merging: each event is read by one detect process (the detect consumers share their events),
 * so an entity's risk is the sum of its scores in every ledger. `rules` is the largest count
 * one ledger gives: a rule seen by two processes would count twice in a sum.
 *
 * The overview waits at most `maxWaitMs` (default 500 ms) and takes what came: a detect role
 * that is away costs its part of the figure, never the page. With no detect role running the
 * list is empty, as with risk scoring off.
 */
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { RiskEntity } from '../../alerts/risk-entities.js';
import { isSubjectToken } from '../../bus/jetstream/event-subjects.js';

export const RISK_SUBJECT_PREFIX = 'vigil.risk';
const MAX_LIMIT = 1000;

/** The detect role's side: answers with its intake's ledger. Returns the subscription (unsubscribe to stop). */
export function answerRiskRequests(connection: NatsConnection, topRisk: (tenant: string, limit: number) => readonly RiskEntity[], log?: { warn(o: object, m: string): void }): Subscription {
  return connection.subscribe(`${RISK_SUBJECT_PREFIX}.*`, {
    callback: (error, msg) => {
      if (error) return log?.warn({ err: error }, 'risk exchange: the subscription ended');
      const tenant = msg.subject.slice(RISK_SUBJECT_PREFIX.length + 1);
      let limit = 10;
      try {
        const asked = (msg.json() as { limit?: unknown }).limit;
        if (typeof asked === 'number' && Number.isInteger(asked) && asked > 0) limit = Math.min(asked, MAX_LIMIT);
      } catch {
        /* no body: the default limit */
      }
      msg.respond(JSON.stringify(topRisk(tenant, limit)));
    },
  });
}

/** The api role's side: the tenant's entities most at risk, as every detect role that answered in time sees them. */
export async function askRisk(connection: NatsConnection, tenant: string, limit: number, maxWaitMs = 500): Promise<RiskEntity[]> {
  if (!isSubjectToken(tenant)) return [];
  const answers: RiskEntity[][] = [];
  try {
    // "stall": done once no further answer came 50 ms after the last one, or at maxWait.
    const replies = await connection.requestMany(`${RISK_SUBJECT_PREFIX}.${tenant}`, JSON.stringify({ limit }), { strategy: 'stall', stall: 50, maxWait: maxWaitMs });
    for await (const reply of replies) {
      const list = reply.json<unknown>();
      if (Array.isArray(list)) answers.push(list.filter(isRiskEntity));
    }
  } catch {
    // No detect role answering (no responders), or NATS away: no risk figure, like risk scoring off.
  }
  return mergeRisk(answers, limit);
}

export function mergeRisk(answers: readonly (readonly RiskEntity[])[], limit: number): RiskEntity[] {
  const merged = new Map<string, { field: string; value: string; score: number; rules: number; lastSeen: number }>();
  for (const list of answers) {
    for (const e of list) {
      const key = `${e.field}\u0000${e.value}`;
      const m = merged.get(key);
      if (m === undefined) merged.set(key, { field: e.field, value: e.value, score: e.score, rules: e.rules, lastSeen: e.lastSeen });
      else {
        m.score += e.score;
        m.rules = Math.max(m.rules, e.rules);
        m.lastSeen = Math.max(m.lastSeen, e.lastSeen);
      }
    }
  }
  return [...merged.values()].sort((a, b) => b.score - a.score || b.lastSeen - a.lastSeen).slice(0, limit);
}

function isRiskEntity(v: unknown): v is RiskEntity {
  if (v === null || typeof v !== 'object') return false;
  const e = v as Record<string, unknown>;
  return typeof e['field'] === 'string' && typeof e['value'] === 'string' && typeof e['score'] === 'number' && typeof e['rules'] === 'number' && typeof e['lastSeen'] === 'number';
}
