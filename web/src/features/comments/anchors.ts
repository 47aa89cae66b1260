/**
 * Comment anchors ↔ editor positions through y-prosemirror (`@tiptap/y-tiptap`): a selection
 * becomes two encoded Yjs relative positions (standard base64, as the server stores them), and an
 * anchor is mapped back to the current ProseMirror range for highlighting and selecting.
 */
import type { Editor } from '@tiptap/core';
import type { EditorState } from '@tiptap/pm/state';
import {
  absolutePositionToRelativePosition,
  relativePositionToAbsolutePosition,
  ySyncPluginKey,
} from '@tiptap/y-tiptap';
import * as Y from 'yjs';
import type { Anchor } from '../../api/types';

interface SyncState {
  type: Y.XmlFragment;
  doc: Y.Doc;
  binding: { mapping: Map<unknown, unknown> } | null;
}

function syncState(state: EditorState): SyncState | null {
  const s = ySyncPluginKey.getState(state) as SyncState | undefined;
  return s && s.binding && s.type ? s : null;
}

function toBase64(bytes: Uint8Array): string {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

function fromBase64(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** The anchor of the range `from`–`to`, or null when the editor is not bound to Yjs yet. */
export function rangeToAnchor(state: EditorState, from: number, to: number): Anchor | null {
  const s = syncState(state);
  if (!s?.binding) return null;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const mapping = s.binding.mapping as any;
  const start = absolutePositionToRelativePosition(from, s.type, mapping);
  const end = absolutePositionToRelativePosition(to, s.type, mapping);
  return { start: toBase64(Y.encodeRelativePosition(start)), end: toBase64(Y.encodeRelativePosition(end)) };
}

/** The current range of `anchor`, or null when it no longer resolves (or is empty). */
export function anchorToRange(state: EditorState, anchor: Anchor): { from: number; to: number } | null {
  const s = syncState(state);
  if (!s?.binding) return null;
  try {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const mapping = s.binding.mapping as any;
    const from = relativePositionToAbsolutePosition(s.doc, s.type, Y.decodeRelativePosition(fromBase64(anchor.start)), mapping);
    const to = relativePositionToAbsolutePosition(s.doc, s.type, Y.decodeRelativePosition(fromBase64(anchor.end)), mapping);
    if (from === null || to === null || to <= from) return null;
    const max = state.doc.content.size;
    if (from < 0 || to > max) return null;
    return { from, to };
  } catch {
    return null;
  }
}

/** The editor's selected range and its text, or null when nothing is selected. */
export function selectedRange(editor: Editor): { from: number; to: number; quote: string } | null {
  const { from, to, empty } = editor.state.selection;
  if (empty) return null;
  const quote = editor.state.doc.textBetween(from, to, ' ').trim();
  return quote ? { from, to, quote } : null;
}
