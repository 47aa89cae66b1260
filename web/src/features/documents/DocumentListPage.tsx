import { useCallback, useEffect, useState } from 'react';
import { ApiError } from '../../api/client';
import { api } from '../../api/endpoints';
import type { DocStatus, ListQuery, QuireDocument, SearchHit } from '../../api/types';
import { useAuth } from '../../auth/AuthContext';
import { Alert } from '../../ui/Alert';
import { CreateDocumentDialog } from './CreateDocumentDialog';
import { DocumentRow } from './DocumentRow';
import { Icon } from '../../ui/Icon';
import { ListFilters } from './ListFilters';
import { SearchBox } from './SearchBox';
import { SearchResults } from './SearchResults';
import { navigate, useLocation } from '../../lib/router';
import { useDebounced } from '../../lib/useDebounced';

const PAGE = 25;
type Sort = NonNullable<ListQuery['sort']>;

export function DocumentListPage() {
  const { user } = useAuth();
  const { search } = useLocation();
  const status = (search.get('status') ?? '') as DocStatus | '';
  const tag = search.get('tag') ?? '';
  const mine = search.get('mine') === '1';
  const sort = (search.get('sort') ?? 'updated_at') as Sort;
  const [q, setQ] = useState(search.get('q') ?? '');
  const debouncedQ = useDebounced(q.trim(), 250);

  const [docs, setDocs] = useState<QuireDocument[]>([]);
  const [total, setTotal] = useState(0);
  const [offset, setOffset] = useState(0);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const [hits, setHits] = useState<SearchHit[]>([]);
  const [hitTotal, setHitTotal] = useState(0);
  const [searching, setSearching] = useState(false);
  const [creating, setCreating] = useState(false);

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

  // keep ?q= in the URL so a search can be shared/reloaded
  useEffect(() => {
    if ((search.get('q') ?? '') !== debouncedQ) setParam('q', debouncedQ);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [debouncedQ]);

  useEffect(() => {
    const ctl = new AbortController();
    setLoading(true);
    setError(null);
    api
      .listDocuments(
        {
          status,
          tag: tag || undefined,
          owner: mine ? user?.username : undefined,
          sort,
          order: sort === 'title' ? 'asc' : 'desc',
          limit: PAGE,
          offset,
        },
        ctl.signal,
      )
      .then((res) => {
        setDocs(res.items);
        setTotal(res.total);
      })
      .catch((e: unknown) => {
        if ((e as { name?: string }).name === 'AbortError') return;
        setError(e instanceof ApiError ? e.message : 'Could not load documents.');
      })
      .finally(() => !ctl.signal.aborted && setLoading(false));
    return () => ctl.abort();
  }, [status, tag, mine, sort, offset, user?.username]);

  useEffect(() => setOffset(0), [status, tag, mine, sort]);

  useEffect(() => {
    if (!debouncedQ) {
      setHits([]);
      setHitTotal(0);
      return;
    }
    const ctl = new AbortController();
    setSearching(true);
    api
      .search(debouncedQ, ctl.signal)
      .then((res) => {
        setHits(res.items);
        setHitTotal(res.total);
      })
      .catch((e: unknown) => {
        if ((e as { name?: string }).name === 'AbortError') return;
        setError(e instanceof ApiError ? e.message : 'Search failed.');
      })
      .finally(() => !ctl.signal.aborted && setSearching(false));
    return () => ctl.abort();
  }, [debouncedQ]);

  const showingSearch = q.trim().length > 0;
  const filtered = Boolean(status || tag || mine);

  return (
    <main id="main" className="page">
      <div className="page-head">
        <h1>Documents</h1>
        <button type="button" className="btn btn-primary" onClick={() => setCreating(true)}>
          <Icon name="plus" /> New document
        </button>
      </div>
      <SearchBox value={q} onChange={setQ} />
      {error && <Alert>{error}</Alert>}
      {showingSearch ? (
        <SearchResults query={q.trim()} hits={hits} total={hitTotal} loading={searching || debouncedQ !== q.trim()} />
      ) : (
        <>
          <ListFilters
            status={status}
            tag={tag}
            mine={mine}
            sort={sort}
            onStatus={(s) => setParam('status', s)}
            onTag={(t) => setParam('tag', t)}
            onMine={(m) => setParam('mine', m ? '1' : '')}
            onSort={(s) => setParam('sort', s === 'updated_at' ? '' : s)}
          />
          <section aria-labelledby="list-heading" aria-busy={loading}>
            <h2 id="list-heading" className="visually-hidden">
              Document list
            </h2>
            {!loading && docs.length === 0 && (
              <div className="empty-state" data-testid="empty-list">
                {filtered ? (
                  <p>No documents match these filters.</p>
                ) : (
                  <>
                    <p>No documents yet.</p>
                    <button type="button" className="btn btn-primary" onClick={() => setCreating(true)}>
                      Create your first document
                    </button>
                  </>
                )}
              </div>
            )}
            <ul className="doc-list" data-testid="doc-list">
              {docs.map((d) => (
                <DocumentRow key={d.id} doc={d} activeTag={tag} onTag={(t) => setParam('tag', t === tag ? '' : t)} />
              ))}
            </ul>
            {total > PAGE && (
              <nav className="pager" aria-label="Pages">
                <button type="button" className="btn" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
                  Previous
                </button>
                <span>
                  {offset + 1}–{Math.min(offset + PAGE, total)} of {total}
                </span>
                <button type="button" className="btn" disabled={offset + PAGE >= total} onClick={() => setOffset(offset + PAGE)}>
                  Next
                </button>
              </nav>
            )}
          </section>
        </>
      )}
      {creating && (
        <CreateDocumentDialog
          onClose={() => setCreating(false)}
          onCreated={(doc) => navigate(`/d/${encodeURIComponent(doc.id)}`)}
        />
      )}
    </main>
  );
}
