/**
 * The corpus as an attacker would deliver it: syslog lines (UDP, TCP, TLS, a followed file, file
 * import) and JSON records (HTTP ingest, Splunk HEC, Elasticsearch _bulk) whose every shown
 * field is hostile, and Sigma rules whose title, description, author, references, tags and false
 * positives are hostile and which match those events, so alerts carry hostile rule metadata and
 * hostile entity values. Support for hostile-content.test.ts, not a test.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify as toYaml } from 'yaml';
import type { ConsoleServer } from './console-harness.js';
import { trap, XSS_CORPUS, type HostilePayload } from './xss-corpus.js';

/** Every way events reach Vigil, as named in the assertion messages. */
export const INGEST_PATHS = ['syslog-udp', 'syslog-tcp', 'syslog-tls', 'http-ingest', 'hec', 'bulk', 'file-import', 'file-tail'] as const;
export type IngestPath = (typeof INGEST_PATHS)[number];

/**
 * The host every HEC event names: one entity that every hostile rule hits, so it collects risk
 * and shows among the entities at risk, and its timeline is long.
 */
export const RISK_HOST = `<svg/data-xss="rk"/onload="${trap('rk')}">`;
export const RISK_HOST_PROBE = RISK_HOST;

/** The host of a syslog line sent while the alert queue is open: its alert must arrive live, inert. */
export const LIVE_HOST = `<svg/data-xss="lv"/onload="${trap('live')}">`;

/** A hostile JSON key: field names are shown too (the search page's field sidebar). */
export const HOSTILE_KEY = `<img src=x data-xss="k1" onerror="${trap('k1')}">`;

/** The file name a hostile import reports as its path. */
export const HOSTILE_IMPORT_PATH = `/var/log/<img src=x data-xss="ip1" onerror="${trap('ip1')}">.log`;

/** The word each event's message starts with; the rule for payload `id` matches it. */
export const tagOf = (p: HostilePayload): string => `vgxtag${p.id}`;

export const HOSTILE_RULE_LOGSOURCE = 'vigil-hostile-test';

/** A log source every event with a message belongs to, for the hostile rules. */
export const HOSTILE_LOGSOURCES = toYaml({
  version: 1,
  logsources: [{ product: HOSTILE_RULE_LOGSOURCE, events: [{ present: ['message'] }] }],
});

export const ruleIdOf = (p: HostilePayload): string => `vigil-hostile-${p.id}`;

/** The first reference of payload `p`'s rule: shown only where that rule's details are, so a page showing it has loaded them. */
export const referenceOf = (p: HostilePayload): string => `javascript:${trap(`${p.id}ref`)}`;

/**
 * One rule per payload, its metadata that payload. Titles are at most 256 characters (the
 * loader's limit), so the long payload's title is its beginning.
 */
export function hostileRules(corpus: readonly HostilePayload[] = XSS_CORPUS): Record<string, string> {
  const files: Record<string, string> = {};
  for (const p of corpus) {
    files[`hostile-${p.id}.yml`] = toYaml({
      title: p.text.slice(0, 256),
      id: ruleIdOf(p),
      status: 'experimental',
      description: p.text,
      author: p.text,
      references: [referenceOf(p), `data:text/html,<script>${trap(`${p.id}ref`)}</script>`, p.text],
      date: '2026-11-28',
      tags: ['attack.execution', 'attack.t1059', p.text],
      logsource: { product: HOSTILE_RULE_LOGSOURCE },
      // The sshd lines carry no tag (the parser wants the message as sshd writes it): their host does.
      detection: { selection_tag: { 'message|startswith': `${tagOf(p)} ` }, selection_sshd: { 'host.name': `ssh-${p.id}` }, condition: '1 of selection_*' },
      falsepositives: [p.text],
      level: 'high',
    });
  }
  return files;
}

/** Rules that arrive through the console's import (`POST /api/v1/rules/import`) rather than a rules folder. */
export const IMPORTED_RULE_FAMILIES: readonly HostilePayload['family'][] = ['formula', 'markdown'];
const imported = (p: HostilePayload) => IMPORTED_RULE_FAMILIES.includes(p.family);

/** The rule files placed in the server's rules folder before it starts. */
export function folderRules(corpus: readonly HostilePayload[] = XSS_CORPUS): Record<string, string> {
  return hostileRules(corpus.filter((p) => !imported(p)));
}

/** What the rule import answers. */
export interface RuleImportReport {
  readonly written: readonly string[];
  readonly failed: readonly { readonly file: string; readonly reason: string }[];
}

/**
 * Imports the remaining hostile rules through the API, with a hostile file name beside them
 * that must be refused (paths are letters, digits and a few marks); the import's report.
 */
export async function importHostileRules(server: ConsoleServer, corpus: readonly HostilePayload[] = XSS_CORPUS): Promise<RuleImportReport> {
  const files = Object.entries(hostileRules(corpus.filter(imported))).map(([name, content]) => ({ path: `hostile import/${name}`, content }));
  files.push({ path: `../<img src=x data-xss="rp" onerror="${trap('rule-path')}">.yml`, content: Object.values(hostileRules([corpus[0]!]))[0]!.replace(ruleIdOf(corpus[0]!), 'vigil-hostile-path') });
  return server.apiJson<RuleImportReport>('/api/v1/rules/import', { method: 'POST', json: { files } });
}

const SEVERITY_ERR = 11; // facility user (1) * 8 + error (3)

function rfc5424(p: HostilePayload, path: IngestPath, now: Date): string {
  const host = p.compact && p.text.length <= 255 ? p.text : `h-${p.id}-${path}`;
  const app = p.compact && p.text.length <= 48 ? p.text : `app-${p.id}`;
  return `<${SEVERITY_ERR}>1 ${now.toISOString()} ${host} ${app} 4242 - - ${tagOf(p)} ${p.text}`;
}

function bsdTime(now: Date): string {
  const month = now.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' });
  const day = String(now.getUTCDate()).padStart(2, ' ');
  return `${month} ${day} ${now.toISOString().slice(11, 19)}`;
}

/** An sshd failed login whose user (a compact payload) the parser puts into user.name. */
function sshdFailure(p: HostilePayload, now: Date): string {
  return `<38>${bsdTime(now)} ssh-${p.id} sshd[42]: Failed password for invalid user ${p.text} from 203.0.113.9 port 40000 ssh2`;
}

/** The syslog lines of one path: one RFC 5424 line per payload, and sshd lines for compact ones. */
export function syslogLines(path: IngestPath, corpus: readonly HostilePayload[] = XSS_CORPUS, now = new Date()): string[] {
  return corpus.map((p) => rfc5424(p, path, now));
}

/** The JSON record of one payload: every entity and shown field hostile, and hostile keys. */
export function hostileRecord(p: HostilePayload, path: IngestPath, now = new Date()): Record<string, unknown> {
  return {
    '@timestamp': now.toISOString(),
    message: `${tagOf(p)} ${p.text}`,
    host: { name: path === 'hec' ? RISK_HOST : p.text },
    user: { name: p.text, target: { name: p.text } },
    source: { ip: p.text },
    destination: { ip: p.text },
    process: { name: p.text, command_line: p.text, executable: p.text },
    file: { path: p.text },
    url: { original: p.text },
    event: { action: p.text, outcome: 'failure' },
    labels: { ingest_path: path, payload: p.id },
    [HOSTILE_KEY]: p.text,
  };
}

/** `__proto__` and `constructor` as JSON keys (JSON.stringify of an object literal cannot write them). */
function withPollutingKeys(json: string, id: string): string {
  return `${json.slice(0, -1)},"__proto__":{"xssPolluted":"${id}"},"constructor":{"prototype":{"xssPolluted":"${id}"}}}`;
}

export interface SentCounts {
  /** Events sent per path. */
  readonly perPath: Record<IngestPath, number>;
  readonly total: number;
}

/** Sends the corpus through every ingest path; throws when an input refuses it. */
export async function sendHostileEvents(server: ConsoleServer, corpus: readonly HostilePayload[] = XSS_CORPUS): Promise<SentCounts> {
  const now = new Date();
  const compact = corpus.filter((p) => p.compact);
  const perPath = {} as Record<IngestPath, number>;

  const withSshd = (path: IngestPath) => [...syslogLines(path, corpus, now), ...compact.map((p) => sshdFailure(p, now))];
  const udp = withSshd('syslog-udp');
  await server.send.udp(udp);
  perPath['syslog-udp'] = udp.length;
  const tcp = withSshd('syslog-tcp');
  await server.send.tcp(tcp);
  perPath['syslog-tcp'] = tcp.length;
  const tls = withSshd('syslog-tls');
  await server.send.tls(tls);
  perPath['syslog-tls'] = tls.length;

  const ingestBody = corpus.map((p) => withPollutingKeys(JSON.stringify(hostileRecord(p, 'http-ingest', now)), p.id)).join('\n') + '\n';
  await expectOk('HTTP ingest', await fetch(`${server.url}/api/v1/ingest`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.ingestToken}`, 'content-type': 'application/x-ndjson' },
    body: ingestBody,
  }));
  perPath['http-ingest'] = corpus.length;

  await expectOk('HEC', await server.send.hec(corpus.map((p) => ({
    time: now.getTime() / 1000,
    host: RISK_HOST,
    source: p.text,
    sourcetype: p.text,
    event: hostileRecord(p, 'hec', now),
  }))));
  perPath.hec = corpus.length;

  const bulk = await server.send.bulk('logs-hostile', corpus.map((p) => hostileRecord(p, 'bulk', now)));
  await expectOk('_bulk', bulk);
  perPath.bulk = corpus.length;

  const imported = withSshd('file-import');
  await expectOk('file import', await server.send.importLines(imported, { format: 'syslog', path: HOSTILE_IMPORT_PATH }));
  perPath['file-import'] = imported.length;

  const tailed = withSshd('file-tail');
  await server.send.tail(tailed);
  perPath['file-tail'] = tailed.length;

  return { perPath, total: Object.values(perPath).reduce((a, b) => a + b, 0) };
}

async function expectOk(what: string, res: Response): Promise<void> {
  const text = await res.text();
  if (!res.ok) throw new Error(`${what} answered ${res.status}: ${text.slice(0, 500)}`);
  if (what === '_bulk' && (JSON.parse(text) as { errors?: boolean }).errors) throw new Error(`_bulk refused documents: ${text.slice(0, 500)}`);
}

/**
 * What users type, hostile too: each with its own trap id and marker, so a page that shows one
 * is checked for that one. `username` has no white space, the form user names are most likely
 * to be restricted to.
 */
export const HOSTILE_INPUTS = {
  caseTitle: `<img src=x data-xss="ct" onerror="${trap('case-title')}"> case {{constructor.constructor('${trap('ct2')}')()}}`,
  caseNote: `[note](javascript:${trap('case-note')}) <script data-xss="cn">${trap('case-note')}</script> **bold** &lt;b&gt;`,
  caseOwner: `<svg data-xss="co" onload="${trap('case-owner')}">`,
  suppressionReason: `<iframe data-xss="sr" srcdoc="<script>parent.${trap('suppression')}</script>"></iframe> known scanner`,
  tokenName: `<img src=x data-xss="tn" onerror="${trap('token-name')}"> shipper`,
  triageComment: `<details open data-xss="tc" ontoggle="${trap('triage-comment')}">comment</details>`,
  assignee: `<body data-xss="as" onload="${trap('assignee')}">`,
  username: `<svg/data-xss="un"/onload="${trap('username')}">`,
  searchQuery: `"<img src=x data-xss=sq onerror=${trap('search-query')}>"`,
} as const;

export interface HostileObjects {
  readonly caseId: string;
  readonly suppressionId: string;
  /** The alert triaged by the hostile token with the hostile comment and assignee. */
  readonly triagedAlertId: string;
  /** Set when the users API accepted the hostile user name; else why it was refused. */
  readonly user: { readonly id: string } | { readonly refused: string } | undefined;
}

interface AlertRow {
  readonly id: string;
  readonly ruleId: string;
  readonly details: { readonly entities?: Record<string, unknown> };
}

/**
 * Waits until every payload's rule has raised its alert about the JSON records' entities (every
 * one hostile); the alert id per payload id. Alerts come a few seconds after the events.
 */
export async function waitForHostileAlerts(server: ConsoleServer, corpus: readonly HostilePayload[] = XSS_CORPUS, timeoutMs = 30_000): Promise<Map<string, string>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { alerts } = await server.apiJson<{ alerts: AlertRow[] }>('/api/v1/alerts?limit=10000');
    const found = new Map<string, string>();
    for (const p of corpus) {
      const alert = alerts.find((a) => a.ruleId === ruleIdOf(p) && a.details.entities?.['user.name'] === p.text && a.details.entities?.['host.name'] === p.text);
      if (alert) found.set(p.id, alert.id);
    }
    if (found.size === corpus.length) return found;
    if (Date.now() > deadline) {
      throw new Error(`payloads whose rule raised no alert about the hostile JSON record within ${timeoutMs} ms: ${corpus.filter((p) => !found.has(p.id)).map((p) => p.id).join(' ')}`);
    }
    await sleep(250);
  }
}

/**
 * Creates through the API what users would: a token with a hostile name that triages an alert
 * with a hostile comment and assignee, a case with a hostile title, note and owner, a
 * suppression with a hostile reason, and a user with a hostile name (when users exist).
 */
export async function createHostileObjects(server: ConsoleServer, alertIds: readonly string[]): Promise<HostileObjects> {
  const analyst = await server.apiJson<{ token: string }>('/api/v1/tokens', { method: 'POST', json: { name: HOSTILE_INPUTS.tokenName, role: 'analyst' } });
  const triagedAlertId = alertIds[0]!;
  const asAnalyst = async (path: string, body: unknown) => {
    const res = await fetch(`${server.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${analyst.token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const text = await res.text();
    if (!res.ok) throw new Error(`POST ${path} answered ${res.status}: ${text}`);
    return JSON.parse(text) as { id: string };
  };
  await asAnalyst(`/api/v1/alerts/${triagedAlertId}/actions`, { action: 'comment', comment: HOSTILE_INPUTS.triageComment });
  await asAnalyst(`/api/v1/alerts/${triagedAlertId}/actions`, { action: 'assign', assignee: HOSTILE_INPUTS.assignee });
  const created = await asAnalyst('/api/v1/cases', { title: HOSTILE_INPUTS.caseTitle, alertIds });
  await asAnalyst(`/api/v1/cases/${created.id}/actions`, { action: 'note', text: HOSTILE_INPUTS.caseNote });
  await asAnalyst(`/api/v1/cases/${created.id}/actions`, { action: 'assign', owner: HOSTILE_INPUTS.caseOwner });
  const suppression = await asAnalyst('/api/v1/suppressions', {
    ruleId: ruleIdOf(XSS_CORPUS[0]!),
    fields: { 'host.name': `h-${XSS_CORPUS[0]!.id}-syslog-udp` },
    reason: HOSTILE_INPUTS.suppressionReason,
    for: '7d',
  });

  let user: HostileObjects['user'];
  const res = await server.api('/api/v1/users', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: HOSTILE_INPUTS.username, role: 'viewer' }) });
  const text = await res.text();
  if (res.status === 201) user = { id: (JSON.parse(text) as { user: { id: string } }).user.id };
  else if (res.status === 400) user = { refused: text };
  else if (res.status !== 404) throw new Error(`POST /api/v1/users answered ${res.status}: ${text}`);
  return { caseId: created.id, suppressionId: suppression.id, triagedAlertId, user };
}
