/**
 * The document screen once loaded: top bar, banners, title/status/tags header, the editor, the version
 * and comment sidebars and the share, move-to-trash and conflict dialogs — all kept current by the session's
 * live events.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { Editor } from '@tiptap/core';
import type { Anchor, DocStatus, Member, QuireDocument, Thread, User } from '../../api/types';
import { useAuth } from '../../auth/AuthContext';
import { canComment, canEditBody, type QuireEvent } from '../../collab/events';
import { CommentSidebar } from '../comments/CommentSidebar';
import { anchorToRange } from '../comments/anchors';
import { useThreads } from '../comments/useThreads';
import { threadsFor } from '../comments/threadList';
import { useCollabSession } from '../../collab/useCollabSession';
import { useDocumentMeta } from '../../collab/useDocumentMeta';
import { useSessionEvents } from '../../collab/useSessionEvents';
import { colorFor } from '../../lib/colors';
import { api } from '../../api/endpoints';
import { errorMessage } from '../../api/errorMessage';
import { navigate } from '../../lib/router';
import { Alert } from '../../ui/Alert';
import { ConfirmDialog } from '../../ui/ConfirmDialog';
import { CollabEditor } from './CollabEditor';
import { ConflictDialog } from './ConflictDialog';
import { DocBar } from './DocBar';
import { EditorBanners, type RoleNotice } from './EditorBanners';
import { LastEdited } from '../documents/LastEdited';
import { MetaPendingNotice } from './MetaPendingNotice';
import { ShareDialog } from '../sharing/ShareDialog';
import { StatusSelect } from '../documents/StatusSelect';
import { TagEditor } from '../documents/TagEditor';
import { TitleInput } from './TitleInput';
import { VersionSidebar } from '../versions/VersionSidebar';
import { PublishControls } from '../publishing/PublishControls';
import { PublishingDialog } from '../publishing/PublishingDialog';
import { noteMovedToTrash, TRASH_DAYS } from '../trash/trash';
import { useBodyChangeRefresh } from '../publishing/useBodyChangeRefresh';

interface Props {
  initial: QuireDocument;
  user: User;
}

const LIVE_STATUSES = new Set(['syncing', 'saving', 'saved', 'synced']);

/** Put the caret into the document body (after Enter in the title). */
function focusBody() {
  document.querySelector<HTMLElement>('[data-testid="editor-content"]')?.focus();
}

export function DocumentWorkspace({ initial, user }: Props) {
  const { expire, sessionEnded } = useAuth();
  const collabUser = useMemo(
    () => ({ name: user.username, color: colorFor(user.username), id: user.id }),
    [user.username, user.id],
  );
  const { session, save, users, closeReason } = useCollabSession(initial.id, collabUser, true, initial.role);
  const meta = useDocumentMeta(initial, { connected: LIVE_STATUSES.has(save.status) });
  const { doc, shown } = meta;
  const [shareOpen, setShareOpen] = useState(false);
  const [versionsOpen, setVersionsOpen] = useState(false);
  const [versionsTick, setVersionsTick] = useState(0);
  const [liveMembers, setLiveMembers] = useState<Member[] | null>(null);
  const [roleNotice, setRoleNotice] = useState<RoleNotice>(null);
  const [keepBusy, setKeepBusy] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [deleteError, setDeleteError] = useState<string | null>(null);
  const [deleting, setDeleting] = useState(false);
  const [commentsOpen, setCommentsOpen] = useState(false);
  const [activeThread, setActiveThread] = useState<string | null>(null);
  const [members, setMembers] = useState<Member[]>([]);
  const [publishingOpen, setPublishingOpen] = useState(false);
  const comments = useThreads(initial.id);
  const editorRef = useRef<Editor | null>(null);
  const onEditor = useCallback((e: Editor | null) => {
    editorRef.current = e;
  }, []);

  useEffect(() => {
    const ctrl = new AbortController();
    api.listMembers(initial.id, ctrl.signal).then((r) => setMembers(r.members), () => {});
    return () => ctrl.abort();
  }, [initial.id]);
  const usernames = useMemo(
    () => (liveMembers ?? members).map((m) => m.username).filter((u) => u !== user.username),
    [liveMembers, members, user.username],
  );

  const { applyRemote, applyRole } = meta;
  const { apply: applyComment, reload: reloadComments } = comments;
  const onEvent = useCallback(
    (event: QuireEvent) => {
      switch (event.type) {
        case 'metadata':
        case 'published':
        case 'unpublished':
          applyRemote(event.document);
          break;
        case 'role': {
          const before = canEditBody(applyRole(event.role));
          const after = canEditBody(event.role);
          if (before && !after) setRoleNotice('demoted');
          else if (!before && after) setRoleNotice('promoted');
          break;
        }
        case 'members':
          setLiveMembers(event.members);
          break;
        case 'version':
          setVersionsTick((t) => t + 1);
          break;
        case 'comment':
          applyComment(event);
          break;
      }
    },
    [applyRemote, applyRole, applyComment],
  );
  // on every (re)connection, catch up on what changed while the socket was down; a role changed
  // meanwhile is handled exactly like a live `role` event
  const sessionRef = useRef(session);
  sessionRef.current = session;
  const roleRef = useRef(doc.role);
  roleRef.current = doc.role;
  const onConnected = useCallback(() => {
    reloadComments();
    api.getDocument(initial.id).then((remote) => {
      const s = sessionRef.current;
      if (s && remote.role && remote.role !== roleRef.current) s.dispatchEvent({ type: 'role', role: remote.role });
      applyRemote(remote);
    }, () => {});
  }, [initial.id, applyRemote, reloadComments]);
  useSessionEvents(session, onEvent, onConnected);
  useBodyChangeRefresh(session, initial.id, doc.published_version != null, applyRemote);

  const remove = async () => {
    setDeleting(true);
    setDeleteError(null);
    try {
      await api.deleteDocument(doc.id);
      noteMovedToTrash({ id: doc.id, title: doc.title });
      navigate('/', { replace: true });
    } catch (e) {
      setDeleteError(errorMessage(e, { fallback: 'Could not move the document to the trash.' }));
      setConfirmDelete(false);
      setDeleting(false);
    }
  };

  const canEdit = canEditBody(doc.role) && !sessionEnded;
  const readOnly = !canEdit || closeReason !== null;
  const canEditMeta = canEdit && closeReason === null;
  const mayComment = canComment(doc.role) && !sessionEnded;

  const openThread = useCallback((id: string) => {
    setCommentsOpen(true);
    setActiveThread(id);
  }, []);
  const createThread = useCallback(
    async (anchor: Anchor, quote: string, body: string) => {
      const t = await api.createThread(initial.id, body, anchor, quote);
      comments.upsert(t);
      setCommentsOpen(true);
      setActiveThread(t.id);
    },
    [initial.id, comments.upsert], // eslint-disable-line react-hooks/exhaustive-deps
  );
  /** Select and scroll to a thread's text in the editor. */
  const selectQuote = useCallback((t: Thread) => {
    setActiveThread(t.id);
    const editor = editorRef.current;
    if (!editor || !t.anchor) return;
    const r = anchorToRange(editor.state, t.anchor);
    if (!r) return;
    editor.chain().setTextSelection(r).scrollIntoView().run();
    editor.view.focus();
    // a read-only editor cannot hold focus, so ProseMirror does not draw its selection: set it in the DOM
    try {
      const a = editor.view.domAtPos(r.from);
      const b = editor.view.domAtPos(r.to);
      window.getSelection()?.setBaseAndExtent(a.node, a.offset, b.node, b.offset);
      const el = a.node instanceof Element ? a.node : a.node.parentElement;
      el?.scrollIntoView({ block: 'nearest' });
    } catch {
      /* positions outside the rendered document: the editor selection is enough */
    }
  }, []);

  useEffect(() => {
    document.title = `${shown.title || 'Untitled'} · Quire`;
  }, [shown.title]);

  useEffect(() => {
    if (closeReason === 'unauthenticated') expire();
  }, [closeReason, expire]);

  // unsaved local edits: warn before leaving
  useEffect(() => {
    if (!save.dirty && !meta.queued) return;
    const h = (e: BeforeUnloadEvent) => {
      if (navigator.onLine) e.preventDefault();
    };
    window.addEventListener('beforeunload', h);
    return () => window.removeEventListener('beforeunload', h);
  }, [save.dirty, meta.queued]);

  return (
    <main
      id="main"
      className={`workspace${versionsOpen || commentsOpen ? ' with-sidebar' : ''}`}
      data-testid="workspace"
      data-role={doc.role}
      data-readonly={readOnly}
    >
      <div className="workspace-main">
        <DocBar
          status={save.status}
          readOnly={readOnly}
          savingDetails={meta.saving}
          users={users}
          isOwner={doc.role === 'owner'}
          versionsOpen={versionsOpen}
          commentsOpen={commentsOpen}
          openComments={threadsFor(comments.threads, 'open').length}
          onToggleComments={() => {
            setCommentsOpen((o) => !o);
            setVersionsOpen(false);
          }}
          onShare={() => setShareOpen(true)}
          onToggleVersions={() => {
            setVersionsOpen((o) => !o);
            setCommentsOpen(false);
          }}
          onDelete={() => setConfirmDelete(true)}
        />

        <EditorBanners
          isViewer={!canEditBody(doc.role)}
          roleNotice={roleNotice}
          status={save.status}
          closeReason={sessionEnded ? 'unauthenticated' : closeReason}
        />

        <div className="doc-header">
          <TitleInput
            value={shown.title}
            version={doc.version}
            heldValue={meta.held?.title}
            readOnly={!canEditMeta}
            onCommit={(title, baseVersion) => void meta.update({ title }, baseVersion)}
            onDone={focusBody}
          />
          <div className="doc-meta-row">
            <StatusSelect
              status={shown.status}
              readOnly={!canEditMeta}
              onChange={(status: DocStatus) => void meta.update({ status })}
            />
            <TagEditor
              tags={shown.tags}
              version={doc.version}
              readOnly={!canEditMeta}
              onChange={(tags, baseVersion) => void meta.update({ tags }, baseVersion)}
            />
            <span className="muted doc-meta-owner">Owner: {doc.owner_username ?? 'unknown'}</span>
            <LastEdited doc={doc} />
          </div>
          <PublishControls
            doc={doc}
            canPublish={canEditMeta}
            onDocument={applyRemote}
            onOpenSettings={() => setPublishingOpen(true)}
          />
          <MetaPendingNotice
            queued={meta.queued}
            held={meta.held}
            onSaveHeld={() => void meta.saveHeld()}
            onDiscardHeld={meta.discardHeld}
          />
          {meta.error && <Alert>{meta.error}</Alert>}
          {deleteError && <Alert>{deleteError}</Alert>}
        </div>

        {session ? (
          <CollabEditor
            session={session}
            user={collabUser}
            readOnly={readOnly}
            threads={comments.threads}
            activeThreadId={activeThread}
            canComment={mayComment && closeReason === null}
            usernames={usernames}
            onOpenThread={openThread}
            onCreateThread={createThread}
            onEditor={onEditor}
          />
        ) : (
          <p className="muted" role="status">
            Loading editor…
          </p>
        )}
      </div>

      {versionsOpen && (
        <div id="version-sidebar" className="sidebar-wrap">
          <VersionSidebar
            docId={doc.id}
            canEdit={canEdit}
            refreshKey={versionsTick}
            onClose={() => setVersionsOpen(false)}
            onRestored={() => session?.notifyRestored()}
          />
        </div>
      )}

      {commentsOpen && (
        <div id="comment-sidebar" className="sidebar-wrap">
          <CommentSidebar
            docId={doc.id}
            threads={comments.threads}
            loaded={comments.loaded}
            loadError={comments.error}
            userId={user.id}
            isOwner={doc.role === 'owner'}
            canWrite={mayComment}
            usernames={usernames}
            activeId={activeThread}
            onChanged={comments.upsert}
            onDeleted={comments.remove}
            onSelectQuote={selectQuote}
            onClose={() => setCommentsOpen(false)}
          />
        </div>
      )}

      {shareOpen && (
        <ShareDialog
          docId={doc.id}
          title={shown.title}
          canManage={doc.role === 'owner'}
          currentUsername={user.username}
          liveMembers={liveMembers}
          onClose={() => setShareOpen(false)}
        />
      )}

      {publishingOpen && (
        <PublishingDialog doc={doc} onClose={() => setPublishingOpen(false)} onDocument={applyRemote} />
      )}

      {confirmDelete && (
        <ConfirmDialog
          title={`Move “${doc.title || 'Untitled'}” to the trash?`}
          confirmLabel="Move to trash"
          danger
          busy={deleting}
          testId="delete-confirm"
          onCancel={() => setConfirmDelete(false)}
          onConfirm={() => void remove()}
        >
          <p>You can restore it from the Trash for {TRASH_DAYS} days.</p>
        </ConfirmDialog>
      )}

      {meta.conflict && (
        <ConflictDialog
          mine={meta.conflict.mine}
          current={meta.conflict.current}
          baseTags={meta.conflict.baseTags}
          busy={keepBusy}
          onUseTheirs={meta.useTheirs}
          onDismiss={meta.dismissConflict}
          onKeepMine={() => {
            setKeepBusy(true);
            void meta.keepMine().finally(() => setKeepBusy(false));
          }}
        />
      )}
    </main>
  );
}
