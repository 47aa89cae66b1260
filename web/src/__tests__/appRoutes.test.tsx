/**
 * App routes with lazily loaded pages: signed out, /settings goes to the sign-in page; signed in, the
 * document list and the settings page arrive (behind the role="status" fallback) once their code loads.
 */
import { render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { App } from '../app/App';
import { mockFetch } from './helpers';

afterEach(() => {
  vi.unstubAllGlobals();
  window.history.replaceState(null, '', '/');
});

describe('App routes', () => {
  it('signed out: a signed-in page redirects to the sign-in form', async () => {
    window.history.replaceState(null, '', '/settings');
    mockFetch(() => ({ status: 401, body: { error: 'unauthorized' } }));
    render(<App />);
    expect(await screen.findByRole('button', { name: 'Sign in' })).toBeInTheDocument();
    expect(window.location.pathname).toBe('/login');
    expect(window.location.search).toBe(`?next=${encodeURIComponent('/settings')}`);
  });

  it('signed in: the lazily loaded document list renders', async () => {
    window.history.replaceState(null, '', '/');
    mockFetch((c) => {
      if (c.url.startsWith('/api/auth/me')) return { status: 200, body: { id: 'u1', username: 'alice' } };
      if (c.url.startsWith('/api/notifications')) return { status: 200, body: { items: [], unread: 0 } };
      return { status: 200, body: { items: [], total: 0, limit: 25, offset: 0 } };
    });
    render(<App />);
    expect(await screen.findByTestId('current-user')).toHaveTextContent('alice');
    expect(await screen.findByRole('heading', { level: 1, name: 'Documents' }, { timeout: 5000 })).toBeInTheDocument();
    expect(document.title).toBe('Documents · Quire');
  });
});
