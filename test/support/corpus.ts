/**
 * Where the shared corpus of real logs is: `VIGIL_CORPUS`, or `shared/corpus` beside the
 * checkout (as on the developers' machines and in CI). Tests that need it skip with a clear
 * message when it is absent.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CORPUS_ROOT = process.env.VIGIL_CORPUS ?? fileURLToPath(new URL('../../../shared/corpus', import.meta.url));

export function corpusPath(...parts: string[]): string {
  return join(CORPUS_ROOT, ...parts);
}

export function corpusHas(...parts: string[]): boolean {
  return existsSync(corpusPath(...parts));
}
