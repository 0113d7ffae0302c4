/** The files named on a command line: files as given, folders walked in name order, `-` kept. */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { VigilError } from '../core/errors.js';

export function inputFiles(paths: readonly string[]): string[] {
  const out: string[] = [];
  const visit = (path: string) => {
    if (path === '-') return void out.push(path);
    let stat;
    try {
      stat = statSync(path);
    } catch {
      throw new VigilError('not-found', `cannot read ${path}: no such file or folder`, { where: path });
    }
    if (stat.isDirectory()) for (const name of readdirSync(path).sort()) visit(join(path, name));
    else if (stat.isFile()) out.push(path);
  };
  for (const p of paths) visit(p);
  if (out.length === 0) throw new VigilError('not-found', 'no files in the paths given');
  return out;
}
