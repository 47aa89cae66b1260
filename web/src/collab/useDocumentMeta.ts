/**
 * A document's title, status and tags, saved with optimistic locking.
 */
import { useCallback, useState } from 'react';
import { ConflictError } from '../api/client';
import { api } from '../api/endpoints';
import { errorMessage } from '../api/errorMessage';
import type { MetadataPatch, QuireDocument } from '../api/types';

export interface Conflict {
  mine: MetadataPatch;
  current: QuireDocument;
}

/**
 * Title/status/tags with optimistic locking. Every save sends the version we
 * last saw; a 409 becomes a `conflict` the user resolves (keep mine / use theirs).
 */
export function useDocumentMeta(initial: QuireDocument) {
  const [doc, setDoc] = useState(initial);
  const [conflict, setConflict] = useState<Conflict | null>(null);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [savedAt, setSavedAt] = useState<number | null>(null);

  const submit = useCallback(
    async (patch: MetadataPatch, expectedVersion: number) => {
      setSaving(true);
      setError(null);
      try {
        const next = await api.updateDocument(initial.id, patch, expectedVersion);
        setDoc(next);
        setConflict(null);
        setSavedAt(Date.now());
        return true;
      } catch (e) {
        if (e instanceof ConflictError) {
          setConflict({ mine: patch, current: e.current });
        } else {
          setError(errorMessage(e, { fallback: 'Could not save the changes.' }));
        }
        return false;
      } finally {
        setSaving(false);
      }
    },
    [initial.id],
  );

  const update = useCallback((patch: MetadataPatch) => submit(patch, doc.version), [submit, doc.version]);

  const keepMine = useCallback(async () => {
    if (!conflict) return false;
    return submit(conflict.mine, conflict.current.version);
  }, [conflict, submit]);

  const useTheirs = useCallback(() => {
    if (!conflict) return;
    setDoc(conflict.current);
    setConflict(null);
  }, [conflict]);

  return { doc, setDoc, update, conflict, keepMine, useTheirs, saving, error, savedAt, clearError: () => setError(null) };
}
