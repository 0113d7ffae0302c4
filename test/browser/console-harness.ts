/**
 * The browser tests' world: a real `vigil serve` (child process, temporary data folder,
 * generated vigil.yaml) with every ingest input on a free loopback port, and Debian's Chromium
 * driven by playwright-core, with what a page did wrong collected as it happens: console
 * errors, page errors, dialogs, Content-Security-Policy violations and calls of the `__xss`
 * trap that hostile payloads make if they ever run.
 *
 * Not a test: test/browser/*.test.ts use it. Playwright's own browser downloads are never used
 * (`playwright install` is not run); the tests need /usr/bin/chromium (`.ci/run` installs the
 * Debian package) and skip with a message saying so when it is missing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { appendFile, rm } from 'node:fs/promises';
import { connect as connectTcp } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect as connectTls } from 'node:tls';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { stringify as toYaml } from 'yaml';
import { makeTestCert, type TestCert } from '../support/tls-cert.js';
import { hostPort, REPO } from '../support/vigil-process.js';

const CLI = join(REPO, 'src/cli/main.ts');

/** Debian's Chromium; VIGIL_CHROMIUM names another build of Chromium. */
export const CHROMIUM_PATH = process.env.VIGIL_CHROMIUM ?? '/usr/bin/chromium';

/**
 * No sandbox: CI runs as root in a container, where Chromium's sandbox cannot start. No GPU,
 * QUIC, sync, component updates or background requests: the test talks to loopback only.
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/** Why the browser tests cannot run here, or undefined when they can. */
export function browserSkipReason(): string | undefined {
  if (!existsSync(CHROMIUM_PATH)) {
    return `no Chromium at ${CHROMIUM_PATH}: install the Debian package chromium (.ci/run does) or set VIGIL_CHROMIUM to run the browser tests`;
  }
  return undefined;
}

/**
 * Why the console cannot be tested against this server, or undefined when it serves the UI.
 * Only a tree without the console's source (ui/) skips; a console that is there but not built
 * or not served fails, since `npm ci` builds it.
 */
export async function consoleSkipReason(server: ConsoleServer): Promise<string | undefined> {
  if (!existsSync(join(REPO, 'ui', 'index.html'))) return 'this tree has no console (ui/index.html): nothing to test in a browser';
  const res = await fetch(`${server.url}/`, { headers: { accept: 'text/html' } });
  const type = res.headers.get('content-type') ?? '';
  const body = await res.text();
  if (res.status !== 200 || !type.includes('text/html') || !/<script[^>]+src=/i.test(body)) {
    throw new Error(`the server does not serve the console at / (status ${res.status}, ${type || 'no content type'}): build it with npm ci (ui/dist)\n${body.slice(0, 500)}`);
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// The server

export interface ConsoleServerOptions {
  /** Sigma rule files placed in a rules folder of the generated config: name → YAML text. */
  readonly rules?: Readonly<Record<string, string>>;
  /** A log-source mapping file (config/sigma/logsources.yml format) added to the defaults. */
  readonly logsources?: string;
  /** More top-level keys of vigil.yaml (they replace the generated ones of the same name). */
  readonly config?: Readonly<Record<string, unknown>>;
}

export interface ServerInfoFile {
  pid: number;
  http: string;
  syslog: { udp?: string; tcp?: string; tls?: string };
}

export interface ImportOptions {
  readonly format?: string;
  /** The file name the import reports as its source. */
  readonly path?: string;
}

export interface ConsoleServer {
  /** `http://127.0.0.1:<port>`: the console, the API and HTTP ingest. */
  readonly url: string;
  readonly info: ServerInfoFile;
  /** The temporary folder holding the data folder, config, rules, certificate and tailed file. */
  readonly dir: string;
  readonly data: string;
  readonly cert: TestCert;
  /** The file the server follows (`files:` in vigil.yaml). */
  readonly tailedFile: string;
  /** A bearer token with the admin role, for set-up through the API. */
  readonly adminToken: string;
  /** The first-run password of the user `admin`, when the server creates users. */
  readonly initialAdminPassword: string | undefined;
  /** A token with the ingest role, created through the API. */
  readonly ingestToken: string;
  /** An API call as the admin token. */
  api(path: string, init?: RequestInit): Promise<Response>;
  /** An API call as the admin token that must succeed; its JSON answer. */
  apiJson<T>(path: string, init?: RequestInit & { json?: unknown }): Promise<T>;
  readonly send: {
    /** One syslog message per datagram. */
    udp(messages: readonly string[]): Promise<void>;
    /** Octet-counted framing (RFC 6587), so a message may hold a line break. */
    tcp(messages: readonly string[]): Promise<void>;
    tls(messages: readonly string[]): Promise<void>;
    /** `POST /api/v1/ingest` as NDJSON. */
    ingest(records: readonly unknown[]): Promise<Response>;
    /** Splunk HEC `POST /services/collector/event`. */
    hec(events: readonly unknown[]): Promise<Response>;
    /** Elasticsearch `POST /_bulk` with `create` actions. */
    bulk(index: string, documents: readonly unknown[]): Promise<Response>;
    /** File import, `POST /api/v1/import`. */
    importLines(lines: readonly string[], options?: ImportOptions): Promise<Response>;
    /** Appends lines to the followed file. */
    tail(lines: readonly string[]): Promise<void>;
  };
  /** Waits until the search API counts at least `expected` events for `query`; the count. */
  waitForEvents(query: string, expected: number, timeoutMs?: number): Promise<number>;
  /** What the server printed (stdout and stderr). */
  output(): string;
  stop(): Promise<void>;
}

const LOG_SOURCES_NAME = 'logsources.yml';

export async function startConsoleServer(options: ConsoleServerOptions = {}): Promise<ConsoleServer> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-console-'));
  const data = join(dir, 'data');
  const rulesDir = join(dir, 'rules');
  const tailDir = join(dir, 'tail');
  mkdirSync(rulesDir);
  mkdirSync(tailDir);
  const tailedFile = join(tailDir, 'followed.log');
  writeFileSync(tailedFile, '');
  const cert = makeTestCert(mkdtempSync(join(dir, 'tls-')));
  for (const [name, text] of Object.entries(options.rules ?? {})) writeFileSync(join(rulesDir, name), text);
  if (options.logsources) writeFileSync(join(dir, LOG_SOURCES_NAME), options.logsources);

  const config: Record<string, unknown> = {
    http: { listen: '127.0.0.1:0' },
    syslog: {
      udp: '127.0.0.1:0',
      tcp: '127.0.0.1:0',
      tls: { listen: '127.0.0.1:0', cert: cert.certPath, key: cert.keyPath },
      format: 'auto',
    },
    files: [{ path: tailedFile, format: 'auto', startAt: 'beginning' }],
    filesPollMs: 100,
    pipeline: { batchSize: 500 },
    store: { memoryLimit: '512MB', chainSignEverySeconds: 5 },
    detection: {
      rules: [rulesDir],
      ...(options.logsources ? { logsources: [join(dir, LOG_SOURCES_NAME)] } : {}),
      reloadSeconds: 1,
      beacons: { enabled: false },
    },
    log: { level: 'warn' },
    ...options.config,
  };
  const configFile = join(dir, 'vigil.yaml');
  writeFileSync(configFile, toYaml(config));

  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'serve', '--data', data, '--config', configFile], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // A test that fails before stop() must not leave a server behind (or keep node:test waiting).
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code) => {
      exitCode = code;
      resolve();
    }),
  );

  try {
    const info = await waitForServerInfo(child, data, () => exitCode, () => output);
    const url = info.http;
    const adminTokenFile = join(data, 'admin-token');
    const passwordFile = join(data, 'initial-admin-password');
    const adminToken = readFileSync(adminTokenFile, 'utf8').trim();
    const initialAdminPassword = existsSync(passwordFile) ? readFileSync(passwordFile, 'utf8').trim() : undefined;

    const api = (path: string, init: RequestInit = {}) =>
      fetch(`${url}${path}`, { ...init, headers: { authorization: `Bearer ${adminToken}`, ...(init.headers as Record<string, string>) } });
    const apiJson = async <T>(path: string, init: RequestInit & { json?: unknown } = {}): Promise<T> => {
      const { json, ...rest } = init;
      const res = await api(path, json === undefined ? rest : { ...rest, body: JSON.stringify(json), headers: { 'content-type': 'application/json', ...(rest.headers as Record<string, string>) } });
      const text = await res.text();
      if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path} answered ${res.status}: ${text}`);
      return JSON.parse(text) as T;
    };
    const ingestToken = (await apiJson<{ token: string }>('/api/v1/tokens', { method: 'POST', json: { name: 'browser-test shipper', role: 'ingest' } })).token;
    const asShipper = (path: string, body: string, type: string, scheme = 'Bearer') =>
      fetch(`${url}${path}`, { method: 'POST', headers: { authorization: `${scheme} ${ingestToken}`, 'content-type': type }, body });

    const send: ConsoleServer['send'] = {
      udp: (messages) => sendUdp(info.syslog.udp!, messages),
      tcp: (messages) => sendStream(info.syslog.tcp!, octetCounted(messages), false),
      tls: (messages) => sendStream(info.syslog.tls!, octetCounted(messages), true, cert.cert),
      ingest: (records) => asShipper('/api/v1/ingest', ndjson(records), 'application/x-ndjson'),
      hec: (events) => asShipper('/services/collector/event', events.map((e) => JSON.stringify(e)).join('\n'), 'application/json', 'Splunk'),
      bulk: (index, documents) =>
        asShipper('/_bulk', documents.map((d) => `${JSON.stringify({ create: { _index: index } })}\n${JSON.stringify(d)}\n`).join(''), 'application/x-ndjson'),
      importLines: (lines, o = {}) => {
        const query = new URLSearchParams({ format: o.format ?? 'auto', ...(o.path ? { path: o.path } : {}) });
        return asShipper(`/api/v1/import?${query}`, lines.map((l) => `${l}\n`).join(''), 'text/plain');
      },
      tail: (lines) => appendFile(tailedFile, lines.map((l) => `${l}\n`).join('')),
    };

    const waitForEvents = async (query: string, expected: number, timeoutMs = 20_000) => {
      const deadline = Date.now() + timeoutMs;
      let total = 0;
      for (;;) {
        const res = await api(`/api/v1/search?limit=1&q=${encodeURIComponent(query)}`);
        if (res.ok) total = ((await res.json()) as { total: number }).total;
        if (total >= expected || Date.now() > deadline) return total;
        await sleep(150);
      }
    };

    let stopping: Promise<void> | undefined;
    return {
      url,
      info,
      dir,
      data,
      cert,
      tailedFile,
      adminToken,
      initialAdminPassword,
      ingestToken,
      api,
      apiJson,
      send,
      waitForEvents,
      output: () => output,
      stop: () =>
        (stopping ??= (async () => {
          if (exitCode === undefined) child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
          await exited;
          clearTimeout(timer);
          process.removeListener('exit', killOnExit);
          await rm(dir, { recursive: true, force: true });
        })()),
    };
  } catch (e) {
    child.kill('SIGKILL');
    await exited;
    process.removeListener('exit', killOnExit);
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}

async function waitForServerInfo(child: ChildProcess, data: string, exitCode: () => number | null | undefined, output: () => string): Promise<ServerInfoFile> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exitCode() !== undefined) throw new Error(`vigil serve exited (${exitCode()}) before it was ready:\n${output()}`);
    if (Date.now() > deadline) throw new Error(`vigil serve was not ready within 30 s:\n${output()}`);
    try {
      const parsed = JSON.parse(readFileSync(join(data, 'server.json'), 'utf8')) as ServerInfoFile;
      if (parsed.pid === child.pid) return parsed;
    } catch {
      /* not written yet */
    }
    await sleep(50);
  }
}

function ndjson(records: readonly unknown[]): string {
  return records.map((r) => JSON.stringify(r)).join('\n') + '\n';
}

/** RFC 6587 octet counting: the length in bytes, a space, the message. */
function octetCounted(messages: readonly string[]): Buffer {
  return Buffer.concat(messages.map((m) => {
    const body = Buffer.from(m, 'utf8');
    return Buffer.concat([Buffer.from(`${body.length} `), body]);
  }));
}

async function sendUdp(address: string, messages: readonly string[]): Promise<void> {
  const { host, port } = hostPort(address);
  const socket = createSocket('udp4');
  try {
    for (const m of messages) {
      await new Promise<void>((resolve, reject) => socket.send(Buffer.from(m, 'utf8'), port, host, (e) => (e ? reject(e) : resolve())));
    }
  } finally {
    socket.close();
  }
}

async function sendStream(address: string, payload: Buffer, tls: boolean, ca?: string): Promise<void> {
  const { host, port } = hostPort(address);
  await new Promise<void>((resolve, reject) => {
    const socket = tls
      ? connectTls({ host, port, ca, servername: 'localhost' }, () => socket.end(payload))
      : connectTcp(port, host, () => socket.end(payload));
    socket.on('close', () => resolve());
    socket.on('error', reject);
  });
}

// ---------------------------------------------------------------------------------------------
// The browser

export interface CspViolation {
  readonly directive: string;
  readonly blocked: string;
  readonly sample: string;
  readonly source: string;
  readonly page: string;
}

/** What went wrong in a browser context, as it happened. */
export interface PageFindings {
  readonly consoleErrors: string[];
  readonly pageErrors: string[];
  readonly dialogs: string[];
  readonly cspViolations: CspViolation[];
  /** Ids passed to `__xss`: payloads that ran. */
  readonly trapped: { readonly id: string; readonly page: string }[];
  /** Requests that left loopback (the console must never fetch anything from elsewhere). */
  readonly foreignRequests: string[];
  /** Answers of 400 and above to the page's requests: `METHOD url → status` (the console errors say only the status). */
  readonly failedRequests: string[];
}

export interface ConsoleSession {
  readonly context: BrowserContext;
  readonly page: Page;
  readonly findings: PageFindings;
  /** Saves a screenshot of the page in the screenshot folder; the file's path. */
  screenshot(name: string): Promise<string>;
}

export interface ConsoleBrowser {
  readonly browser: Browser;
  /** A fresh context (its own cookies and storage) with the findings' listeners, and a page. */
  newSession(baseUrl: string): Promise<ConsoleSession>;
  close(): Promise<void>;
}

/** 1280×800: the issue's smallest screen the console must be usable at. */
export const VIEWPORT = { width: 1280, height: 800 };

/**
 * Runs in every document before its own scripts: CSP violations are events in the page, not
 * protocol messages, so the page reports them through a binding.
 */
const CSP_LISTENER = `
  document.addEventListener('securitypolicyviolation', (e) => {
    window.__vigilCspViolation({ directive: e.violatedDirective, blocked: e.blockedURI, sample: e.sample, source: e.sourceFile + ':' + e.lineNumber });
  }, true);
`;

/**
 * Chromium launched by playwright-core: each launch gets a fresh temporary profile
 * (user-data dir) from Playwright, deleted when the browser closes, and each session a fresh
 * context within it.
 */
export async function launchConsoleBrowser(): Promise<ConsoleBrowser> {
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS, timeout: 30_000 });
  return {
    browser,
    newSession: async (baseUrl) => {
      const context = await browser.newContext({ baseURL: baseUrl, viewport: VIEWPORT, colorScheme: 'light', locale: 'en-GB', timezoneId: 'UTC' });
      context.setDefaultTimeout(10_000);
      const findings: PageFindings = { consoleErrors: [], pageErrors: [], dialogs: [], cspViolations: [], trapped: [], foreignRequests: [], failedRequests: [] };
      await context.exposeBinding('__xss', (source, id: unknown) => {
        findings.trapped.push({ id: String(id), page: source.page?.url() ?? '?' });
      });
      await context.exposeBinding('__vigilCspViolation', (source, v: Omit<CspViolation, 'page'>) => {
        findings.cspViolations.push({ ...v, page: source.page?.url() ?? '?' });
      });
      await context.addInitScript(CSP_LISTENER);
      const origin = new URL(baseUrl).origin;
      await context.route('**/*', (route) => {
        const url = route.request().url();
        if (url.startsWith(origin) || url.startsWith('data:') || url.startsWith('blob:')) return route.continue();
        findings.foreignRequests.push(url);
        return route.abort('blockedbyclient');
      });
      const page = await context.newPage();
      page.on('console', (m) => {
        if (m.type() === 'error') findings.consoleErrors.push(`${page.url()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => findings.pageErrors.push(`${page.url()}: ${e.message}`));
      page.on('response', (r) => {
        if (r.status() >= 400) findings.failedRequests.push(`${r.request().method()} ${r.url().slice(0, 300)} → ${r.status()} (on ${page.url()})`);
      });
      page.on('dialog', (d) => {
        findings.dialogs.push(`${d.type()}: ${d.message()}`);
        void d.dismiss().catch(() => {});
      });
      return {
        context,
        page,
        findings,
        screenshot: async (name) => {
          const file = join(screenshotFolder(), `${name.replace(/[^a-z0-9-]+/gi, '-')}.png`);
          await page.screenshot({ path: file, fullPage: false });
          return file;
        },
      };
    },
    close: () => browser.close(),
  };
}

let screenshots: string | undefined;

/** One folder per test process under the OS temp dir, kept after the run; printed once. */
export function screenshotFolder(): string {
  if (!screenshots) {
    screenshots = mkdtempSync(join(tmpdir(), 'vigil-console-screenshots-'));
    process.stdout.write(`screenshots: ${screenshots}\n`);
  }
  return screenshots;
}

// ---------------------------------------------------------------------------------------------
// Logging in

/**
 * Logs in through the console's login form and, when the account must change its password
 * first, through the change-password form; waits until the console shows its navigation.
 * The labels are those ui/README.md lists.
 */
export async function loginThroughForm(page: Page, credentials: { username: string; password: string; newPassword?: string }): Promise<void> {
  await page.goto('/');
  await page.getByLabel('Username').fill(credentials.username);
  await page.getByLabel('Password', { exact: true }).fill(credentials.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  if (credentials.newPassword !== undefined) {
    await page.getByLabel('Current password').fill(credentials.password);
    await page.getByLabel('New password', { exact: true }).fill(credentials.newPassword);
    await page.getByLabel('Repeat new password').fill(credentials.newPassword);
    await page.getByRole('button', { name: 'Change password' }).click();
  }
  await page.getByRole('navigation').first().waitFor();
}
