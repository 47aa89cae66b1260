/** Suggesting mode on a real TipTap editor: replacing a word becomes one signed suggestion; accept and reject. */
import { afterEach, describe, expect, it } from 'vitest';
import { Editor } from '@tiptap/core';
import StarterKit from '@tiptap/starter-kit';
import {
  acceptAllSuggestions,
  acceptSuggestion,
  decideSelection,
  listSuggestions,
  rejectSuggestion,
  setSuggesting,
  SuggestionDeletion,
  SuggestionInsertion,
  SuggestionModification,
  suggesting,
} from '../collab/suggesting';

let editor: Editor | null = null;
afterEach(() => {
  editor?.destroy();
  editor = null;
});

function make(text = 'The quick fox') {
  editor = new Editor({
    extensions: [
      StarterKit,
      SuggestionInsertion,
      SuggestionDeletion,
      SuggestionModification,
      suggesting({ id: 'u-bob', username: 'bob' }),
    ],
    content: `<p>${text}</p>`,
  });
  return editor;
}

/** Positions of `word` in the first paragraph (1 is the paragraph's start). */
const at = (e: Editor, word: string) => {
  const from = e.state.doc.textContent.indexOf(word) + 1;
  return { from, to: from + word.length };
};

function marksOf(e: Editor) {
  const out: { text: string; marks: Record<string, unknown>[] }[] = [];
  e.state.doc.descendants((n) => {
    if (n.isText) out.push({ text: n.text ?? '', marks: n.marks.map((m) => ({ type: m.type.name, ...m.attrs })) });
  });
  return out;
}

describe('suggesting mode', () => {
  it('replacing a word keeps the old one marked deleted and the new one inserted, one id, signed by the author', () => {
    const e = make();
    setSuggesting(e, true);
    e.commands.insertContentAt(at(e, 'quick'), 'slow');
    const runs = marksOf(e);
    const del = runs.find((r) => r.text === 'quick');
    const ins = runs.find((r) => r.text === 'slow');
    expect(del?.marks).toEqual([expect.objectContaining({ type: 'deletion', author: 'u-bob', username: 'bob' })]);
    expect(ins?.marks).toEqual([expect.objectContaining({ type: 'insertion', author: 'u-bob', username: 'bob' })]);
    expect(del?.marks[0].id).toBe(ins?.marks[0].id);
    expect(typeof del?.marks[0].time).toBe('string');
    const [s, ...rest] = listSuggestions(e.state.doc);
    expect(rest).toEqual([]);
    expect(s).toMatchObject({ deleted: 'quick', inserted: 'slow', username: 'bob' });
    // rendered as <del>/<ins> naming the author
    expect(e.getHTML()).toMatch(/<del[^>]*title="Suggested by bob"[^>]*>quick<\/del>/);
    expect(e.getHTML()).toMatch(/<ins[^>]*title="Suggested by bob"[^>]*>slow<\/ins>/);
  });

  it('accepting makes the change; rejecting leaves no trace', () => {
    const e = make();
    setSuggesting(e, true);
    e.commands.insertContentAt(at(e, 'quick'), 'slow');
    const id = listSuggestions(e.state.doc)[0].id;
    acceptSuggestion(e, id);
    expect(e.state.doc.textContent).toBe('The slow fox');
    expect(listSuggestions(e.state.doc)).toEqual([]);

    e.commands.insertContentAt(at(e, 'fox'), 'cat');
    expect(e.state.doc.textContent).toBe('The slow foxcat');
    rejectSuggestion(e, listSuggestions(e.state.doc)[0].id);
    expect(e.state.doc.textContent).toBe('The slow fox');
    expect(marksOf(e).every((r) => r.marks.length === 0)).toBe(true);
  });

  it('deleting my own pending insertion removes it; deleting original text only marks it', () => {
    const e = make('Hello world');
    setSuggesting(e, true);
    const end = e.state.doc.content.size - 1;
    e.commands.insertContentAt(end, ' again');
    expect(listSuggestions(e.state.doc)[0]).toMatchObject({ inserted: ' again', deleted: '' });
    e.commands.deleteRange({ from: end, to: end + ' again'.length });
    expect(e.state.doc.textContent).toBe('Hello world');
    expect(listSuggestions(e.state.doc)).toEqual([]);

    e.commands.deleteRange(at(e, 'world'));
    expect(e.state.doc.textContent).toBe('Hello world');
    expect(listSuggestions(e.state.doc)[0]).toMatchObject({ deleted: 'world', inserted: '' });
  });

  it('with the mode off edits are plain; accept all / selection decide several', () => {
    const e = make('one two three');
    e.commands.insertContentAt(at(e, 'two'), '2');
    expect(e.state.doc.textContent).toBe('one 2 three');
    expect(listSuggestions(e.state.doc)).toEqual([]);

    setSuggesting(e, true);
    e.commands.insertContentAt(at(e, 'one'), '1');
    e.commands.insertContentAt(at(e, 'three'), '3');
    expect(listSuggestions(e.state.doc)).toHaveLength(2);
    e.commands.setTextSelection(at(e, 'one'));
    expect(decideSelection(e, true)).toBe(1);
    expect(e.state.doc.textContent).toBe('1 2 three3');
    acceptAllSuggestions(e);
    expect(e.state.doc.textContent).toBe('1 2 3');
  });

  it('a change that arrives from a peer (y-sync) is applied as it is, not turned into my suggestion', () => {
    const e = make('abc');
    setSuggesting(e, true);
    e.view.dispatch(e.state.tr.insertText('X', 1).setMeta('y-sync$', { isChangeOrigin: true }));
    expect(e.state.doc.textContent).toBe('Xabc');
    expect(listSuggestions(e.state.doc)).toEqual([]);
  });
});
