/**
 * The toolbar's block tools on a real TipTap editor with the document's extensions: the table menu shows
 * only while the selection is in a table and its commands change the table; the task list toggle (and
 * ticking a task); horizontal rule; the image picker hands its files over; the alt text dialog; no
 * insert or upload while the editor is read-only; and in suggesting mode the block tools are off while
 * ticking a task and alt text are made directly (not as suggestions).
 */
import { Editor } from '@tiptap/core';
import Collaboration from '@tiptap/extension-collaboration';
import * as Y from 'yjs';
import { NodeSelection } from '@tiptap/pm/state';
import { act, fireEvent, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { contentExtensions } from '../collab/extensions';
import {
  SuggestionDeletion,
  SuggestionInsertion,
  SuggestionModification,
  listSuggestions,
  setSuggesting,
  suggesting,
} from '../collab/suggesting';
import { EditorToolbar } from '../features/editor/EditorToolbar';

// jsdom has no layout: ProseMirror's scroll-into-view after a focused command asks a Range for rects
beforeAll(() => {
  const rect = () => ({ x: 0, y: 0, top: 0, left: 0, right: 0, bottom: 0, width: 0, height: 0, toJSON: () => ({}) }) as DOMRect;
  Range.prototype.getClientRects = () => [] as unknown as DOMRectList;
  Range.prototype.getBoundingClientRect = rect;
});

let editor: Editor | null = null;
afterEach(() => {
  editor?.destroy();
  editor = null;
});

function setup(html = '<p>Hello</p>', { disabled = false, onInsertImages = vi.fn() } = {}) {
  const element = document.createElement('div');
  document.body.appendChild(element);
  // bound to a Y.Doc like the real editor (undo/redo come from Collaboration)
  editor = new Editor({
    element,
    extensions: [
      ...contentExtensions(),
      SuggestionInsertion,
      SuggestionDeletion,
      SuggestionModification,
      suggesting({ id: 'u-alice', username: 'alice' }),
      Collaboration.configure({ document: new Y.Doc(), field: 'default' }),
    ],
  });
  editor.commands.setContent(html);
  render(<EditorToolbar editor={editor} disabled={disabled} onInsertImages={onInsertImages} />);
  return { editor, onInsertImages };
}

/** Rows of the first table, as the names of their cells' node types. */
function tableShape(e: Editor): string[][] | null {
  let shape: string[][] | null = null;
  e.state.doc.descendants((n) => {
    if (shape || n.type.name !== 'table') return;
    shape = [];
    n.forEach((row) => {
      const cells: string[] = [];
      row.forEach((c) => cells.push(c.type.name));
      shape!.push(cells);
    });
    return false;
  });
  return shape;
}

const types = (e: Editor) => {
  const out: string[] = [];
  e.state.doc.descendants((n) => {
    out.push(n.type.name);
  });
  return out;
};

describe('table tools', () => {
  it('Insert table makes a 3×3 table with a header row; the table menu shows only inside it and its commands work', async () => {
    const { editor: e } = setup();
    expect(screen.queryByRole('toolbar', { name: 'Table' })).toBeNull();
    await userEvent.click(screen.getByRole('button', { name: 'Insert table' }));
    expect(tableShape(e)).toEqual([
      ['tableHeader', 'tableHeader', 'tableHeader'],
      ['tableCell', 'tableCell', 'tableCell'],
      ['tableCell', 'tableCell', 'tableCell'],
    ]);
    const menu = screen.getByRole('toolbar', { name: 'Table' });

    await userEvent.click(within(menu).getByRole('button', { name: 'Add row below' }));
    expect(tableShape(e)).toHaveLength(4);
    await userEvent.click(within(menu).getByRole('button', { name: 'Add column right' }));
    expect(tableShape(e)!.every((r) => r.length === 4)).toBe(true);
    await userEvent.click(within(menu).getByRole('button', { name: 'Delete row' }));
    expect(tableShape(e)).toHaveLength(3);
    await userEvent.click(within(menu).getByRole('button', { name: 'Delete column' }));
    expect(tableShape(e)!.every((r) => r.length === 3)).toBe(true);

    // outside the table the menu goes away, and comes back inside
    act(() => {
      e.commands.setTextSelection(1);
    });
    expect(screen.queryByRole('toolbar', { name: 'Table' })).toBeNull();
    let cellPos = 0;
    e.state.doc.descendants((n, pos) => {
      if (!cellPos && n.type.name === 'tableCell') cellPos = pos + 2;
    });
    act(() => {
      e.commands.setTextSelection(cellPos);
    });
    await userEvent.click(within(screen.getByRole('toolbar', { name: 'Table' })).getByRole('button', { name: 'Delete table' }));
    expect(tableShape(e)).toBeNull();
    expect(screen.queryByRole('toolbar', { name: 'Table' })).toBeNull();
  });
});

describe('task list, rule, image', () => {
  it('Task list turns the paragraph into a task, toggles back, and a task can be ticked', async () => {
    const { editor: e } = setup('<p>Buy milk</p>');
    const button = screen.getByRole('button', { name: 'Task list' });
    expect(button).toHaveAttribute('aria-pressed', 'false');
    await userEvent.click(button);
    expect(types(e).slice(0, 2)).toEqual(['taskList', 'taskItem']);
    expect(button).toHaveAttribute('aria-pressed', 'true');
    expect(e.state.doc.firstChild?.firstChild?.attrs.checked).toBe(false);

    const box = screen.getByRole('checkbox', { name: /Buy milk/ });
    fireEvent.click(box);
    expect(e.state.doc.firstChild?.firstChild?.attrs.checked).toBe(true);
    expect(e.getHTML()).toContain('data-checked="true"');

    await userEvent.click(button);
    expect(types(e)).not.toContain('taskList');
    expect(e.state.doc.textContent).toBe('Buy milk');
  });

  it('Horizontal rule inserts a rule', async () => {
    const { editor: e } = setup('<p>Above</p>');
    await userEvent.click(screen.getByRole('button', { name: 'Horizontal rule' }));
    expect(types(e)).toContain('horizontalRule');
  });

  it('Insert image opens the picker (PNG, JPEG, GIF, WebP) and hands the picked files over', async () => {
    const { onInsertImages } = setup();
    const input = screen.getByTestId('image-file-input') as HTMLInputElement;
    expect(input.accept).toBe('image/png,image/jpeg,image/gif,image/webp');
    const click = vi.spyOn(input, 'click');
    await userEvent.click(screen.getByRole('button', { name: 'Insert image' }));
    expect(click).toHaveBeenCalled();
    const files = [new File(['a'], 'a.png', { type: 'image/png' }), new File(['b'], 'b.webp', { type: 'image/webp' })];
    fireEvent.change(input, { target: { files } });
    expect(onInsertImages).toHaveBeenCalledWith(files);
  });

  it('Image alt text is enabled for a selected image and sets its alt', async () => {
    const { editor: e } = setup('<p>Intro</p><img src="/api/media/m1" alt="old"><p>After</p>');
    act(() => {
      e.commands.setTextSelection(1);
    });
    const alt = screen.getByRole('button', { name: 'Image alt text' });
    expect(alt).toBeDisabled();
    let imagePos = -1;
    e.state.doc.descendants((n, pos) => {
      if (n.type.name === 'image') imagePos = pos;
    });
    act(() => {
      e.view.dispatch(e.state.tr.setSelection(NodeSelection.create(e.state.doc, imagePos)));
    });
    expect(alt).toBeEnabled();
    await userEvent.click(alt);
    const dialog = screen.getByRole('dialog', { name: 'Image alt text' });
    const field = within(dialog).getByLabelText('Alternative text');
    expect(field).toHaveValue('old');
    await userEvent.clear(field);
    await userEvent.type(field, 'A red kite over the hill');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Apply' }));
    expect(e.state.doc.nodeAt(imagePos)?.attrs.alt).toBe('A red kite over the hill');
    expect(e.state.doc.nodeAt(imagePos)?.attrs.src).toBe('/api/media/m1');
  });
});

describe('read-only', () => {
  it('the insert tools are disabled and change nothing', async () => {
    const { editor: e, onInsertImages } = setup('<p>Hello</p>', { disabled: true });
    e.setEditable(false);
    for (const name of ['Task list', 'Horizontal rule', 'Insert table', 'Insert image', 'Image alt text']) {
      expect(screen.getByRole('button', { name })).toBeDisabled();
    }
    const input = screen.getByTestId('image-file-input') as HTMLInputElement;
    expect(input).toBeDisabled();
    fireEvent.change(input, { target: { files: [new File(['a'], 'a.png', { type: 'image/png' })] } });
    expect(onInsertImages).not.toHaveBeenCalled();
    const before = e.getJSON();
    await userEvent.click(screen.getByRole('button', { name: 'Insert table' }));
    expect(e.getJSON()).toEqual(before);
  });

  it('a table menu is not offered while disabled, even with the selection in a table', () => {
    const { editor: e } = setup('<table><tr><th><p>H</p></th></tr><tr><td><p>c</p></td></tr></table>', { disabled: true });
    act(() => {
      e.commands.setTextSelection(4);
    });
    expect(e.isActive('table')).toBe(true);
    expect(screen.queryByRole('toolbar', { name: 'Table' })).toBeNull();
  });
});

describe('suggesting mode', () => {
  it('turns the block tools and the table menu off; ticking a task and alt text are direct changes', async () => {
    const { editor: e, onInsertImages } = setup(
      '<ul data-type="taskList"><li data-type="taskItem" data-checked="false"><p>Ship it</p></li></ul>' +
        '<table><tr><th><p>H</p></th></tr><tr><td><p>c</p></td></tr></table><img src="/api/media/m1" alt="old"><p>End</p>',
    );
    act(() => setSuggesting(e, true));
    for (const name of ['Task list', 'Horizontal rule', 'Insert table', 'Insert image']) {
      expect(screen.getByRole('button', { name })).toBeDisabled();
    }
    const input = screen.getByTestId('image-file-input') as HTMLInputElement;
    fireEvent.change(input, { target: { files: [new File(['a'], 'a.png', { type: 'image/png' })] } });
    expect(onInsertImages).not.toHaveBeenCalled();

    let cell = 0;
    let image = 0;
    e.state.doc.descendants((n, pos) => {
      if (!cell && n.type.name === 'tableCell') cell = pos + 2;
      if (n.type.name === 'image') image = pos;
    });
    act(() => {
      e.commands.setTextSelection(cell);
    });
    const menu = screen.getByRole('toolbar', { name: 'Table' });
    expect(within(menu).getByRole('button', { name: 'Add row below' })).toBeDisabled();
    expect(within(menu).getByRole('button', { name: 'Delete table' })).toBeDisabled();
    expect(menu).toHaveTextContent('Rows and columns cannot be suggested.');

    fireEvent.click(screen.getByRole('checkbox', { name: /Ship it/ }));
    expect(e.state.doc.firstChild?.firstChild?.attrs.checked).toBe(true);
    act(() => {
      e.view.dispatch(e.state.tr.setSelection(NodeSelection.create(e.state.doc, image)));
    });
    await userEvent.click(screen.getByRole('button', { name: 'Image alt text' }));
    const field = within(screen.getByRole('dialog', { name: 'Image alt text' })).getByLabelText('Alternative text');
    await userEvent.clear(field);
    await userEvent.type(field, 'New alt{Enter}');
    expect(e.state.doc.nodeAt(image)?.attrs.alt).toBe('New alt');
    expect(listSuggestions(e.state.doc)).toEqual([]);

    // typing in a cell is still a suggestion
    act(() => {
      e.commands.setTextSelection(cell);
      e.commands.insertContent('x');
    });
    expect(listSuggestions(e.state.doc)).toHaveLength(1);
  });
});
