/**
 * A minimal History-API router: current location as a hook, `navigate`, and route matching.
 */
import { useSyncExternalStore } from 'react';

const listeners = new Set<() => void>();

function subscribe(cb: () => void): () => void {
  listeners.add(cb);
  window.addEventListener('popstate', cb);
  return () => {
    listeners.delete(cb);
    window.removeEventListener('popstate', cb);
  };
}

function snapshot(): string {
  return window.location.pathname + window.location.search;
}

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  if (to === snapshot()) return;
  if (opts.replace) window.history.replaceState(null, '', to);
  else window.history.pushState(null, '', to);
  listeners.forEach((l) => l());
  window.scrollTo?.(0, 0);
}

/** Current path + search, re-rendering on navigation. */
export function useLocation(): { path: string; search: URLSearchParams } {
  const loc = useSyncExternalStore(subscribe, snapshot, snapshot);
  const q = loc.indexOf('?');
  return {
    path: q < 0 ? loc : loc.slice(0, q),
    search: new URLSearchParams(q < 0 ? '' : loc.slice(q + 1)),
  };
}

export type Route =
  | { name: 'login' }
  | { name: 'register' }
  | { name: 'list' }
  | { name: 'doc'; id: string }
  | { name: 'settings' }
  | { name: 'trash' }
  | { name: 'notFound' };

export function matchRoute(path: string): Route {
  if (path === '/login') return { name: 'login' };
  if (path === '/register') return { name: 'register' };
  if (path === '/' || path === '/documents') return { name: 'list' };
  if (path === '/settings') return { name: 'settings' };
  if (path === '/trash') return { name: 'trash' };
  const m = /^\/(?:d|documents)\/([^/]+)\/?$/.exec(path);
  if (m) return { name: 'doc', id: decodeURIComponent(m[1]) };
  return { name: 'notFound' };
}
