/**
 * Every log file of the shared corpus (not the Sigma rules), read as `vigil scan` reads it, one
 * list of events per file. Files alternate between two tenants, so detection state per tenant
 * is exercised with equal keys in both (loghub's two SSH logs land in different tenants).
 */
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Event } from '../../src/core/event.js';
import { jsonRecordMapping } from '../../src/parsers/json/index.js';
import { checkFile } from '../../src/sources/file/file-check.js';
import { CORPUS_ROOT } from './corpus.js';

const LOG_FILE = /\.(log|evtx|json|ndjson)$/;
const NOT_LOGS = new Set(['sigma', 'expected']);

export interface CorpusFile {
  readonly file: string;
  readonly events: readonly Event[];
}

function walk(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? walk(path) : [path];
    });
}

export async function corpusEvents(tenants: readonly string[] = ['acme', 'globex']): Promise<CorpusFile[]> {
  const files = walk(CORPUS_ROOT).filter((f) => LOG_FILE.test(f) && !NOT_LOGS.has(relative(CORPUS_ROOT, f).split('/')[0]!));
  const out: CorpusFile[] = [];
  for (const [i, file] of files.entries()) {
    const tenant = tenants[i % tenants.length]!;
    const events: Event[] = [];
    await checkFile(file, 'auto', jsonRecordMapping, (event) => events.push({ ...event, tenant }));
    out.push({ file: relative(CORPUS_ROOT, file), events });
  }
  return out;
}

/** The files one after another, as `vigil scan` over the folder gives them. */
export function inFileOrder(files: readonly CorpusFile[]): Event[] {
  return files.flatMap((f) => f.events);
}

/** The files as concurrent sources: `chunk` events of each in turn, so event times jump back and forth. */
export function interleaved(files: readonly CorpusFile[], chunk = 50): Event[] {
  const out: Event[] = [];
  for (let at = 0; ; at += chunk) {
    let any = false;
    for (const f of files) {
      if (at >= f.events.length) continue;
      any = true;
      out.push(...f.events.slice(at, at + chunk));
    }
    if (!any) return out;
  }
}
