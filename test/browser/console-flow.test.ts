/**
 * An analyst's first hour in the console, in Chromium against a real `vigil serve`: sign in as
 * `admin` with the initial password and change it; watch an SSH brute force (syslog lines sent
 * during the test) appear in the alert queue without reloading; triage it in bulk and on its
 * page; search, filter from the field sidebar, read a query error and a table; pivot to the
 * entity timeline; open a case from the alert; then visit every other page (rules with a
 * retro-hunt, sources, overview, each settings section) and switch the theme. A screenshot of
 * every page is saved in the folder printed at the start. Throughout, the console must raise no
 * page error, no CSP violation and no request to another origin.
 *
 * The names used to find controls are the ones ui/README.md lists.
 */
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Page } from 'playwright-core';
import {
  browserSkipReason,
  consoleSkipReason,
  launchConsoleBrowser,
  startConsoleServer,
  type ConsoleBrowser,
  type ConsoleServer,
  type ConsoleSession,
} from './console-harness.js';

const ATTACKER = '203.0.113.50';
const HOST = 'web-01';
const NEW_PASSWORD = 'correct horse battery staple';
/** The built-in correlation (config/rules/authentication): 10 failures from one source in 5 minutes. */
const BRUTE_FORCE = 'SSH Brute Force From One Source';

/**
 * A playbook for the brute force whose step is destructive, so each run waits for an admin's
 * approval in the console. Its program is /bin/true: approving runs it and nothing else.
 */
const PLAYBOOK = `name: block-ssh-brute-force
description: Block the guessing address (a harmless stand-in in this test).
when:
  rules: [d89356b4-4e74-4ea5-a187-9a51354d3d06]
requires: [entities.source.ip]
steps:
  - name: block
    destructive: true
    run: { program: /bin/true, args: [block, '{{entities.source.ip}}'] }
`;

/** Polls `check` until it holds (5 s at most). */
async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`${what}: not within 5 s`);
    await sleep(50);
  }
}

/** A folder of rules as an analyst would pick it: one rule, one broken file, one README. */
const RULE_FOLDER: Readonly<Record<string, string>> = {
  'sudo_to_root.yml': `title: Flow Test Sudo To Root
id: 5f0e3c2a-1b7d-4c8e-9a6f-2d4b8e1c7a90
status: experimental
description: A rule imported through the console by the flow test.
author: Console Flow Test
logsource:
  product: linux
  service: sudo
detection:
  selection:
    process.name: sudo
  condition: selection
level: low
`,
  'broken.yml': 'title: [this is not a rule\n',
  'README.md': '# rules picked from a folder\n',
};

/** RFC 3164 lines as sshd logs them, stamped now (the server reads them in UTC). */
function failedLogins(count: number): string[] {
  const now = new Date();
  const month = now.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' });
  const stamp = `${month} ${String(now.getUTCDate()).padStart(2, ' ')} ${now.toISOString().slice(11, 19)}`;
  return Array.from({ length: count }, (_, i) => `<38>${stamp} ${HOST} sshd[${4200 + i}]: Failed password for ${i % 3 === 0 ? 'root' : 'admin'} from ${ATTACKER} port ${40000 + i} ssh2`);
}

/**
 * Runs in the page: every control a keyboard or screen-reader user meets has a name (a label,
 * aria-label or aria-labelledby, or a button's text), and ids are unique (labels point at them).
 */
const UNNAMED_CONTROLS = `(() => {
  const out = [];
  const ids = new Map();
  for (const e of document.querySelectorAll('[id]')) ids.set(e.id, (ids.get(e.id) || 0) + 1);
  for (const [id, n] of ids) if (n > 1) out.push('duplicate id ' + id);
  for (const e of document.querySelectorAll('input, select, textarea, button, a[href], summary')) {
    if (e.type === 'hidden' || e.closest('[aria-hidden=true]')) continue;
    const labelled = (e.getAttribute('aria-labelledby') || '').split(/\\s+/).filter(Boolean).map((id) => document.getElementById(id)?.textContent || '').join('');
    const name = (e.getAttribute('aria-label') || labelled || [...(e.labels || [])].map((l) => l.textContent).join('') || (e.matches('button, a, summary') ? e.textContent : '') || e.getAttribute('title') || '').trim();
    if (name === '') out.push(e.outerHTML.slice(0, 120));
  }
  return out;
})()`;

describe('the console, from sign-in to a case', { skip: browserSkipReason(), timeout: 300_000 }, () => {
  let server: ConsoleServer;
  let browser: ConsoleBrowser | undefined;
  let session: ConsoleSession;
  let page: Page;
  let alertUrl = '';
  const shots: string[] = [];
  const shot = async (name: string) => {
    await sleep(150); // charts draw on the next frame
    shots.push(await session.screenshot(`flow-${String(shots.length + 1).padStart(2, '0')}-${name}`));
    const unnamed = await page.evaluate<string[]>(UNNAMED_CONTROLS);
    assert.deepEqual(unnamed, [], `${name}: controls without an accessible name`);
  };

  let playbooks: string | undefined;

  before(async () => {
    playbooks = mkdtempSync(join(tmpdir(), 'vigil-flow-playbooks-'));
    writeFileSync(join(playbooks, 'block.yml'), PLAYBOOK);
    mkdirSync(join(playbooks, 'rule-folder'));
    for (const [name, text] of Object.entries(RULE_FOLDER)) writeFileSync(join(playbooks, 'rule-folder', name), text);
    server = await startConsoleServer({ config: { response: { playbooks: [playbooks] } } });
    const skip = await consoleSkipReason(server);
    assert.equal(skip, undefined, skip);
    assert.ok(server.initialAdminPassword, 'the first start writes <data>/initial-admin-password');
    browser = await launchConsoleBrowser();
    session = await browser.newSession(server.url);
    page = session.page;
  });

  after(async () => {
    if (shots.length > 0) process.stdout.write(`console-flow screenshots:\n${shots.map((s) => `  ${s}`).join('\n')}\n`);
    await browser?.close();
    await server?.stop();
    if (playbooks) rmSync(playbooks, { recursive: true, force: true });
  });

  it('signs in with the initial admin password and must change it first', async () => {
    await page.goto('/');
    await page.getByRole('heading', { name: 'Sign in to Vigil' }).waitFor();
    await shot('login');
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password', { exact: true }).fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: /./ }).waitFor();

    await page.getByLabel('Password', { exact: true }).fill(server.initialAdminPassword!);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Change your password' }).waitFor();
    await shot('change-password');
    await page.getByLabel('Current password').fill(server.initialAdminPassword!);
    await page.getByLabel('New password', { exact: true }).fill('short');
    await page.getByLabel('Repeat new password').fill('short');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('alert').filter({ hasText: '12 characters' }).waitFor();
    await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
    await page.getByLabel('Repeat new password').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();

    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    // The session survives a reload (an HttpOnly cookie the page cannot read).
    await page.reload();
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    assert.equal(await page.evaluate<string>('document.cookie'), '', 'the session cookie is HttpOnly');
  });

  it('shows an alert raised by syslog lines sent while the queue is open, without a reload', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Alerts' }).click();
    await page.getByRole('heading', { name: 'Alerts', level: 1 }).waitFor();
    await page.getByText('Live: new alerts appear as they are raised.').waitFor();
    const loadedAt = await page.evaluate(() => performance.timeOrigin);

    await server.send.udp(failedLogins(12));
    const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: BRUTE_FORCE }) });
    await row.waitFor({ timeout: 30_000 });
    assert.equal(await page.evaluate(() => performance.timeOrigin), loadedAt, 'the page was not reloaded');
    await page.getByRole('status').filter({ hasText: /^\d+ new alerts?$/ }).waitFor();
    await row.getByText(ATTACKER).waitFor();
    await shot('alert-queue');
  });

  it('triages the alert: acknowledged in bulk from the queue, closed with a verdict on its page', async () => {
    const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: BRUTE_FORCE }) });
    await row.getByRole('checkbox').check();
    await page.getByRole('button', { name: 'Acknowledge selected' }).click();
    await page.getByRole('status').filter({ hasText: '1 alert updated.' }).waitFor();
    await row.getByText('acknowledged').waitFor();

    // Keyboard: j moves to the first alert, Enter opens it.
    await page.getByRole('heading', { name: 'Alerts', level: 1 }).click();
    await page.keyboard.press('j');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: BRUTE_FORCE, level: 1 }).waitFor();
    alertUrl = page.url();

    const rule = page.getByRole('region', { name: 'Rule' });
    await rule.getByText('d89356b4-4e74-4ea5-a187-9a51354d3d06').waitFor();
    await rule.getByText('Vigil', { exact: true }).waitFor();
    const reference = rule.getByRole('link', { name: 'https://attack.mitre.org/techniques/T1110/001/' });
    assert.equal(await reference.getAttribute('rel'), 'noopener noreferrer');
    await page.getByRole('link', { name: 'T1110.001' }).waitFor();
    const events = page.getByRole('region', { name: 'Matching events' });
    await events.getByText(/of the \d+ events? this alert lists/).waitFor();
    assert.ok((await events.locator('details.event').count()) >= 10, 'the matching events are listed');
    await events.getByText(`Failed password for root from ${ATTACKER}`).first().waitFor();
    const actions = page.getByRole('region', { name: 'Actions run' });
    await actions.getByText('block-ssh-brute-force').waitFor();
    await actions.getByText('awaiting-approval').waitFor();

    await page.getByLabel('Comment').fill('Scanner from outside; blocked at the edge.');
    await page.getByRole('button', { name: 'Add comment' }).click();
    await page.getByRole('region', { name: 'History' }).getByText('Scanner from outside; blocked at the edge.').waitFor();
    await page.getByLabel('Verdict', { exact: true }).selectOption('true_positive');
    await page.getByRole('button', { name: 'Close', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Closed.' }).waitFor();
    await page.locator('.page-head').getByText('True positive').waitFor();
    await page.getByRole('region', { name: 'History' }).getByText('admin').first().waitFor();
    await shot('alert-detail');

    const stored = await server.apiJson<{ state: string; verdict: string; history: { by: string; action: string }[] }>(`/api/v1/alerts/${alertUrl.split('/').pop()}`);
    assert.equal(stored.state, 'closed');
    assert.equal(stored.verdict, 'true_positive');
    assert.ok(stored.history.some((h) => h.by === 'admin' && h.action === 'state'), 'the history names the user');
  });

  it('searches: `/` focuses the query, the sidebar filters, errors point at the column, pipes give a table', async () => {
    await page.keyboard.press('/');
    const query = page.getByLabel('Query');
    await query.waitFor();
    // Polled from here: the page's CSP refuses the eval Playwright's waitForFunction would use.
    await until(() => page.evaluate<boolean>("document.activeElement === document.getElementById('search-query')"), '/ focuses the query');
    await query.fill(`source.ip:${ATTACKER}`);
    await query.press('Enter');
    const results = page.getByRole('region', { name: 'Results' });
    await results.getByText(/^12 events match/).waitFor();
    assert.equal(await results.getByRole('row').count(), 13, 'a header and 12 events');
    await page.getByRole('region', { name: 'Histogram' }).locator('canvas').first().waitFor();
    await page.getByRole('link', { name: 'Export CSV' }).waitFor();
    await shot('search');

    const sidebar = page.getByRole('complementary', { name: 'Fields' });
    await sidebar.locator('summary').filter({ hasText: 'user.name' }).click();
    await sidebar.getByRole('button', { name: 'Filter user.name: root' }).click();
    await results.getByText(/^4 events match/).waitFor();
    assert.equal(await query.inputValue(), `source.ip:${ATTACKER} user.name:root`);

    await query.fill('source.ip:10.0.0.0/33');
    await query.press('Enter');
    const error = page.locator('#search-error');
    await error.waitFor();
    assert.match((await error.textContent()) ?? '', /column 1/);
    assert.equal(await query.getAttribute('aria-invalid'), 'true');

    await query.fill(`source.ip:${ATTACKER} | stats count() by user.name`);
    await query.press('Enter');
    await results.getByRole('columnheader', { name: 'count()' }).waitFor();
    await results.getByRole('row').filter({ hasText: 'root' }).getByText('4').waitFor();
    await shot('search-table');
  });

  it('pivots from a search result to the entity timeline', async () => {
    const query = page.getByLabel('Query');
    await query.fill(`source.ip:${ATTACKER}`);
    await query.press('Enter');
    const results = page.getByRole('region', { name: 'Results' });
    await results.getByText(/^12 events match/).waitFor();
    // The alert is about the attacker's address (the correlation groups by source.ip).
    const sidebar = page.getByRole('complementary', { name: 'Fields' });
    await sidebar.locator('summary').filter({ hasText: 'source.ip' }).click();
    await sidebar.getByRole('link', { name: `Timeline for source.ip ${ATTACKER}` }).click();
    await page.getByRole('heading', { name: 'Entity timeline', level: 1 }).waitFor();
    const items = page.getByRole('region', { name: 'Events and alerts' });
    await items.getByRole('link', { name: BRUTE_FORCE }).first().waitFor();
    assert.equal(await items.getByText('event', { exact: true }).count(), 12, 'the address’s events are listed');
    const related = page.getByRole('region', { name: 'Related entities' });
    await related.getByText(HOST).first().waitFor();
    await page.getByRole('region', { name: 'Activity' }).locator('canvas').first().waitFor();
    await shot('timeline');

    // On to the host the address attacked, from the related entities.
    await related.getByRole('link', { name: `Timeline for host.name ${HOST}` }).click();
    await page.getByText(new RegExp(`host\\.name ${HOST}: 12 events`)).waitFor();
    await page.getByRole('region', { name: 'Events and alerts' }).getByRole('link', { name: BRUTE_FORCE }).waitFor({ state: 'detached' });
    await page.goBack();
    await items.getByRole('link', { name: BRUTE_FORCE }).first().waitFor();
  });

  it('opens a case from the alert, with a note and a status', async () => {
    await page.getByRole('region', { name: 'Events and alerts' }).getByRole('link', { name: BRUTE_FORCE }).first().click();
    await page.getByRole('heading', { name: BRUTE_FORCE, level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Open a case' }).click();
    await page.getByRole('heading', { name: `${BRUTE_FORCE} on ${ATTACKER}`, level: 1 }).waitFor();
    await page.getByLabel('Note', { exact: true }).fill('Opened from the brute force; checking for a later success.');
    await page.getByRole('button', { name: 'Add note' }).click();
    await page.getByRole('region', { name: 'Notes' }).getByText('checking for a later success').waitFor();
    await page.getByLabel('Status').selectOption('investigating');
    await page.getByRole('button', { name: 'Set status' }).click();
    await page.locator('.page-head').getByText('investigating').waitFor();
    await page.getByRole('region', { name: 'Observables' }).getByText(ATTACKER).waitFor();
    await page.getByRole('link', { name: 'Export Markdown' }).waitFor();
    await shot('case');

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Cases' }).click();
    await page.getByRole('heading', { name: 'Cases', level: 1 }).waitFor();
    await page.getByRole('link', { name: `${BRUTE_FORCE} on ${ATTACKER}` }).waitFor();
    await shot('cases');
  });

  it('shows the rules with their figures, and runs one against history', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Rules' }).click();
    await page.getByRole('heading', { name: 'Rules', level: 1 }).waitFor();
    await page.getByLabel('Filter rules').fill('SSH Login Failure Reported by sshd');
    await page.getByRole('button', { name: 'SSH Login Failure Reported by sshd', exact: true }).click();
    const detail = page.getByRole('region', { name: 'SSH Login Failure Reported by sshd' });
    await detail.getByText('b8b4eb83-6195-40da-ac67-d9dac989a6b0').first().waitFor();
    await detail.getByRole('button', { name: 'Run against history' }).click();
    await detail.getByText(/12 matching events/).waitFor({ timeout: 30_000 });
    await shot('rules');

    // Import a folder: the rule loads, the broken file is named, the README is ignored.
    await page.getByRole('button', { name: 'Close rule' }).click();
    await page.locator('summary', { hasText: 'Import a folder of Sigma rules' }).click();
    await page.getByLabel('Rules folder').setInputFiles(join(playbooks!, 'rule-folder'));
    await page.getByRole('button', { name: 'Import rules' }).click();
    const imported = page.getByRole('status').filter({ hasText: /loaded from/ });
    await imported.getByText(/^1 rule loaded from 1 file, 1 failed/).waitFor({ timeout: 30_000 });
    await imported.getByText(/broken\.yml/).waitFor();
    await page.getByLabel('Filter rules').fill('Flow Test Sudo');
    const row = page.getByRole('row').filter({ has: page.getByRole('button', { name: 'Flow Test Sudo To Root' }) });
    await row.getByText('Console Flow Test').waitFor();
    const toggle = row.getByRole('button', { name: 'Enabled: Flow Test Sudo To Root' });
    assert.equal(await toggle.getAttribute('aria-pressed'), 'true');
    await toggle.click();
    await row.getByRole('button', { name: 'Enabled: Flow Test Sudo To Root', pressed: false }).waitFor();
    await shot('rules-imported');
  });

  it('shows the sources and the overview', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Sources' }).click();
    await page.getByRole('heading', { name: 'Sources', level: 1 }).waitFor();
    const syslog = page.getByRole('row').filter({ hasText: 'syslog-udp' }).first();
    await syslog.waitFor();
    await shot('sources');

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Overview' }).click();
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    await page.getByRole('region', { name: 'Top rules' }).getByRole('link', { name: BRUTE_FORCE }).waitFor();
    await page.getByRole('region', { name: 'Alerts by level' }).locator('canvas').first().waitFor();
    await shot('overview');
  });

  it('shows every settings section; a new token’s secret is shown once; the audit log names what was done', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('heading', { name: 'Settings', level: 1 }).waitFor();
    const sections = page.getByRole('navigation', { name: 'Settings sections' });

    await sections.getByRole('link', { name: 'Tokens' }).click();
    await page.getByLabel('Token name').fill('firewall shipper');
    await page.getByRole('button', { name: 'Create token' }).click();
    const secret = page.getByLabel('New token secret', { exact: true });
    await secret.waitFor();
    assert.ok((await secret.inputValue()).length >= 20, 'the secret is shown');
    await shot('settings-tokens');
    await page.getByRole('cell', { name: 'firewall shipper', exact: true }).first().waitFor();
    await page.getByRole('button', { name: 'Done' }).click();
    assert.equal(await page.getByLabel('New token secret', { exact: true }).count(), 0, 'the secret is gone once dismissed');
    await page.getByRole('button', { name: 'Revoke firewall shipper' }).click();
    await page.getByRole('group', { name: 'Revoke firewall shipper' }).getByRole('button', { name: 'Confirm' }).click();
    await page.getByRole('row').filter({ hasText: 'firewall shipper' }).getByText('revoked').waitFor();

    await sections.getByRole('link', { name: 'Playbooks' }).click();
    await page.getByRole('heading', { name: 'Playbooks', level: 2 }).waitFor();
    await page.getByText('block-ssh-brute-force').first().waitFor();
    const run = page.getByRole('row').filter({ hasText: 'awaiting-approval' });
    await run.getByRole('button', { name: /^Approve run / }).click();
    await page.getByRole('row').filter({ hasText: 'block-ssh-brute-force' }).getByText('done').waitFor();
    await shot('settings-playbooks');

    for (const [name, heading] of [
      ['Notifications', 'Notifications'],
      ['Suppressions', 'Suppressions'],
      ['Users', 'Users'],
    ] as const) {
      await sections.getByRole('link', { name }).click();
      await page.getByRole('heading', { name: heading, level: 2 }).waitFor();
      await page.locator('[role=status]', { hasText: 'Loading' }).waitFor({ state: 'detached' });
      await shot(`settings-${name.toLowerCase()}`);
    }
    await page.getByRole('cell', { name: /^admin/ }).first().waitFor();

    await sections.getByRole('link', { name: 'Audit log' }).click();
    await page.getByRole('heading', { name: 'Audit log', level: 2 }).waitFor();
    const audit = page.getByRole('table').filter({ has: page.getByRole('columnheader', { name: 'Outcome' }) });
    for (const action of ['login-failed', 'login', 'password-change', 'alert-triage', 'case-create', 'search', 'rule-hunt', 'rule-import', 'rule-disable', 'response-approve', 'token-create', 'token-revoke']) {
      await audit.getByRole('cell', { name: action, exact: true }).first().waitFor();
    }
    await page.getByRole('link', { name: 'Export audit CSV' }).waitFor();
    await shot('settings-audit');
  });

  let viewerPassword = '';
  it('creates a viewer, whose generated password is shown once', async () => {
    await page.getByRole('navigation', { name: 'Settings sections' }).getByRole('link', { name: 'Users' }).click();
    await page.getByLabel('New username').fill('vera');
    await page.getByLabel('New user role').selectOption('viewer');
    await page.getByRole('button', { name: 'Create user' }).click();
    const password = page.getByLabel('Initial password', { exact: true });
    await password.waitFor();
    viewerPassword = await password.inputValue();
    assert.ok(viewerPassword.length >= 12, 'a generated password');
    await page.getByRole('cell', { name: /^vera/ }).waitFor();
    assert.equal(await page.getByLabel('Role for vera').inputValue(), 'viewer');
    await page.getByRole('button', { name: 'Done' }).click();
  });

  it('switches to the dark theme and remembers it', async () => {
    const theme = page.getByRole('button', { name: 'Dark theme' });
    assert.equal(await theme.getAttribute('aria-pressed'), 'false');
    await theme.click();
    assert.equal(await page.evaluate<string>('document.documentElement.dataset.theme'), 'dark');
    await page.goto(alertUrl);
    await page.getByRole('heading', { name: BRUTE_FORCE, level: 1 }).waitFor();
    assert.equal(await page.evaluate<string>('document.documentElement.dataset.theme'), 'dark', 'remembered across a page load');
    assert.equal(await page.getByRole('button', { name: 'Dark theme' }).getAttribute('aria-pressed'), 'true');
    await shot('alert-detail-dark');
  });

  it('signs out', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to Vigil' }).waitFor();
    const res = await page.request.get(`${server.url}/api/v1/alerts`);
    assert.equal(res.status(), 401, 'the session is gone on the server too');
  });

  it('shows a viewer no triage, no rule switches and only the settings it may read', async () => {
    await page.getByLabel('Username').fill('vera');
    await page.getByLabel('Password', { exact: true }).fill(viewerPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByLabel('Current password').fill(viewerPassword);
    await page.getByLabel('New password', { exact: true }).fill('viewer password, changed');
    await page.getByLabel('Repeat new password').fill('viewer password, changed');
    await page.getByRole('button', { name: 'Change password' }).click();
    // Signing in keeps the address the page was at.
    await page.getByText('vera (viewer)').waitFor();

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Alerts' }).click();
    await page.getByLabel('State').selectOption('all');
    await page.getByRole('link', { name: BRUTE_FORCE }).click();
    await page.getByRole('heading', { name: BRUTE_FORCE, level: 1 }).waitFor();
    await page.getByRole('region', { name: 'Rule' }).waitFor();
    assert.equal(await page.getByRole('region', { name: 'Triage' }).count(), 0, 'no triage for a viewer');
    await page.goBack();
    assert.equal(await page.getByRole('group', { name: 'Bulk triage' }).count(), 0, 'no bulk triage for a viewer');
    await shot('viewer-alerts');

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Rules' }).click();
    await page.getByText(/of \d+ rules/).waitFor();
    assert.equal(await page.getByRole('button', { name: /^Enabled: / }).count(), 0, 'no rule switches for a viewer');

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('heading', { name: 'Suppressions', level: 2 }).waitFor();
    const sections = page.getByRole('navigation', { name: 'Settings sections' }).getByRole('link');
    assert.deepEqual(await sections.allTextContents(), ['Playbooks', 'Suppressions']);
    assert.equal(await page.getByRole('button', { name: 'Create suppression' }).count(), 0);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to Vigil' }).waitFor();
  });

  it('raised no page error, CSP violation, dialog or request to another origin on any page', () => {
    assert.deepEqual(session.findings.pageErrors, []);
    assert.deepEqual(session.findings.cspViolations, []);
    assert.deepEqual(session.findings.dialogs, []);
    assert.deepEqual(session.findings.foreignRequests, []);
    // Chromium logs every answer >= 400 as a console error; the ones this test provokes are expected.
    const unexpected = session.findings.consoleErrors.filter((e) => !/status of (400|401|403)/.test(e));
    assert.deepEqual(unexpected, []);
  });
});
