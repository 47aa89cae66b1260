/**
 * useRequest: success, error, abort on unmount and on input change, reload, disabled loader.
 */
import { act, renderHook, waitFor } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../api/client';
import { useRequest, type Loader } from '../lib/useRequest';

/** A loader whose calls can be resolved or rejected one by one from the test. */
function controlled<T>() {
  const calls: { signal: AbortSignal; resolve: (v: T) => void; reject: (e: unknown) => void; arg: unknown }[] = [];
  const make =
    (arg: unknown): Loader<T> =>
    (signal) =>
      new Promise<T>((resolve, reject) => {
        calls.push({ signal, resolve, reject, arg });
      });
  return { calls, make };
}

describe('useRequest', () => {
  it('loads on mount: loading, then data', async () => {
    const loader = vi.fn(async () => ({ n: 1 }));
    const { result } = renderHook(() => useRequest(loader, []));
    expect(result.current.loading).toBe(true);
    expect(result.current.data).toBeUndefined();
    await waitFor(() => expect(result.current.loading).toBe(false));
    expect(result.current.data).toEqual({ n: 1 });
    expect(result.current.error).toBeNull();
    expect(loader).toHaveBeenCalledTimes(1);
  });

  it('reports what the loader threw', async () => {
    const err = new ApiError(500, 'internal', 'The server had a problem. Please try again.');
    const { result } = renderHook(() => useRequest(() => Promise.reject(err), []));
    await waitFor(() => expect(result.current.loading).toBe(false));
    expect(result.current.error).toBe(err);
    expect(result.current.data).toBeUndefined();
  });

  it('aborts the running load on unmount and ignores its late answer', async () => {
    const c = controlled<string>();
    const { result, unmount } = renderHook(() => useRequest(c.make('a'), []));
    await waitFor(() => expect(c.calls).toHaveLength(1));
    const first = c.calls[0]!;
    const seen = result.current;
    unmount();
    expect(first.signal.aborted).toBe(true);
    await act(async () => first.resolve('late'));
    expect(result.current).toBe(seen);
    expect(result.current.data).toBeUndefined();
  });

  it('aborts the previous load when the inputs change; only the latest answer lands', async () => {
    const c = controlled<string>();
    const { result, rerender } = renderHook(({ id }) => useRequest(c.make(id), [id]), { initialProps: { id: 'a' } });
    await waitFor(() => expect(c.calls).toHaveLength(1));
    rerender({ id: 'b' });
    await waitFor(() => expect(c.calls).toHaveLength(2));
    const [a, b] = c.calls;
    expect(a!.signal.aborted).toBe(true);
    expect(b!.signal.aborted).toBe(false);
    expect(b!.arg).toBe('b');
    await act(async () => b!.resolve('B'));
    await act(async () => a!.resolve('A'));
    expect(result.current.data).toBe('B');
    expect(result.current.loading).toBe(false);
  });

  it('does not reload when re-rendered with the same inputs', async () => {
    const loader = vi.fn(async () => 1);
    const { rerender, result } = renderHook(() => useRequest(loader, ['same']));
    await waitFor(() => expect(result.current.loading).toBe(false));
    rerender();
    rerender();
    expect(loader).toHaveBeenCalledTimes(1);
  });

  it('reload runs again with the same inputs, keeps the old data meanwhile, and resolves when done', async () => {
    const c = controlled<number>();
    const { result } = renderHook(() => useRequest(c.make('x'), []));
    await waitFor(() => expect(c.calls).toHaveLength(1));
    await act(async () => c.calls[0]!.resolve(1));
    expect(result.current.data).toBe(1);

    let done = false;
    let reloaded!: Promise<void>;
    act(() => {
      reloaded = result.current.reload().then(() => {
        done = true;
      });
    });
    await waitFor(() => expect(c.calls).toHaveLength(2));
    expect(result.current.loading).toBe(true);
    expect(result.current.data).toBe(1);
    expect(done).toBe(false);
    await act(async () => c.calls[1]!.resolve(2));
    await reloaded;
    expect(done).toBe(true);
    expect(result.current.data).toBe(2);
    expect(result.current.loading).toBe(false);
  });

  it('clears a previous error when it loads again', async () => {
    let fail = true;
    const { result } = renderHook(() => useRequest(() => (fail ? Promise.reject(new Error('no')) : Promise.resolve('ok')), []));
    await waitFor(() => expect(result.current.error).toBeInstanceOf(Error));
    fail = false;
    // (act flushes the re-run only once its callback returns, so await the reload outside it)
    let reloaded!: Promise<void>;
    act(() => {
      reloaded = result.current.reload();
    });
    await act(async () => reloaded);
    expect(result.current.error).toBeNull();
    expect(result.current.data).toBe('ok');
  });

  it('does nothing while disabled (null loader) and clears its data when disabled', async () => {
    const { result, rerender } = renderHook(({ q }) => useRequest(q ? async () => `hits for ${q}` : null, [q]), {
      initialProps: { q: '' },
    });
    expect(result.current.loading).toBe(false);
    expect(result.current.data).toBeUndefined();
    rerender({ q: 'cats' });
    await waitFor(() => expect(result.current.data).toBe('hits for cats'));
    rerender({ q: '' });
    await waitFor(() => expect(result.current.data).toBeUndefined());
    expect(result.current.loading).toBe(false);
  });
});
