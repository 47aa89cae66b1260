/**
 * useDocumentMeta: optimistic-locking saves, 409 conflicts, "Keep mine" and "Use theirs".
 */
import { act, renderHook } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { useDocumentMeta } from '../collab/useDocumentMeta';
import { makeDoc, mockFetch } from './helpers';

describe('useDocumentMeta (optimistic locking)', () => {
  it('on 409 exposes the conflict, and "keep mine" resubmits with the new version', async () => {
    const theirs = makeDoc({ title: 'Alice title', version: 4 });
    const calls = mockFetch((c) => {
      const body = c.body as { expected_version: number; title: string };
      if (body.expected_version === 3) return { status: 409, body: { error: 'conflict', message: 'stale', current: theirs } };
      return { status: 200, body: makeDoc({ title: body.title, version: 5 }) };
    });
    const { result } = renderHook(() => useDocumentMeta(makeDoc({ version: 3 })));
    await act(async () => {
      await result.current.update({ title: 'Bob title' });
    });
    expect(result.current.conflict?.current.title).toBe('Alice title');
    expect(result.current.doc.version).toBe(3);
    await act(async () => {
      await result.current.keepMine();
    });
    expect(calls[1].body).toEqual({ title: 'Bob title', expected_version: 4 });
    expect(result.current.conflict).toBeNull();
    expect(result.current.doc.title).toBe('Bob title');
    expect(result.current.doc.version).toBe(5);
  });

  it('"use theirs" adopts the server document without another request', async () => {
    const theirs = makeDoc({ title: 'Alice title', version: 4 });
    const calls = mockFetch(() => ({ status: 409, body: { error: 'conflict', message: 'stale', current: theirs } }));
    const { result } = renderHook(() => useDocumentMeta(makeDoc({ version: 3 })));
    await act(async () => {
      await result.current.update({ title: 'Bob title' });
    });
    act(() => result.current.useTheirs());
    expect(result.current.doc.title).toBe('Alice title');
    expect(result.current.doc.version).toBe(4);
    expect(result.current.conflict).toBeNull();
    expect(calls).toHaveLength(1);
  });

  it('uses the latest version for the next save after a success', async () => {
    let v = 3;
    const calls = mockFetch((c) => {
      v += 1;
      return { status: 200, body: makeDoc({ ...(c.body as object), version: v }) };
    });
    const { result } = renderHook(() => useDocumentMeta(makeDoc({ version: 3 })));
    await act(async () => {
      await result.current.update({ status: 'review' });
    });
    await act(async () => {
      await result.current.update({ tags: ['x'] });
    });
    expect((calls[0].body as { expected_version: number }).expected_version).toBe(3);
    expect((calls[1].body as { expected_version: number }).expected_version).toBe(4);
  });

  it('reports other errors as a message', async () => {
    mockFetch(() => ({ status: 403, body: { error: 'forbidden', message: 'Viewers cannot edit' } }));
    const { result } = renderHook(() => useDocumentMeta(makeDoc()));
    await act(async () => {
      await result.current.update({ title: 'x' });
    });
    expect(result.current.error).toBe('Viewers cannot edit');
    expect(result.current.conflict).toBeNull();
  });

  it('two quick edits are sent one after another, the second from the version the first produced', async () => {
    let v = 3;
    const calls = mockFetch((c) => {
      const body = c.body as { expected_version: number };
      if (body.expected_version !== v) return { status: 409, body: { error: 'conflict', message: 'stale', current: makeDoc({ version: v }) } };
      v += 1;
      return { status: 200, body: makeDoc({ ...(c.body as object), version: v }) };
    });
    const { result } = renderHook(() => useDocumentMeta(makeDoc({ version: 3 }), { offlineQueue: false }));
    await act(async () => {
      // the title edit started at version 3; the status change follows before the title's answer
      await Promise.all([result.current.update({ title: 'T' }, 3), result.current.update({ status: 'review' })]);
    });
    expect(calls.map((c) => (c.body as { expected_version: number }).expected_version)).toEqual([3, 4]);
    expect(result.current.conflict).toBeNull();
    expect(result.current.doc.version).toBe(5);
  });
});
