/**
 * Query-tree globs → SQL LIKE patterns, shared by every SQL store (DuckDB now, ClickHouse
 * later). Patterns are always bound as parameters and used with `ESCAPE '\'`, so a value can
 * never widen a match: `%`, `_` and `\` typed by a user are matched literally.
 *
 * Glob convention (the query tree's, see src/search/query-tokens.ts): unescaped `*` = any run
 * of characters, `?` = exactly one character, `\x` = the literal character x. A trailing lone
 * backslash is a literal backslash.
 */

/** The escape character every LIKE built here is used with: `LIKE ? ESCAPE '\'`. */
export const LIKE_ESCAPE = '\\';

/** Escapes LIKE metacharacters so `literal` matches only itself. */
export function escapeLike(literal: string): string {
  let out = '';
  for (const c of literal) {
    if (c === '%' || c === '_' || c === '\\') out += '\\';
    out += c;
  }
  return out;
}

/** Converts a glob to a LIKE pattern anchored at both ends (as a glob is). */
export function globToLike(glob: string): string {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '\\' && i + 1 < glob.length) {
      out += escapeLike(glob[++i] as string);
    } else if (c === '*') {
      out += '%';
    } else if (c === '?') {
      out += '_';
    } else {
      out += escapeLike(c);
    }
  }
  return out;
}

/** The literal runs between wildcards, unescaped: `a\*b*c?d` → `a*b`, `c`, `d`. */
export function globLiterals(glob: string): string[] {
  const runs: string[] = [];
  let run = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '\\' && i + 1 < glob.length) {
      run += glob[++i] as string;
    } else if (c === '*' || c === '?') {
      if (run.length > 0) runs.push(run);
      run = '';
    } else {
      run += c;
    }
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

/** A LIKE pattern matching `glob` anywhere inside a longer text (free-text search). */
export function globToContainsLike(glob: string): string {
  return `%${globToLike(glob)}%`;
}

/**
 * True when the engine can run `pattern` in linear time: an exact text, a prefix (`abc%`), a
 * suffix (`%abc`) or a substring (`%abc%`), without `_` or escapes. DuckDB's general LIKE
 * backtracks: `%a%b` against 100 KB of `a` takes ~20 s and `%a%a%a%b` against 400 characters
 * 5 s, so anything else a user types goes through RE2 instead (see likeToRegex).
 */
export function isLinearLike(pattern: string): boolean {
  if (pattern.includes('_') || pattern.includes(LIKE_ESCAPE)) return false;
  return !pattern.replace(/^%+|%+$/g, '').includes('%');
}

/** RE2 metacharacters; a backslash before ASCII punctuation makes it literal in RE2. */
const RE2_META = /[\\^$.|?*+()[\]{}]/;

/**
 * A LIKE pattern (with `\` escapes) as an equivalent RE2 expression for a whole-text match
 * (regexp_full_match):
 * `%` → `.*`, `_` → `.` (both across newlines, as LIKE does), everything else literal. RE2 runs
 * in time linear in the text whatever the pattern.
 */
export function likeToRegex(pattern: string): string {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    let c = pattern[i] as string;
    if (c === LIKE_ESCAPE && i + 1 < pattern.length) c = pattern[++i] as string;
    else if (c === '%') {
      out += '.*';
      continue;
    } else if (c === '_') {
      out += '.';
      continue;
    }
    out += RE2_META.test(c) ? `\\${c}` : c;
  }
  return `(?s)${out}`;
}
