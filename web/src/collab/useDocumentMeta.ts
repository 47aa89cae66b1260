/**
 * A document's title, status and tags: saved with optimistic locking, updated live from server events,
 * queued offline (IndexedDB) and replayed on reconnect, with a 409 flow that never drops the user's value.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, ConflictError } from '../api/client';
import { api } from '../api/endpoints';
import { errorMessage } from '../api/errorMessage';
import type { MetadataPatch, QuireDocument } from '../api/types';
import { mergeTags } from '../features/documents/mergeTags';
import { clearQueued, loadQueued, mergeQueued, saveQueued, type QueuedEdit } from './metaQueue';

export interface Conflict {
  mine: MetadataPatch;
  current: QuireDocument;
  /** The tags my edit started from (for the three-way tag merge), when known. */
  baseTags?: string[];
}

export interface MetaOptions {
  /** Queue edits in IndexedDB while offline (default true). */
  offlineQueue?: boolean;
  /** The live connection is up: a queued edit is replayed as soon as this is true. */
  connected?: boolean;
}

const isNetworkError = (e: unknown) => e instanceof ApiError && e.status === 0;
const browserOffline = () => typeof navigator !== 'undefined' && navigator.onLine === false;

/** The document with a patch's set fields on top. */
export function withPatch(doc: QuireDocument, patch: MetadataPatch): QuireDocument {
  return {
    ...doc,
    title: patch.title ?? doc.title,
    status: patch.status ?? doc.status,
    tags: patch.tags ?? doc.tags,
  };
}

/** The values "Keep mine" saves: my fields, with tags merged with theirs (union). */
export function keepMinePatch(conflict: Conflict): MetadataPatch {
  const patch = { ...conflict.mine };
  if (patch.tags) patch.tags = mergeTags(patch.tags, conflict.current.tags, conflict.baseTags);
  return patch;
}

/**
 * Title/status/tags with optimistic locking. Every save sends the version the edit started from;
 * a 409 becomes a `conflict` the user resolves (keep mine / use theirs / dismiss and keep typing).
 */
export function useDocumentMeta(initial: QuireDocument, opts: MetaOptions = {}) {
  const useQueue = opts.offlineQueue !== false;
  const docId = initial.id;
  const [doc, setDocState] = useState(initial);
  const [conflict, setConflict] = useState<Conflict | null>(null);
  /** My values from a dismissed conflict: not saved, not lost. */
  const [held, setHeld] = useState<MetadataPatch | null>(null);
  const heldBaseTags = useRef<string[] | undefined>(undefined);
  const [queued, setQueued] = useState<QueuedEdit | null>(null);
  const [saving, setSaving] = useState(false);
  /** The patch of the save in flight: shown at once, so a field does not flash its old value meanwhile. */
  const [inflight, setInflight] = useState<MetadataPatch | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [savedAt, setSavedAt] = useState<number | null>(null);
  const docRef = useRef(doc);
  docRef.current = doc;
  const queuedRef = useRef<QueuedEdit | null>(null);
  const replaying = useRef(false);

  const setDoc = useCallback((next: QuireDocument) => {
    docRef.current = next;
    setDocState(next);
  }, []);

  /** A newer document from the server (live event or refetch); an older one is ignored. */
  const applyRemote = useCallback(
    (remote: QuireDocument) => {
      const cur = docRef.current;
      if (remote.id !== cur.id || remote.version < cur.version) return;
      setDoc({ ...cur, ...remote, role: remote.role ?? cur.role });
    },
    [setDoc],
  );

  /** The receiver's role changed (live event); returns the role it had before. */
  const applyRole = useCallback(
    (role: string) => {
      const before = docRef.current.role;
      setDoc({ ...docRef.current, role: role as QuireDocument['role'] });
      return before;
    },
    [setDoc],
  );

  const setQueue = useCallback((q: QueuedEdit | null) => {
    queuedRef.current = q;
    setQueued(q);
  }, []);

  // an edit queued in an earlier visit (closed tab while offline) is picked up again
  useEffect(() => {
    if (!useQueue) return;
    let live = true;
    void loadQueued(docId).then((q) => {
      if (live && q && !queuedRef.current) setQueue(q);
    });
    return () => {
      live = false;
    };
  }, [docId, useQueue, setQueue]);

  const enqueue = useCallback(
    async (patch: MetadataPatch, baseVersion: number, baseTags: string[]) => {
      const next = mergeQueued(queuedRef.current, docId, patch, baseVersion, baseTags);
      setQueue(next);
      try {
        await saveQueued(next);
      } catch {
        /* IndexedDB unavailable: the edit stays queued in memory */
      }
    },
    [docId, setQueue],
  );

  /** Saves run one after another, so a quick second edit does not race (and 409 against) the first. */
  const chain = useRef<Promise<unknown>>(Promise.resolve());
  /** Versions this client's own saves moved from → to: an edit based on one of them is not stale. */
  const ownSaves = useRef(new Map<number, number>());
  const resolveBase = (v: number) => {
    let out = v;
    for (let i = 0; i < 100 && ownSaves.current.has(out); i++) out = ownSaves.current.get(out) as number;
    return out;
  };

  const submitNow = useCallback(
    async (patch: MetadataPatch, baseVersion: number, baseTags: string[]): Promise<boolean> => {
      const expectedVersion = resolveBase(baseVersion);
      if (useQueue && browserOffline()) {
        await enqueue(patch, expectedVersion, baseTags);
        return false;
      }
      setSaving(true);
      setInflight(patch);
      setError(null);
      try {
        const next = await api.updateDocument(docId, patch, expectedVersion);
        ownSaves.current.set(expectedVersion, next.version);
        setDoc(next);
        setConflict(null);
        setSavedAt(Date.now());
        return true;
      } catch (e) {
        if (e instanceof ConflictError) {
          setConflict({ mine: patch, current: e.current, baseTags });
        } else if (useQueue && isNetworkError(e)) {
          await enqueue(patch, expectedVersion, baseTags);
        } else {
          setError(errorMessage(e, { fallback: 'Could not save the changes.' }));
        }
        return false;
      } finally {
        setSaving(false);
        setInflight(null);
      }
    },
    [docId, enqueue, setDoc, useQueue],
  );

  const submit = useCallback(
    (patch: MetadataPatch, baseVersion: number, baseTags: string[]): Promise<boolean> => {
      const run = chain.current.then(() => submitNow(patch, baseVersion, baseTags));
      chain.current = run.catch(() => {});
      return run;
    },
    [submitNow],
  );

  /** Save fields; `baseVersion` is the version the user's edit started from (default: the one shown). */
  const update = useCallback(
    (patch: MetadataPatch, baseVersion?: number) => {
      setHeld(null);
      const q = queuedRef.current;
      // while something is queued, new edits join it so they replay together, from the same base
      if (q) return enqueue(patch, q.baseVersion, q.baseTags).then(() => false);
      // without a base, the edit starts from whatever version is current when it is sent
      if (baseVersion === undefined) {
        const run = chain.current.then(() => submitNow(patch, docRef.current.version, docRef.current.tags));
        chain.current = run.catch(() => {});
        return run;
      }
      return submit(patch, baseVersion, docRef.current.tags);
    },
    [enqueue, submit, submitNow],
  );

  /** Send the queued offline edit (on reconnect) with the version it started from. */
  const replay = useCallback(async () => {
    const q = queuedRef.current;
    if (!q || replaying.current || browserOffline()) return;
    replaying.current = true;
    try {
      setSaving(true);
      try {
        const expected = resolveBase(q.baseVersion);
        const next = await api.updateDocument(docId, q.patch, expected);
        ownSaves.current.set(expected, next.version);
        setDoc(next);
        setSavedAt(Date.now());
        setQueue(null);
        await clearQueued(docId);
      } catch (e) {
        if (e instanceof ConflictError) {
          // the dialog holds the edit now; the queue entry stays until the user decides
          setConflict({ mine: q.patch, current: e.current, baseTags: q.baseTags });
          setQueue(null);
        } else if (!isNetworkError(e)) {
          setError(errorMessage(e, { fallback: 'Could not save the changes made offline.' }));
          setHeld(q.patch);
          setQueue(null);
          await clearQueued(docId);
        }
      } finally {
        setSaving(false);
      }
    } finally {
      replaying.current = false;
    }
  }, [docId, setDoc, setQueue]);

  const resolved = useCallback(() => {
    setConflict(null);
    void clearQueued(docId);
  }, [docId]);

  const keepMine = useCallback(async () => {
    if (!conflict) return false;
    const ok = await submit(keepMinePatch(conflict), conflict.current.version, conflict.current.tags);
    if (ok) void clearQueued(docId);
    return ok;
  }, [conflict, submit, docId]);

  const useTheirs = useCallback(() => {
    if (!conflict) return;
    applyRemote(conflict.current);
    setHeld(null);
    resolved();
  }, [conflict, applyRemote, resolved]);

  /** Close the dialog without choosing: show the server's values, keep mine as an unsaved change. */
  const dismissConflict = useCallback(() => {
    if (!conflict) return;
    applyRemote(conflict.current);
    setHeld(conflict.mine);
    heldBaseTags.current = conflict.baseTags;
    resolved();
  }, [conflict, applyRemote, resolved]);

  /** Save my kept values over the server's current ones (tags merged, as with "Keep mine"). */
  const saveHeld = useCallback(() => {
    if (!held) return Promise.resolve(false);
    const cur = docRef.current;
    const patch = keepMinePatch({ mine: held, current: cur, baseTags: heldBaseTags.current });
    setHeld(null);
    return submit(patch, cur.version, cur.tags);
  }, [held, submit]);

  useEffect(() => {
    if (queued && opts.connected) void replay();
  }, [queued, opts.connected, replay]);

  /** What the header shows: the server's values with queued offline edits and the save in flight on top. */
  const withQueued = queued ? withPatch(doc, queued.patch) : doc;
  const shown: QuireDocument = inflight ? withPatch(withQueued, inflight) : withQueued;

  return {
    doc,
    shown,
    setDoc,
    applyRemote,
    applyRole,
    update,
    replay,
    queued,
    conflict,
    keepMine,
    useTheirs,
    dismissConflict,
    held,
    saveHeld,
    discardHeld: () => setHeld(null),
    saving,
    error,
    savedAt,
    clearError: () => setError(null),
  };
}
