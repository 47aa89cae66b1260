/**
 * The document screen once loaded: top bar, banners,
 * title/status/tags header, the editor, the version sidebar and the share, delete and conflict dialogs.
 */
import { useEffect, useMemo, useState } from 'react';
import type { DocStatus, QuireDocument, User } from '../../api/types';
import { useAuth } from '../../auth/AuthContext';
import { useCollabSession } from '../../collab/useCollabSession';
import { useDocumentMeta } from '../../collab/useDocumentMeta';
import { colorFor } from '../../lib/colors';
import { api } from '../../api/endpoints';
import { errorMessage } from '../../api/errorMessage';
import { navigate } from '../../lib/router';
import { Alert } from '../../ui/Alert';
import { ConfirmDialog } from '../../ui/ConfirmDialog';
import { CollabEditor } from './CollabEditor';
import { ConflictDialog } from './ConflictDialog';
import { DocBar } from './DocBar';
import { EditorBanners } from './EditorBanners';
import { LastEdited } from '../documents/LastEdited';
import { ShareDialog } from '../sharing/ShareDialog';
import { StatusSelect } from '../documents/StatusSelect';
import { TagEditor } from '../documents/TagEditor';
import { TitleInput } from './TitleInput';
import { VersionSidebar } from '../versions/VersionSidebar';

interface Props {
  initial: QuireDocument;
  user: User;
}

export function DocumentWorkspace({ initial, user }: Props) {
  const { expire } = useAuth();
  const meta = useDocumentMeta(initial);
  const { doc } = meta;
  const collabUser = useMemo(() => ({ name: user.username, color: colorFor(user.username) }), [user.username]);
  const { session, save, users, closeReason } = useCollabSession(initial.id, collabUser, true);
  const [shareOpen, setShareOpen] = useState(false);
  const [versionsOpen, setVersionsOpen] = useState(false);
  const [keepBusy, setKeepBusy] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [deleteError, setDeleteError] = useState<string | null>(null);
  const [deleting, setDeleting] = useState(false);

  const remove = async () => {
    setDeleting(true);
    setDeleteError(null);
    try {
      await api.deleteDocument(doc.id);
      navigate('/', { replace: true });
    } catch (e) {
      setDeleteError(errorMessage(e, { fallback: 'Could not delete the document.' }));
      setConfirmDelete(false);
      setDeleting(false);
    }
  };

  const isViewer = doc.role === 'viewer';
  const readOnly = isViewer || closeReason !== null;
  const canEditMeta = !isViewer;

  useEffect(() => {
    document.title = `${doc.title || 'Untitled'} · Quire`;
  }, [doc.title]);

  useEffect(() => {
    if (closeReason === 'unauthenticated') expire();
  }, [closeReason, expire]);

  // unsaved local edits: warn before leaving
  useEffect(() => {
    if (!save.dirty) return;
    const h = (e: BeforeUnloadEvent) => {
      if (navigator.onLine) e.preventDefault();
    };
    window.addEventListener('beforeunload', h);
    return () => window.removeEventListener('beforeunload', h);
  }, [save.dirty]);

  return (
    <main id="main" className={`workspace${versionsOpen ? ' with-sidebar' : ''}`} data-testid="workspace" data-role={doc.role}>
      <div className="workspace-main">
        <DocBar
          status={save.status}
          readOnly={readOnly}
          savingDetails={meta.saving}
          users={users}
          isOwner={doc.role === 'owner'}
          versionsOpen={versionsOpen}
          onShare={() => setShareOpen(true)}
          onToggleVersions={() => setVersionsOpen((o) => !o)}
          onDelete={() => setConfirmDelete(true)}
        />

        <EditorBanners isViewer={isViewer} status={save.status} closeReason={closeReason} />

        <div className="doc-header">
          <TitleInput value={doc.title} readOnly={!canEditMeta} onCommit={(title) => void meta.update({ title })} />
          <div className="doc-meta-row">
            <StatusSelect
              status={doc.status}
              readOnly={!canEditMeta}
              onChange={(status: DocStatus) => void meta.update({ status })}
            />
            <TagEditor tags={doc.tags} readOnly={!canEditMeta} onChange={(tags) => void meta.update({ tags })} />
            <span className="muted doc-meta-owner">Owner: {doc.owner_username ?? 'unknown'}</span>
            <LastEdited doc={doc} />
          </div>
          {meta.error && <Alert>{meta.error}</Alert>}
          {deleteError && <Alert>{deleteError}</Alert>}
        </div>

        {session ? (
          <CollabEditor session={session} user={collabUser} readOnly={readOnly} />
        ) : (
          <p className="muted">Loading editor…</p>
        )}
      </div>

      {versionsOpen && (
        <div id="version-sidebar" className="sidebar-wrap">
          <VersionSidebar
            docId={doc.id}
            canEdit={!isViewer}
            onClose={() => setVersionsOpen(false)}
            onRestored={() => session?.notifyRestored()}
          />
        </div>
      )}

      {shareOpen && (
        <ShareDialog
          docId={doc.id}
          title={doc.title}
          canManage={doc.role === 'owner'}
          currentUsername={user.username}
          onClose={() => setShareOpen(false)}
        />
      )}

      {confirmDelete && (
        <ConfirmDialog
          title={`Delete “${doc.title || 'Untitled'}”?`}
          confirmLabel="Delete"
          danger
          busy={deleting}
          testId="delete-confirm"
          onCancel={() => setConfirmDelete(false)}
          onConfirm={() => void remove()}
        >
          <p>The document and its version history are deleted for everyone it is shared with.</p>
        </ConfirmDialog>
      )}

      {meta.conflict && (
        <ConflictDialog
          mine={meta.conflict.mine}
          current={meta.conflict.current}
          busy={keepBusy}
          onUseTheirs={meta.useTheirs}
          onKeepMine={() => {
            setKeepBusy(true);
            void meta.keepMine().finally(() => setKeepBusy(false));
          }}
        />
      )}
    </main>
  );
}
