/** Tag merging for a metadata conflict: keep both sides' tags (a union), minus the ones I removed myself. */

/**
 * Merge my tags with the server's after a conflict. Without a base this is the plain union
 * (mine first, then theirs). With the tags I started from, a tag I removed from those stays removed;
 * every other tag either side has is kept.
 */
export function mergeTags(mine: string[], theirs: string[], base?: string[]): string[] {
  const removedByMe = new Set(base ? base.filter((t) => !mine.includes(t)) : []);
  const out: string[] = [];
  for (const t of [...mine, ...theirs]) {
    if (out.includes(t)) continue;
    if (removedByMe.has(t) && !mine.includes(t)) continue;
    out.push(t);
  }
  return out;
}
