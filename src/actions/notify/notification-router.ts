/**
 * Which destinations get an alert. A route matches when the alert's level is at least
 * `minLevel`, its rule id or title matches one of `rules` and one of its tags matches one of
 * `tags` (an empty list matches everything). An alert goes to the union of the destinations of
 * every matching route, each once.
 */
import { globMatches } from '../../core/glob-match.js';
import type { AlertRecord } from '../../core/store.js';

/** Sigma levels, lowest first. */
export const LEVELS = ['informational', 'low', 'medium', 'high', 'critical'] as const;
export type Level = (typeof LEVELS)[number];

/** Rank of a level; an unknown level ranks as informational, so it still reaches catch-all routes. */
export function levelRank(level: string): number {
  const i = (LEVELS as readonly string[]).indexOf(level.toLowerCase());
  return i < 0 ? 0 : i;
}

export interface Route {
  readonly destinations: readonly string[];
  readonly minLevel: Level;
  readonly rules: readonly string[];
  readonly tags: readonly string[];
}

interface CompiledRoute {
  readonly destinations: readonly string[];
  readonly minRank: number;
  readonly rules: readonly GlobTest[];
  readonly tags: readonly GlobTest[];
}

/**
 * `*` any text, `?` one character, everything else literal; whole string, case-insensitive.
 * Not a RegExp: `^.*a.*a.*b$` backtracks polynomially on a long rule name or tag.
 */
export function compileGlob(glob: string): GlobTest {
  return { test: (text: string) => globMatches(glob, text, { caseInsensitive: true }) };
}

/** A compiled route pattern (the shape of RegExp#test, which it replaces). */
export interface GlobTest {
  test(text: string): boolean;
}

export class NotificationRouter {
  readonly #routes: readonly CompiledRoute[];

  constructor(routes: readonly Route[]) {
    this.#routes = routes.map((r) => ({
      destinations: r.destinations,
      minRank: levelRank(r.minLevel),
      rules: r.rules.map(compileGlob),
      tags: r.tags.map(compileGlob),
    }));
  }

  /** Destination names for the alert, in route order, without repeats. */
  destinationsFor(alert: AlertRecord): string[] {
    const rank = levelRank(alert.level);
    const tagsRaw = alert.details['tags'];
    const tags = Array.isArray(tagsRaw) ? tagsRaw.filter((t): t is string => typeof t === 'string') : [];
    const out: string[] = [];
    for (const route of this.#routes) {
      if (rank < route.minRank) continue;
      if (route.rules.length > 0 && !route.rules.some((g) => g.test(alert.ruleId) || g.test(alert.ruleTitle))) continue;
      if (route.tags.length > 0 && !route.tags.some((g) => tags.some((t) => g.test(t)))) continue;
      for (const d of route.destinations) if (!out.includes(d)) out.push(d);
    }
    return out;
  }
}
