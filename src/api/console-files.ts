/**
 * The built web console (`ui/dist`, from `npm run build:ui`), read into memory once at start.
 *
 * Serving only what was listed at start makes directory traversal impossible by construction: a
 * request names a key of this map or gets a 404; no request path ever reaches the file system.
 * The build is small (an index.html and hashed bundles), so memory is not a concern; bounds on
 * the file count and total size still keep a mistaken `root` (a home folder) from being slurped.
 * Symbolic links are skipped, so nothing outside the folder is read either. Text files are
 * compressed once here, not per request. A rebuilt UI is served after the next restart.
 */
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { VigilError } from '../core/errors.js';

/** `ui/dist` of this checkout: two levels up from `src/api` under tsx and from `dist/api` once built. */
export const DEFAULT_CONSOLE_ROOT = fileURLToPath(new URL('../../ui/dist', import.meta.url));

const MAX_FILES = 5_000;
const MAX_TOTAL_BYTES = 100 * 1024 * 1024;
/** Smaller files gain nothing from gzip. */
const MIN_GZIP_BYTES = 1024;

/** Content types of what a Vite build emits; anything else is served as bytes to download. */
const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.otf': 'font/otf',
  '.wasm': 'application/wasm',
};

const COMPRESSIBLE = /^(text\/|application\/(json|manifest\+json|javascript)|image\/svg\+xml)/;

export interface ConsoleFile {
  readonly body: Buffer;
  /** The body gzipped, when that is worth it. */
  readonly gzip: Buffer | undefined;
  readonly type: string;
}

export interface ConsoleBuild {
  readonly root: string;
  /** `ui/dist/index.html`; undefined when the UI has not been built. */
  readonly index: ConsoleFile | undefined;
  /** Everything under `assets/`, by path below it (`index-3f9a.js`). */
  readonly assets: ReadonlyMap<string, ConsoleFile>;
  /** Other files at the top of the build (favicon, robots.txt), by name. */
  readonly topFiles: ReadonlyMap<string, ConsoleFile>;
}

export function contentTypeOf(name: string): string {
  return TYPES[extname(name).toLowerCase()] ?? 'application/octet-stream';
}

function fileOf(name: string, body: Buffer): ConsoleFile {
  const type = contentTypeOf(name);
  const gzip = body.length >= MIN_GZIP_BYTES && COMPRESSIBLE.test(type) ? gzipSync(body) : undefined;
  return { body, gzip: gzip && gzip.length < body.length ? gzip : undefined, type };
}

/** Reads the build under `root`; a missing folder is an unbuilt UI, not an error. */
export function loadConsoleBuild(root: string = DEFAULT_CONSOLE_ROOT): ConsoleBuild {
  const assets = new Map<string, ConsoleFile>();
  const topFiles = new Map<string, ConsoleFile>();
  let index: ConsoleFile | undefined;
  let count = 0;
  let total = 0;

  const walk = (dir: string, relative: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      return;
    }
    for (const name of names) {
      const path = join(dir, name);
      const stat = lstatSync(path);
      const key = relative === '' ? name : `${relative}/${name}`;
      if (stat.isDirectory()) {
        walk(path, key);
        continue;
      }
      if (!stat.isFile()) continue;
      count++;
      total += stat.size;
      if (count > MAX_FILES || total > MAX_TOTAL_BYTES) {
        throw new VigilError('config-invalid', `${root} holds more than ${MAX_FILES} files or ${MAX_TOTAL_BYTES / 1024 / 1024} MB: it is not a console build; run npm run build:ui or set http.console: false`, {
          where: root,
        });
      }
      const file = fileOf(name, readFileSync(path));
      if (key === 'index.html') index = file;
      else if (key.startsWith('assets/')) assets.set(key.slice('assets/'.length), file);
      else if (relative === '') topFiles.set(name, file);
    }
  };
  walk(root, '');
  return { root, index, assets, topFiles };
}
