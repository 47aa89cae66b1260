/** Subscribes a component to a CollabSession's live events and (re)connections, with always-current handlers. */
import { useEffect, useRef } from 'react';
import type { QuireEvent } from './events';
import type { CollabSession } from './session';

export function useSessionEvents(
  session: CollabSession | null,
  onEvent: (event: QuireEvent) => void,
  onConnected?: () => void,
) {
  const eventRef = useRef(onEvent);
  eventRef.current = onEvent;
  const connectedRef = useRef(onConnected);
  connectedRef.current = onConnected;
  useEffect(() => {
    if (!session) return;
    const offEvent = session.onEvent((e) => eventRef.current(e));
    const offConnected = session.onConnected(() => connectedRef.current?.());
    return () => {
      offEvent();
      offConnected();
    };
  }, [session]);
}
