/**
 * "Moved to the trash" with an Undo button (which restores the document), shown on the document list
 * right after the owner deleted a document from the editor.
 */
import { useState } from 'react';
import { errorMessage } from '../../api/errorMessage';
import type { QuireDocument } from '../../api/types';
import { Alert } from '../../ui/Alert';
import { Link } from '../../ui/Link';
import { trashApi, type MovedToTrash } from './trash';

interface Props {
  doc: MovedToTrash;
  onRestored?: (doc: QuireDocument) => void;
  onDismiss: () => void;
}

export function MovedToTrashNotice({ doc, onRestored, onDismiss }: Props) {
  const [busy, setBusy] = useState(false);
  const [restored, setRestored] = useState<QuireDocument | null>(null);
  const [error, setError] = useState<string | null>(null);
  const title = doc.title || 'Untitled';

  const undo = async () => {
    setBusy(true);
    setError(null);
    try {
      const d = await trashApi.restore(doc.id);
      setRestored(d);
      onRestored?.(d);
    } catch (e) {
      setError(errorMessage(e, { fallback: 'Could not restore the document.' }));
    } finally {
      setBusy(false);
    }
  };

  if (restored) {
    return (
      <Alert kind="success" testId="trash-notice">
        <div className="notice-row">
          <span>
            Restored “{restored.title || title}”.{' '}
            <Link href={`/d/${encodeURIComponent(restored.id)}`}>Open it</Link>
          </span>
          <button type="button" className="btn btn-sm btn-ghost" onClick={onDismiss}>
            Dismiss
          </button>
        </div>
      </Alert>
    );
  }
  return (
    <>
    <Alert kind="info" testId="trash-notice">
      <div className="notice-row">
        <span>
          Moved to the trash: “{title}”. <Link href="/trash">Open Trash</Link>
        </span>
        <span className="notice-actions">
          <button type="button" className="btn btn-sm" disabled={busy} onClick={() => void undo()}>
            {busy ? 'Restoring…' : 'Undo'}
          </button>
          <button type="button" className="btn btn-sm btn-ghost" aria-label="Dismiss" onClick={onDismiss}>
            Dismiss
          </button>
        </span>
      </div>
    </Alert>
    {error && <Alert>{error}</Alert>}
    </>
  );
}
