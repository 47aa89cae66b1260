/**
 * ConflictDialog: shows my values next to the server's and offers "Keep mine" / "Use theirs".
 */
import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { ConflictDialog } from '../features/editor/ConflictDialog';
import { makeDoc } from './helpers';

describe('ConflictDialog', () => {
  it('shows my values next to the current ones and offers both choices', async () => {
    const keep = vi.fn();
    const theirs = vi.fn();
    render(
      <ConflictDialog
        mine={{ title: 'Bob title' }}
        current={makeDoc({ title: 'Alice title', version: 5, last_edited_by_username: 'alice' })}
        onKeepMine={keep}
        onUseTheirs={theirs}
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

  it('lists every conflicting field with readable values', () => {
    render(
      <ConflictDialog
        mine={{ status: 'published', tags: ['a', 'b'] }}
        current={makeDoc({ status: 'review', tags: [] })}
        onKeepMine={() => {}}
        onUseTheirs={() => {}}
      />,
    );
    expect(screen.getByTestId('conflict-mine-status')).toHaveTextContent('Published');
    expect(screen.getByTestId('conflict-theirs-status')).toHaveTextContent('In review');
    expect(screen.getByTestId('conflict-mine-tags')).toHaveTextContent('a, b');
    expect(screen.getByTestId('conflict-theirs-tags')).toHaveTextContent('(no tags)');
  });

  it('Escape means "use theirs" (nothing is overwritten silently)', async () => {
    const theirs = vi.fn();
    render(<ConflictDialog mine={{ title: 'x' }} current={makeDoc()} onKeepMine={() => {}} onUseTheirs={theirs} />);
    await userEvent.keyboard('{Escape}');
    expect(theirs).toHaveBeenCalled();
  });
});
