/**
 * Offline metadata edits: queued in IndexedDB (fake-indexeddb) with the version they started from, shown as
 * pending, replayed with that `expected_version` on reconnect; a 409 on replay opens the conflict.
 */
import { act, renderHook, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { clearQueued, loadQueued, mergeQueued, saveQueued } from '../collab/metaQueue';
import { useDocumentMeta } from '../collab/useDocumentMeta';
import { makeDoc, mockFetch } from './helpers';

afterEach(async () => {
  await clearQueued('doc-1');
});

describe('metaQueue', () => {
  it('merges later edits into the first one, keeping its base version', () => {
    const a = mergeQueued(null, 'doc-1', { title: 'A' }, 3, ['x'], 1);
    const b = mergeQueued(a, 'doc-1', { status: 'review', title: 'B' }, 9, ['y'], 2);
    expect(b).toEqual({ docId: 'doc-1', patch: { title: 'B', status: 'review' }, baseVersion: 3, baseTags: ['x'], queuedAt: 1 });
  });

  it('stores and clears an edit in IndexedDB', async () => {
    await saveQueued(mergeQueued(null, 'doc-1', { title: 'A' }, 3, []));
    expect((await loadQueued('doc-1'))?.patch).toEqual({ title: 'A' });
    await clearQueued('doc-1');
    expect(await loadQueued('doc-1')).toBeNull();
  });
});

describe('useDocumentMeta offline', () => {
  it('a network failure queues the edit (pending, not an error) and reconnecting replays it with its base version', async () => {
    let online = false;
    const calls = mockFetch((c) => {
      if (!online) throw new TypeError('Failed to fetch');
      const body = c.body as { title: string };
      return { status: 200, body: makeDoc({ title: body.title, version: 4 }) };
    });
    const { result, rerender } = renderHook(({ connected }) => useDocumentMeta(makeDoc({ version: 3 }), { connected }), {
      initialProps: { connected: false },
    });
    await act(async () => {
      await result.current.update({ title: 'Offline title' });
    });
    expect(result.current.error).toBeNull();
    expect(result.current.queued?.patch).toEqual({ title: 'Offline title' });
    expect(result.current.shown.title).toBe('Offline title');
    expect((await loadQueued('doc-1'))?.baseVersion).toBe(3);

    online = true;
    rerender({ connected: true });
    await waitFor(() => expect(result.current.queued).toBeNull());
    expect(calls.at(-1)?.body).toEqual({ title: 'Offline title', expected_version: 3 });
    expect(result.current.doc).toMatchObject({ title: 'Offline title', version: 4 });
    expect(await loadQueued('doc-1')).toBeNull();
  });

  it('while the browser is offline edits go straight to the queue, merged', async () => {
    vi.spyOn(navigator, 'onLine', 'get').mockReturnValue(false);
    const calls = mockFetch(() => ({ status: 500 }));
    const { result } = renderHook(() => useDocumentMeta(makeDoc({ version: 3 })));
    await act(async () => {
      await result.current.update({ title: 'T' });
    });
    await act(async () => {
      await result.current.update({ status: 'review' });
    });
    expect(calls).toHaveLength(0);
    expect(result.current.queued).toMatchObject({ patch: { title: 'T', status: 'review' }, baseVersion: 3 });
    expect(result.current.shown).toMatchObject({ title: 'T', status: 'review' });
  });

  it('a replay that meets a newer version opens the conflict with the queued values', async () => {
    const theirs = makeDoc({ title: 'Alice title', version: 5, updated_by_username: 'alice' });
    await saveQueued(mergeQueued(null, 'doc-1', { title: 'Bob offline' }, 3, ['plans']));
    const calls = mockFetch(() => ({ status: 409, body: { error: 'conflict', message: 'stale', current: theirs } }));
    const { result } = renderHook(() => useDocumentMeta(makeDoc({ version: 3 }), { connected: true }));
    await waitFor(() => expect(result.current.conflict).not.toBeNull());
    expect(calls[0].body).toEqual({ title: 'Bob offline', expected_version: 3 });
    expect(result.current.conflict?.mine).toEqual({ title: 'Bob offline' });
    expect(result.current.conflict?.current.updated_by_username).toBe('alice');
    expect(result.current.queued).toBeNull();
  });
});
