/**
 * Full-text search results: count heading, empty state, and each hit with its highlighted snippet.
 */
import type { SearchHit } from '../../api/types';
import { LastEdited } from './LastEdited';
import { Link } from '../../ui/Link';
import { Snippet } from './Snippet';
import { StatusBadge } from './StatusBadge';

interface Props {
  query: string;
  hits: SearchHit[];
  total: number;
  loading: boolean;
}

export function SearchResults({ query, hits, total, loading }: Props) {
  return (
    <section aria-labelledby="search-heading" data-testid="search-results">
      <h2 id="search-heading" className="section-heading">
        {loading ? 'Searching…' : `${total} result${total === 1 ? '' : 's'} for “${query}”`}
      </h2>
      {!loading && hits.length === 0 && (
        <p className="empty-state">No documents match. Try other words.</p>
      )}
      <ul className="doc-list">
        {hits.map((h) => (
          <li key={h.document.id} className="doc-row" data-testid="search-hit">
            <div className="doc-row-main">
              <Link href={`/d/${encodeURIComponent(h.document.id)}`} className="doc-title-link">
                {h.document.title || 'Untitled'}
              </Link>
              <StatusBadge status={h.document.status} />
            </div>
            {h.snippet && <Snippet html={h.snippet} />}
            <div className="doc-row-meta">
              <LastEdited doc={h.document} />
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}
