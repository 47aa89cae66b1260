/**
 * Publishing in the editor header: the client slug rule, the "Published" / "Changes since publishing"
 * badge rule, datetime-local ⇄ RFC 3339, the settings dialog's PATCH (changed fields only, null on Clear,
 * slug validated before any request, a taken slug and a version conflict), and the publish buttons.
 */
import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { parseEvent } from '../collab/events';
import { PublishControls } from '../features/publishing/PublishControls';
import { PublishingDialog } from '../features/publishing/PublishingDialog';
import { fromLocalInput, publishState, slugify, toLocalInput } from '../features/publishing/publishing';
import { makeDoc, mockFetch } from './helpers';

const published = {
  status: 'published' as const,
  slug: 'roadmap',
  published_version: 4,
  published_at: '2026-01-03T10:00:00Z',
  last_edited_at: '2026-01-02T10:00:00Z',
};

describe('slugify', () => {
  it('folds accents, lower-cases, turns other runs into one hyphen and trims them', () => {
    expect(slugify('Hello, World!')).toBe('hello-world');
    expect(slugify('  Crème Brûlée — Été 2026  ')).toBe('creme-brulee-ete-2026');
    expect(slugify('a__b--c')).toBe('a-b-c');
    expect(slugify('日本語')).toBe('document');
    expect(slugify('x'.repeat(120))).toHaveLength(92);
  });
});

describe('publishState', () => {
  it('is unpublished without a published version', () => {
    expect(publishState(makeDoc())).toEqual({ published: false, changed: false });
  });
  it('reports changes only when the body was edited after published_at', () => {
    expect(publishState(makeDoc(published))).toEqual({ published: true, changed: false });
    expect(publishState(makeDoc({ ...published, last_edited_at: '2026-01-03T10:00:00Z' })).changed).toBe(false);
    expect(publishState(makeDoc({ ...published, last_edited_at: '2026-01-03T10:00:01Z' })).changed).toBe(true);
    expect(publishState(makeDoc({ ...published, last_edited_at: null })).changed).toBe(false);
  });
});

describe('datetime-local conversion', () => {
  it('round-trips through local time and gives RFC 3339 UTC', () => {
    const rfc = fromLocalInput('2026-05-01T09:30');
    expect(rfc).toBe(new Date(2026, 4, 1, 9, 30).toISOString().replace('.000Z', 'Z'));
    expect(rfc).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(toLocalInput(rfc)).toBe('2026-05-01T09:30');
    expect(fromLocalInput('')).toBeNull();
    expect(fromLocalInput('nonsense')).toBeNull();
    expect(toLocalInput(null)).toBe('');
  });
});

describe('live publication events', () => {
  it('published / unpublished events carry the document', () => {
    const document = makeDoc(published);
    expect(parseEvent({ type: 'published', document })).toEqual({ type: 'published', document });
    expect(parseEvent({ type: 'unpublished', document })).toEqual({ type: 'unpublished', document });
    expect(parseEvent({ type: 'published' })).toBeNull();
  });
});

const patches = (calls: { method: string; body: unknown }[]) => calls.filter((c) => c.method === 'PATCH');

describe('PublishingDialog', () => {
  it('shows the title suggestion and sends one PATCH of the changed fields with expected_version', async () => {
    const calls = mockFetch(() => ({ status: 200, body: makeDoc({ version: 4, slug: 'my-page', visibility: 'public' }) }));
    const onDocument = vi.fn();
    const onClose = vi.fn();
    render(<PublishingDialog doc={makeDoc({ title: 'Road Map ÉTÉ' })} onClose={onClose} onDocument={onDocument} />);
    const slug = screen.getByLabelText('Slug') as HTMLInputElement;
    expect(slug.placeholder).toBe('road-map-ete');
    fireEvent.change(slug, { target: { value: 'my-page' } });
    fireEvent.click(screen.getByLabelText(/Public/));
    fireEvent.change(screen.getByLabelText('Publish at'), { target: { value: '2026-05-01T09:30' } });
    fireEvent.click(screen.getByTestId('publishing-save'));
    await waitFor(() => expect(onClose).toHaveBeenCalled());
    expect(patches(calls)).toHaveLength(1);
    expect(calls[0].url).toBe('/api/documents/doc-1');
    expect(calls[0].body).toEqual({
      slug: 'my-page',
      visibility: 'public',
      publish_at: new Date(2026, 4, 1, 9, 30).toISOString().replace('.000Z', 'Z'),
      expected_version: 3,
    });
    expect(onDocument).toHaveBeenCalledWith(expect.objectContaining({ slug: 'my-page' }));
  });

  it('Clear sends null for a set schedule', async () => {
    const calls = mockFetch(() => ({ status: 200, body: makeDoc() }));
    const onClose = vi.fn();
    const doc = makeDoc({ publish_at: '2026-06-01T08:00:00Z', unpublish_at: '2026-07-01T08:00:00Z' });
    render(<PublishingDialog doc={doc} onClose={onClose} onDocument={() => {}} />);
    expect((screen.getByLabelText('Unpublish at') as HTMLInputElement).value).toBe(toLocalInput('2026-07-01T08:00:00Z'));
    fireEvent.click(screen.getByRole('button', { name: 'Clear Unpublish at' }));
    fireEvent.click(screen.getByTestId('publishing-save'));
    await waitFor(() => expect(onClose).toHaveBeenCalled());
    expect(calls.map((c) => c.body)).toEqual([{ unpublish_at: null, expected_version: 3 }]);
  });

  it('refuses an invalid slug without a request', () => {
    const calls = mockFetch(() => ({ status: 200, body: makeDoc() }));
    render(<PublishingDialog doc={makeDoc()} onClose={() => {}} onDocument={() => {}} />);
    for (const bad of ['Has Caps', 'sp ace', 'ü', 'x'.repeat(101)]) {
      fireEvent.change(screen.getByLabelText('Slug'), { target: { value: bad } });
      fireEvent.click(screen.getByTestId('publishing-save'));
      expect(screen.getByText(/1–100 lower-case letters, digits or hyphens/)).toBeInTheDocument();
    }
    expect(calls).toHaveLength(0);
    expect(screen.getByLabelText('Slug')).toHaveAttribute('aria-invalid', 'true');
  });

  it('says clearly when the slug is taken (409 duplicate) and stays open', async () => {
    mockFetch(() => ({ status: 409, body: { error: 'duplicate', message: 'slug taken' } }));
    const onClose = vi.fn();
    render(<PublishingDialog doc={makeDoc()} onClose={onClose} onDocument={() => {}} />);
    fireEvent.change(screen.getByLabelText('Slug'), { target: { value: 'taken' } });
    fireEvent.click(screen.getByTestId('publishing-save'));
    expect(await screen.findByText('The slug “taken” is already taken. Choose another.')).toBeInTheDocument();
    expect(onClose).not.toHaveBeenCalled();
  });

  it('a version conflict reloads the document, says so, and the next save uses the new version', async () => {
    let n = 0;
    const current = makeDoc({ version: 7, title: 'Changed' });
    const calls = mockFetch(() => (n++ === 0 ? { status: 409, body: { error: 'conflict', current } } : { status: 200, body: current }));
    const onDocument = vi.fn();
    const onClose = vi.fn();
    render(<PublishingDialog doc={makeDoc()} onClose={onClose} onDocument={onDocument} />);
    fireEvent.click(screen.getByLabelText(/Public/));
    fireEvent.click(screen.getByTestId('publishing-save'));
    expect(await screen.findByText(/changed this document meanwhile. It has been reloaded/)).toBeInTheDocument();
    expect(onDocument).toHaveBeenCalledWith(current);
    expect(onClose).not.toHaveBeenCalled();
    fireEvent.click(screen.getByTestId('publishing-save'));
    await waitFor(() => expect(onClose).toHaveBeenCalled());
    expect(calls.map((c) => c.body)).toEqual([
      { visibility: 'public', expected_version: 3 },
      { visibility: 'public', expected_version: 7 },
    ]);
  });

  it('Escape closes it', () => {
    const onClose = vi.fn();
    render(<PublishingDialog doc={makeDoc()} onClose={onClose} onDocument={() => {}} />);
    fireEvent.keyDown(document.activeElement ?? document.body, { key: 'Escape' });
    expect(onClose).toHaveBeenCalled();
  });
});

describe('PublishControls', () => {
  it('Publish calls the API and hands over the published document', async () => {
    const after = makeDoc(published);
    const calls = mockFetch(() => ({ status: 200, body: after }));
    const onDocument = vi.fn();
    render(<PublishControls doc={makeDoc()} canPublish onDocument={onDocument} onOpenSettings={() => {}} />);
    expect(screen.queryByTestId('published-badge')).toBeNull();
    expect(screen.queryByTestId('unpublish-button')).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Publish' }));
    await waitFor(() => expect(onDocument).toHaveBeenCalledWith(after));
    expect(calls.map((c) => [c.method, c.url])).toEqual([['POST', '/api/documents/doc-1/publish']]);
  });

  it('once published: badge, version, reader link, Publish changes and Unpublish', async () => {
    const calls = mockFetch(() => ({ status: 200, body: makeDoc() }));
    const onDocument = vi.fn();
    render(<PublishControls doc={makeDoc({ ...published, last_edited_at: '2026-01-04T00:00:00Z' })} canPublish onDocument={onDocument} onOpenSettings={() => {}} />);
    expect(screen.getByTestId('published-badge')).toHaveTextContent('Published');
    expect(screen.getByTestId('published-version')).toHaveTextContent('v4');
    expect(screen.getByTestId('publish-changed')).toHaveTextContent('Changes since publishing');
    const link = screen.getByRole('link', { name: 'View published page' });
    expect(link).toHaveAttribute('href', '/p/roadmap');
    expect(link).toHaveAttribute('target', '_blank');
    expect(link).toHaveAttribute('rel', 'noopener');
    expect(screen.getByRole('button', { name: 'Publish changes' })).toBeInTheDocument();
    fireEvent.click(screen.getByRole('button', { name: 'Unpublish' }));
    await waitFor(() => expect(onDocument).toHaveBeenCalled());
    expect(calls.map((c) => [c.method, c.url])).toEqual([['POST', '/api/documents/doc-1/unpublish']]);
  });

  it('shows a failed publish with the error message', async () => {
    mockFetch(() => ({ status: 403, body: { error: 'forbidden', message: 'Only editors may publish.' } }));
    render(<PublishControls doc={makeDoc()} canPublish onDocument={() => {}} onOpenSettings={() => {}} />);
    fireEvent.click(screen.getByRole('button', { name: 'Publish' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Only editors may publish.');
  });

  it('viewers see the badge and link but no buttons', () => {
    render(<PublishControls doc={makeDoc({ ...published, role: 'viewer' })} canPublish={false} onDocument={() => {}} onOpenSettings={() => {}} />);
    expect(screen.getByTestId('published-badge')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'View published page' })).toBeInTheDocument();
    expect(screen.queryAllByRole('button')).toHaveLength(0);
  });

  it('shows the schedule in local time', () => {
    render(<PublishControls doc={makeDoc({ publish_at: '2026-06-01T08:00:00Z', unpublish_at: '2026-07-01T08:00:00Z' })} canPublish onDocument={() => {}} onOpenSettings={() => {}} />);
    expect(screen.getByTestId('publish-schedule')).toHaveTextContent(
      `Scheduled: publishes ${new Date('2026-06-01T08:00:00Z').toLocaleString()}, unpublishes ${new Date('2026-07-01T08:00:00Z').toLocaleString()}`,
    );
  });
});
