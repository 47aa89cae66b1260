/** Subscribes the document list to the tab's shared `GET /api/events` stream; refetches after a reconnect. */
import { useEffect, useRef } from 'react';
import { subscribeEvents } from '../../api/eventStream';
import { LIST_EVENT_TYPES, parseListEvent, type ListEvent } from './listEvents';

export function useDocumentListEvents(enabled: boolean, onEvent: (e: ListEvent) => void, onReconnect: () => void) {
  const eventRef = useRef(onEvent);
  eventRef.current = onEvent;
  const reconnectRef = useRef(onReconnect);
  reconnectRef.current = onReconnect;

  useEffect(() => {
    if (!enabled) return;
    return subscribeEvents({
      types: LIST_EVENT_TYPES,
      onEvent: (type, data) => {
        const event = parseListEvent(type, data);
        if (event) eventRef.current(event);
      },
      // events sent while we were away are gone: the list is loaded again
      onReconnect: () => reconnectRef.current(),
    });
  }, [enabled]);
}
