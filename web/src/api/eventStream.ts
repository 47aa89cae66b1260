/**
 * The tab's one connection to `GET /api/events` (server-sent events, same-origin cookies): opened
 * when the first subscriber arrives, shared by every hook that wants named events from it (the
 * document list, the notification bell), and closed when the last one leaves. A subscriber may
 * also ask to hear when the stream comes back after an error, since the events sent while it was
 * down are lost and whatever it shows should be loaded again.
 */

export interface EventSubscription {
  /** The `event:` names to receive. */
  types: readonly string[];
  /** One event: its name and its `data:` text (JSON, not parsed here). */
  onEvent: (type: string, data: string) => void;
  /** The stream reopened after an error. */
  onReconnect?: () => void;
}

export const EVENTS_URL = '/api/events';

interface Connection {
  source: EventSource;
  /** One listener per event name; each hands the event to the subscribers that asked for it. */
  listeners: Map<string, (msg: MessageEvent<string>) => void>;
  lostConnection: boolean;
}

const subscribers = new Set<EventSubscription>();
let conn: Connection | null = null;

function dispatch(type: string, data: string) {
  [...subscribers].forEach((sub) => {
    if (sub.types.includes(type)) sub.onEvent(type, data);
  });
}

function listen(c: Connection, type: string) {
  if (c.listeners.has(type)) return;
  const listener = (msg: MessageEvent<string>) => dispatch(type, msg.data);
  c.listeners.set(type, listener);
  c.source.addEventListener(type, listener);
}

function connect(): Connection {
  const source = new EventSource(EVENTS_URL, { withCredentials: true });
  const c: Connection = { source, listeners: new Map(), lostConnection: false };
  source.onopen = () => {
    const reconnected = c.lostConnection;
    c.lostConnection = false;
    if (reconnected) [...subscribers].forEach((sub) => sub.onReconnect?.());
  };
  source.onerror = () => {
    c.lostConnection = true;
  };
  subscribers.forEach((sub) => sub.types.forEach((t) => listen(c, t)));
  return c;
}

function disconnect(c: Connection) {
  c.listeners.forEach((l, t) => c.source.removeEventListener(t, l));
  c.source.onopen = null;
  c.source.onerror = null;
  c.source.close();
}

/**
 * Receive `sub.types` from the shared stream until the returned function is called. Does nothing
 * (and returns a no-op) where `EventSource` does not exist.
 */
export function subscribeEvents(sub: EventSubscription): () => void {
  if (typeof EventSource === 'undefined') return () => {};
  const others = subscribers.size > 0;
  subscribers.add(sub);
  if (conn && conn.source.readyState === EventSource.CLOSED) {
    // the browser gave up on it (an error answer, e.g. a 401) and will not retry by itself: start
    // again, and the subscribers already there reload what they missed once it is open
    disconnect(conn);
    conn = connect();
    conn.lostConnection = others;
  } else if (conn) {
    const c = conn;
    sub.types.forEach((t) => listen(c, t));
  } else {
    conn = connect();
  }
  return () => {
    if (!subscribers.delete(sub) || subscribers.size > 0 || !conn) return;
    disconnect(conn);
    conn = null;
  };
}
