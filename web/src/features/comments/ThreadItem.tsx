/**
 * One comment thread in the sidebar: its quote (a button selecting the text in the editor), a
 * "detached" note when the text is gone, the comments with author and relative time, a reply box
 * with mention autocomplete, Resolve/Reopen and the delete buttons the caller may use.
 */
import { useState } from 'react';
import { api } from '../../api/endpoints';
import { errorMessage } from '../../api/errorMessage';
import type { Thread } from '../../api/types';
import { absoluteTime, relativeTime } from '../../lib/relativeTime';
import { Alert } from '../../ui/Alert';
import { Icon } from '../../ui/Icon';
import { CommentBody } from './CommentBody';
import { MentionTextarea } from './MentionTextarea';

interface Props {
  docId: string;
  thread: Thread;
  userId: string;
  isOwner: boolean;
  canWrite: boolean;
  active: boolean;
  now: Date;
  usernames: readonly string[];
  onChanged: (thread: Thread) => void;
  onDeleted: (id: string) => void;
  onSelectQuote: (thread: Thread) => void;
}

export function ThreadItem({ docId, thread, userId, isOwner, canWrite, active, now, usernames, onChanged, onDeleted, onSelectQuote }: Props) {
  const [reply, setReply] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const run = async (what: string, action: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (e) {
      setError(errorMessage(e, { fallback: `Could not ${what}.` }));
    } finally {
      setBusy(false);
    }
  };

  const sendReply = () => {
    const body = reply.trim();
    if (!body) return;
    void run('reply', async () => {
      const c = await api.reply(docId, thread.id, body);
      setReply('');
      onChanged({ ...thread, comments: thread.comments.some((x) => x.id === c.id) ? thread.comments : [...thread.comments, c] });
    });
  };

  const canDeleteThread = canWrite && (isOwner || thread.created_by.id === userId);

  return (
    <li
      className={`thread${active ? ' is-active' : ''}${thread.resolved ? ' is-resolved' : ''}`}
      data-testid="comment-thread"
      data-thread-id={thread.id}
      data-resolved={thread.resolved}
      id={`thread-${thread.id}`}
      tabIndex={-1}
    >
      {thread.quote && (
        <button
          type="button"
          className="thread-quote"
          data-testid="thread-quote"
          disabled={thread.detached}
          onClick={() => onSelectQuote(thread)}
          aria-label={`Show the commented text: ${thread.quote}`}
        >
          “{thread.quote}”
        </button>
      )}
      {thread.detached && (
        <p className="muted thread-detached" data-testid="thread-detached">
          The commented text was removed
        </p>
      )}
      <ol className="thread-comments">
        {thread.comments.map((c, i) => (
          <li key={c.id} className="comment" data-testid="comment">
            <div className="comment-head">
              <strong className="comment-author">{c.author.username}</strong>{' '}
              <time className="muted" dateTime={c.created_at} title={absoluteTime(c.created_at)}>
                {relativeTime(c.created_at, now)}
              </time>
              {c.edited_at && <span className="muted"> (edited)</span>}
              {i > 0 && canWrite && (isOwner || c.author.id === userId) && (
                <button
                  type="button"
                  className="btn btn-ghost btn-icon btn-small"
                  aria-label={`Delete reply by ${c.author.username}`}
                  disabled={busy}
                  onClick={() =>
                    void run('delete the reply', async () => {
                      await api.deleteComment(docId, thread.id, c.id);
                      onChanged({ ...thread, comments: thread.comments.filter((x) => x.id !== c.id) });
                    })
                  }
                >
                  <Icon name="trash" size={14} />
                </button>
              )}
            </div>
            <CommentBody body={c.body} />
          </li>
        ))}
      </ol>
      {error && <Alert>{error}</Alert>}
      {canWrite && (
        <div className="thread-actions">
          {!thread.resolved && (
            <form
              className="reply-form"
              onSubmit={(e) => {
                e.preventDefault();
                sendReply();
              }}
            >
              <MentionTextarea
                value={reply}
                onChange={setReply}
                usernames={usernames}
                label="Reply"
                placeholder="Reply…"
                disabled={busy}
                testId="reply-input"
                onSubmit={sendReply}
              />
              <button type="submit" className="btn btn-small" disabled={busy || !reply.trim()} data-testid="reply-submit">
                Reply
              </button>
            </form>
          )}
          <div className="thread-buttons">
            <button
              type="button"
              className="btn btn-small"
              disabled={busy}
              data-testid={thread.resolved ? 'reopen-thread' : 'resolve-thread'}
              onClick={() =>
                void run(thread.resolved ? 'reopen the thread' : 'resolve the thread', async () => {
                  onChanged(await api.setResolved(docId, thread.id, !thread.resolved));
                })
              }
            >
              {thread.resolved ? 'Reopen' : 'Resolve'}
            </button>
            {canDeleteThread && (
              <button
                type="button"
                className="btn btn-small btn-danger-ghost"
                disabled={busy}
                aria-label="Delete thread"
                onClick={() =>
                  void run('delete the thread', async () => {
                    await api.deleteThread(docId, thread.id);
                    onDeleted(thread.id);
                  })
                }
              >
                Delete
              </button>
            )}
          </div>
        </div>
      )}
    </li>
  );
}
