/** Comment threads kept live (applying `comment` events), mention parsing/filtering, notification text. */
import { describe, expect, it } from 'vitest';
import type { Thread } from '../api/types';
import { parseEvent } from '../collab/events';
import { applyCommentEvent, threadsFor } from '../features/comments/threadList';
import { filterMentions, insertMention, mentionAt, splitMentions } from '../features/comments/mentions';
import { bellLabel, notificationText } from '../features/notifications/notificationText';

const user = (id: string) => ({ id, username: id });
const thread = (id: string, extra: Partial<Thread> = {}): Thread => ({
  id,
  anchor: null,
  quote: null,
  resolved: false,
  resolved_by: null,
  detached: false,
  created_by: user('alice'),
  created_at: '2026-01-01T00:00:00Z',
  comments: [{ id: `${id}-c1`, author: user('alice'), body: 'hi', created_at: '2026-01-01T00:00:00Z', edited_at: null }],
  ...extra,
});

describe('applyCommentEvent', () => {
  const list = [thread('a'), thread('b'), thread('c')];

  it('replaces a known thread in place', () => {
    const next = applyCommentEvent(list, { type: 'comment', thread: thread('b', { resolved: true }) });
    expect(next.map((t) => t.id)).toEqual(['a', 'b', 'c']);
    expect(next[1]!.resolved).toBe(true);
    expect(list[1]!.resolved).toBe(false); // not mutated
  });

  it('appends a new thread and removes a deleted one', () => {
    expect(applyCommentEvent(list, { type: 'comment', thread: thread('d') }).map((t) => t.id)).toEqual(['a', 'b', 'c', 'd']);
    expect(applyCommentEvent(list, { type: 'comment', deleted_thread: 'a' }).map((t) => t.id)).toEqual(['b', 'c']);
    expect(applyCommentEvent(list, { type: 'comment', deleted_thread: 'zzz' })).toHaveLength(3);
  });

  it('splits threads into the Open and Resolved tabs keeping the order', () => {
    const mixed = [thread('a'), thread('b', { resolved: true }), thread('c')];
    expect(threadsFor(mixed, 'open').map((t) => t.id)).toEqual(['a', 'c']);
    expect(threadsFor(mixed, 'resolved').map((t) => t.id)).toEqual(['b']);
  });

  it('parses comment events from the socket and rejects malformed ones', () => {
    expect(parseEvent({ type: 'comment', thread: thread('x') })).toEqual({ type: 'comment', thread: thread('x') });
    expect(parseEvent({ type: 'comment', deleted_thread: 'x' })).toEqual({ type: 'comment', deleted_thread: 'x' });
    expect(parseEvent({ type: 'comment', thread: { id: 'x' } })).toBeNull();
    expect(parseEvent({ type: 'comment' })).toBeNull();
  });
});

describe('mentions', () => {
  it('finds the mention being typed at the caret', () => {
    expect(mentionAt('hello @al', 9)).toEqual({ start: 6, query: 'al' });
    expect(mentionAt('@', 1)).toEqual({ start: 0, query: '' });
    expect(mentionAt('mail me at bob@example', 22)).toBeNull(); // not after whitespace
    expect(mentionAt('hello al', 8)).toBeNull();
    expect(mentionAt('@alice done', 11)).toBeNull(); // caret past the mention
  });

  it('filters usernames: prefix matches first, then substring, case-insensitive, limited', () => {
    const names = ['alice', 'malia', 'bob', 'Alfred', 'carol'];
    expect(filterMentions(names, 'al')).toEqual(['alice', 'Alfred', 'malia']);
    expect(filterMentions(names, '')).toHaveLength(5);
    expect(filterMentions(names, '', 2)).toEqual(['alice', 'malia']);
    expect(filterMentions(names, 'zz')).toEqual([]);
  });

  it('inserts "@username " replacing the typed query', () => {
    const text = 'hi @al and more';
    const m = mentionAt(text, 6)!;
    expect(insertMention(text, 6, m, 'alice')).toEqual({ text: 'hi @alice  and more', caret: 10 });
  });

  it('splits bodies into text and mentions (never HTML)', () => {
    expect(splitMentions('thanks @alice, see <b>x</b>')).toEqual([
      { kind: 'text', text: 'thanks ' },
      { kind: 'mention', username: 'alice' },
      { kind: 'text', text: ', see <b>x</b>' },
    ]);
    expect(splitMentions('a@b.c')).toEqual([{ kind: 'text', text: 'a@b.c' }]);
  });
});

describe('notificationText', () => {
  it('names the actor and what happened', () => {
    expect(notificationText({ type: 'mention', actor: user('alice') })).toBe('alice mentioned you');
    expect(notificationText({ type: 'reply', actor: user('bob') })).toBe('bob replied');
    expect(notificationText({ type: 'shared', actor: user('carol') })).toBe('carol shared a document with you');
    expect(bellLabel(3)).toBe('Notifications, 3 unread');
  });
});
