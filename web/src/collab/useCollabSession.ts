/**
 * React binding of CollabSession: opens it for a document, exposes save status, present users and
 * why the connection closed for good (asking the REST API when the socket alone cannot tell).
 */
import { useEffect, useState, useSyncExternalStore } from 'react';
import { ApiError } from '../api/client';
import { api } from '../api/endpoints';
import { type AwarenessUser, type CloseReason, CollabSession, type CollabUser } from './session';
import type { SaveSnapshot } from './saveState';

const IDLE: SaveSnapshot = { status: 'connecting', pending: 0, dirty: false, lastSavedAt: null };

async function diagnose(docId: string): Promise<CloseReason | null> {
  try {
    await api.getDocument(docId);
    return null;
  } catch (e) {
    if (e instanceof ApiError) {
      if (e.status === 401) return 'unauthenticated';
      if (e.status === 403) return 'forbidden';
      if (e.status === 404) return 'notFound';
    }
    throw e;
  }
}

/** Opens a CollabSession for the document while `enabled`, and tears it down after. */
export function useCollabSession(docId: string, user: CollabUser, enabled: boolean) {
  const [session, setSession] = useState<CollabSession | null>(null);
  const [closeReason, setCloseReason] = useState<CloseReason | null>(null);
  const [users, setUsers] = useState<AwarenessUser[]>([]);

  useEffect(() => {
    if (!enabled) return;
    const s = new CollabSession(docId, user, {
      diagnose: () => diagnose(docId),
      listVersions: () => api.listVersions(docId).then((r) => r.items),
    });
    setSession(s);
    setCloseReason(null);
    const offClose = s.onClose(() => setCloseReason(s.closeReason));
    const refreshUsers = () => setUsers(s.users());
    s.provider.awareness.on('change', refreshUsers);
    refreshUsers();
    return () => {
      offClose();
      s.provider.awareness.off('change', refreshUsers);
      s.destroy();
      setSession(null);
    };
    // user identity is stable for the page; colour/name changes go through awareness
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [docId, enabled]);

  const save = useSyncExternalStore(
    (cb) => (session ? session.save.subscribe(cb) : () => {}),
    () => (session ? session.save.snapshot() : IDLE),
  );

  return { session, save, users, closeReason };
}
