/** Subscribes the document list to `GET /api/events` (EventSource, same-origin cookies); refetches after a reconnect. */
import { useEffect, useRef } from 'react';
import { LIST_EVENT_TYPES, parseListEvent, type ListEvent } from './listEvents';

export function useDocumentListEvents(enabled: boolean, onEvent: (e: ListEvent) => void, onReconnect: () => void) {
  const eventRef = useRef(onEvent);
  eventRef.current = onEvent;
  const reconnectRef = useRef(onReconnect);
  reconnectRef.current = onReconnect;

  useEffect(() => {
    if (!enabled || typeof EventSource === 'undefined') return;
    const source = new EventSource('/api/events', { withCredentials: true });
    let lostConnection = false;
    const handle = (type: string) => (msg: MessageEvent<string>) => {
      const event = parseListEvent(type, msg.data);
      if (event) eventRef.current(event);
    };
    const handlers = LIST_EVENT_TYPES.map((t) => [t, handle(t)] as const);
    handlers.forEach(([t, h]) => source.addEventListener(t, h));
    source.onopen = () => {
      // events sent while we were away are gone: the list is loaded again
      if (lostConnection) reconnectRef.current();
      lostConnection = false;
    };
    source.onerror = () => {
      lostConnection = true;
    };
    return () => {
      handlers.forEach(([t, h]) => source.removeEventListener(t, h));
      source.close();
    };
  }, [enabled]);
}
