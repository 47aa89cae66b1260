/**
 * The title field shows what it is given in the same render (no copy of props into state), keeps what the
 * user types against live changes, and saves a value kept from a conflict from the version it was kept at.
 */
import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/react';
import { TitleInput } from '../features/editor/TitleInput';

const input = () => screen.getByTestId('title-input') as HTMLInputElement;

describe('TitleInput', () => {
  it('a held value shows at once and survives later live changes and a blur without typing', () => {
    const onCommit = vi.fn();
    const { rerender } = render(<TitleInput value="Theirs" version={3} readOnly={false} onCommit={onCommit} />);
    expect(input().value).toBe('Theirs');
    rerender(<TitleInput value="Theirs" version={3} heldValue="Mine" readOnly={false} onCommit={onCommit} />);
    expect(input().value).toBe('Mine');
    rerender(<TitleInput value="Theirs again" version={4} heldValue="Mine" readOnly={false} onCommit={onCommit} />);
    expect(input().value).toBe('Mine');
    fireEvent.focus(input());
    fireEvent.blur(input());
    expect(onCommit).not.toHaveBeenCalled();
    // Enter saves it, from the version shown when it was kept (a newer change meets the 409 flow)
    fireEvent.keyDown(input(), { key: 'Enter' });
    expect(onCommit).toHaveBeenCalledWith('Mine', 3);
  });

  it('a live change lands while not typing and never replaces what is typed', () => {
    const onCommit = vi.fn();
    const { rerender } = render(<TitleInput value="A" version={1} readOnly={false} onCommit={onCommit} />);
    rerender(<TitleInput value="B" version={2} readOnly={false} onCommit={onCommit} />);
    expect(input().value).toBe('B');
    fireEvent.change(input(), { target: { value: 'Typed' } });
    rerender(<TitleInput value="C" version={3} readOnly={false} onCommit={onCommit} />);
    expect(input().value).toBe('Typed');
    fireEvent.blur(input());
    expect(onCommit).toHaveBeenCalledWith('Typed', 2);
  });

  it('Escape drops the typing and shows the current title; an empty title is not saved', () => {
    const onCommit = vi.fn();
    render(<TitleInput value="Kept" version={1} readOnly={false} onCommit={onCommit} />);
    fireEvent.change(input(), { target: { value: 'Oops' } });
    fireEvent.keyDown(input(), { key: 'Escape' });
    expect(input().value).toBe('Kept');
    fireEvent.change(input(), { target: { value: '   ' } });
    fireEvent.keyDown(input(), { key: 'Enter' });
    expect(onCommit).not.toHaveBeenCalled();
    expect(input().value).toBe('Kept');
  });
});
