/**
 * Small UI fixes: the status control saves once per choice (not per arrow key), sharing with an unknown
 * user says so plainly, the auth page forgets its error when switching to "Create account".
 */
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { AuthProvider } from '../auth/AuthContext';
import { AuthPage } from '../auth/AuthPage';
import { StatusSelect } from '../features/documents/StatusSelect';
import { ShareDialog } from '../features/sharing/ShareDialog';
import { mockFetch } from './helpers';

describe('StatusSelect', () => {
  it('arrow keys move the choice without saving; leaving the control saves once', () => {
    const change = vi.fn();
    render(<StatusSelect status="draft" readOnly={false} onChange={change} />);
    const select = screen.getByTestId('status-select');
    for (const value of ['review', 'published', 'archived']) {
      fireEvent.keyDown(select, { key: 'ArrowDown' });
      fireEvent.change(select, { target: { value } });
    }
    expect(change).not.toHaveBeenCalled();
    fireEvent.blur(select);
    expect(change).toHaveBeenCalledOnce();
    expect(change).toHaveBeenCalledWith('archived');
  });

  it('a pointer pick saves at once, and the blur after it does not save again', () => {
    const change = vi.fn();
    render(<StatusSelect status="draft" readOnly={false} onChange={change} />);
    const select = screen.getByTestId('status-select');
    fireEvent.pointerDown(select);
    fireEvent.change(select, { target: { value: 'review' } });
    fireEvent.blur(select);
    expect(change).toHaveBeenCalledOnce();
    expect(change).toHaveBeenCalledWith('review');
  });
});

describe('ShareDialog', () => {
  it('names a user who does not exist in plain words', async () => {
    mockFetch((c) => {
      if (c.method === 'PUT') return { status: 404, body: { error: 'not_found', message: 'user not found' } };
      if (c.url.includes('/members')) return { status: 200, body: { members: [] } };
      return { status: 200, body: { items: [] } };
    });
    render(<ShareDialog docId="d1" title="Doc" canManage currentUsername="alice" onClose={() => {}} />);
    await userEvent.type(screen.getByLabelText('Add people by username'), 'nobody');
    await userEvent.click(screen.getByRole('button', { name: 'Share' }));
    expect(await screen.findByText('No user named “nobody” exists. Check the spelling.')).toBeInTheDocument();
  });

  it('Escape closes it, also after a click moved focus out of its fields', async () => {
    mockFetch(() => ({ status: 200, body: { members: [] } }));
    const close = vi.fn();
    render(<ShareDialog docId="d1" title="Doc" canManage currentUsername="alice" onClose={close} />);
    (document.activeElement as HTMLElement | null)?.blur();
    await userEvent.keyboard('{Escape}');
    expect(close).toHaveBeenCalledOnce();
  });
});

describe('AuthPage', () => {
  it('switching to "Create account" clears the sign-in error and fields', async () => {
    mockFetch((c) => {
      if (c.url.endsWith('/api/auth/me')) return { status: 401, body: { error: 'unauthenticated', message: 'no' } };
      return { status: 401, body: { error: 'unauthenticated', message: 'wrong' } };
    });
    const { rerender } = render(
      <AuthProvider>
        <AuthPage mode="login" />
      </AuthProvider>,
    );
    await userEvent.type(screen.getByLabelText('Username or email'), 'alice');
    await userEvent.type(screen.getByLabelText('Password'), 'nope-nope');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    await screen.findByTestId('auth-error');
    rerender(
      <AuthProvider>
        <AuthPage mode="register" />
      </AuthProvider>,
    );
    await waitFor(() => expect(screen.queryByTestId('auth-error')).toBeNull());
    expect((screen.getByLabelText('Username') as HTMLInputElement).value).toBe('');
    expect((screen.getByLabelText('Password') as HTMLInputElement).value).toBe('');
  });
});
