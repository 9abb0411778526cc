/**
 * IAM-style wildcard match: `*` matches any run of characters (including none), `?` exactly one
 * character, everything else itself. Iterative with single-star backtracking, so it runs in
 * O(pattern × text) at worst and never blows up on adversarial patterns the way a regex can.
 */
export function globMatch(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let starP = -1;
  let starT = 0;
  while (t < text.length) {
    const pc = pattern[p];
    if (pc === '*') {
      starP = p++;
      starT = t;
    } else if (pc !== undefined && (pc === '?' || pc === text[t])) {
      p++;
      t++;
    } else if (starP >= 0) {
      p = starP + 1;
      t = ++starT;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}
