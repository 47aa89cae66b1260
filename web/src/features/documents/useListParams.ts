/**
 * The document list's filters and sort, kept in the URL query (`status`, `tag`,
 * `mine`, `sort`, `q`) so a filtered list or a search can be shared and reloaded.
 */
import { useCallback } from 'react';
import type { DocStatus, ListQuery } from '../../api/types';
import { navigate, useLocation } from '../../lib/router';

export type Sort = NonNullable<ListQuery['sort']>;

export function useListParams() {
  const { search } = useLocation();
  const status = (search.get('status') ?? '') as DocStatus | '';
  const tag = search.get('tag') ?? '';
  const mine = search.get('mine') === '1';
  const sort = (search.get('sort') ?? 'updated_at') as Sort;
  const q = search.get('q') ?? '';

  /** Set (or, with an empty value, drop) one query parameter, replacing the history entry. */
  const setParam = useCallback(
    (key: string, value: string) => {
      const next = new URLSearchParams(search);
      if (value) next.set(key, value);
      else next.delete(key);
      const qs = next.toString();
      navigate(`/${qs ? `?${qs}` : ''}`, { replace: true });
    },
    [search],
  );

  return { status, tag, mine, sort, q, setParam };
}
