/**
 * Where an upload's image goes once the upload is done: the position of the paste, drop or caret,
 * kept as a Yjs relative position (through `@tiptap/y-tiptap`), so collaborators' edits made during the
 * upload (which y-prosemirror applies as whole-document replacements that a ProseMirror mapping
 * cannot follow) do not move it. Without a Yjs binding the plain position is kept, clamped to the
 * document.
 */
import type { EditorState } from '@tiptap/pm/state';
import { absolutePositionToRelativePosition, relativePositionToAbsolutePosition, ySyncPluginKey } from '@tiptap/y-tiptap';
import type * as Y from 'yjs';

interface SyncState {
  type: Y.XmlFragment;
  doc: Y.Doc;
  binding: { mapping: Map<unknown, unknown> } | null;
}

/** A position to look up later in a newer state. */
export type PositionAnchor = (state: EditorState) => number;

export function anchorPosition(state: EditorState, pos: number): PositionAnchor {
  const clamp = (s: EditorState, p: number) => Math.max(0, Math.min(p, s.doc.content.size));
  const sync = ySyncPluginKey.getState(state) as SyncState | undefined;
  if (!sync?.binding || !sync.type) return (s) => clamp(s, pos);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const rel = absolutePositionToRelativePosition(pos, sync.type, sync.binding.mapping as any);
  return (s) => {
    const now = ySyncPluginKey.getState(s) as SyncState | undefined;
    if (!now?.binding) return clamp(s, pos);
    try {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const abs = relativePositionToAbsolutePosition(now.doc, now.type, rel, now.binding.mapping as any);
      return clamp(s, abs ?? pos);
    } catch {
      return clamp(s, pos);
    }
  };
}
