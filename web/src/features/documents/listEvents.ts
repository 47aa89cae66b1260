/** Document-list events from `GET /api/events` (server-sent events): parsing and applying them to a loaded list page. */
import type { DocumentList, QuireDocument } from '../../api/types';

export type ListEvent =
  | { type: 'created' | 'updated' | 'shared'; document: QuireDocument }
  | { type: 'unshared' | 'deleted'; document_id: string };

export const LIST_EVENT_TYPES = ['created', 'updated', 'shared', 'unshared', 'deleted'] as const;

/** Parse one `data:` line; malformed or unknown events give null. */
export function parseListEvent(type: string, data: string): ListEvent | null {
  let raw: unknown;
  try {
    raw = JSON.parse(data);
  } catch {
    return null;
  }
  if (typeof raw !== 'object' || raw === null) return null;
  const obj = raw as { type?: unknown; document?: unknown; document_id?: unknown };
  const t = typeof obj.type === 'string' ? obj.type : type;
  if (t === 'created' || t === 'updated' || t === 'shared') {
    const d = obj.document as Partial<QuireDocument> | undefined;
    if (!d || typeof d.id !== 'string' || typeof d.title !== 'string') return null;
    return { type: t, document: d as QuireDocument };
  }
  if (t === 'unshared' || t === 'deleted') {
    return typeof obj.document_id === 'string' ? { type: t, document_id: obj.document_id } : null;
  }
  return null;
}

/** The list's filters, to decide whether a changed document belongs on the page. */
export interface ListFilter {
  status?: string;
  tag?: string;
  /** Only documents this user owns. */
  ownerId?: string;
  sort?: string;
  /** Rows only appear on the first page (later pages keep their place until reloaded). */
  offset?: number;
}

export function matchesFilter(doc: QuireDocument, f: ListFilter): boolean {
  if (f.status && doc.status !== f.status) return false;
  if (f.tag && !doc.tags.includes(f.tag)) return false;
  if (f.ownerId && doc.owner_id !== f.ownerId) return false;
  return true;
}

/** The list page after an event: rows updated in place (or moved to the top when sorted by update), added, removed. */
export function applyListEvent(list: DocumentList, event: ListEvent, filter: ListFilter = {}): DocumentList {
  if (!('document' in event)) {
    const items = list.items.filter((d) => d.id !== event.document_id);
    return items.length === list.items.length ? list : { ...list, items, total: Math.max(0, list.total - 1) };
  }
  const doc = event.document;
  const index = list.items.findIndex((d) => d.id === doc.id);
  const fits = matchesFilter(doc, filter);
  if (index >= 0) {
    const old = list.items[index];
    if (doc.version < old.version) return list;
    if (!fits) return { ...list, items: list.items.filter((d) => d.id !== doc.id), total: Math.max(0, list.total - 1) };
    const items = [...list.items];
    const merged = { ...old, ...doc };
    if ((filter.sort ?? 'updated_at') === 'updated_at') {
      items.splice(index, 1);
      items.unshift(merged);
    } else items[index] = merged;
    return { ...list, items };
  }
  if (!fits || (filter.offset ?? 0) > 0) {
    return fits ? { ...list, total: list.total + 1 } : list;
  }
  const items = [doc, ...list.items];
  if (list.limit && items.length > list.limit) items.length = list.limit;
  return { ...list, items, total: list.total + 1 };
}
