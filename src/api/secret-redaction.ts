/**
 * Configuration shown in the console with its secrets taken out: notification destinations and
 * playbooks name webhook URLs (Slack's and Teams' carry their key in the path, others in the query
 * or the user info), HMAC keys, header values (Authorization, API keys) and command arguments
 * (`--password=…`). An admin sees where things go and what runs, never a secret to copy.
 *
 * Redaction is by shape, not by a list of known secrets: whatever could hold one is replaced.
 * A file that holds a secret is named (its path is not the secret).
 */
import type { DestinationConfig, NotificationsConfig } from '../actions/notify/notify-config.js';
import type { HttpSpec, Playbook, RunSpec } from '../actions/response/playbook.js';

export const REDACTED = '[redacted]';

/** Key names whose value is a secret (but not `…File`, which names where one is kept). */
const SECRET_NAME = /(secret|passw(or)?d|passwd|pwd|token|api[-_]?key|apikey|auth|bearer|credential|cookie|session|private|signature|sig)(?!.*file$)/i;

/**
 * Scheme, host and port; user info, path and query each replaced by a marker when present. A path
 * is kept only when it is `/`: webhook paths are often the key itself.
 */
export function redactUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return REDACTED;
  }
  const credentials = url.username !== '' || url.password !== '' ? `${REDACTED}@` : '';
  const path = url.pathname === '/' || url.pathname === '' ? '' : `/${REDACTED}`;
  const query = url.search !== '' ? `?${REDACTED}` : '';
  const hash = url.hash !== '' ? `#${REDACTED}` : '';
  return `${url.protocol}//${credentials}${url.host}${path}${query}${hash}`;
}

function looksLikeUrl(text: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(text);
}

/**
 * Command arguments: `--password=x` and `token=x` keep their name; the value after a flag named
 * like a secret (`--token x`), an `Authorization:`/`Bearer` argument and a URL's secret parts are
 * replaced. Template fields (`{{entities.source.ip}}`) are alert data, kept.
 */
export function redactArgs(args: readonly string[]): string[] {
  const out: string[] = [];
  let nextIsSecret = false;
  for (const arg of args) {
    if (nextIsSecret) {
      out.push(REDACTED);
      nextIsSecret = false;
      continue;
    }
    const assignment = /^(-{0,2}[A-Za-z0-9_.-]+)=(.*)$/s.exec(arg);
    if (assignment && SECRET_NAME.test(assignment[1]!)) {
      out.push(`${assignment[1]}=${REDACTED}`);
      continue;
    }
    if (/^-{1,2}[A-Za-z0-9_.-]+$/.test(arg) && SECRET_NAME.test(arg)) {
      out.push(arg);
      nextIsSecret = true;
      continue;
    }
    if (/\b(authorization|bearer|basic|token|x-api-key)\b\s*[:=]?\s*\S/i.test(arg) && !looksLikeUrl(arg)) {
      out.push(REDACTED);
      continue;
    }
    out.push(looksLikeUrl(arg) ? redactUrl(arg) : arg);
  }
  return out;
}

function redactHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.keys(headers).map((name) => [name, REDACTED]));
}

export type DestinationView = Record<string, unknown> & { readonly name: string; readonly type: string };

/** A destination as configured, secrets replaced. */
export function destinationView(destination: DestinationConfig): DestinationView {
  const view = redactObject(destination) as DestinationView;
  return view;
}

/** Copies a plain configuration value, replacing URLs' secret parts and values under secret-like keys. */
function redactObject(value: unknown, key = ''): unknown {
  if (typeof value === 'string') {
    if (key !== '' && SECRET_NAME.test(key)) return REDACTED;
    return key === 'url' || looksLikeUrl(value) ? redactUrl(value) : value;
  }
  if (Array.isArray(value)) return value.map((v) => redactObject(v));
  if (value !== null && typeof value === 'object') {
    if (key === 'headers') return redactHeaders(value as Record<string, string>);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_NAME.test(k) && typeof v !== 'object' ? REDACTED : redactObject(v, k)]));
  }
  return value;
}

export interface NotificationsView {
  readonly destinations: readonly DestinationView[];
  readonly routes: NotificationsConfig['routes'];
  readonly retry: NotificationsConfig['retry'];
  readonly maxPending: number;
  readonly timeoutMs: number;
}

export function notificationsView(config: NotificationsConfig): NotificationsView {
  return { destinations: config.destinations.map(destinationView), routes: config.routes, retry: config.retry, maxPending: config.maxPending, timeoutMs: config.timeoutMs };
}

function runView(run: RunSpec): Record<string, unknown> {
  return { program: run.program, args: redactArgs(run.args), timeoutSeconds: run.timeoutSeconds };
}

function httpView(http: HttpSpec): Record<string, unknown> {
  return {
    method: http.method,
    url: redactUrl(http.url),
    headers: redactHeaders(http.headers),
    // A body template may carry a key as easily as a header: shown only as present.
    ...(http.body === undefined ? {} : { body: REDACTED }),
    allow: http.allow,
    timeoutSeconds: http.timeoutSeconds,
  };
}

export interface PlaybookView {
  readonly name: string;
  readonly description: string;
  readonly enabled: boolean;
  readonly file: string;
  readonly trigger: Playbook['when'] & { readonly requires: readonly string[] };
  readonly maxRunsPerHour: number;
  readonly approval: 'required' | 'not-required';
  readonly dryRun: boolean;
  readonly steps: readonly Record<string, unknown>[];
}

/** A playbook as loaded: its trigger, guard rails and steps, secrets replaced. */
export function playbookView(p: Playbook): PlaybookView {
  return {
    name: p.name,
    description: p.description,
    enabled: p.enabled,
    file: p.file,
    trigger: { ...p.when, requires: p.requires },
    maxRunsPerHour: p.maxRunsPerHour,
    approval: p.approvalRequired ? 'required' : 'not-required',
    dryRun: p.dryRun,
    steps: p.steps.map((s) => ({
      name: s.name,
      destructive: s.destructive,
      ...(s.run ? { run: runView(s.run) } : {}),
      ...(s.http ? { http: httpView(s.http) } : {}),
      ...(s.revert
        ? { revert: { afterMs: s.revert.afterMs, ...(s.revert.run ? { run: runView(s.revert.run) } : {}), ...(s.revert.http ? { http: httpView(s.revert.http) } : {}) } }
        : {}),
    })),
  };
}
