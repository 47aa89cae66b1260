/**
 * `useRequest`: runs a load (usually a GET) when a component mounts and again
 * whenever its inputs change, and exposes `loading` / `data` / `error`. The
 * running load is aborted (through the `AbortSignal` handed to it) when the
 * component unmounts or the inputs change, so a stale answer never lands.
 * `reload()` runs it again with the same inputs, keeping the data shown until
 * the new answer arrives. Passing `null` instead of a loader disables it.
 */
import { useCallback, useEffect, useRef, useState, type DependencyList } from 'react';

export type Loader<T> = (signal: AbortSignal) => Promise<T>;

export interface RequestState<T> {
  /** The last successful answer; kept while a newer load runs, cleared when disabled. */
  data: T | undefined;
  /** What the last load threw (null while loading or after success). */
  error: unknown;
  loading: boolean;
  /** Run the load again; resolves once that load has finished (or was superseded). */
  reload: () => Promise<void>;
  /** Replace the data locally (e.g. after a mutation answered with the new value). */
  setData: (data: T | undefined) => void;
}

interface Snapshot<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
}

export function useRequest<T>(loader: Loader<T> | null, deps: DependencyList): RequestState<T> {
  const enabled = loader !== null;
  const [state, setState] = useState<Snapshot<T>>({ data: undefined, error: null, loading: enabled });
  const [generation, setGeneration] = useState(0);
  const loaderRef = useRef(loader);
  loaderRef.current = loader;
  const waiters = useRef<Array<() => void>>([]);

  const settle = () => {
    const pending = waiters.current;
    waiters.current = [];
    pending.forEach((resolve) => resolve());
  };

  useEffect(() => {
    const run = loaderRef.current;
    if (!run) {
      setState((s) => (s.data === undefined && s.error === null && !s.loading ? s : { data: undefined, error: null, loading: false }));
      settle();
      return;
    }
    const ctl = new AbortController();
    setState((s) => ({ data: s.data, error: null, loading: true }));
    run(ctl.signal).then(
      (data) => {
        if (ctl.signal.aborted) return;
        setState({ data, error: null, loading: false });
        settle();
      },
      (error: unknown) => {
        if (ctl.signal.aborted) return;
        setState((s) => ({ data: s.data, error, loading: false }));
        settle();
      },
    );
    return () => ctl.abort();
    // the caller's inputs decide when to load again, like an effect's dependencies
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [enabled, generation, ...deps]);

  // nobody waits on a load that will never finish
  useEffect(() => settle, []);

  const reload = useCallback(
    () =>
      new Promise<void>((resolve) => {
        waiters.current.push(resolve);
        setGeneration((g) => g + 1);
      }),
    [],
  );
  const setData = useCallback((data: T | undefined) => setState((s) => ({ ...s, data })), []);

  return { ...state, reload, setData };
}
