import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { ApiError } from '../../api/client';
import { api } from '../../api/endpoints';
import type { DiffResult, Version, VersionContent } from '../../api/types';
import { sanitizeHtml } from '../../lib/sanitize';
import { Alert } from '../../ui/Alert';
import { ConfirmDialog } from '../../ui/ConfirmDialog';
import { DiffView } from './DiffView';
import { Icon } from '../../ui/Icon';
import { Modal } from '../../ui/Modal';
import { VersionItem } from './VersionItem';

interface Props {
  docId: string;
  canEdit: boolean;
  onClose: () => void;
  /** Called once a restore succeeded (the editor drops its undo history). */
  onRestored?: () => void;
}

type View =
  | { kind: 'preview'; version: Version; content: VersionContent | null }
  | { kind: 'diff'; version: Version; diff: DiffResult | null };

const errText = (e: unknown, fallback: string) => (e instanceof ApiError ? e.message : fallback);
const nameOf = (v: Version) => v.label || `Version ${v.number}`;

export function VersionSidebar({ docId, canEdit, onClose, onRestored }: Props) {
  const [versions, setVersions] = useState<Version[] | null>(null);
  const [label, setLabel] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [view, setView] = useState<View | null>(null);
  const [confirm, setConfirm] = useState<Version | null>(null);

  const load = useCallback(async () => {
    try {
      const res = await api.listVersions(docId);
      setVersions([...res.items].sort((a, b) => b.number - a.number));
    } catch (e) {
      setError(errText(e, 'Could not load versions.'));
    }
  }, [docId]);

  useEffect(() => {
    void load();
  }, [load]);

  const save = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const v = await api.saveVersion(docId, label.trim());
      setNotice(`Saved “${nameOf(v)}”.`);
      setLabel('');
      await load();
    } catch (err) {
      setError(errText(err, 'Could not save the version.'));
    } finally {
      setBusy(false);
    }
  };

  const preview = async (v: Version) => {
    setView({ kind: 'preview', version: v, content: null });
    try {
      const content = await api.getVersion(docId, v.number);
      setView({ kind: 'preview', version: v, content });
    } catch (e) {
      setView(null);
      setError(errText(e, 'Could not load the version.'));
    }
  };

  const diff = async (v: Version) => {
    setView({ kind: 'diff', version: v, diff: null });
    try {
      const d = await api.diff(docId, v.number, 'current');
      setView({ kind: 'diff', version: v, diff: d });
    } catch (e) {
      setView(null);
      setError(errText(e, 'Could not compute the differences.'));
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
      await load();
    } catch (e) {
      setError(errText(e, 'Could not restore the version.'));
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
      {error && <Alert>{error}</Alert>}
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
              onPreview={() => void preview(v)}
              onDiff={() => void diff(v)}
              onRestore={() => setConfirm(v)}
            />
          ))}
        </ol>
      )}

      {view?.kind === 'preview' && (
        <Modal title={`Preview: ${nameOf(view.version)}`} onClose={() => setView(null)} size="lg" testId="version-preview">
          {view.content ? (
            <div
              className="prose preview"
              // server HTML, reduced to an allow-list of formatting tags
              dangerouslySetInnerHTML={{ __html: sanitizeHtml(view.content.content) }}
            />
          ) : (
            <p className="muted">Loading…</p>
          )}
          <div className="dialog-actions">
            <button type="button" className="btn" onClick={() => void diff(view.version)}>
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
          {view.diff ? <DiffView diff={view.diff} /> : <p className="muted">Comparing…</p>}
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
