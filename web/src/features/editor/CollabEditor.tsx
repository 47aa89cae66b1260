/**
 * The collaborative rich-text editor: TipTap bound to the live session, its toolbar, the link
 * shortcut, undo/redo that respects a just-happened version restore, and comments: highlighted
 * anchored threads (a click opens the thread) and "Comment" on a selection (toolbar button or
 * Ctrl+Alt+M; also for read-only commenters), and suggestions (suggesting mode, with the panel to accept or
 * reject them); images pasted, dropped or picked are uploaded (with progress) and inserted where they were
 * put (`media/`).
 */
import type { Editor } from '@tiptap/core';
import { EditorContent, useEditor, useEditorState } from '@tiptap/react';
import { yUndoPluginKey } from '@tiptap/y-tiptap';
import type { UndoManager } from 'yjs';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { Anchor, Thread } from '../../api/types';
import { buildExtensions } from '../../collab/extensions';
import type { CollabSession, CollabUser } from '../../collab/session';
import { rangeToAnchor, selectedRange } from '../comments/anchors';
import { commentHighlights, refreshHighlights } from '../comments/commentHighlights';
import { SelectionCommentComposer } from '../comments/SelectionCommentComposer';
import { Icon } from '../../ui/Icon';
import { ToolbarButton } from '../../ui/ToolbarButton';
import { EditorToolbar } from './EditorToolbar';
import { SuggestionsPanel } from './SuggestionsPanel';
import { LinkDialog } from './LinkDialog';
import { mediaHandlers, type OnFiles } from './media/pasteDrop';
import { UploadProgress } from './media/UploadProgress';
import { useUploads } from './media/useUploads';

interface Props {
  session: CollabSession;
  user: CollabUser;
  readOnly: boolean;
  /** Comment threads to highlight (open, anchored ones are drawn). */
  threads?: readonly Thread[];
  activeThreadId?: string | null;
  /** The user may comment (commenter, editor, owner). */
  canComment?: boolean;
  usernames?: readonly string[];
  onOpenThread?: (id: string) => void;
  onCreateThread?: (anchor: Anchor, quote: string, body: string) => Promise<void>;
  /** The editor instance once created (for selecting a thread's text). */
  onEditor?: (editor: Editor | null) => void;
}

interface Pending {
  anchor: Anchor;
  quote: string;
}

export function CollabEditor({
  session,
  user,
  readOnly,
  threads = [],
  activeThreadId = null,
  canComment = false,
  usernames = [],
  onOpenThread,
  onCreateThread,
  onEditor,
}: Props) {
  const [linkShortcut, setLinkShortcut] = useState(false);
  const [pending, setPending] = useState<Pending | null>(null);
  const threadsRef = useRef(threads);
  threadsRef.current = threads;
  const activeRef = useRef(activeThreadId);
  activeRef.current = activeThreadId;
  // set once the upload hook exists (it needs the editor the props below belong to)
  const uploadRef = useRef<OnFiles | null>(null);
  const editor = useEditor(
    {
      extensions: [
        ...buildExtensions(session, user),
        commentHighlights(
          () => threadsRef.current,
          () => activeRef.current,
        ),
      ],
      editable: !readOnly,
      immediatelyRender: true,
      shouldRerenderOnTransaction: false,
      editorProps: {
        attributes: {
          class: 'prose',
          role: 'textbox',
          'aria-multiline': 'true',
          'aria-label': 'Document body',
          'data-testid': 'editor-content',
          spellcheck: 'true',
        },
        handleKeyDown: (_view, event) => {
          if ((event.metaKey || event.ctrlKey) && event.key.toLowerCase() === 'k') {
            event.preventDefault();
            setLinkShortcut(true);
            return true;
          }
          return false;
        },
        // image files pasted or dropped are uploaded; anything else is left to the editor
        ...mediaHandlers(() => uploadRef.current),
      },
    },
    [session],
  );
  const media = useUploads(editor, session.docId);
  uploadRef.current = (files, pos) => void media.uploadFiles(files, pos);

  // Drop the undo history whenever a version is restored (see RestoreUndoGuard).
  useEffect(() => {
    if (!editor) return;
    const undoManager = (yUndoPluginKey.getState(editor.state) as { undoManager?: UndoManager } | undefined)?.undoManager;
    if (!undoManager) return;
    return session.attachUndoGuard(undoManager, () => {
      // a no-op transaction so the toolbar re-reads whether undo/redo are possible;
      // deferred because this runs inside a Yjs transaction's event handlers
      setTimeout(() => {
        if (!editor.isDestroyed) editor.view.dispatch(editor.state.tr.setMeta('addToHistory', false));
      }, 0);
    });
  }, [editor, session]);

  // the highlights follow the thread list
  useEffect(() => {
    if (!editor || editor.isDestroyed) return;
    editor.view.dispatch(refreshHighlights(editor.state.tr.setMeta('addToHistory', false)));
  }, [editor, threads, activeThreadId]);

  useEffect(() => {
    onEditor?.(editor);
    return () => onEditor?.(null);
  }, [editor, onEditor]);

  const startComment = useCallback(() => {
    if (!editor || !canComment) return;
    const sel = selectedRange(editor);
    if (!sel) return;
    const anchor = rangeToAnchor(editor.state, sel.from, sel.to);
    if (anchor) setPending({ anchor, quote: sel.quote });
  }, [editor, canComment]);

  // Ctrl+Alt+M on a selection (a window listener: a read-only editor does not get key events)
  useEffect(() => {
    if (!editor || !canComment) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey && e.altKey && e.code === 'KeyM' && !editor.state.selection.empty) {
        e.preventDefault();
        startComment();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [editor, canComment, startComment]);

  // a click on a highlighted range opens its thread
  useEffect(() => {
    if (!editor || !onOpenThread) return;
    const dom = editor.view.dom;
    const onClick = (e: MouseEvent) => {
      const hit = (e.target as HTMLElement | null)?.closest?.('[data-thread-id]');
      const id = hit?.getAttribute('data-thread-id');
      if (id) onOpenThread(id);
    };
    dom.addEventListener('click', onClick);
    return () => dom.removeEventListener('click', onClick);
  }, [editor, onOpenThread]);

  useEffect(() => {
    if (!editor) return;
    editor.setEditable(!readOnly);
    editor.view.dom.setAttribute('aria-readonly', readOnly ? 'true' : 'false');
  }, [editor, readOnly]);

  if (!editor) return null;
  return (
    <div
      className={`editor-shell${readOnly ? ' is-readonly' : ''}`}
      // a file dropped beside (or, read-only, onto) the text must not make the browser open it
      onDragOver={(e) => {
        if (e.dataTransfer.types.includes('Files')) e.preventDefault();
      }}
      onDrop={(e) => {
        if (e.dataTransfer.types.includes('Files')) e.preventDefault();
      }}
    >
      {!readOnly && (
        <EditorToolbar
          editor={editor}
          disabled={readOnly}
          runHistory={(a) => session.runHistory(a)}
          onComment={canComment ? startComment : undefined}
          onInsertImages={(files) => void media.uploadFiles(files)}
        />
      )}
      {!readOnly && <SuggestionsPanel editor={editor} />}
      {readOnly && canComment && (
        <div className="toolbar" role="toolbar" aria-label="Comments" data-testid="comment-toolbar">
          <CommentToolbarButton editor={editor} onComment={startComment} />
        </div>
      )}
      {pending && onCreateThread && (
        <SelectionCommentComposer
          quote={pending.quote}
          usernames={usernames}
          onClose={() => setPending(null)}
          onSubmit={async (body) => {
            await onCreateThread(pending.anchor, pending.quote, body);
            setPending(null);
          }}
        />
      )}
      <UploadProgress uploads={media.uploads} failures={media.failures} onDismiss={media.dismiss} />
      <EditorContent editor={editor} className="editor-content" />
      {linkShortcut && (
        <LinkDialog
          initial={(editor.getAttributes('link').href as string | undefined) ?? ''}
          onClose={() => setLinkShortcut(false)}
          onSubmit={(href) => {
            setLinkShortcut(false);
            const c = editor.chain().focus().extendMarkRange('link');
            (href ? c.setLink({ href }) : c.unsetLink()).run();
          }}
        />
      )}
    </div>
  );
}

/** The "Comment" toolbar button, enabled while text is selected. */
export function CommentToolbarButton({ editor, onComment }: { editor: Editor; onComment: () => void }) {
  const empty = useEditorState({ editor, selector: ({ editor: e }) => e.state.selection.empty });
  return (
    <ToolbarButton label="Comment" shortcut="Ctrl+Alt+M" disabled={empty} onClick={onComment}>
      <Icon name="comment" />
    </ToolbarButton>
  );
}
