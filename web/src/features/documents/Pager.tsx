/** Previous / next buttons and the "1–25 of 60" range under a paged list. */
interface Props {
  offset: number;
  pageSize: number;
  total: number;
  onOffset: (offset: number) => void;
}

export function Pager({ offset, pageSize, total, onOffset }: Props) {
  return (
    <nav className="pager" aria-label="Pages">
      <button type="button" className="btn" disabled={offset === 0} onClick={() => onOffset(Math.max(0, offset - pageSize))}>
        Previous
      </button>
      <span>
        {offset + 1}–{Math.min(offset + pageSize, total)} of {total}
      </span>
      <button type="button" className="btn" disabled={offset + pageSize >= total} onClick={() => onOffset(offset + pageSize)}>
        Next
      </button>
    </nav>
  );
}
