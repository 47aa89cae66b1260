/**
 * Session end: a 401 from any REST call keeps the user on the page with "Your session ended — sign in again";
 * signing in again leaves for the sign-in page. Enter in the title hands focus on to the body.
 */
import { act, fireEvent, render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { api } from '../api/endpoints';
import { AuthProvider, useAuth } from '../auth/AuthContext';
import { SessionEndedBanner } from '../auth/SessionEndedBanner';
import { TitleInput } from '../features/editor/TitleInput';
import { makeDoc, mockFetch } from './helpers';

function Probe() {
  const { user, sessionEnded } = useAuth();
  return (
    <div>
      <span data-testid="who">{user?.username ?? 'nobody'}</span>
      {sessionEnded && <SessionEndedBanner />}
    </div>
  );
}

describe('session ended', () => {
  it('a 401 on REST shows the banner but keeps the user (and the page); "Sign in again" signs out locally', async () => {
    let revoked = false;
    mockFetch((c) => {
      if (c.url.endsWith('/api/auth/me')) return { status: 200, body: { id: 'u1', username: 'bob', email: 'b@x', created_at: 'x' } };
      if (revoked) return { status: 401, body: { error: 'unauthenticated', message: 'session revoked' } };
      return { status: 200, body: makeDoc() };
    });
    render(
      <AuthProvider>
        <Probe />
      </AuthProvider>,
    );
    await waitFor(() => expect(screen.getByTestId('who')).toHaveTextContent('bob'));
    revoked = true;
    await act(async () => {
      await api.getDocument('doc-1').catch(() => {});
    });
    expect(screen.getByTestId('session-ended')).toHaveTextContent('Your session ended — sign in again');
    expect(screen.getByTestId('who')).toHaveTextContent('bob');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in again' }));
    expect(screen.getByTestId('who')).toHaveTextContent('nobody');
    expect(screen.queryByTestId('session-ended')).toBeNull();
  });
});

describe('TitleInput Enter', () => {
  it('saves and hands focus on (into the body)', () => {
    const commit = vi.fn();
    const done = vi.fn();
    render(<TitleInput value="A" version={1} readOnly={false} onCommit={commit} onDone={done} />);
    const input = screen.getByTestId('title-input');
    input.focus();
    fireEvent.change(input, { target: { value: 'B' } });
    fireEvent.keyDown(input, { key: 'Enter' });
    expect(commit).toHaveBeenCalledWith('B', 1);
    expect(done).toHaveBeenCalledOnce();
  });
});
