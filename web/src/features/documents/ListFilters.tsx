/**
 * The document list's filters: status tabs, tag filter, "only mine" and sort order.
 */
import { DOC_STATUSES, type DocStatus, type ListQuery } from '../../api/types';
import { STATUS_LABELS } from './StatusBadge';

interface Props {
  status: DocStatus | '';
  tag: string;
  mine: boolean;
  sort: NonNullable<ListQuery['sort']>;
  onStatus: (s: DocStatus | '') => void;
  onTag: (t: string) => void;
  onMine: (m: boolean) => void;
  onSort: (s: NonNullable<ListQuery['sort']>) => void;
}

export function ListFilters({ status, tag, mine, sort, onStatus, onTag, onMine, onSort }: Props) {
  return (
    <div className="filters" role="group" aria-label="Filter documents">
      <div className="status-tabs" role="radiogroup" aria-label="Status">
        {(['', ...DOC_STATUSES] as const).map((s) => (
          <button
            key={s || 'all'}
            type="button"
            role="radio"
            aria-checked={status === s}
            className={`chip${status === s ? ' chip-active' : ''}`}
            onClick={() => onStatus(s)}
          >
            {s ? STATUS_LABELS[s] : 'All'}
          </button>
        ))}
      </div>
      <div className="filter-controls">
        <div className="field inline">
          <label htmlFor="tag-filter">Tag</label>
          <input
            id="tag-filter"
            type="text"
            placeholder="any"
            value={tag}
            onChange={(e) => onTag(e.target.value.trim())}
            size={10}
          />
        </div>
        <div className="field inline">
          <label htmlFor="sort-select">Sort</label>
          <select id="sort-select" value={sort} onChange={(e) => onSort(e.target.value as NonNullable<ListQuery['sort']>)}>
            <option value="updated_at">Last updated</option>
            <option value="created_at">Newest</option>
            <option value="title">Title</option>
          </select>
        </div>
        <label className="checkbox">
          <input type="checkbox" checked={mine} onChange={(e) => onMine(e.target.checked)} />
          Owned by me
        </label>
      </div>
    </div>
  );
}
