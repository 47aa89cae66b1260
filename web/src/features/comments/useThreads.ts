/**
 * A document's comment threads (all of them, open and resolved), loaded once, kept live by
 * `comment` events (`apply`) and by the answers of this client's own mutations (`upsert`,
 * `remove`), and loaded again after a reconnection (`reload`).
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { api } from '../../api/endpoints';
import { errorMessage } from '../../api/errorMessage';
import type { Thread } from '../../api/types';
import { applyCommentEvent, type CommentEvent } from './threadList';

export function useThreads(docId: string) {
  const [threads, setThreads] = useState<Thread[]>([]);
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const abortRef = useRef<AbortController | null>(null);

  const reload = useCallback(() => {
    abortRef.current?.abort();
    const ctrl = new AbortController();
    abortRef.current = ctrl;
    api.listThreads(docId, 'all', ctrl.signal).then(
      (res) => {
        if (ctrl.signal.aborted) return;
        setThreads(res.items);
        setLoaded(true);
        setError(null);
      },
      (e: unknown) => {
        if (ctrl.signal.aborted) return;
        setError(errorMessage(e, { fallback: 'Could not load comments.' }));
      },
    );
  }, [docId]);

  useEffect(() => {
    reload();
    return () => abortRef.current?.abort();
  }, [reload]);

  const apply = useCallback((event: CommentEvent) => setThreads((ts) => applyCommentEvent(ts, event)), []);
  const upsert = useCallback((thread: Thread) => setThreads((ts) => applyCommentEvent(ts, { type: 'comment', thread })), []);
  const remove = useCallback((id: string) => setThreads((ts) => applyCommentEvent(ts, { type: 'comment', deleted_thread: id })), []);

  return { threads, loaded, error, reload, apply, upsert, remove };
}
