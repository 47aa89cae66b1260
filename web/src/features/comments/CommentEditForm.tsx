/**
 * Editing one's own comment in place: a mention textarea prefilled with the body, Save (or
 * Ctrl/Cmd+Enter) and Cancel (or Escape). A failed save shows the server's reason and keeps the
 * typed text; the answer (the edited comment) goes to `onSaved`.
 */
import { useEffect, useRef, useState } from 'react';
import { api } from '../../api/endpoints';
import { errorMessage } from '../../api/errorMessage';
import type { ThreadComment } from '../../api/types';
import { Alert } from '../../ui/Alert';
import { MentionTextarea } from './MentionTextarea';

interface Props {
  docId: string;
  threadId: string;
  comment: ThreadComment;
  usernames: readonly string[];
  onSaved: (comment: ThreadComment) => void;
  onCancel: () => void;
}

export function CommentEditForm({ docId, threadId, comment, usernames, onSaved, onCancel }: Props) {
  const [draft, setDraft] = useState(comment.body);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const formRef = useRef<HTMLFormElement>(null);

  // the textarea is disabled while saving, which drops the focus: give it back after a failure
  useEffect(() => {
    if (error) formRef.current?.querySelector('textarea')?.focus();
  }, [error]);

  const save = async () => {
    const body = draft.trim();
    if (!body || saving) return;
    if (body === comment.body) return onCancel();
    setSaving(true);
    setError(null);
    try {
      onSaved(await api.editComment(docId, threadId, comment.id, body));
    } catch (e) {
      setError(errorMessage(e, { fallback: 'Could not save the comment.' }));
      setSaving(false);
    }
  };

  return (
    <form
      ref={formRef}
      className="reply-form comment-edit"
      data-testid="comment-edit-form"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <MentionTextarea
        value={draft}
        onChange={setDraft}
        usernames={usernames}
        label="Edit your comment"
        disabled={saving}
        autoFocus
        testId="comment-edit-input"
        onSubmit={() => void save()}
        onEscape={onCancel}
      />
      {error && <Alert>{error}</Alert>}
      <div className="thread-buttons">
        <button type="button" className="btn btn-small" disabled={saving} onClick={onCancel} data-testid="comment-edit-cancel">
          Cancel
        </button>
        <button type="submit" className="btn btn-primary btn-small" disabled={saving || !draft.trim()} data-testid="comment-edit-save">
          {saving ? 'Saving…' : 'Save'}
        </button>
      </div>
    </form>
  );
}
