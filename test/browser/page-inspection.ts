/**
 * What a page holds that hostile content could have put there: elements carrying the corpus'
 * `data-xss` marker, elements that run or embed code (other than the console's own bundle),
 * event-handler attributes, links and sources with a script or data URL, and a polluted
 * Object prototype; and the page's visible text, to prove hostile text was shown rather than
 * dropped. Support for the browser tests, not a test.
 */
import { strict as assert } from 'node:assert';
import type { Page } from 'playwright-core';
import type { PageFindings } from './console-harness.js';
import { describePayload, type HostilePayload } from './xss-corpus.js';

export interface DomReport {
  readonly url: string;
  /** `data-xss` values found: injected elements. */
  readonly markers: string[];
  /** script, iframe, frame, object, embed, applet, base, meta refresh, … that are not the console's bundle. */
  readonly activeElements: string[];
  /** Attributes named on…: inline event handlers (React never writes them). */
  readonly handlerAttributes: string[];
  /** href, src, action, formaction, xlink:href, srcdoc values that would run or load markup. */
  readonly dangerousUrls: string[];
  /** Set when `Object.prototype` gained a property from a `__proto__` payload. */
  readonly polluted: string | null;
  /** document.body.innerText with white space collapsed. */
  readonly text: string;
}

/**
 * Runs in the page: plain DOM walking, no console code involved. Kept as JavaScript text
 * because the project compiles without the DOM's types.
 */
const COLLECT_DOM = `(() => {
  const origin = location.origin;
  const all = [...document.querySelectorAll('*')];
  const markers = all.filter((e) => e.hasAttribute('data-xss')).map((e) => e.getAttribute('data-xss') || '');
  const isOwnBundle = (e) => {
    if (e.tagName !== 'SCRIPT' || !e.src || e.text.trim() !== '') return false;
    const url = new URL(e.src);
    return url.origin === origin && url.pathname.startsWith('/assets/');
  };
  const activeElements = all
    .filter((e) => /^(SCRIPT|IFRAME|FRAME|FRAMESET|OBJECT|EMBED|APPLET|BASE|PORTAL)$/i.test(e.tagName)
      || (e.tagName === 'META' && e.hasAttribute('http-equiv'))
      || (e.tagName === 'LINK' && /import|prefetch|preload/i.test(e.getAttribute('rel') || '') && !(e.getAttribute('href') || '').startsWith('/assets/')))
    .filter((e) => !isOwnBundle(e))
    .map((e) => e.outerHTML.slice(0, 200));
  const handlerAttributes = [];
  const dangerousUrls = [];
  // Browsers drop ASCII white space and controls around a scheme: "\\u0001 JaVaScRiPt:" runs.
  const scriptish = /^(javascript|vbscript|data):/i;
  for (const e of all) {
    for (const a of [...e.attributes]) {
      if (/^on/i.test(a.name)) handlerAttributes.push('<' + e.tagName.toLowerCase() + ' ' + a.name + '="' + a.value.slice(0, 80) + '">');
      if (!/^(href|src|action|formaction|xlink:href|srcdoc|data|poster|background)$/i.test(a.name)) continue;
      const value = a.value.replace(/[\\u0000-\\u0020]/g, '');
      // An image (or the page's icon) from a data: URL of a raster type or empty cannot run anything.
      const image = (e.tagName === 'IMG' || (e.tagName === 'LINK' && /(^|\\s)icon(\\s|$)/i.test(e.getAttribute('rel') || ''))) && /^data:(,|image\\/(png|gif|jpeg|webp)[;,])/i.test(value);
      if (a.name.toLowerCase() === 'srcdoc' || (scriptish.test(value) && !image)) {
        dangerousUrls.push('<' + e.tagName.toLowerCase() + ' ' + a.name + '="' + a.value.slice(0, 80) + '">');
      }
    }
  }
  const polluted = 'xssPolluted' in Object.prototype ? String(Object.prototype.xssPolluted) : null;
  const text = ((document.body && document.body.innerText) || '').replace(/\\s+/g, ' ');
  return { markers, activeElements, handlerAttributes, dangerousUrls, polluted, text };
})()`;

export async function inspectDom(page: Page): Promise<DomReport> {
  const dom = await page.evaluate<Omit<DomReport, 'url'>>(COLLECT_DOM);
  return { url: page.url(), ...dom };
}

/** White space collapsed, as DomReport.text is. */
export const collapse = (s: string): string => s.replace(/\s+/g, ' ');

/** The payloads whose probe the page's text holds. */
export function shownPayloads(dom: DomReport, corpus: readonly HostilePayload[]): HostilePayload[] {
  return corpus.filter((p) => dom.text.includes(collapse(p.probe)));
}

/**
 * A CSP violation with a reason it is expected; anything else reported is a failure. Empty
 * today: hostile content shown as text causes none, and the console's own code needs none.
 */
export const EXPLAINED_CSP_VIOLATIONS: readonly { readonly match: (v: PageFindings['cspViolations'][number]) => boolean; readonly why: string }[] = [];

/** Refused requests that are expected, each with the reason. Empty: every page's requests succeed. */
export const EXPLAINED_FAILED_REQUESTS: readonly { readonly match: RegExp; readonly why: string }[] = [];

/** The page is inert: nothing hostile ran, got into the DOM, or was reported by the browser. */
export function assertInert(name: string, dom: DomReport, findings: PageFindings): void {
  assertDomInert(name, dom);
  assertNothingReported(`${name} (${dom.url})`, findings);
}

/** Nothing a hostile payload would leave is in the page's DOM. */
export function assertDomInert(name: string, dom: DomReport): void {
  const where = `${name} (${dom.url})`;
  assert.deepEqual(dom.markers, [], `${where}: elements injected by hostile payloads (data-xss markers)`);
  assert.deepEqual(dom.activeElements, [], `${where}: script, frame or plugin elements other than the console's bundle`);
  assert.deepEqual(dom.handlerAttributes, [], `${where}: inline event-handler attributes`);
  assert.deepEqual(dom.dangerousUrls, [], `${where}: javascript:, vbscript: or data: URLs in links or sources`);
  assert.equal(dom.polluted, null, `${where}: Object.prototype was polluted`);
}

/** The browser reported nothing: no trap call, dialog, CSP violation, page or console error, or foreign request (each names its page). */
export function assertNothingReported(where: string, findings: PageFindings): void {
  assert.deepEqual(findings.trapped, [], `${where}: hostile payloads ran (the __xss trap fired)`);
  assert.deepEqual(findings.dialogs, [], `${where}: a dialog opened`);
  const unexplained = findings.cspViolations.filter((v) => !EXPLAINED_CSP_VIOLATIONS.some((e) => e.match(v)));
  assert.deepEqual(unexplained, [], `${where}: Content-Security-Policy violations`);
  assert.deepEqual(findings.pageErrors, [], `${where}: errors thrown in the page`);
  const failed = findings.failedRequests.filter((r) => !EXPLAINED_FAILED_REQUESTS.some((e) => e.match.test(r)));
  assert.deepEqual(failed, [], `${where}: requests the server refused or could not answer`);
  // A failed load is logged as "Failed to load resource" without its address: failedRequests above names it.
  const consoleErrors = findings.consoleErrors.filter((m) => !/: Failed to load resource: the server responded with a status of \d+/.test(m));
  assert.deepEqual(consoleErrors, [], `${where}: errors logged to the console`);
  assert.deepEqual(findings.foreignRequests, [], `${where}: requests to other origins`);
}

/** Every payload given is shown, literally, in the page's text. */
export function assertShown(name: string, dom: DomReport, payloads: readonly HostilePayload[]): void {
  const missing = payloads.filter((p) => !dom.text.includes(collapse(p.probe)));
  assert.deepEqual(missing.map(describePayload), [], `${name} (${dom.url}): hostile text not shown as text`);
}

/** A text (not a corpus payload: a hostile host, key or path) is shown literally. */
export function assertTextShown(name: string, dom: DomReport, text: string, what: string): void {
  assert.ok(dom.text.includes(collapse(text)), `${name} (${dom.url}): ${what} is not shown as text: ${text}`);
}
