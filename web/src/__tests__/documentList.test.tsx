/**
 * DocumentListPage against a mocked API: rows with badges, tags and last-edited info; filters; search snippets.
 */
import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { AuthProvider } from '../auth/AuthContext';
import { DocumentListPage } from '../features/documents/DocumentListPage';
import { makeDoc, mockFetch } from './helpers';

const recent = new Date(Date.now() - 5 * 60_000).toISOString();

describe('DocumentListPage', () => {
  it('lists documents with status badge, tags, owner and last-edited info; search shows snippets', async () => {
    window.history.replaceState(null, '', '/');
    const calls = mockFetch((c) => {
      if (c.url.startsWith('/api/auth/me')) return { status: 200, body: { id: 'u1', username: 'alice' } };
      if (c.url.startsWith('/api/search'))
        return {
          status: 200,
          body: {
            items: [{ document: makeDoc({ title: 'Launch plan' }), snippet: 'our <mark>xylophone</mark> &lt;budget&gt;', score: 1 }],
            total: 1,
          },
        };
      return {
        status: 200,
        body: {
          items: [
            makeDoc({ id: 'a', title: 'Launch plan', status: 'review', last_edited_at: recent }),
            makeDoc({ id: 'b', title: 'Notes', status: 'published', role: 'viewer', tags: [] }),
          ],
          total: 2,
          limit: 25,
          offset: 0,
        },
      };
    });
    render(
      <AuthProvider>
        <DocumentListPage />
      </AuthProvider>,
    );
    const rows = await screen.findAllByTestId('doc-row');
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent('Launch plan');
    expect(rows[0]).toHaveTextContent('In review');
    expect(rows[0]).toHaveTextContent('Last edited by bob · 5 min ago');
    expect(rows[0]).toHaveTextContent('#plans');
    expect(rows[0]).toHaveTextContent('Owner: alice');
    expect(rows[1]).toHaveTextContent('View only');

    await userEvent.click(screen.getByRole('radio', { name: 'Published' }));
    await waitFor(() => expect(calls.some((c) => c.url.includes('status=published'))).toBe(true));

    await userEvent.type(screen.getByLabelText('Search documents'), 'xylophone');
    const hit = await screen.findByTestId('search-hit');
    expect(hit.querySelector('mark')).toHaveTextContent('xylophone');
    // escaped text stays text
    expect(hit).toHaveTextContent('<budget>');
    expect(hit.querySelector('budget')).toBeNull();
  });
});
