/**
 * Vigil's own rule pack (`config/rules`, Sigma format, written for Vigil): detections of the
 * universally bad that every installation runs from the first start unless
 * `detection.builtin: false`. Found beside the sources and the build alike (both sit two
 * levels below the repository root).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const BUILTIN_RULES = fileURLToPath(new URL('../../config/rules', import.meta.url));

/** The rule paths to load: the built-in pack (when enabled and shipped) first, then the user's. */
export function rulePaths(builtin: boolean, user: readonly string[]): string[] {
  return builtin && existsSync(BUILTIN_RULES) ? [BUILTIN_RULES, ...user] : [...user];
}
