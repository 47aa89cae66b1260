/**
 * A TipTap extension drawing the open, anchored comment threads as highlighted ranges
 * (ProseMirror inline decorations with `data-thread-id`). The threads come from a getter; after
 * they change, dispatch a transaction with `refreshHighlights(tr)` so the ranges are recomputed.
 */
import { Extension } from '@tiptap/core';
import { Plugin, PluginKey, type EditorState, type Transaction } from '@tiptap/pm/state';
import { Decoration, DecorationSet } from '@tiptap/pm/view';
import { ySyncPluginKey } from '@tiptap/y-tiptap';
import type { Thread } from '../../api/types';
import { anchorToRange } from './anchors';

export const commentHighlightsKey = new PluginKey<DecorationSet>('commentHighlights');

/** Mark a transaction as "the threads changed". */
export const refreshHighlights = (tr: Transaction) => tr.setMeta(commentHighlightsKey, true);

/** Decorations for the open threads with an anchor that still resolves. */
export function buildHighlights(state: EditorState, threads: readonly Thread[], activeId: string | null): DecorationSet {
  const decos: Decoration[] = [];
  for (const t of threads) {
    if (t.resolved || t.detached || !t.anchor) continue;
    const r = anchorToRange(state, t.anchor);
    if (!r) continue;
    decos.push(
      Decoration.inline(r.from, r.to, {
        class: `comment-highlight${t.id === activeId ? ' is-active' : ''}`,
        'data-thread-id': t.id,
      }),
    );
  }
  return DecorationSet.create(state.doc, decos);
}

export function commentHighlights(getThreads: () => readonly Thread[], getActive: () => string | null) {
  return Extension.create({
    name: 'commentHighlights',
    addProseMirrorPlugins() {
      return [
        new Plugin<DecorationSet>({
          key: commentHighlightsKey,
          state: {
            init: () => DecorationSet.empty,
            // rebuilt when the threads changed or a remote change arrived (the Yjs mapping is current
            // then); local edits only map the ranges (the mapping is updated after they apply)
            apply: (tr, old, _prev, next) => {
              const remote = (tr.getMeta(ySyncPluginKey) as { isChangeOrigin?: boolean } | undefined)?.isChangeOrigin;
              if (tr.getMeta(commentHighlightsKey) || (remote && tr.docChanged)) return buildHighlights(next, getThreads(), getActive());
              return old.map(tr.mapping, tr.doc);
            },
          },
          props: {
            decorations: (state) => commentHighlightsKey.getState(state),
          },
        }),
      ];
    },
  });
}
