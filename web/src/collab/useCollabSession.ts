/**
 * React binding of CollabSession: opens it for a document, exposes save status, present users and
 * why the connection closed for good (asking the REST API when the socket alone cannot tell); when the
 * server demotes this user below editor it throws the local copy away and reconnects fresh.
 */
import { useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { ApiError } from '../api/client';
import { api } from '../api/endpoints';
import { canEditBody } from './events';
import { type AwarenessUser, type CloseReason, CollabSession, type CollabUser } from './session';
import type { SaveSnapshot } from './saveState';

const IDLE: SaveSnapshot = { status: 'connecting', pending: 0, dirty: false, lastSavedAt: null };
/** How long a local reset waits for IndexedDB to delete the copy (another tab may hold it open). */
const FORGET_TIMEOUT_MS = 1500;

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

/**
 * Opens a CollabSession for the document while `enabled`, and tears it down after. `role` is the
 * user's role when the page opened; `role` events keep it current.
 */
export function useCollabSession(docId: string, user: CollabUser, enabled: boolean, role?: string | null) {
  const [session, setSession] = useState<CollabSession | null>(null);
  const [closeReason, setCloseReason] = useState<CloseReason | null>(null);
  const [users, setUsers] = useState<AwarenessUser[]>([]);
  /** Bumped to open a fresh session (after the local copy was discarded). */
  const [generation, setGeneration] = useState(0);
  const canEditRef = useRef(canEditBody(role));

  useEffect(() => {
    if (!enabled) return;
    let current = true;
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
    const offEvent = s.onEvent((event) => {
      if (event.type !== 'role') return;
      const could = canEditRef.current;
      canEditRef.current = canEditBody(event.role);
      if (could && !canEditRef.current) {
        // The server drops every body update sent after the demotion: whatever this client typed
        // since is not on the server and must not stay here (nor in IndexedDB) either.
        current = false;
        offClose();
        s.provider.awareness.off('change', refreshUsers);
        setSession(null);
        // outside the provider's message handler that delivered the event
        const forget = new Promise<void>((resolve) => setTimeout(resolve, 0)).then(() => s.destroyAndForgetLocal());
        void Promise.race([forget.catch(() => {}), new Promise((r) => setTimeout(r, FORGET_TIMEOUT_MS))]).then(() =>
          setGeneration((g) => g + 1),
        );
      }
    });
    return () => {
      offEvent();
      if (!current) return;
      offClose();
      s.provider.awareness.off('change', refreshUsers);
      s.destroy();
      setSession(null);
    };
    // user identity is stable for the page; colour/name changes go through awareness
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [docId, enabled, generation]);

  const save = useSyncExternalStore(
    (cb) => (session ? session.save.subscribe(cb) : () => {}),
    () => (session ? session.save.snapshot() : IDLE),
  );

  return { session, save, users, closeReason };
}
