/**
 * Suggesting mode (tracked changes). While it is on, what an editor types or pastes is kept as a proposal
 * instead of a change: new text carries an `insertion` mark, removed text stays in place with a `deletion`
 * mark, and replacing a word gives both halves the same suggestion id. Deleting your own pending insertion
 * really removes it. Editors and owners accept (the change is made) or reject (no trace is left) one
 * suggestion, those in the selection, or all of them.
 *
 * The step-by-step tracking comes from `@handlewithcare/prosemirror-suggest-changes`; this module adds who
 * suggested it and when (`author`, `username`, `time` on every mark, stamped in the same transaction, so
 * peers never see an unsigned suggestion), ids that are unique across clients (the package's default
 * counter would give two people typing at once the same id), and the marks as TipTap extensions drawn as
 * `<ins>`/`<del>` with "Suggested by …" on hover.
 *
 * Structural changes (splitting or joining paragraphs, lists, headings) are tracked only as far as the
 * package tracks them; the server reads every pending suggestion as rejected, whatever its kind. A change
 * of nodes' attributes only (ticking a task, an image's alt text) is made directly, like formatting: the
 * package would mark the node itself, which the schema does not allow on block nodes.
 */
import { Extension, Mark } from '@tiptap/core';
import type { Editor } from '@tiptap/core';
import { Mark as PmMarkClass } from '@tiptap/pm/model';
import type { Mark as PmMark, Node as PmNode } from '@tiptap/pm/model';
import type { EditorState, Transaction } from '@tiptap/pm/state';
import { AttrStep, ReplaceAroundStep, ReplaceStep, type Step } from '@tiptap/pm/transform';
import {
  applySuggestion,
  applySuggestions,
  isSuggestChangesEnabled,
  revertSuggestion,
  revertSuggestions,
  suggestChanges,
  suggestChangesKey,
  transformToSuggestionTransaction,
} from '@handlewithcare/prosemirror-suggest-changes';

/** The mark names the server's content conversion knows (it reads them all as rejected). */
export const SUGGESTION_MARKS = ['insertion', 'deletion', 'modification'] as const;
export type SuggestionKind = (typeof SUGGESTION_MARKS)[number];

export interface SuggestionAuthor {
  id: string;
  username: string;
}

/** Who-and-when attributes every suggestion mark carries, besides the package's own. */
const authorAttributes = {
  id: { default: null },
  author: { default: null },
  username: { default: null },
  time: { default: null },
};

function suggestionMark(name: SuggestionKind, tag: 'ins' | 'del' | 'span', extra: Record<string, { default: unknown }> = {}) {
  return Mark.create({
    name,
    inclusive: false,
    excludes: name === 'modification' ? 'deletion insertion' : 'insertion deletion modification',
    addAttributes() {
      return { ...authorAttributes, ...extra };
    },
    // Never parsed from pasted HTML: a suggestion exists only as a mark made in this editor.
    parseHTML() {
      return [];
    },
    renderHTML({ mark }) {
      const username = typeof mark.attrs.username === 'string' ? mark.attrs.username : '';
      return [
        tag,
        {
          class: `suggestion suggestion-${name}`,
          'data-suggestion-id': String(mark.attrs.id ?? ''),
          'data-username': username,
          title: username ? `Suggested by ${username}` : 'Suggestion',
        },
        0,
      ];
    },
  });
}

export const SuggestionInsertion = suggestionMark('insertion', 'ins');
export const SuggestionDeletion = suggestionMark('deletion', 'del');
export const SuggestionModification = suggestionMark('modification', 'span', {
  type: { default: null },
  attrName: { default: null },
  previousValue: { default: null },
  newValue: { default: null },
});

const isSuggestionMark = (m: PmMark) => (SUGGESTION_MARKS as readonly string[]).includes(m.type.name);

function newId(): string {
  if (typeof crypto !== 'undefined' && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  return `s-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

/** Same nodes, text and marks; only node attributes may differ. */
function sameShape(a: PmNode, b: PmNode): boolean {
  if (a.type !== b.type || a.childCount !== b.childCount || !PmMarkClass.sameSet(a.marks, b.marks)) return false;
  if (a.isText) return a.text === b.text;
  for (let i = 0; i < a.childCount; i++) if (!sameShape(a.child(i), b.child(i))) return false;
  return true;
}

/** A leaf node (an image, a rule) replaced by one of its type with other attributes (`setNodeMarkup` on a leaf). */
function leafAttrChange(step: Step, doc: PmNode): boolean {
  if (!(step instanceof ReplaceStep)) return false;
  const { from, to, slice } = step;
  if (slice.openStart || slice.openEnd || slice.content.childCount !== 1) return false;
  const next = slice.content.firstChild;
  const prev = doc.nodeAt(from);
  return (
    !!prev && !!next && !prev.isText && prev.isLeaf && prev.type === next.type && to - from === prev.nodeSize &&
    PmMarkClass.sameSet(prev.marks, next.marks)
  );
}

/** A transaction that only changes node attributes (`setNodeMarkup` with the same type, `AttrStep`). */
export function changesAttributesOnly(tr: Transaction): boolean {
  let around = false;
  for (let i = 0; i < tr.steps.length; i++) {
    const step = tr.steps[i];
    if (step instanceof AttrStep) continue;
    if (step instanceof ReplaceAroundStep) around = true;
    else if (!leafAttrChange(step, tr.docs[i])) return false;
  }
  return !around || sameShape(tr.before, tr.doc);
}

/** Whether `tr` is the user's own edit that suggesting mode should turn into a proposal. */
function shouldTrack(state: EditorState, tr: Transaction): boolean {
  if (!tr.docChanged || !isSuggestChangesEnabled(state)) return false;
  if (changesAttributesOnly(tr)) return false;
  const ySync = (tr.getMeta('y-sync$') ?? {}) as { isChangeOrigin?: boolean; isUndoRedoOperation?: boolean };
  if (ySync.isChangeOrigin || ySync.isUndoRedoOperation) return false;
  if (tr.getMeta('history$') || tr.getMeta('collab$')) return false;
  const own = tr.getMeta(suggestChangesKey) as { skip?: boolean } | undefined;
  return !(own && 'skip' in own);
}

/**
 * Gives every suggestion mark without an author one: the author of another mark with the same id when
 * there is one (the package re-creates a neighbour's mark with only its id when it joins two), else me.
 */
export function stampAuthors(tr: Transaction, me: SuggestionAuthor, now = new Date()): Transaction {
  const known = new Map<string, Record<string, unknown>>();
  const unsigned: { pos: number; end: number; mark: PmMark; inline: boolean }[] = [];
  tr.doc.descendants((node: PmNode, pos: number) => {
    for (const m of node.marks) {
      if (!isSuggestionMark(m)) continue;
      if (m.attrs.author) known.set(String(m.attrs.id), m.attrs);
      else unsigned.push({ pos, end: pos + node.nodeSize, mark: m, inline: node.isInline });
    }
    return true;
  });
  const mine = { author: me.id, username: me.username, time: now.toISOString() };
  for (const u of unsigned) {
    const from = known.get(String(u.mark.attrs.id));
    const who = from ? { author: from.author, username: from.username, time: from.time } : mine;
    const mark = u.mark.type.create({ ...u.mark.attrs, ...who });
    // remove first: a `modification` mark does not exclude its own type, so adding would keep both
    if (u.inline) tr.removeMark(u.pos, u.end, u.mark).addMark(u.pos, u.end, mark);
    else tr.removeNodeMark(u.pos, u.mark).addNodeMark(u.pos, mark);
  }
  return tr;
}

/** The TipTap extension: the package's plugin (on/off state) and the transaction rewrite. */
export function suggesting(me: SuggestionAuthor) {
  return Extension.create({
    name: 'suggesting',
    addProseMirrorPlugins() {
      return [suggestChanges()];
    },
    dispatchTransaction({ transaction, next }) {
      const state = this.editor.state;
      if (!shouldTrack(state, transaction)) {
        next(transaction);
        return;
      }
      next(stampAuthors(transformToSuggestionTransaction(transaction, state, () => newId()), me));
    },
  });
}

export const isSuggesting = (state: EditorState) => isSuggestChangesEnabled(state);

export function setSuggesting(editor: Editor, on: boolean) {
  const tr = editor.state.tr.setMeta(suggestChangesKey, { enabled: on, skip: true }).setMeta('addToHistory', false);
  editor.view.dispatch(tr);
}

/** One pending suggestion: every range that carries its id, in document order. */
export interface Suggestion {
  id: string;
  username: string | null;
  time: string | null;
  /** Text proposed for insertion. */
  inserted: string;
  /** Text proposed for removal. */
  deleted: string;
  /** A formatting or node change (no text of its own). */
  modified: boolean;
  from: number;
  to: number;
}

/** The pending suggestions of `doc`, in document order. */
export function listSuggestions(doc: PmNode): Suggestion[] {
  const byId = new Map<string, Suggestion>();
  doc.descendants((node, pos) => {
    for (const m of node.marks) {
      if (!isSuggestionMark(m)) continue;
      const id = String(m.attrs.id);
      let s = byId.get(id);
      if (!s) {
        s = {
          id,
          username: (m.attrs.username as string | null) ?? null,
          time: (m.attrs.time as string | null) ?? null,
          inserted: '',
          deleted: '',
          modified: false,
          from: pos,
          to: pos + node.nodeSize,
        };
        byId.set(id, s);
      }
      s.from = Math.min(s.from, pos);
      s.to = Math.max(s.to, pos + node.nodeSize);
      // zero-width spaces only anchor a structural change; they are not text anyone typed
      const text = node.isText ? (node.text ?? '').replace(/\u200B/g, '') : node.textContent;
      if (m.type.name === 'insertion') s.inserted += text;
      else if (m.type.name === 'deletion') s.deleted += text;
      else s.modified = true;
    }
    return true;
  });
  return [...byId.values()].sort((a, b) => a.from - b.from);
}

/** The package compares ids with `===`; our ids are strings, so pass the id as the mark holds it. */
function markId(doc: PmNode, id: string): string | number {
  let found: string | number = id;
  doc.descendants((node) => {
    const m = node.marks.find((x) => isSuggestionMark(x) && String(x.attrs.id) === id);
    if (m) {
      found = m.attrs.id as string | number;
      return false;
    }
    return true;
  });
  return found;
}

export function acceptSuggestion(editor: Editor, id: string) {
  return applySuggestion(markId(editor.state.doc, id))(editor.state, editor.view.dispatch);
}

export function rejectSuggestion(editor: Editor, id: string) {
  return revertSuggestion(markId(editor.state.doc, id))(editor.state, editor.view.dispatch);
}

export const acceptAllSuggestions = (editor: Editor) => applySuggestions(editor.state, editor.view.dispatch);
export const rejectAllSuggestions = (editor: Editor) => revertSuggestions(editor.state, editor.view.dispatch);

/** The suggestions the selection (or the caret) touches. */
export function suggestionsInSelection(state: EditorState): Suggestion[] {
  const { from, to } = state.selection;
  return listSuggestions(state.doc).filter((s) => s.from <= to && s.to >= from);
}

/** Accepts or rejects every suggestion the selection touches; returns how many. */
export function decideSelection(editor: Editor, accept: boolean): number {
  const ids = suggestionsInSelection(editor.state).map((s) => s.id);
  for (const id of ids) (accept ? acceptSuggestion : rejectSuggestion)(editor, id);
  return ids.length;
}
