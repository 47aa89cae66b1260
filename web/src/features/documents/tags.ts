/**
 * Tag limits and parsing of comma-separated tag input.
 */
export const MAX_TAGS = 20;
export const MAX_TAG_LEN = 50;

/** Split "a, b ,c" into unique trimmed tags within the server's limits. */
export function parseTags(input: string): string[] {
  const out: string[] = [];
  for (const raw of input.split(',')) {
    const t = raw.trim().slice(0, MAX_TAG_LEN);
    if (t && !out.includes(t)) out.push(t);
    if (out.length >= MAX_TAGS) break;
  }
  return out;
}

export function sameTags(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((t, i) => t === b[i]);
}
