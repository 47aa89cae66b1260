/** Presence: awareness states folded into one entry per person (a user in two tabs is one person, ×2). */
import { safeColor } from '../lib/colors';

export interface AwarenessUser {
  /** The awareness client id of the entry's first tab (stable React key). */
  clientId: number;
  id?: string;
  name: string;
  color: string;
  /** True when one of the tabs is this one. */
  self: boolean;
  /** How many tabs (awareness clients) this person has open in the document. */
  count: number;
}

interface PresenceState {
  user?: { name?: unknown; color?: unknown; id?: unknown };
}

/**
 * One entry per user (by id, else by name), counting their tabs; this client's own user first,
 * then by name.
 */
export function dedupePresence(states: Map<number, unknown>, selfClientId: number): AwarenessUser[] {
  const byKey = new Map<string, AwarenessUser>();
  states.forEach((state, clientId) => {
    const u = (state as PresenceState | null)?.user;
    if (!u || typeof u.name !== 'string' || !u.name) return;
    const id = typeof u.id === 'string' && u.id ? u.id : undefined;
    const key = id ? `id:${id}` : `name:${u.name}`;
    const self = clientId === selfClientId;
    const existing = byKey.get(key);
    if (existing) {
      existing.count += 1;
      if (self) existing.self = true;
      return;
    }
    byKey.set(key, {
      clientId,
      id,
      name: u.name,
      color: safeColor(typeof u.color === 'string' ? u.color : undefined),
      self,
      count: 1,
    });
  });
  return [...byKey.values()].sort((a, b) => (a.self === b.self ? a.name.localeCompare(b.name) : a.self ? -1 : 1));
}
