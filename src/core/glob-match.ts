/**
 * `*` (any run of characters) and `?` (one character) globs, everything else literal, matched
 * against a whole text in O(text × glob) time. A RegExp built from a glob (`^.*a.*a.*b$`)
 * backtracks polynomially in V8 (each `*` multiplies the work by the text length); a glob from
 * a config or a rule must not be able to stall the process.
 */
export function globMatches(glob: string, text: string, options: { readonly caseInsensitive?: boolean } = {}): boolean {
  const g = Array.from(options.caseInsensitive ? glob.toLowerCase() : glob);
  const t = Array.from(options.caseInsensitive ? text.toLowerCase() : text);
  let gi = 0;
  let ti = 0;
  // Where the last `*` was, and the text position it is currently assumed to cover up to:
  // on a mismatch only that star grows, so no position pair is visited twice per star.
  let star = -1;
  let mark = 0;
  while (ti < t.length) {
    const c = g[gi];
    if (c === '*') {
      star = gi++;
      mark = ti;
    } else if (c !== undefined && (c === '?' || c === t[ti])) {
      gi++;
      ti++;
    } else if (star >= 0) {
      gi = star + 1;
      ti = ++mark;
    } else {
      return false;
    }
  }
  while (g[gi] === '*') gi++;
  return gi === g.length;
}
