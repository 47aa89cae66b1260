/** The offline queue of metadata edits (title/status/tags), kept in IndexedDB per document with the version they started from. */
import { createStore, del, get, set, type UseStore } from 'idb-keyval';
import type { MetadataPatch } from '../api/types';

/** A metadata edit not yet accepted by the server. */
export interface QueuedEdit {
  docId: string;
  /** The fields changed, later edits overriding earlier ones. */
  patch: MetadataPatch;
  /** The document version the first queued edit started from (sent as `expected_version`). */
  baseVersion: number;
  /** The tags at `baseVersion`, so a conflict can merge tag changes three-way. */
  baseTags: string[];
  queuedAt: number;
}

let store: UseStore | null = null;
const queueStore = () => (store ??= createStore('quire-meta-queue', 'edits'));

/** Fold a new edit into what is already queued: fields override, the base version stays the first one. */
export function mergeQueued(
  existing: QueuedEdit | null,
  docId: string,
  patch: MetadataPatch,
  baseVersion: number,
  baseTags: string[],
  now = Date.now(),
): QueuedEdit {
  if (!existing) return { docId, patch: { ...patch }, baseVersion, baseTags: [...baseTags], queuedAt: now };
  return { ...existing, patch: { ...existing.patch, ...patch } };
}

export async function loadQueued(docId: string): Promise<QueuedEdit | null> {
  try {
    return (await get<QueuedEdit>(docId, queueStore())) ?? null;
  } catch {
    return null;
  }
}

export async function saveQueued(edit: QueuedEdit): Promise<void> {
  await set(edit.docId, edit, queueStore());
}

export async function clearQueued(docId: string): Promise<void> {
  try {
    await del(docId, queueStore());
  } catch {
    /* nothing stored */
  }
}
