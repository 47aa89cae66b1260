/**
 * The Publish area of the document header: badge, version and "View published page" link for everyone
 * who can open the document; for editors and owners also Publish / Publish changes / Unpublish and
 * "Publishing settings…". A publish or unpublish hands the returned document to `onDocument`.
 */
import { useState } from 'react';
import { api } from '../../api/endpoints';
import { errorMessage } from '../../api/errorMessage';
import type { QuireDocument } from '../../api/types';
import { Alert } from '../../ui/Alert';
import { PublishBadge } from './PublishBadge';
import { ScheduleNotice } from './ScheduleNotice';
import { publishState, readerUrl } from './publishing';

interface Props {
  doc: QuireDocument;
  /** Editors and owners (with a live session): may publish and change the settings. */
  canPublish: boolean;
  onDocument: (doc: QuireDocument) => void;
  onOpenSettings: () => void;
}

export function PublishControls({ doc, canPublish, onDocument, onOpenSettings }: Props) {
  const [busy, setBusy] = useState<'publish' | 'unpublish' | null>(null);
  const [error, setError] = useState<string | null>(null);
  const { published, changed } = publishState(doc);

  const run = async (what: 'publish' | 'unpublish') => {
    setBusy(what);
    setError(null);
    try {
      onDocument(what === 'publish' ? await api.publish(doc.id) : await api.unpublish(doc.id));
    } catch (e) {
      setError(errorMessage(e, { fallback: what === 'publish' ? 'Could not publish.' : 'Could not unpublish.' }));
    } finally {
      setBusy(null);
    }
  };

  return (
    <div className="publish-controls" data-testid="publish-controls">
      <PublishBadge doc={doc} />
      {published && doc.slug && (
        <a href={readerUrl(doc.slug)} target="_blank" rel="noopener" data-testid="published-link">
          View published page
        </a>
      )}
      <ScheduleNotice doc={doc} />
      {canPublish && (
        <span className="publish-actions">
          <button
            type="button"
            className={`btn${!published || changed ? ' btn-primary' : ''}`}
            disabled={busy !== null}
            onClick={() => void run('publish')}
            data-testid="publish-button"
          >
            {busy === 'publish' ? 'Publishing…' : published ? 'Publish changes' : 'Publish'}
          </button>
          {published && (
            <button
              type="button"
              className="btn"
              disabled={busy !== null}
              onClick={() => void run('unpublish')}
              data-testid="unpublish-button"
            >
              {busy === 'unpublish' ? 'Unpublishing…' : 'Unpublish'}
            </button>
          )}
          <button type="button" className="btn btn-ghost" onClick={onOpenSettings} data-testid="publish-settings-button">
            Publishing settings…
          </button>
        </span>
      )}
      {busy && (
        <span className="visually-hidden" role="status">
          {busy === 'publish' ? 'Publishing…' : 'Unpublishing…'}
        </span>
      )}
      {error && <Alert>{error}</Alert>}
    </div>
  );
}
