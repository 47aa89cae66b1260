/**
 * The small composer opened by the toolbar's "Comment" button or Ctrl+Alt+M on a selection: shows
 * the quoted text and posts the new anchored thread (the anchor was computed when it opened).
 */
import { useState } from 'react';
import { errorMessage } from '../../api/errorMessage';
import { Alert } from '../../ui/Alert';
import { MentionTextarea } from './MentionTextarea';

interface Props {
  quote: string;
  usernames: readonly string[];
  onSubmit: (body: string) => Promise<void>;
  onClose: () => void;
}

export function SelectionCommentComposer({ quote, usernames, onSubmit, onClose }: Props) {
  const [body, setBody] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async () => {
    const text = body.trim();
    if (!text) return;
    setBusy(true);
    setError(null);
    try {
      await onSubmit(text);
    } catch (e) {
      setError(errorMessage(e, { fallback: 'Could not add the comment.' }));
      setBusy(false);
    }
  };

  return (
    <form
      className="selection-composer"
      role="dialog"
      aria-label="Comment on the selection"
      data-testid="selection-composer"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <p className="thread-quote muted">“{quote}”</p>
      <MentionTextarea
        value={body}
        onChange={setBody}
        usernames={usernames}
        label="Comment"
        placeholder="Write a comment…"
        disabled={busy}
        autoFocus
        testId="selection-comment-input"
        onSubmit={() => void submit()}
        onEscape={onClose}
      />
      {error && <Alert>{error}</Alert>}
      <div className="dialog-actions">
        <button type="button" className="btn btn-small" onClick={onClose}>
          Cancel
        </button>
        <button type="submit" className="btn btn-primary btn-small" disabled={busy || !body.trim()} data-testid="selection-comment-submit">
          Comment
        </button>
      </div>
    </form>
  );
}
