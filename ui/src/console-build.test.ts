/**
 * The console must run under `script-src 'self'; style-src 'self'` with no eval, and show
 * hostile data only as text. These checks read the source and a real production build.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const here = dirname(fileURLToPath(import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.(ts|tsx)$/.test(name) && !name.endsWith('.test.ts') ? [path] : [];
  });
}

describe('console source: hostile data stays text', () => {
  const files = sources(here).map((path) => ({ path: relative(here, path), text: readFileSync(path, 'utf8') }));

  it('never writes HTML, evaluates code or sets inline styles', () => {
    const forbidden = [/dangerouslySetInnerHTML/, /\.innerHTML\b/, /\.outerHTML\b/, /insertAdjacentHTML/, /document\.write/, /\beval\s*\(/, /new Function\s*\(/, /setAttribute\(\s*['"]style/, /\bstyle=\{/, /\bsrcDoc\b/];
    for (const { path, text } of files) for (const pattern of forbidden) assert.doesNotMatch(text, pattern, `${path} uses ${pattern}`);
  });

  it('builds every href from an address the console owns or a checked URL', () => {
    // Each entry is an href expression reviewed once: an internal API path, or httpUrl()'s result.
    const allowed = new Set([
      'href={url}',
      'href={links.csv}',
      'href={links.ndjson}',
      'href={`${base}/export?format=md`}',
      'href={`${base}/export?format=json`}',
      'href={`https://attack.mitre.org/techniques/${id}/${sub ? `${sub}/` : \'\'}`}',
    ]);
    for (const { path, text } of files) {
      for (const m of text.matchAll(/href=\{[^\n]*?\}(?=[\s>])/g)) assert.ok(allowed.has(m[0]), `${path}: ${m[0]} is not a reviewed href`);
    }
  });

  it('links inside the console only to its own routes (a router link to "javascript:…" would be an href)', () => {
    for (const { path, text } of files) {
      for (const m of text.matchAll(/\bto=\{([^\n]*)/g)) {
        assert.match(m[1]!, /^(`\/|'\/|searchPath\(|timelinePath\(|to\}|user\.role === 'admin' \? '\/)/, `${path}: to={${m[1]} does not start with one of the console's routes`);
      }
    }
  });
});

describe('console build: only files the Content-Security-Policy allows', () => {
  const out = mkdtempSync(join(tmpdir(), 'vigil-ui-'));
  after(() => rmSync(out, { recursive: true, force: true }));

  it('emits one module script file and one stylesheet, nothing inline', async () => {
    await build({ configFile: join(here, '..', 'vite.config.ts'), logLevel: 'silent', build: { outDir: out, emptyOutDir: true } });
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    assert.equal(scripts.length, 1);
    assert.match(scripts[0]![1]!, /type="module"/);
    assert.match(scripts[0]![1]!, /src="\/assets\/[^"]+\.js"/);
    assert.equal(scripts[0]![2]!.trim(), '', 'no inline script');
    assert.doesNotMatch(html, /<style/i);
    assert.doesNotMatch(html, /\sstyle=/i);
    assert.doesNotMatch(html, /\son[a-z]+=/i);
    const assets = readdirSync(join(out, 'assets'));
    assert.equal(assets.filter((a) => a.endsWith('.css')).length, 1);
    assert.deepEqual(assets.filter((a) => !/\.(js|css)$/.test(a)), [], 'no other assets (fonts or images the policy would refuse)');
    for (const js of assets.filter((a) => a.endsWith('.js'))) {
      const code = readFileSync(join(out, 'assets', js), 'utf8');
      assert.doesNotMatch(code, /\beval\(|new Function\(/, `${js} evaluates code`);
    }
    assert.ok(readdirSync(out).includes('favicon.svg'), 'the icon is a file of its own (no data: URL in the page)');
    assert.match(html, /<link rel="icon" href="\/favicon\.svg"/);
    assert.doesNotMatch(readFileSync(join(out, 'favicon.svg'), 'utf8'), /<script|on[a-z]+=|href=/i, 'the icon is a plain drawing');
    const css = readFileSync(join(out, 'assets', assets.find((a) => a.endsWith('.css'))!), 'utf8');
    assert.doesNotMatch(css, /url\((?!['"]?data:image)/, 'the stylesheet loads nothing from elsewhere');
  });
});
