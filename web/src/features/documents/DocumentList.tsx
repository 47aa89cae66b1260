/**
 * The list section of the documents screen: the rows, the empty state (with or
 * without filters applied) and the pager.
 */
import type { QuireDocument } from '../../api/types';
import { DocumentRow } from './DocumentRow';
import { Pager } from './Pager';

interface Props {
  docs: QuireDocument[];
  total: number;
  loading: boolean;
  filtered: boolean;
  activeTag: string;
  offset: number;
  pageSize: number;
  onOffset: (offset: number) => void;
  onTag: (tag: string) => void;
  onCreate: () => void;
}

export function DocumentList({ docs, total, loading, filtered, activeTag, offset, pageSize, onOffset, onTag, onCreate }: Props) {
  return (
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
              <button type="button" className="btn btn-primary" onClick={onCreate}>
                Create your first document
              </button>
            </>
          )}
        </div>
      )}
      <ul className="doc-list" data-testid="doc-list">
        {docs.map((d) => (
          <DocumentRow key={d.id} doc={d} activeTag={activeTag} onTag={onTag} />
        ))}
      </ul>
      {total > pageSize && <Pager offset={offset} pageSize={pageSize} total={total} onOffset={onOffset} />}
    </section>
  );
}
