/**
 * The suggestions bar under the toolbar: how many suggestions are pending, each with who made it and what it
 * changes, and Accept / Reject for one, for those the selection touches, or for all (editors and owners).
 */
import type { Editor } from '@tiptap/core';
import { useEditorState } from '@tiptap/react';
import {
  acceptAllSuggestions,
  acceptSuggestion,
  decideSelection,
  listSuggestions,
  rejectAllSuggestions,
  rejectSuggestion,
  type Suggestion,
} from '../../collab/suggesting';

/** "replace “old” with “new”", "insert “new”", "delete “old”". */
export function describeSuggestion(s: Suggestion): string {
  const q = (t: string) => `“${t.length > 60 ? `${t.slice(0, 57)}…` : t}”`;
  if (s.inserted && s.deleted) return `Replace ${q(s.deleted)} with ${q(s.inserted)}`;
  if (s.inserted) return `Insert ${q(s.inserted)}`;
  if (s.deleted) return `Delete ${q(s.deleted)}`;
  return s.modified ? 'Change formatting' : 'Change the structure';
}

export function SuggestionsPanel({ editor }: { editor: Editor }) {
  const state = useEditorState({
    editor,
    selector: ({ editor: e }) => {
      const all = listSuggestions(e.state.doc);
      const { from, to } = e.state.selection;
      return { all, inSelection: all.filter((s) => s.from <= to && s.to >= from).length };
    },
    equalityFn: (a, b) =>
      !!b &&
      a.inSelection === b.inSelection &&
      a.all.length === b.all.length &&
      a.all.every((s, i) => {
        const o = b.all[i];
        return o && s.id === o.id && s.inserted === o.inserted && s.deleted === o.deleted && s.from === o.from;
      }),
  });
  if (!state || state.all.length === 0) return null;
  const { all, inSelection } = state;
  const select = (s: Suggestion) => editor.chain().focus().setTextSelection({ from: s.from, to: s.to }).run();
  return (
    <section className="suggestions-panel" aria-label="Suggestions" data-testid="suggestions-panel">
      <div className="suggestions-head">
        <strong>
          {all.length} suggestion{all.length === 1 ? '' : 's'}
        </strong>
        <div className="suggestions-actions">
          <button type="button" className="btn btn-small" disabled={inSelection === 0} onClick={() => decideSelection(editor, true)}>
            Accept selected
          </button>
          <button type="button" className="btn btn-small" disabled={inSelection === 0} onClick={() => decideSelection(editor, false)}>
            Reject selected
          </button>
          <button type="button" className="btn btn-small" data-testid="accept-all" onClick={() => acceptAllSuggestions(editor)}>
            Accept all
          </button>
          <button type="button" className="btn btn-small" data-testid="reject-all" onClick={() => rejectAllSuggestions(editor)}>
            Reject all
          </button>
        </div>
      </div>
      <ul className="suggestions-list">
        {all.map((s) => (
          <li key={s.id} className="suggestion-item" data-testid="suggestion-item" data-suggestion-id={s.id}>
            <button type="button" className="suggestion-what" onClick={() => select(s)}>
              {describeSuggestion(s)}
            </button>
            <span className="muted suggestion-who">{s.username ?? 'someone'}</span>
            <button
              type="button"
              className="btn btn-small"
              aria-label={`Accept: ${describeSuggestion(s)}`}
              data-testid="suggestion-accept"
              onClick={() => acceptSuggestion(editor, s.id)}
            >
              Accept
            </button>
            <button
              type="button"
              className="btn btn-small"
              aria-label={`Reject: ${describeSuggestion(s)}`}
              data-testid="suggestion-reject"
              onClick={() => rejectSuggestion(editor, s.id)}
            >
              Reject
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
