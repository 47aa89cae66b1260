/**
 * The signed-in user's notifications: loaded on mount, refetched as soon as a `notification`
 * event arrives on the shared `/api/events` stream (and after that stream reconnects), when the
 * window regains focus, and every 20 s as a fallback; `markRead` updates them.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { api } from '../../api/endpoints';
import { subscribeEvents } from '../../api/eventStream';
import type { QuireNotification } from '../../api/types';

export const NOTIFICATION_POLL_MS = 20_000;

export function useNotifications(pollMs = NOTIFICATION_POLL_MS) {
  const [items, setItems] = useState<QuireNotification[]>([]);
  const abortRef = useRef<AbortController | null>(null);

  const refresh = useCallback(() => {
    abortRef.current?.abort();
    const ctrl = new AbortController();
    abortRef.current = ctrl;
    api.listNotifications(ctrl.signal).then(
      (res) => {
        if (!ctrl.signal.aborted) setItems(res.items);
      },
      () => {},
    );
  }, []);

  useEffect(() => {
    refresh();
    const t = setInterval(refresh, pollMs);
    const onFocus = () => refresh();
    const onVisible = () => {
      if (document.visibilityState === 'visible') refresh();
    };
    window.addEventListener('focus', onFocus);
    document.addEventListener('visibilitychange', onVisible);
    // the event only says that something arrived; the list is the source of truth
    const unsubscribe = subscribeEvents({ types: ['notification'], onEvent: refresh, onReconnect: refresh });
    return () => {
      unsubscribe();
      clearInterval(t);
      window.removeEventListener('focus', onFocus);
      document.removeEventListener('visibilitychange', onVisible);
      abortRef.current?.abort();
    };
  }, [refresh, pollMs]);

  const markRead = useCallback(async (ids: string[] | 'all') => {
    setItems((xs) => xs.map((n) => (ids === 'all' || ids.includes(n.id) ? { ...n, read: true } : n)));
    try {
      await api.markNotificationsRead(ids);
    } finally {
      refresh();
    }
  }, [refresh]);

  return { items, unread: items.filter((n) => !n.read).length, refresh, markRead };
}
