/**
 * The Trash API (`/api/trash`): the caller's own trashed documents, restoring one, purging one forever;
 * plus the "moved to the trash" notice handed from the editor to the document list (with its Undo).
 */
import { request } from '../../api/client';
import type { components } from '../../api/schema.gen';
import type { QuireDocument } from '../../api/types';

const enc = encodeURIComponent;

/** How long a document stays in the trash before the server purges it (server config TRASH_DAYS). */
export const TRASH_DAYS = 30;

/** A document in the trash: as `GET /api/documents/{id}` plus when it was deleted and when it will be purged. */
export type TrashedDocument = components['schemas']['TrashedView'];

export type TrashList = components['schemas']['TrashList'];

export const trashApi = {
  /** The caller's trashed documents (as owner), newest first. */
  list: (signal?: AbortSignal) => request<TrashList>('/api/trash', { signal }),
  /** Bring a document back with everything it had; answers the document. */
  restore: (id: string) => request<QuireDocument>(`/api/trash/${enc(id)}/restore`, { method: 'POST' }),
  /** Delete a trashed document forever. */
  purge: (id: string) => request<unknown>(`/api/trash/${enc(id)}`, { method: 'DELETE' }),
};

const DAY_MS = 24 * 60 * 60 * 1000;

/** Whole days (rounded up) until `purgeAt`; 0 when it is due or past, null when not a time. */
export function daysUntil(purgeAt: string, now: Date = new Date()): number | null {
  const t = new Date(purgeAt).getTime();
  if (Number.isNaN(t)) return null;
  return Math.max(0, Math.ceil((t - now.getTime()) / DAY_MS));
}

/** A document just moved to the trash, for the notice (with Undo) on the next screen. */
export interface MovedToTrash {
  id: string;
  title: string;
}

let pendingNotice: MovedToTrash | null = null;

/** Remember that `doc` was just moved to the trash (the editor calls this before leaving). */
export function noteMovedToTrash(doc: MovedToTrash): void {
  pendingNotice = doc;
}

/** The document just moved to the trash, if any (read it in a state initializer, then `clearMovedToTrash`). */
export function peekMovedToTrash(): MovedToTrash | null {
  return pendingNotice;
}

/** Forget the pending notice once a screen has taken it, so it is shown once. */
export function clearMovedToTrash(): void {
  pendingNotice = null;
}
