/**
 * The documents screen (`/`): search box, filters, the paged list (kept live by `/api/events`) or the
 * search results, the "New document" dialog, a link to the Trash, and the "Moved to the trash" notice (with
 * Undo) after a document was deleted from the editor.
 */
import { useEffect, useRef, useState } from 'react';
import { api } from '../../api/endpoints';
import { errorMessage } from '../../api/errorMessage';
import { useAuth } from '../../auth/AuthContext';
import { navigate } from '../../lib/router';
import { useDebounced } from '../../lib/useDebounced';
import { useRequest } from '../../lib/useRequest';
import { Alert } from '../../ui/Alert';
import { Icon } from '../../ui/Icon';
import { Link } from '../../ui/Link';
import { MovedToTrashNotice } from '../trash/MovedToTrashNotice';
import { clearMovedToTrash, peekMovedToTrash } from '../trash/trash';
import { CreateDocumentDialog } from './CreateDocumentDialog';
import { DocumentList } from './DocumentList';
import { ListFilters } from './ListFilters';
import { SearchBox } from './SearchBox';
import { SearchResults } from './SearchResults';
import { applyListEvent } from './listEvents';
import { useDocumentListEvents } from './useDocumentListEvents';
import { useListParams } from './useListParams';

const PAGE = 25;

export function DocumentListPage() {
  const { user } = useAuth();
  const params = useListParams();
  const { status, tag, mine, sort, setParam } = params;
  const [q, setQ] = useState(params.q);
  const debouncedQ = useDebounced(q.trim(), 250);
  const [offset, setOffset] = useState(0);
  const [creating, setCreating] = useState(false);
  const [trashed, setTrashed] = useState(peekMovedToTrash);
  useEffect(() => clearMovedToTrash(), []);

  // keep ?q= in the URL so a search can be shared/reloaded
  useEffect(() => {
    if (params.q !== debouncedQ) setParam('q', debouncedQ);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [debouncedQ]);

  useEffect(() => setOffset(0), [status, tag, mine, sort]);

  const list = useRequest(
    (signal) =>
      api.listDocuments(
        {
          status,
          tag: tag || undefined,
          owner: mine ? user?.username : undefined,
          sort,
          order: sort === 'title' ? 'asc' : 'desc',
          limit: PAGE,
          offset,
        },
        signal,
      ),
    [status, tag, mine, sort, offset, user?.username],
  );

  const { setData: setListData, reload: reloadList } = list;
  const latestList = useRef(list.data);
  latestList.current = list.data;
  useDocumentListEvents(
    Boolean(user),
    (event) => {
      if (!latestList.current) return;
      const next = applyListEvent(latestList.current, event, {
        status,
        tag,
        ownerId: mine ? user?.id : undefined,
        sort,
        offset,
      });
      latestList.current = next;
      setListData(next);
    },
    () => void reloadList(),
  );

  const results = useRequest(debouncedQ ? (signal) => api.search(debouncedQ, signal) : null, [debouncedQ]);

  const error = list.error
    ? errorMessage(list.error, { fallback: 'Could not load documents.' })
    : results.error
      ? errorMessage(results.error, { fallback: 'Search failed.' })
      : null;
  const showingSearch = q.trim().length > 0;
  const filtered = Boolean(status || tag || mine);

  return (
    <main id="main" className="page">
      <div className="page-head">
        <h1>Documents</h1>
        <div className="page-head-actions">
          <Link href="/trash" className="btn" data-testid="trash-link">
            <Icon name="trash" /> Trash
          </Link>
          <button type="button" className="btn btn-primary" onClick={() => setCreating(true)}>
            <Icon name="plus" /> New document
          </button>
        </div>
      </div>
      {trashed && (
        <MovedToTrashNotice doc={trashed} onRestored={() => void reloadList()} onDismiss={() => setTrashed(null)} />
      )}
      <SearchBox value={q} onChange={setQ} />
      {error && <Alert>{error}</Alert>}
      {showingSearch ? (
        <SearchResults
          query={q.trim()}
          hits={results.data?.items ?? []}
          total={results.data?.total ?? 0}
          loading={results.loading || debouncedQ !== q.trim()}
        />
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
          <DocumentList
            docs={list.data?.items ?? []}
            total={list.data?.total ?? 0}
            loading={list.loading}
            filtered={filtered}
            activeTag={tag}
            offset={offset}
            pageSize={PAGE}
            onOffset={setOffset}
            onTag={(t) => setParam('tag', t === tag ? '' : t)}
            onCreate={() => setCreating(true)}
          />
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
