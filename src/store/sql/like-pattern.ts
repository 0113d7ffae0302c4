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
