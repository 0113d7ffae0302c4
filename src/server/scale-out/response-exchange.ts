/**
 * Automated response across processes (scale-out): a playbook run starts in the detect role that
 * raised its alert, and waits there for approval (src/actions/response/response-engine.ts: the
 * runs are that process's memory and journal). An api role without the detect role lists the
 * runs and approves or rejects them over NATS request/reply:
 *
 *   vigil.response.<tenant>.runs     {}                          every detect role answers with its runs
 *   vigil.response.<tenant>.approve  {"runId","by"}              only the role holding the run answers
 *   vigil.response.<tenant>.reject   {"runId","by","reason"}     likewise
 *
 * The api role checks the token (admin) and writes the audit line before it asks, as for a run in
 * its own process; the detect role records who approved. Whoever may publish on
 * `vigil.response.>` may approve a run: restrict that subject to the Vigil roles' NATS users
 * (docs/deploy.md).
 *
 * An approval runs the playbook's steps before it answers, so the api role waits up to
 * `approveWaitMs` (default 60 s); the list waits at most `listWaitMs` (default 500 ms) and shows
 * what came, as the risk exchange does.
 */
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { ResponseEngine, ResponseRun } from '../../actions/response/response-engine.js';
import type { Playbook } from '../../actions/response/playbook.js';
import type { ResponseDesk } from '../../api/response-routes.js';
import { isVigilError, VigilError, type ErrorCode } from '../../core/errors.js';
import { isSubjectToken } from '../../bus/jetstream/event-subjects.js';

export const RESPONSE_SUBJECT_PREFIX = 'vigil.response';

type Answer = { run: ResponseRun } | { error: { code: ErrorCode; message: string; where?: string | undefined } };

/** The detect role's side. Returns the subscriptions (unsubscribe to stop). */
export function answerResponseRequests(connection: NatsConnection, engine: ResponseEngine, log?: { warn(o: object, m: string): void }): Subscription[] {
  const tenantOf = (subject: string) => subject.split('.')[RESPONSE_SUBJECT_PREFIX.split('.').length] ?? '';
  const body = (data: unknown): Record<string, unknown> => (data !== null && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>) : {});
  const decide = (verb: 'approve' | 'reject') =>
    connection.subscribe(`${RESPONSE_SUBJECT_PREFIX}.*.${verb}`, {
      callback: (error, msg) => {
        if (error) return log?.warn({ err: error }, `response exchange: the ${verb} subscription ended`);
        const tenant = tenantOf(msg.subject);
        let asked: Record<string, unknown>;
        try {
          asked = body(msg.json());
        } catch {
          return;
        }
        const runId = asked['runId'];
        const by = asked['by'];
        if (typeof runId !== 'string' || typeof by !== 'string') return;
        // Only the process holding the run answers; the others stay silent.
        if (!engine.runs(tenant).some((r) => r.id === runId)) return;
        const reason = typeof asked['reason'] === 'string' ? asked['reason'].slice(0, 2000) : '';
        void (async (): Promise<Answer> => ({ run: verb === 'approve' ? await engine.approve(tenant, runId, by) : engine.reject(tenant, runId, by, reason) }))()
          .catch((e: unknown): Answer => ({
            error: isVigilError(e) ? { code: e.code, message: e.message, where: e.where } : { code: 'internal', message: `the ${verb} failed on the detect role: ${e instanceof Error ? e.message : String(e)}` },
          }))
          .then((answer) => msg.respond(JSON.stringify(answer)));
      },
    });
  return [
    connection.subscribe(`${RESPONSE_SUBJECT_PREFIX}.*.runs`, {
      callback: (error, msg) => {
        if (error) return log?.warn({ err: error }, 'response exchange: the runs subscription ended');
        msg.respond(JSON.stringify(engine.runs(tenantOf(msg.subject)).slice(0, 1000)));
      },
    }),
    decide('approve'),
    decide('reject'),
  ];
}

export interface RemoteResponseOptions {
  readonly connection: NatsConnection;
  /** The playbooks as configured (the api role loads the same files), for the settings page. */
  readonly playbooks: readonly Playbook[];
  readonly listWaitMs?: number;
  readonly approveWaitMs?: number;
}

/** The api role's side: the detect roles' response engines as one. */
export class RemoteResponse implements ResponseDesk {
  constructor(private readonly options: RemoteResponseOptions) {}

  get playbooks(): readonly Playbook[] {
    return this.options.playbooks;
  }

  async runs(tenant: string): Promise<readonly ResponseRun[]> {
    if (!isSubjectToken(tenant)) return [];
    const runs: ResponseRun[] = [];
    try {
      const replies = await this.options.connection.requestMany(`${RESPONSE_SUBJECT_PREFIX}.${tenant}.runs`, '{}', { strategy: 'stall', stall: 50, maxWait: this.options.listWaitMs ?? 500 });
      for await (const reply of replies) {
        const list = reply.json<unknown>();
        if (Array.isArray(list)) runs.push(...(list as ResponseRun[]).filter((r) => r !== null && typeof r === 'object' && typeof r.id === 'string' && r.tenant === tenant));
      }
    } catch {
      // No detect role answering, or NATS away: no runs to show.
    }
    return runs.sort((a, b) => b.created - a.created);
  }

  approve(tenant: string, runId: string, by: string): Promise<ResponseRun> {
    return this.#decide(tenant, 'approve', { runId, by });
  }

  reject(tenant: string, runId: string, by: string, reason: string): Promise<ResponseRun> {
    return this.#decide(tenant, 'reject', { runId, by, reason });
  }

  async #decide(tenant: string, verb: 'approve' | 'reject', body: { runId: string; by: string; reason?: string }): Promise<ResponseRun> {
    const notFound = new VigilError('not-found', `no response run ${body.runId} on any detect role now answering: list them with GET /api/v1/response/runs`, { where: 'run id' });
    if (!isSubjectToken(tenant)) throw notFound;
    // Asked first, so an unknown id is answered at once instead of after the approval wait.
    if (!(await this.runs(tenant)).some((r) => r.id === body.runId)) throw notFound;
    let answer: Answer;
    try {
      const reply = await this.options.connection.request(`${RESPONSE_SUBJECT_PREFIX}.${tenant}.${verb}`, JSON.stringify(body), { timeout: this.options.approveWaitMs ?? 60_000 });
      answer = reply.json<Answer>();
    } catch (e) {
      throw new VigilError(
        'store-unavailable',
        `the detect role holding run ${body.runId} did not answer the ${verb} in time (${e instanceof Error ? e.message : String(e)}); its steps may still be running: list the runs again before retrying`,
        { where: 'run id', cause: e },
      );
    }
    if ('error' in answer) throw new VigilError(answer.error.code, answer.error.message, answer.error.where === undefined ? {} : { where: answer.error.where });
    return answer.run;
  }
}
