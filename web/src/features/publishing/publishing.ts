/**
 * Publishing helpers without React: the slug the server derives from a title, slug validation,
 * the header's published/changed state, and `<input type="datetime-local">` ⇄ RFC 3339 (UTC).
 */
import type { QuireDocument } from '../../api/types';

const SLUG_MAX = 100;
export const SLUG_PATTERN = /^[a-z0-9-]{1,100}$/;

/**
 * The slug for a title, as the server derives it (`slug_from_title`): accents folded, lower-case ASCII
 * letters and digits, other runs → one `-`, none at either end, cut near 92 characters (room for the
 * server's `-2`… suffix), and `document` when nothing is left.
 */
export function slugify(title: string): string {
  const folded = title.normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
  let out = '';
  let dash = false;
  for (const c of folded) {
    if (/^[A-Za-z0-9]$/.test(c)) {
      if (dash && out) out += '-';
      dash = false;
      out += c.toLowerCase();
    } else {
      dash = true;
    }
    if (out.length >= SLUG_MAX - 8) break;
  }
  return out || 'document';
}

export const isValidSlug = (s: string): boolean => SLUG_PATTERN.test(s);

const time = (s: string | null | undefined): number | null => {
  if (!s) return null;
  const t = Date.parse(s);
  return Number.isNaN(t) ? null : t;
};

export interface PublishState {
  /** A published revision exists (`published_version` is set). */
  published: boolean;
  /**
   * The draft changed after publishing. Rule: the body's `last_edited_at` is later than
   * `published_at` (metadata edits such as tags or the slug do not count: readers get the body).
   */
  changed: boolean;
}

export function publishState(doc: Pick<QuireDocument, 'published_version' | 'published_at' | 'last_edited_at'>): PublishState {
  const published = doc.published_version != null;
  const at = time(doc.published_at);
  const edited = time(doc.last_edited_at);
  return { published, changed: published && at !== null && edited !== null && edited > at };
}

const pad = (n: number) => String(n).padStart(2, '0');

/** An RFC 3339 instant as a `datetime-local` value in the browser's time zone ('' for none). */
export function toLocalInput(rfc: string | null | undefined): string {
  const t = time(rfc);
  if (t === null) return '';
  const d = new Date(t);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A `datetime-local` value (local time) as RFC 3339 UTC; '' or an unreadable value gives null. */
export function fromLocalInput(local: string): string | null {
  if (!local) return null;
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(local);
  if (!m) return null;
  const d = new Date(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], m[6] ? +m[6] : 0);
  return Number.isNaN(d.getTime()) ? null : d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** An RFC 3339 instant in the reader's local format. */
export const localTime = (rfc: string): string => new Date(rfc).toLocaleString();

/** The reader page of a slug. */
export const readerUrl = (slug: string): string => `/p/${encodeURIComponent(slug)}`;
