/**
 * Pure helpers over a document's comment threads: applying a live `comment` event to the list
 * (replace in place, insert, remove) and splitting it into the Open / Resolved tabs.
 */
import type { Thread } from '../../api/types';
import type { QuireEvent } from '../../collab/events';

export type CommentEvent = Extract<QuireEvent, { type: 'comment' }>;

/**
 * The thread list after `event`: a known thread is replaced where it is, a new one is appended
 * (the server's order is restored on the next full load), a deleted one is removed.
 */
export function applyCommentEvent(threads: readonly Thread[], event: CommentEvent): Thread[] {
  if ('deleted_thread' in event) return threads.filter((t) => t.id !== event.deleted_thread);
  const i = threads.findIndex((t) => t.id === event.thread.id);
  if (i < 0) return [...threads, event.thread];
  const next = [...threads];
  next[i] = event.thread;
  return next;
}

/** The threads shown under a tab, keeping the server's order. */
export function threadsFor(threads: readonly Thread[], tab: 'open' | 'resolved'): Thread[] {
  return threads.filter((t) => t.resolved === (tab === 'resolved'));
}
