/**
 * One comment in a thread: author, relative time, "(edited)" when it was changed, the Edit button
 * for its author and the delete button for whoever may use it; the body, or the edit form in its
 * place. Focus goes back to the Edit button when editing ends.
 */
import { useEffect, useRef, useState } from 'react';
import type { ThreadComment } from '../../api/types';
import { absoluteTime, relativeTime } from '../../lib/relativeTime';
import { Icon } from '../../ui/Icon';
import { CommentBody } from './CommentBody';
import { CommentEditForm } from './CommentEditForm';

interface Props {
  docId: string;
  threadId: string;
  comment: ThreadComment;
  canEdit: boolean;
  canDelete: boolean;
  busy: boolean;
  now: Date;
  usernames: readonly string[];
  onEdited: (comment: ThreadComment) => void;
  onDelete: () => void;
}

export function CommentItem({ docId, threadId, comment: c, canEdit, canDelete, busy, now, usernames, onEdited, onDelete }: Props) {
  const [editing, setEditing] = useState(false);
  const editButton = useRef<HTMLButtonElement>(null);
  const wasEditing = useRef(false);

  useEffect(() => {
    if (wasEditing.current && !editing) editButton.current?.focus();
    wasEditing.current = editing;
  }, [editing]);

  return (
    <li className="comment" data-testid="comment" data-comment-id={c.id}>
      <div className="comment-head">
        <strong className="comment-author">{c.author.username}</strong>{' '}
        <time className="muted" dateTime={c.created_at} title={absoluteTime(c.created_at)}>
          {relativeTime(c.created_at, now)}
        </time>
        {c.edited_at && (
          <time className="muted" dateTime={c.edited_at} title={`Edited ${absoluteTime(c.edited_at)}`} data-testid="comment-edited">
            (edited)
          </time>
        )}
        {canEdit && !editing && (
          <button
            ref={editButton}
            type="button"
            className="btn btn-ghost btn-small"
            aria-label="Edit comment"
            data-testid="comment-edit"
            onClick={() => setEditing(true)}
          >
            Edit
          </button>
        )}
        {canDelete && (
          <button
            type="button"
            className="btn btn-ghost btn-icon btn-small"
            aria-label={`Delete reply by ${c.author.username}`}
            disabled={busy}
            onClick={onDelete}
          >
            <Icon name="trash" size={14} />
          </button>
        )}
      </div>
      {editing ? (
        <CommentEditForm
          docId={docId}
          threadId={threadId}
          comment={c}
          usernames={usernames}
          onSaved={(updated) => {
            setEditing(false);
            onEdited(updated);
          }}
          onCancel={() => setEditing(false)}
        />
      ) : (
        <CommentBody body={c.body} />
      )}
    </li>
  );
}
