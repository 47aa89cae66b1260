/**
 * The TipTap extensions of the collaborative editor (StarterKit with its horizontal rule, Link,
 * Placeholder, tables, task lists, block images, Collaboration, CollaborationCaret, the suggestion marks
 * and suggesting mode) and how remote carets and selections are drawn with validated colours.
 */
import { Extension } from '@tiptap/core';
import Collaboration from '@tiptap/extension-collaboration';
import CollaborationCaret from '@tiptap/extension-collaboration-caret';
import Image from '@tiptap/extension-image';
import { TaskItem, TaskList } from '@tiptap/extension-list';
import Placeholder from '@tiptap/extension-placeholder';
import { Table, TableCell, TableHeader, TableRow } from '@tiptap/extension-table';
import StarterKit from '@tiptap/starter-kit';
import { hexWithAlpha, safeColor } from '../lib/colors';
import type { CollabSession, CollabUser } from './session';
import { SuggestionDeletion, SuggestionInsertion, SuggestionModification, suggesting } from './suggesting';

/** Remote caret: coloured bar + name label (textContent only, never HTML). */
export function renderCaret(user: Record<string, unknown>): HTMLElement {
  const name = typeof user.name === 'string' && user.name ? user.name : 'Anonymous';
  const color = safeColor(user.color);
  const caret = document.createElement('span');
  caret.className = 'collaboration-carets__caret';
  caret.style.borderColor = color;
  caret.setAttribute('data-testid', 'remote-caret');
  caret.setAttribute('data-user', name);
  const label = document.createElement('span');
  label.className = 'collaboration-carets__label';
  label.style.backgroundColor = color;
  label.textContent = name;
  caret.appendChild(label);
  return caret;
}

/**
 * Undo/redo shortcuts that wait while the session checks whether a remote change was
 * a version restore (the history is dropped if it was). Without a pending check they
 * fall through to the Collaboration extension's own shortcuts.
 */
export function restoreSafeHistory(session: CollabSession) {
  return Extension.create({
    name: 'restoreSafeHistory',
    // before Collaboration (1000), whose keymap would otherwise undo at once
    priority: 1100,
    addKeyboardShortcuts() {
      const deferred = (command: 'undo' | 'redo') => () => {
        if (!session.undoGuard?.busy) return false;
        session.runHistory(() => {
          if (!this.editor.isDestroyed) this.editor.commands[command]();
        });
        return true;
      };
      return { 'Mod-z': deferred('undo'), 'Mod-y': deferred('redo'), 'Shift-Mod-z': deferred('redo') };
    },
  });
}

/** Remote selection highlight: the collaborator's colour (validated) at 20 % opacity. */
export function renderSelection(user: Record<string, unknown>) {
  return {
    nodeName: 'span',
    class: 'collaboration-carets__selection',
    style: `background-color: ${hexWithAlpha(user.color, '33')}`,
    'data-user': typeof user.name === 'string' ? user.name : '',
  };
}

/**
 * The document's content extensions, without collaboration: the schema (StarterKit with its horizontal
 * rule, Link, tables, task lists, block images) and the placeholder. Node names are what the server
 * knows: table, tableRow, tableHeader, tableCell, taskList, taskItem {checked}, image {src, alt, title},
 * horizontalRule.
 */
export function contentExtensions() {
  return [
    StarterKit.configure({
      // Collaboration brings its own undo (Yjs UndoManager: only my own changes)
      undoRedo: false,
      link: {
        openOnClick: false,
        autolink: true,
        defaultProtocol: 'https',
        protocols: ['http', 'https', 'mailto'],
        HTMLAttributes: { rel: 'noopener noreferrer nofollow', target: '_blank' },
      },
    }),
    Placeholder.configure({ placeholder: 'Start writing…' }),
    // columns at least 96 px: a wide table scrolls in its wrapper instead of squeezing its text
    Table.configure({ resizable: false, cellMinWidth: 96 }),
    TableRow,
    TableHeader,
    TableCell,
    TaskList,
    TaskItem.configure({ nested: true }),
    // a block of its own, only uploaded (or linked) addresses, never data: URLs
    Image.configure({ inline: false, allowBase64: false }),
  ];
}

export function buildExtensions(session: CollabSession, user: CollabUser) {
  return [
    restoreSafeHistory(session),
    ...contentExtensions(),
    SuggestionInsertion,
    SuggestionDeletion,
    SuggestionModification,
    suggesting({ id: user.id ?? '', username: user.name }),
    Collaboration.configure({ document: session.ydoc, field: 'default' }),
    CollaborationCaret.configure({
      provider: session.provider,
      user,
      render: renderCaret,
      selectionRender: renderSelection,
    }),
  ];
}
