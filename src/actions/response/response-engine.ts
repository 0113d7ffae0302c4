/**
 * Guarded automated response: runs playbooks (playbook.ts) for new alerts, within guard rails.
 *
 * - **Once per alert.** A playbook runs at most once for an alert, whatever replays or restarts.
 * - **Blast radius.** At most `maxRunsPerHour` runs of a playbook in any hour; the rest are refused
 *   and recorded, never queued to burst later.
 * - **Approval.** A playbook with a destructive step waits for an analyst (`vigil response approve`)
 *   unless its file says `approval: not-required`; it can be rejected instead.
 * - **Dry run.** `dryRun: true` (or `response.dryRun` for all) records exactly what would run, the
 *   programs with their final arguments and the HTTP calls, and runs nothing.
 * - **No shell, no evaluation.** Programs are started by absolute path with an argument vector;
 *   alert values fill templates by lookup only, and a filled value that starts with `-` or holds a
 *   control character refuses the run. HTTP calls go through the outbound guard.
 * - **Revert.** A step with `revert.after` is undone after that time (unblock an IP after an
 *   hour), also across restarts: due reverts are found in the journal at start.
 * - **Audit trail.** Every change of every run (created, approved, each step's command and exit
 *   code or HTTP status, reverted) is a line in `<data>/response-runs.ndjson` (0600, append-only),
 *   which is also what the engine reloads its state from.
 */
import { execFile } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import type { Alert } from '../../core/alert.js';
import { VigilError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { alertView } from '../notify/alert-view.js';
import { OutboundPolicy } from '../outbound/outbound-guard.js';
import { sendOutbound } from '../outbound/outbound-request.js';
import type { HttpSpec, Playbook, PlaybookStep, RunSpec } from './playbook.js';

export type RunStatus = 'dry-run' | 'awaiting-approval' | 'rejected' | 'running' | 'done' | 'failed' | 'refused' | 'skipped' | 'reverted' | 'revert-failed';

export interface StepRecord {
  readonly step: string;
  readonly phase: 'do' | 'revert';
  /** Program and arguments as run (or as they would run in a dry run). */
  readonly command?: readonly string[] | undefined;
  readonly http?: { readonly method: string; readonly url: string } | undefined;
  readonly at: number;
  readonly ok?: boolean | undefined;
  readonly exitCode?: number | null | undefined;
  readonly status?: number | undefined;
  readonly output?: string | undefined;
  readonly error?: string | undefined;
}

export interface ResponseRun {
  readonly id: string;
  readonly playbook: string;
  readonly alertId: string;
  readonly tenant: string;
  readonly ruleTitle: string;
  readonly created: number;
  readonly status: RunStatus;
  readonly reason?: string | undefined;
  readonly by?: string | undefined;
  readonly steps: readonly StepRecord[];
  /** When the revert steps are due (epoch ms); undefined: nothing to revert. */
  readonly revertAt?: number | undefined;
  /** The values the templates read, kept so a revert after a restart fills them the same way. */
  readonly view: Readonly<Record<string, unknown>>;
}

export interface ResponseEngineOptions {
  readonly playbooks: readonly Playbook[];
  /** The audit journal; none: memory only (tests). */
  readonly journal?: string | undefined;
  /** Every playbook as a dry run. */
  readonly dryRun?: boolean;
  readonly now?: () => number;
  /** Extra CA certificates for HTTP steps (tests, private PKI). */
  readonly ca?: string | Buffer | undefined;
  readonly log?: { info(o: object, m: string): void; warn(o: object, m: string): void } | undefined;
}

const LEVELS = ['informational', 'low', 'medium', 'high', 'critical'];
const HOUR = 3_600_000;
const SAFE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export class ResponseEngine {
  readonly #runs = new Map<string, ResponseRun>();
  #timer: NodeJS.Timeout | undefined;
  #ticking: Promise<void> = Promise.resolve();

  private constructor(private readonly options: ResponseEngineOptions) {}

  static open(options: ResponseEngineOptions): ResponseEngine {
    const engine = new ResponseEngine(options);
    if (options.journal && existsSync(options.journal)) {
      for (const line of readFileSync(options.journal, 'utf8').split('\n')) {
        if (line.trim() === '') continue;
        try {
          const run = JSON.parse(line) as ResponseRun;
          if (typeof run.id === 'string') engine.#runs.set(run.id, run);
        } catch {
          options.log?.warn({ journal: options.journal }, 'skipping a damaged line of the response journal');
        }
      }
    }
    return engine;
  }

  /** Checks for due reverts every `everyMs` (unref'd). */
  start(everyMs = 5000): void {
    this.#timer ??= setInterval(() => void this.tick(), everyMs);
    this.#timer.unref();
  }

  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.#ticking;
  }

  /** The playbooks as loaded (the console's settings show them). */
  get playbooks(): readonly Playbook[] {
    return this.options.playbooks;
  }

  runs(tenant?: string): ResponseRun[] {
    return [...this.#runs.values()].filter((r) => tenant === undefined || r.tenant === tenant).sort((a, b) => b.created - a.created);
  }

  /** Starts the matching playbooks for new alerts. */
  async onAlerts(alerts: readonly Alert[]): Promise<ResponseRun[]> {
    const started: ResponseRun[] = [];
    for (const alert of alerts) {
      for (const playbook of this.options.playbooks) {
        if (!playbook.enabled || !matches(playbook, alert)) continue;
        if ([...this.#runs.values()].some((r) => r.playbook === playbook.name && r.alertId === alert.id && r.tenant === alert.tenant)) continue;
        started.push(await this.#start(playbook, alert));
      }
    }
    return started;
  }

  async approve(tenant: string, runId: string, by: string): Promise<ResponseRun> {
    const run = this.#waiting(tenant, runId);
    const playbook = this.#playbook(run);
    return this.#execute(playbook, { ...run, by }, `approved by ${by}`);
  }

  reject(tenant: string, runId: string, by: string, reason: string): ResponseRun {
    const run = this.#waiting(tenant, runId);
    return this.#record({ ...run, status: 'rejected', by, reason: reason || `rejected by ${by}` });
  }

  /** Runs the reverts that are due. */
  tick(): Promise<void> {
    this.#ticking = this.#ticking.then(async () => {
      const now = this.#now();
      for (const run of this.#runs.values()) {
        if (run.status !== 'done' || run.revertAt === undefined || run.revertAt > now) continue;
        await this.#revert(run);
      }
    });
    return this.#ticking;
  }

  async #start(playbook: Playbook, alert: Alert): Promise<ResponseRun> {
    const view = alertView(alert) as unknown as Record<string, unknown>;
    const base: ResponseRun = { id: newId(), playbook: playbook.name, alertId: alert.id, tenant: alert.tenant, ruleTitle: alert.ruleTitle, created: this.#now(), status: 'running', steps: [], view };
    const missing = playbook.requires.filter((path) => lookupText(view, path) === '');
    if (missing.length > 0) return this.#record({ ...base, status: 'skipped', reason: `the alert has no ${missing.join(', ')}` });
    const lastHour = [...this.#runs.values()].filter((r) => r.playbook === playbook.name && r.created > base.created - HOUR && !['refused', 'skipped', 'rejected'].includes(r.status)).length;
    if (lastHour >= playbook.maxRunsPerHour) {
      return this.#record({ ...base, status: 'refused', reason: `blast-radius limit: ${playbook.maxRunsPerHour} runs in the last hour` });
    }
    let planned: StepRecord[];
    try {
      planned = playbook.steps.map((s) => plan(s, 'do', view, base.created));
    } catch (e) {
      return this.#record({ ...base, status: 'refused', reason: (e as Error).message });
    }
    if (playbook.dryRun || this.options.dryRun) return this.#record({ ...base, status: 'dry-run', steps: planned, reason: 'dry run: nothing was run' });
    if (playbook.approvalRequired) return this.#record({ ...base, status: 'awaiting-approval', steps: planned, reason: 'a destructive step waits for approval' });
    return this.#execute(playbook, base, undefined);
  }

  async #execute(playbook: Playbook, run: ResponseRun, reason: string | undefined): Promise<ResponseRun> {
    let current = this.#record({ ...run, status: 'running', steps: [], ...(reason ? { reason } : {}) });
    let revertAfter: number | undefined;
    for (const step of playbook.steps) {
      const done = await this.#perform(step, 'do', current.view);
      current = this.#record({ ...current, steps: [...current.steps, done] });
      if (!done.ok) return this.#record({ ...current, status: 'failed', reason: `step ${step.name} failed: ${done.error ?? `exit ${done.exitCode ?? done.status}`}` });
      if (step.revert) revertAfter = Math.max(revertAfter ?? 0, step.revert.afterMs);
    }
    return this.#record({ ...current, status: 'done', ...(revertAfter === undefined ? {} : { revertAt: this.#now() + revertAfter }) });
  }

  async #revert(run: ResponseRun): Promise<void> {
    const playbook = this.#playbook(run);
    let current = run;
    let ok = true;
    for (const step of [...playbook.steps].reverse()) {
      if (!step.revert) continue;
      const done = await this.#perform({ ...step, run: step.revert.run, http: step.revert.http }, 'revert', run.view);
      current = { ...current, steps: [...current.steps, done] };
      ok &&= done.ok === true;
    }
    this.#record({ ...current, status: ok ? 'reverted' : 'revert-failed', revertAt: undefined });
  }

  async #perform(step: PlaybookStep, phase: 'do' | 'revert', view: Record<string, unknown>): Promise<StepRecord> {
    let planned: StepRecord;
    try {
      planned = plan(step, phase, view, this.#now());
    } catch (e) {
      return { step: step.name, phase, at: this.#now(), ok: false, error: (e as Error).message };
    }
    if (planned.command) {
      const [program, ...args] = planned.command;
      const result = await runProgram(program!, args, (step.run?.timeoutSeconds ?? 30) * 1000);
      return { ...planned, ...result };
    }
    const spec = step.http!;
    try {
      const res = await sendOutbound({
        url: planned.http!.url,
        method: spec.method,
        headers: Object.fromEntries(Object.entries(spec.headers).map(([k, v]) => [k, step.templates.get(v)!.render(view, 'plain')])),
        ...(spec.body === undefined ? {} : { body: step.templates.get(spec.body)!.render(view, 'json') }),
        policy: new OutboundPolicy(spec.allow),
        timeoutMs: spec.timeoutSeconds * 1000,
        ...(this.options.ca ? { ca: this.options.ca } : {}),
      });
      return { ...planned, ok: true, status: res.status };
    } catch (e) {
      return { ...planned, ok: false, error: (e as Error).message };
    }
  }

  #record(run: ResponseRun): ResponseRun {
    this.#runs.set(run.id, run);
    if (this.options.journal) {
      try {
        appendFileSync(this.options.journal, JSON.stringify(run) + '\n', { mode: 0o600 });
      } catch (e) {
        this.options.log?.warn({ err: e, journal: this.options.journal }, 'cannot append to the response journal');
      }
    }
    this.options.log?.info({ run: run.id, playbook: run.playbook, alert: run.alertId, status: run.status, reason: run.reason }, 'response run');
    return run;
  }

  #waiting(tenant: string, runId: string): ResponseRun {
    const run = this.#runs.get(runId);
    if (!run || run.tenant !== tenant) throw new VigilError('not-found', `no response run ${runId}: list them with vigil response list`, { where: 'run id' });
    if (run.status !== 'awaiting-approval') throw new VigilError('bad-request', `run ${runId} is ${run.status}; only runs awaiting approval can be approved or rejected`, { where: 'run id' });
    return run;
  }

  #playbook(run: ResponseRun): Playbook {
    const playbook = this.options.playbooks.find((p) => p.name === run.playbook);
    if (!playbook) throw new VigilError('not-found', `playbook ${run.playbook} is no longer loaded`, { where: 'playbook' });
    return playbook;
  }

  #now(): number {
    return this.options.now?.() ?? Date.now();
  }
}

function matches(p: Playbook, alert: Alert): boolean {
  if (p.when.rules.length > 0 && !p.when.rules.includes(alert.ruleId)) return false;
  if (LEVELS.indexOf(alert.level) < LEVELS.indexOf(p.when.minLevel)) return false;
  const tags = Array.isArray(alert.details['tags']) ? (alert.details['tags'] as unknown[]) : [];
  return p.when.tags.every((t) => tags.includes(t));
}

/** The step with its templates filled: refuses values that would turn into options or break lines. */
function plan(step: PlaybookStep, phase: 'do' | 'revert', view: Record<string, unknown>, at: number): StepRecord {
  const run: RunSpec | undefined = phase === 'do' ? step.run : (step.revert?.run ?? step.run);
  const http: HttpSpec | undefined = phase === 'do' ? step.http : (step.revert?.http ?? step.http);
  if (run) {
    const args = run.args.map((a) => safeArgument(step.templates.get(a)!.render(view, 'plain'), a, step.name));
    return { step: step.name, phase, at, command: [run.program, ...args] };
  }
  const url = step.templates.get(http!.url)!.render(view, 'plain');
  return { step: step.name, phase, at, http: { method: http!.method, url } };
}

function safeArgument(value: string, template: string, step: string): string {
  const filled = template.includes('{{');
  if (filled && value.startsWith('-') && !template.startsWith('-')) throw new Error(`step ${step}: a value from the alert would start an argument with '-' (${JSON.stringify(value.slice(0, 40))}): refused`);
  if (/[\u0000-\u001f\u007f]/.test(value)) throw new Error(`step ${step}: a value from the alert holds a control character: refused`);
  return value;
}

function lookupText(view: Record<string, unknown>, path: string): string {
  let at: unknown = view;
  const parts = path.split('.');
  for (let i = 0; i < parts.length; ) {
    if (at === null || typeof at !== 'object') return '';
    // Flat keys with dots (entities: `source.ip`): the longest own key wins.
    let j = parts.length;
    for (; j > i; j--) if (Object.prototype.hasOwnProperty.call(at, parts.slice(i, j).join('.'))) break;
    if (j === i) return '';
    at = (at as Record<string, unknown>)[parts.slice(i, j).join('.')];
    i = j;
  }
  return at === undefined || at === null ? '' : String(at);
}

function runProgram(program: string, args: readonly string[], timeoutMs: number): Promise<Pick<StepRecord, 'ok' | 'exitCode' | 'output' | 'error'>> {
  return new Promise((resolve) => {
    execFile(program, [...args], { timeout: timeoutMs, maxBuffer: 64 * 1024, shell: false, env: { PATH: SAFE_PATH, LANG: 'C' } }, (error, stdout, stderr) => {
      const output = `${stdout}${stderr}`.slice(0, 2000);
      if (!error) return resolve({ ok: true, exitCode: 0, output });
      const code = typeof (error as { code?: unknown }).code === 'number' ? ((error as { code: number }).code) : null;
      resolve({ ok: false, exitCode: code, output, error: error.killed ? `timed out after ${timeoutMs / 1000} s` : error.message.split('\n')[0] });
    });
  });
}
