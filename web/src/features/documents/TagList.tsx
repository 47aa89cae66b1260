/**
 * A document's tags as chips, optionally as buttons that filter the list by tag.
 */
interface Props {
  tags: string[];
  onSelect?: (tag: string) => void;
  activeTag?: string;
}

export function TagList({ tags, onSelect, activeTag }: Props) {
  if (tags.length === 0) return null;
  return (
    <ul className="tag-list" aria-label="Tags">
      {tags.map((t) => (
        <li key={t}>
          {onSelect ? (
            <button
              type="button"
              className={`tag tag-button${activeTag === t ? ' tag-active' : ''}`}
              aria-pressed={activeTag === t}
              aria-label={`Filter by tag ${t}`}
              onClick={() => onSelect(t)}
            >
              #{t}
            </button>
          ) : (
            <span className="tag">#{t}</span>
          )}
        </li>
      ))}
    </ul>
  );
}
