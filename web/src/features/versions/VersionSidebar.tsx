/**
 * The version history sidebar: lists saved versions (reloaded on every live `version` event),
 * saves a named version, previews one, shows what changed since it, and restores it after a
 * confirmation. On a phone it is an overlay over the editor.
 */
import { useEffect, useState, type FormEvent } from 'react';
import { api } from '../../api/endpoints';
import { errorMessage } from '../../api/errorMessage';
import type { Version } from '../../api/types';
import { sanitizeHtml } from '../../lib/sanitize';
import { useRequest } from '../../lib/useRequest';
import { Alert } from '../../ui/Alert';
import { ConfirmDialog } from '../../ui/ConfirmDialog';
import { Icon } from '../../ui/Icon';
import { Modal } from '../../ui/Modal';
import { DiffView } from './DiffView';
import { VersionItem } from './VersionItem';

interface Props {
  docId: string;
  canEdit: boolean;
  /** Changes whenever a version was saved or restored (live event): the list is loaded again. */
  refreshKey?: number;
  onClose: () => void;
  /** Called once a restore succeeded (the editor drops its undo history). */
  onRestored?: () => void;
}

type View = { kind: 'preview' | 'diff'; version: Version };

const nameOf = (v: Version) => v.label || `Version ${v.number}`;

export function VersionSidebar({ docId, canEdit, refreshKey = 0, onClose, onRestored }: Props) {
  const list = useRequest(
    (signal) => api.listVersions(docId, signal).then((res) => [...res.items].sort((a, b) => b.number - a.number)),
    [docId, refreshKey],
  );
  const versions = list.data ?? null;
  const [label, setLabel] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [view, setView] = useState<View | null>(null);
  const [confirm, setConfirm] = useState<Version | null>(null);

  const preview = useRequest(
    view?.kind === 'preview' ? (signal) => api.getVersion(docId, view.version.number, signal) : null,
    [docId, view],
  );
  const comparison = useRequest(
    view?.kind === 'diff' ? (signal) => api.diff(docId, view.version.number, 'current', signal) : null,
    [docId, view],
  );

  // a preview or comparison that cannot be loaded closes its dialog and says why
  useEffect(() => {
    if (!preview.error) return;
    setView(null);
    setError(errorMessage(preview.error, { fallback: 'Could not load the version.' }));
  }, [preview.error]);
  useEffect(() => {
    if (!comparison.error) return;
    setView(null);
    setError(errorMessage(comparison.error, { fallback: 'Could not compute the differences.' }));
  }, [comparison.error]);

  const shownError = error ?? (list.error ? errorMessage(list.error, { fallback: 'Could not load versions.' }) : null);

  const save = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const v = await api.saveVersion(docId, label.trim());
      setNotice(`Saved “${nameOf(v)}”.`);
      setLabel('');
      await list.reload();
    } catch (err) {
      setError(errorMessage(err, { fallback: 'Could not save the version.' }));
    } finally {
      setBusy(false);
    }
  };

  const restore = async (v: Version) => {
    setBusy(true);
    setError(null);
    try {
      const res = await api.restore(docId, v.number);
      onRestored?.();
      setNotice(`Restored “${nameOf(v)}”. The previous content was kept as version ${res.backup_version}.`);
      setConfirm(null);
      setView(null);
      await list.reload();
    } catch (e) {
      setError(errorMessage(e, { fallback: 'Could not restore the version.' }));
      setConfirm(null);
    } finally {
      setBusy(false);
    }
  };

  return (
    <aside className="sidebar" aria-labelledby="versions-heading" data-testid="version-sidebar">
      <div className="sidebar-head">
        <h2 id="versions-heading">Version history</h2>
        <button type="button" className="btn btn-icon btn-ghost" aria-label="Close version history" onClick={onClose}>
          <Icon name="close" />
        </button>
      </div>
      {canEdit && (
        <form className="version-save" onSubmit={save}>
          <label htmlFor="version-label">Name this version</label>
          <div className="input-row">
            <input
              id="version-label"
              data-testid="version-label"
              maxLength={200}
              placeholder="e.g. Draft for review"
              value={label}
              onChange={(e) => setLabel(e.target.value)}
            />
            <button type="submit" className="btn btn-primary" disabled={busy}>
              Save version
            </button>
          </div>
        </form>
      )}
      {shownError && <Alert>{shownError}</Alert>}
      {notice && (
        <Alert kind="success" testId="version-notice">
          {notice}
        </Alert>
      )}
      {versions === null ? (
        <p className="muted">Loading…</p>
      ) : versions.length === 0 ? (
        <p className="empty-state">No saved versions yet.</p>
      ) : (
        <ol className="version-list" data-testid="version-list">
          {versions.map((v) => (
            <VersionItem
              key={v.number}
              version={v}
              canRestore={canEdit}
              onPreview={() => setView({ kind: 'preview', version: v })}
              onDiff={() => setView({ kind: 'diff', version: v })}
              onRestore={() => setConfirm(v)}
            />
          ))}
        </ol>
      )}

      {view?.kind === 'preview' && (
        <Modal title={`Preview: ${nameOf(view.version)}`} onClose={() => setView(null)} size="lg" testId="version-preview">
          {preview.data ? (
            <div
              className="prose preview"
              // server HTML, reduced to an allow-list of formatting tags
              dangerouslySetInnerHTML={{ __html: sanitizeHtml(preview.data.content) }}
            />
          ) : (
            <p className="muted">Loading…</p>
          )}
          <div className="dialog-actions">
            <button type="button" className="btn" onClick={() => setView({ kind: 'diff', version: view.version })}>
              Compare with current
            </button>
            {canEdit && (
              <button type="button" className="btn btn-primary" onClick={() => setConfirm(view.version)}>
                Restore this version
              </button>
            )}
          </div>
        </Modal>
      )}
      {view?.kind === 'diff' && (
        <Modal title={`Changes since ${nameOf(view.version)}`} onClose={() => setView(null)} size="lg" testId="version-diff">
          {comparison.data ? <DiffView diff={comparison.data} /> : <p className="muted">Comparing…</p>}
          {canEdit && (
            <div className="dialog-actions">
              <button type="button" className="btn btn-primary" onClick={() => setConfirm(view.version)}>
                Restore {nameOf(view.version)}
              </button>
            </div>
          )}
        </Modal>
      )}
      {confirm && (
        <ConfirmDialog
          title={`Restore “${nameOf(confirm)}”?`}
          confirmLabel="Restore"
          busy={busy}
          testId="restore-confirm"
          onCancel={() => setConfirm(null)}
          onConfirm={() => void restore(confirm)}
        >
          <p>
            The document will change for everyone editing it right now. The current content is saved first as an
            automatic version, so you can undo this restore.
          </p>
        </ConfirmDialog>
      )}
    </aside>
  );
}
