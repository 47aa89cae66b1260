/**
 * Presence dedupe: one entry per person however many tabs, with the tab count; self first.
 */
import { describe, expect, it } from 'vitest';
import { dedupePresence } from '../collab/presence';

describe('dedupePresence', () => {
  it('folds the same user in two tabs into one person ×2', () => {
    const states = new Map<number, unknown>([
      [1, { user: { id: 'u-bob', name: 'bob', color: '#112233' } }],
      [2, { user: { id: 'u-alice', name: 'alice', color: '#445566' } }],
      [3, { user: { id: 'u-bob', name: 'bob', color: '#112233' } }],
      [4, {}],
    ]);
    const users = dedupePresence(states, 3);
    expect(users.map((u) => [u.name, u.count, u.self])).toEqual([
      ['bob', 2, true],
      ['alice', 1, false],
    ]);
  });

  it('falls back to the name when no id is known, and keeps different ids apart', () => {
    const states = new Map<number, unknown>([
      [1, { user: { name: 'carol' } }],
      [2, { user: { name: 'carol' } }],
      [3, { user: { id: 'a', name: 'dan' } }],
      [4, { user: { id: 'b', name: 'dan' } }],
    ]);
    const users = dedupePresence(states, 99);
    expect(users.map((u) => [u.name, u.count])).toEqual([
      ['carol', 2],
      ['dan', 1],
      ['dan', 1],
    ]);
  });
});
