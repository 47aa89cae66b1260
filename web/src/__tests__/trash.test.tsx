/**
 * The Trash against a mocked API: the list shows when each document was deleted and the purge countdown;
 * Restore calls the API, removes the row and links to the document; Delete forever asks first (Cancel
 * sends nothing); the empty state. Also: the /trash route, the editor's "moved to the trash" banner, the
 * Trash link and the "Moved to the trash" notice with Undo on the document list.
 */
import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AuthProvider } from '../auth/AuthContext';
import { DocumentListPage } from '../features/documents/DocumentListPage';
import { EditorBanners } from '../features/editor/EditorBanners';
import { purgeText, TrashPage } from '../features/trash/TrashPage';
import { daysUntil, noteMovedToTrash, peekMovedToTrash, type TrashedDocument } from '../features/trash/trash';
import { matchRoute } from '../lib/router';
import { makeDoc, mockFetch, type Call } from './helpers';

const DAY = 24 * 60 * 60 * 1000;
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();
const ahead = (ms: number) => new Date(Date.now() + ms).toISOString();

function trashed(over: Partial<TrashedDocument> = {}): TrashedDocument {
  return { ...makeDoc(), deleted_at: ago(5 * 60_000), purge_at: ahead(30 * DAY - 5 * 60_000), ...over };
}

/** A `/api/trash` server holding `items`. */
function trashServer(items: TrashedDocument[]) {
  return mockFetch((c: Call) => {
    if (c.method === 'GET' && c.url === '/api/trash') return { status: 200, body: { items } };
    const restore = /^\/api\/trash\/([^/]+)\/restore$/.exec(c.url);
    if (c.method === 'POST' && restore) {
      const i = items.findIndex((d) => d.id === decodeURIComponent(restore[1]));
      if (i < 0) return { status: 404, body: { error: 'not_found' } };
      const [d] = items.splice(i, 1);
      const { deleted_at: _a, purge_at: _b, ...doc } = d; // the document without the trash fields
      return { status: 200, body: doc };
    }
    const purge = /^\/api\/trash\/([^/]+)$/.exec(c.url);
    if (c.method === 'DELETE' && purge) {
      const i = items.findIndex((d) => d.id === decodeURIComponent(purge[1]));
      if (i < 0) return { status: 404, body: { error: 'not_found' } };
      items.splice(i, 1);
      return { status: 204 };
    }
    return { status: 404, body: { error: 'not_found', message: 'Not found.' } };
  });
}

afterEach(() => {
  vi.unstubAllGlobals();
  window.history.replaceState(null, '', '/');
});

describe('trash helpers', () => {
  it('/trash is the Trash page', () => {
    expect(matchRoute('/trash')).toEqual({ name: 'trash' });
  });

  it('counts whole days until the purge, and says hours under a day', () => {
    const now = new Date('2026-03-01T12:00:00Z');
    expect(daysUntil('2026-03-31T12:00:00Z', now)).toBe(30);
    expect(daysUntil('2026-03-02T13:00:00Z', now)).toBe(2);
    expect(daysUntil('2026-02-01T12:00:00Z', now)).toBe(0);
    expect(purgeText('2026-03-31T12:00:00Z', now)).toBe('Deleted forever in 30 days');
    expect(purgeText('2026-03-02T11:00:00Z', now)).toBe('Deleted forever in 23 h');
    expect(purgeText('2026-03-02T12:00:00Z', now)).toBe('Deleted forever in 1 day');
    expect(purgeText('2026-03-01T11:00:00Z', now)).toBe('Deleted forever soon');
  });
});

describe('TrashPage', () => {
  it('lists trashed documents with title, tags, when deleted and the purge countdown', async () => {
    trashServer([
      trashed({ id: 'a', title: 'Roadmap', tags: ['plans'] }),
      trashed({ id: 'b', title: '', tags: [], deleted_at: ago(3 * DAY), purge_at: ahead(27 * DAY - 60_000) }),
    ]);
    render(<TrashPage />);
    expect(screen.getByRole('heading', { level: 1, name: 'Trash' })).toBeInTheDocument();
    const rows = await screen.findAllByTestId('trash-row');
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent('Roadmap');
    expect(rows[0]).toHaveTextContent('#plans');
    expect(rows[0]).toHaveTextContent('Deleted 5 min ago');
    expect(within(rows[0]).getByTestId('purge-countdown')).toHaveTextContent('Deleted forever in 30 days');
    expect(rows[1]).toHaveTextContent('Untitled');
    expect(rows[1]).toHaveTextContent('Deleted 3 days ago');
    expect(within(rows[1]).getByTestId('purge-countdown')).toHaveTextContent('Deleted forever in 27 days');
    expect(screen.queryByTestId('trash-empty')).toBeNull();
  });

  it('Restore calls the API, removes the row and links to the restored document', async () => {
    const calls = trashServer([trashed({ id: 'a', title: 'Roadmap' }), trashed({ id: 'b', title: 'Notes' })]);
    render(<TrashPage />);
    await screen.findAllByTestId('trash-row');
    fireEvent.click(screen.getByRole('button', { name: 'Restore “Roadmap”' }));
    const notice = await screen.findByTestId('restored-notice');
    expect(notice).toHaveTextContent('Restored “Roadmap”.');
    expect(within(notice).getByRole('link', { name: 'Open the document' })).toHaveAttribute('href', '/d/a');
    expect(calls.filter((c) => c.method === 'POST').map((c) => c.url)).toEqual(['/api/trash/a/restore']);
    const rows = screen.getAllByTestId('trash-row');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toHaveTextContent('Notes');
  });

  it('Delete forever asks first: Cancel sends nothing, the confirm button purges and removes the row', async () => {
    const calls = trashServer([trashed({ id: 'a', title: 'Roadmap' })]);
    render(<TrashPage />);
    await screen.findByTestId('trash-row');
    fireEvent.click(screen.getByRole('button', { name: 'Delete forever “Roadmap”' }));
    let dialog = await screen.findByTestId('purge-confirm');
    expect(dialog).toHaveTextContent('Delete “Roadmap” forever?');
    expect(dialog).toHaveTextContent('Its versions, comments and media are deleted too. This cannot be undone.');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    await waitFor(() => expect(screen.queryByTestId('purge-confirm')).toBeNull());
    expect(calls.some((c) => c.method === 'DELETE')).toBe(false);
    expect(screen.getByTestId('trash-row')).toBeInTheDocument();

    fireEvent.click(screen.getByRole('button', { name: 'Delete forever “Roadmap”' }));
    dialog = await screen.findByTestId('purge-confirm');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Delete forever' }));
    expect(await screen.findByTestId('purged-notice')).toHaveTextContent('Deleted “Roadmap” forever.');
    expect(calls.filter((c) => c.method === 'DELETE').map((c) => c.url)).toEqual(['/api/trash/a']);
    expect(screen.queryByTestId('trash-row')).toBeNull();
    expect(screen.getByTestId('trash-empty')).toBeInTheDocument();
  });

  it('shows the empty state', async () => {
    trashServer([]);
    render(<TrashPage />);
    expect(await screen.findByTestId('trash-empty')).toHaveTextContent(
      'The trash is empty. Deleted documents stay here for 30 days.',
    );
    expect(screen.queryByRole('list', { name: 'Deleted documents' })).toBeNull();
  });

  it('a restore that fails (already purged) says so and reloads the list', async () => {
    const items = [trashed({ id: 'a', title: 'Roadmap' })];
    const calls = mockFetch((c) => {
      if (c.method === 'GET') return { status: 200, body: { items } };
      items.length = 0;
      return { status: 404, body: { error: 'not_found' } };
    });
    render(<TrashPage />);
    await screen.findByTestId('trash-row');
    fireEvent.click(screen.getByRole('button', { name: 'Restore “Roadmap”' }));
    expect(await screen.findByRole('alert')).toHaveTextContent(/not found/i);
    await waitFor(() => expect(screen.queryByTestId('trash-row')).toBeNull());
    expect(calls.filter((c) => c.method === 'GET')).toHaveLength(2);
  });
});

describe('elsewhere', () => {
  it('the editor says the document was moved to the trash when the socket closes with 4404', () => {
    render(<EditorBanners isViewer={false} status="closed" closeReason="notFound" />);
    expect(screen.getByTestId('deleted-banner')).toHaveTextContent('This document was moved to the trash by its owner.');
  });

  it('the document list links to the Trash and offers Undo after a move to the trash', async () => {
    window.history.replaceState(null, '', '/');
    const calls = mockFetch((c) => {
      if (c.url.startsWith('/api/auth/me')) return { status: 200, body: { id: 'u1', username: 'alice' } };
      if (c.url === '/api/trash/doc-1/restore') return { status: 200, body: makeDoc() };
      return { status: 200, body: { items: [], total: 0, limit: 25, offset: 0 } };
    });
    noteMovedToTrash({ id: 'doc-1', title: 'Roadmap' });
    render(
      <AuthProvider>
        <DocumentListPage />
      </AuthProvider>,
    );
    const link = screen.getByTestId('trash-link');
    expect(link).toHaveAttribute('href', '/trash');
    expect(link).toHaveTextContent('Trash');
    const notice = screen.getByTestId('trash-notice');
    expect(notice).toHaveTextContent('Moved to the trash: “Roadmap”.');
    expect(peekMovedToTrash()).toBeNull(); // shown once
    fireEvent.click(within(notice).getByRole('button', { name: 'Undo' }));
    await waitFor(() => expect(screen.getByTestId('trash-notice')).toHaveTextContent('Restored “Roadmap”.'));
    expect(within(screen.getByTestId('trash-notice')).getByRole('link', { name: 'Open it' })).toHaveAttribute('href', '/d/doc-1');
    expect(calls.filter((c) => c.method === 'POST').map((c) => c.url)).toEqual(['/api/trash/doc-1/restore']);
  });
});
