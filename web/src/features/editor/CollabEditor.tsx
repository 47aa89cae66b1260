/**
 * The collaborative rich-text editor: TipTap bound to the live session, its toolbar, the link
 * shortcut, and undo/redo that respects a just-happened version restore.
 */
import { EditorContent, useEditor } from '@tiptap/react';
import { yUndoPluginKey } from '@tiptap/y-tiptap';
import type { UndoManager } from 'yjs';
import { useEffect, useState } from 'react';
import { buildExtensions } from '../../collab/extensions';
import type { CollabSession, CollabUser } from '../../collab/session';
import { EditorToolbar } from './EditorToolbar';
import { LinkDialog } from './LinkDialog';

interface Props {
  session: CollabSession;
  user: CollabUser;
  readOnly: boolean;
}

export function CollabEditor({ session, user, readOnly }: Props) {
  const [linkShortcut, setLinkShortcut] = useState(false);
  const editor = useEditor(
    {
      extensions: buildExtensions(session, user),
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
      },
    },
    [session],
  );

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

  useEffect(() => {
    if (!editor) return;
    editor.setEditable(!readOnly);
    editor.view.dom.setAttribute('aria-readonly', readOnly ? 'true' : 'false');
  }, [editor, readOnly]);

  if (!editor) return null;
  return (
    <div className={`editor-shell${readOnly ? ' is-readonly' : ''}`}>
      {!readOnly && <EditorToolbar editor={editor} disabled={readOnly} runHistory={(a) => session.runHistory(a)} />}
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
