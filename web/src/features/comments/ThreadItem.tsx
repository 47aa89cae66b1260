/**
 * One comment thread in the sidebar: its quote (a button selecting the text in the editor), a
 * "detached" note when the text is gone, the comments (`CommentItem`: its author may edit it), a
 * reply box with mention autocomplete, Resolve/Reopen and the delete buttons the caller may use.
 */
import { useRef, useState } from 'react';
import { api } from '../../api/endpoints';
import { errorMessage } from '../../api/errorMessage';
import type { Thread, ThreadComment } from '../../api/types';
import { Alert } from '../../ui/Alert';
import { CommentItem } from './CommentItem';
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
  // an edit's answer is applied to the thread as it is then (live events may have changed it)
  const latest = useRef(thread);
  latest.current = thread;

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

  const edited = (c: ThreadComment) => {
    const t = latest.current;
    onChanged({ ...t, comments: t.comments.map((x) => (x.id === c.id ? c : x)) });
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
          <CommentItem
            key={c.id}
            docId={docId}
            threadId={thread.id}
            comment={c}
            canEdit={canWrite && c.author.id === userId}
            canDelete={i > 0 && canWrite && (isOwner || c.author.id === userId)}
            busy={busy}
            now={now}
            usernames={usernames}
            onEdited={edited}
            onDelete={() =>
              void run('delete the reply', async () => {
                await api.deleteComment(docId, thread.id, c.id);
                onChanged({ ...thread, comments: thread.comments.filter((x) => x.id !== c.id) });
              })
            }
          />
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
