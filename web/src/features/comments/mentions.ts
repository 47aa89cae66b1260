/**
 * `@username` mentions in comment bodies: finding the mention being typed at the caret,
 * filtering the document's members for the autocomplete, inserting a chosen name, and
 * splitting a body into text and mention parts for rendering (always as React text).
 */

/** Characters a username may contain (what a mention continues over). */
const NAME_CHAR = /[A-Za-z0-9_.-]/;

export interface MentionQuery {
  /** Index of the `@`. */
  start: number;
  /** The letters typed after the `@` (up to the caret). */
  query: string;
}

/** The mention being typed just before `caret`, or null (an `@` must start the text or follow whitespace). */
export function mentionAt(text: string, caret: number): MentionQuery | null {
  let i = caret;
  while (i > 0 && NAME_CHAR.test(text[i - 1]!)) i--;
  if (i === 0 || text[i - 1] !== '@') return null;
  const at = i - 1;
  if (at > 0 && !/\s/.test(text[at - 1]!)) return null;
  return { start: at, query: text.slice(i, caret) };
}

/** Usernames starting with `query` (case-insensitive), then those containing it; at most `limit`. */
export function filterMentions(usernames: readonly string[], query: string, limit = 6): string[] {
  const q = query.toLowerCase();
  const unique = [...new Set(usernames)];
  const starts = unique.filter((u) => u.toLowerCase().startsWith(q));
  const contains = unique.filter((u) => !u.toLowerCase().startsWith(q) && u.toLowerCase().includes(q));
  return [...starts, ...contains].slice(0, limit);
}

/** Replace the mention at `m` (up to `caret`) by `@username `; returns the new text and caret. */
export function insertMention(text: string, caret: number, m: MentionQuery, username: string) {
  const inserted = `@${username} `;
  return { text: text.slice(0, m.start) + inserted + text.slice(caret), caret: m.start + inserted.length };
}

export type BodyPart = { kind: 'text'; text: string } | { kind: 'mention'; username: string };

/** Split a comment body into plain text and `@username` parts. */
export function splitMentions(body: string): BodyPart[] {
  const parts: BodyPart[] = [];
  const re = /(^|\s)@([A-Za-z0-9_.-]*[A-Za-z0-9_])/g;
  let last = 0;
  for (let m = re.exec(body); m; m = re.exec(body)) {
    const at = m.index + m[1]!.length;
    if (at > last) parts.push({ kind: 'text', text: body.slice(last, at) });
    parts.push({ kind: 'mention', username: m[2]! });
    last = at + 1 + m[2]!.length;
  }
  if (last < body.length) parts.push({ kind: 'text', text: body.slice(last) });
  return parts;
}
