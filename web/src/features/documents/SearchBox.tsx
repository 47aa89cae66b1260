/**
 * The full-text search field above the document list (Escape clears it).
 */
interface Props {
  value: string;
  onChange: (v: string) => void;
}

export function SearchBox({ value, onChange }: Props) {
  return (
    <form className="search-box" role="search" onSubmit={(e) => e.preventDefault()}>
      <label htmlFor="doc-search" className="visually-hidden">
        Search documents
      </label>
      <svg aria-hidden="true" width="18" height="18" viewBox="0 0 24 24" className="search-icon">
        <circle cx="11" cy="11" r="7" fill="none" stroke="currentColor" strokeWidth="2" />
        <path d="M20 20l-4-4" stroke="currentColor" strokeWidth="2" strokeLinecap="round" />
      </svg>
      <input
        id="doc-search"
        type="search"
        placeholder="Search titles and content…"
        value={value}
        onChange={(e) => onChange(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Escape') onChange('');
        }}
      />
    </form>
  );
}
