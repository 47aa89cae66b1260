/**
 * ConflictDialog: names who changed the metadata, shows my values next to theirs, Keep mine / Use theirs,
 * and Escape or × close it without dropping what I typed.
 */
import { act, render, renderHook, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { useDocumentMeta } from '../collab/useDocumentMeta';
import { ConflictDialog } from '../features/editor/ConflictDialog';
import { makeDoc, mockFetch } from './helpers';

const noop = () => {};

describe('ConflictDialog', () => {
  it('shows my values next to the current ones and offers both choices', async () => {
    const keep = vi.fn();
    const theirs = vi.fn();
    render(
      <ConflictDialog
        mine={{ title: 'Bob title' }}
        current={makeDoc({ title: 'Alice title', version: 5, updated_by_username: 'alice' })}
        onKeepMine={keep}
        onUseTheirs={theirs}
        onDismiss={noop}
      />,
    );
    const dialog = screen.getByRole('alertdialog', { name: 'Someone else changed this document' });
    expect(dialog).toHaveTextContent('version 5');
    expect(screen.getByTestId('conflict-mine-title')).toHaveTextContent('Bob title');
    expect(screen.getByTestId('conflict-theirs-title')).toHaveTextContent('Alice title');
    // Keep mine has focus first: the user's intent
    expect(screen.getByRole('button', { name: 'Keep mine' })).toHaveFocus();
    await userEvent.click(screen.getByRole('button', { name: 'Keep mine' }));
    expect(keep).toHaveBeenCalledOnce();
    await userEvent.click(screen.getByRole('button', { name: 'Use theirs' }));
    expect(theirs).toHaveBeenCalledOnce();
  });

  it('names the user who changed the metadata, not the last body editor', () => {
    render(
      <ConflictDialog
        mine={{ title: 'x' }}
        current={makeDoc({ updated_by_username: 'alice', last_edited_by_username: 'carol' })}
        onKeepMine={noop}
        onUseTheirs={noop}
        onDismiss={noop}
      />,
    );
    expect(screen.getByTestId('conflict-author')).toHaveTextContent('alice');
    expect(screen.getByRole('alertdialog')).not.toHaveTextContent('carol');
  });

  it('does not name the body editor when the metadata changer is unknown', () => {
    render(
      <ConflictDialog
        mine={{ title: 'x' }}
        current={makeDoc({ updated_by_username: null, last_edited_by_username: 'carol' })}
        onKeepMine={noop}
        onUseTheirs={noop}
        onDismiss={noop}
      />,
    );
    expect(screen.getByRole('alertdialog')).toHaveTextContent('another person');
    expect(screen.getByRole('alertdialog')).not.toHaveTextContent('carol');
  });

  it('lists every conflicting field with readable values and the merged tags', () => {
    render(
      <ConflictDialog
        mine={{ status: 'published', tags: ['a', 'b'] }}
        current={makeDoc({ status: 'review', tags: ['c'] })}
        baseTags={['a']}
        onKeepMine={noop}
        onUseTheirs={noop}
        onDismiss={noop}
      />,
    );
    expect(screen.getByTestId('conflict-mine-status')).toHaveTextContent('Published');
    expect(screen.getByTestId('conflict-theirs-status')).toHaveTextContent('In review');
    expect(screen.getByTestId('conflict-theirs-tags')).toHaveTextContent('c');
    expect(screen.getByTestId('conflict-merged-tags')).toHaveTextContent('a, b, c');
  });

  it('Escape and × dismiss: neither keeps theirs nor saves', async () => {
    const theirs = vi.fn();
    const keep = vi.fn();
    const dismiss = vi.fn();
    render(<ConflictDialog mine={{ title: 'x' }} current={makeDoc()} onKeepMine={keep} onUseTheirs={theirs} onDismiss={dismiss} />);
    await userEvent.keyboard('{Escape}');
    expect(dismiss).toHaveBeenCalledOnce();
    await userEvent.click(screen.getByRole('button', { name: 'Close dialog' }));
    expect(dismiss).toHaveBeenCalledTimes(2);
    expect(theirs).not.toHaveBeenCalled();
    expect(keep).not.toHaveBeenCalled();
  });
});

describe('conflict flow (useDocumentMeta)', () => {
  it('dismissing keeps my typed value as an unsaved change, shows theirs, and saving it later uses their version', async () => {
    const theirs = makeDoc({ title: 'Alice title', version: 4, updated_by_username: 'alice' });
    const calls = mockFetch((c) => {
      const body = c.body as { expected_version: number; title?: string };
      if (body.expected_version === 3) return { status: 409, body: { error: 'conflict', message: 'stale', current: theirs } };
      return { status: 200, body: makeDoc({ title: body.title, version: 5 }) };
    });
    const { result } = renderHook(() => useDocumentMeta(makeDoc({ version: 3 }), { offlineQueue: false }));
    await act(async () => {
      await result.current.update({ title: 'Bob title' });
    });
    act(() => result.current.dismissConflict());
    expect(result.current.conflict).toBeNull();
    expect(result.current.held).toEqual({ title: 'Bob title' });
    expect(result.current.doc.title).toBe('Alice title');
    await act(async () => {
      await result.current.saveHeld();
    });
    expect(calls[1].body).toEqual({ title: 'Bob title', expected_version: 4 });
    expect(result.current.doc.title).toBe('Bob title');
    expect(result.current.held).toBeNull();
  });

  it('keep mine merges tags as a union with theirs (and drops only the tag I removed)', async () => {
    const theirs = makeDoc({ tags: ['plans', 'q3'], version: 4 });
    const calls = mockFetch((c) => {
      const body = c.body as { expected_version: number; tags: string[] };
      if (body.expected_version === 3) return { status: 409, body: { error: 'conflict', message: 'stale', current: theirs } };
      return { status: 200, body: makeDoc({ tags: body.tags, version: 5 }) };
    });
    // I start from ['plans', 'old'], remove 'old' and add 'mine'
    const { result } = renderHook(() => useDocumentMeta(makeDoc({ version: 3, tags: ['plans', 'old'] }), { offlineQueue: false }));
    await act(async () => {
      await result.current.update({ tags: ['plans', 'mine'] });
    });
    expect(result.current.conflict).not.toBeNull();
    await act(async () => {
      await result.current.keepMine();
    });
    expect(calls[1].body).toEqual({ tags: ['plans', 'mine', 'q3'], expected_version: 4 });
    expect(result.current.doc.tags).toEqual(['plans', 'mine', 'q3']);
  });

  it('saving my kept tags after dismissing still merges them with theirs', async () => {
    const theirs = makeDoc({ tags: ['plans', 'q3'], version: 4 });
    const calls = mockFetch((c) => {
      const body = c.body as { expected_version: number; tags: string[] };
      if (body.expected_version === 3) return { status: 409, body: { error: 'conflict', message: 'stale', current: theirs } };
      return { status: 200, body: makeDoc({ tags: body.tags, version: 5 }) };
    });
    const { result } = renderHook(() => useDocumentMeta(makeDoc({ version: 3, tags: ['plans'] }), { offlineQueue: false }));
    await act(async () => {
      await result.current.update({ tags: ['plans', 'mine'] });
    });
    act(() => result.current.dismissConflict());
    expect(result.current.doc.tags).toEqual(['plans', 'q3']);
    await act(async () => {
      await result.current.saveHeld();
    });
    expect(calls[1].body).toEqual({ tags: ['plans', 'mine', 'q3'], expected_version: 4 });
  });
});

